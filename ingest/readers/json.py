"""JSON exported by the online form system: an envelope with metadata and `records`
(or a bare list of records). Envelope keys may be English or Chinese."""
from __future__ import annotations

import json
from pathlib import Path

from ingest.errors import FileRefused
from ingest.readers import Grid
from ingest.readers.csv import detect

MAX_JSON_BYTES = 64 * 1024 * 1024     # larger exports come as CSV
ENVELOPE_KEYS = {"城市": "city", "填报单位": "department", "报送单位": "department", "报表类型": "kind",
                 "填报期间": "period", "报送期间": "period", "提交时间": "submitted_at"}
RECORD_KEYS = ("records", "data", "rows", "记录")


def read(path: Path, label: str) -> Grid:
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise FileRefused("file_too_large", f"JSON 文件超过 {MAX_JSON_BYTES // 2**20} MB,请改为导出 CSV", file=label)
    data = path.read_bytes()
    codec, encoding = detect(data[:256 * 1024], label)
    try:
        doc = json.loads(data.decode(codec))
    except UnicodeDecodeError:
        raise FileRefused("undecodable", "JSON 文件中有无法识别的字符(编码不一致)", file=label) from None
    except json.JSONDecodeError as exc:
        raise FileRefused("bad_json", f"JSON 格式错误(第 {exc.lineno} 行):{exc.msg}", file=label) from None
    except RecursionError:
        raise FileRefused("bad_json", "JSON 嵌套层数过多,不是表单系统导出的文件", file=label) from None
    if isinstance(doc, dict):
        key = next((k for k in RECORD_KEYS if k in doc), None)
        records = doc.get(key) if key else None
        envelope = {ENVELOPE_KEYS.get(k, k): v for k, v in doc.items() if k != key}
    else:
        records, envelope = doc, {}
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise FileRefused("bad_json", "JSON 中没有 records 记录列表(每条记录应为一组“表头: 值”)", file=label)
    headers: list[str] = []
    seen: set[str] = set()
    for record in records:
        for k in record:
            if k not in seen:
                seen.add(k)
                headers.append(k)
    rows = [(i + 1, [record.get(h) for h in headers]) for i, record in enumerate(records)]
    return Grid(head=rows, encoding=encoding, envelope=envelope, headers=headers)
