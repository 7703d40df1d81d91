"""The receipt of one file: what was accepted, and each refused row with the reason (Chinese)."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ingest.validate import Rejected

STATUS_ZH = {"accepted": "已接收", "refused": "已退回", "duplicate": "重复提交(已忽略)"}


@dataclass
class Receipt:
    receipt_id: str
    run_id: str
    source_file: str
    content_sha256: str
    submission_id: str | None
    received_at: dt.datetime
    status: str = "refused"
    reason_code: str | None = None
    message: str | None = None
    archived_path: str | None = None
    city: str | None = None
    department_code: str | None = None
    kind: str | None = None
    period_month: dt.date | None = None
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    def ledger_row(self) -> dict[str, Any]:
        row = asdict(self)
        row.pop("rejected")
        return row

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["received_at"] = self.received_at.isoformat(timespec="seconds")
        doc["period_month"] = self.period_month.isoformat()[:7] if self.period_month else None
        return doc

    def text(self) -> str:
        """A short note a clerk can act on."""
        name = PurePosixPath(self.source_file).name
        lines = [f"文件《{name}》:{STATUS_ZH[self.status]}"]
        if self.status == "accepted":
            period = self.period_month.strftime("%Y年%m月") if self.period_month else ""
            lines.append(f"填报期间 {period},共 {self.rows_in} 行,入库 {self.rows_loaded} 行,"
                         f"退回 {self.rows_quarantined} 行。")
        elif self.message:
            lines.append(f"原因:{self.message}")
        for r in self.rejected:
            lines.append(f"  第 {r.row} 行 [{r.field}]:{r.message}")
        if self.rejected:
            lines.append("请修改以上行后,将整个文件重新提交(新文件会替换本月已提交的数据)。")
        return "\n".join(lines)


def write_receipt(receipts_dir: Path, receipt: Receipt) -> Path:
    base = receipts_dir / PurePosixPath(receipt.source_file).parent
    base.mkdir(parents=True, exist_ok=True)
    stem = f"{receipt.received_at:%Y%m%dT%H%M%S}-{receipt.receipt_id[:8]}"
    (base / f"{stem}.json").write_text(json.dumps(receipt.to_json(), ensure_ascii=False, indent=1, default=str),
                                       encoding="utf-8")
    (base / f"{stem}.txt").write_text(receipt.text() + "\n", encoding="utf-8")
    return base / f"{stem}.json"
