"""The receipt of one file: what was accepted, and each refused row with the reason (Chinese).
Written as JSON (machines), a short text (the clerk) and, when rows were refused, a CSV the
clerk can open in Excel (formula-looking values escaped)."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, fields
from pathlib import Path, PurePosixPath
from typing import Any

from ingest.raw.safe_csv import write_csv
from ingest.rows.messages import Rejected

STATUS_ZH = {"accepted": "已接收", "refused": "已退回", "duplicate": "重复提交(已忽略)", "held_back": "暂缓发布"}
RECEIPT_ROWS = 10_000        # refused rows / warnings listed in one receipt (all are in the raw database)
TEXT_ROWS = 200              # of which the text note shows


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
    period_label: str | None = None      # '2022-05', or '2021年度' for an annual export
    sheet: str | None = None
    rows_in: int = 0                     # data rows taken in (0 when the file is refused)
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_skipped: int = 0                # blank, 合计 and footer rows: not data
    rows_warned: int = 0
    rows_found: int = 0                  # data rows seen, also when the file is refused
    parts: list[str] = field(default_factory=list)   # submission ids of an annual export's months
    supersedes: list[str] = field(default_factory=list)  # earlier submissions of the same period replaced
    rejected: list[Rejected] = field(default_factory=list)
    warnings: list[Rejected] = field(default_factory=list)

    def ledger_row(self) -> dict[str, Any]:
        skip = ("rejected", "warnings", "parts", "supersedes", "sheet", "rows_found")
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}

    def to_json(self) -> dict[str, Any]:
        # field by field, not asdict(): its deep copy of thousands of listed rows cost more than the rest
        doc = {f.name: getattr(self, f.name) for f in fields(self)}
        doc["parts"], doc["supersedes"] = list(self.parts), list(self.supersedes)
        doc["rejected"], doc["warnings"] = [r.doc() for r in self.rejected], [r.doc() for r in self.warnings]
        doc["received_at"] = self.received_at.isoformat(timespec="seconds")
        doc["period_month"] = self.period_month.isoformat()[:7] if self.period_month else None
        return doc

    def text(self) -> str:
        """A short note a clerk can act on."""
        name = PurePosixPath(self.source_file).name
        lines = [f"文件《{name}》:{STATUS_ZH[self.status]}"]
        if self.status == "accepted":
            period = self.period_label or ""
            if self.period_month and not self.parts:
                period = self.period_month.strftime("%Y年%m月")
            lines.append(f"填报期间 {period},共 {self.rows_in} 行数据,入库 {self.rows_loaded} 行,"
                         f"退回 {self.rows_quarantined} 行" + (f",另有 {self.rows_warned} 行请核实" if self.rows_warned else "")
                         + "。")
            if self.supersedes:
                lines.append(f"本文件替换了同一期间此前提交的报送({'、'.join(self.supersedes)}):"
                             "旧数据不再计入统计,仍保留在历史记录中。")
        elif self.message:
            lines.append(f"原因:{self.message}")
        if self.rejected:
            lines.append("以下行未入库:" if self.status == "accepted" else "文件中的问题行:")
            lines += [f"  第 {r.row} 行 [{r.field}]:{r.message}" for r in self.rejected[:TEXT_ROWS]]
            if self.rows_quarantined > TEXT_ROWS or len(self.rejected) > TEXT_ROWS:
                lines.append("  ……其余见随附的问题行清单(CSV)")
            lines.append("请修改以上行后,将整个文件重新提交(新文件会替换本期已提交的数据)。")
        if self.warnings:
            lines.append("以下行已入库,但请核实:")
            lines += [f"  第 {r.row} 行 [{r.field}]:{r.message}" for r in self.warnings[:TEXT_ROWS]]
        return "\n".join(lines)


def receipt_dir(receipts_dir: Path, source_file: str) -> Path:
    """Receipts mirror the landing folders; a path that tries to leave them lands in _unsafe/."""
    parent = PurePosixPath(source_file).parent
    if parent.is_absolute() or any(p in ("..", ".") for p in parent.parts):
        return receipts_dir / "_unsafe"
    return receipts_dir / parent


def write_receipt(receipts_dir: Path, receipt: Receipt) -> Path:
    base = receipt_dir(receipts_dir, receipt.source_file)
    base.mkdir(parents=True, exist_ok=True)
    stem = f"{receipt.received_at:%Y%m%dT%H%M%S}-{receipt.receipt_id[:8]}"
    (base / f"{stem}.json").write_text(json.dumps(receipt.to_json(), ensure_ascii=False, indent=1, default=str),
                                       encoding="utf-8")
    (base / f"{stem}.txt").write_text(receipt.text() + "\n", encoding="utf-8")
    if receipt.rejected or receipt.warnings:
        rows = [[r.row, "未入库" if kind == "rejected" else "请核实", r.field, r.value, r.message]
                for kind in ("rejected", "warnings") for r in getattr(receipt, kind)]
        write_csv(base / f"{stem}.csv", ["行号", "处理", "字段", "填写的值", "原因"], rows)
    return base / f"{stem}.json"


def held_text(hold: dict[str, Any]) -> str:
    """The clerk's note of a submission the mart audit held back (ingest.raw.holds)."""
    name = PurePosixPath(hold["source_file"]).name
    return "\n".join([
        f"文件《{name}》:{STATUS_ZH['held_back']}(已接收入库,但未通过数据仓库汇总审核)",
        f"填报期间 {hold['period_month']:%Y年%m月}。本文件的数据暂不计入统计、排名和报表,其他单位的数据照常发布。",
        f"原因:{hold['reason_zh']}",
        "请核实后将整个文件重新提交(新文件会替换本期已提交的数据,并重新审核)。"])


def write_held_receipt(receipts_dir: Path, hold: dict[str, Any]) -> Path:
    """A follow-up receipt (.json and the clerk's .txt) beside the submission's first receipt:
    `<time>-<submission id>-held.*`; the first receipt is left as it was written."""
    base = receipt_dir(receipts_dir, hold["source_file"])
    base.mkdir(parents=True, exist_ok=True)
    stem = f"{hold['held_at']:%Y%m%dT%H%M%S}-{hold['submission_id']}-held"
    doc = {"status": "held_back", **hold, "held_at": hold["held_at"].isoformat(timespec="seconds"),
           "period_month": f"{hold['period_month']:%Y-%m}"}
    (base / f"{stem}.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    (base / f"{stem}.txt").write_text(held_text(hold) + "\n", encoding="utf-8")
    return base / f"{stem}.json"
