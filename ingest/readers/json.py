"""JSON exported by the online form system: an envelope with metadata and `records`."""
from __future__ import annotations

import json
from pathlib import Path

from ingest.errors import FileRefused
from ingest.readers import Grid
from ingest.readers.csv import decode


def read(path: Path, data: bytes) -> Grid:
    text, encoding = decode(path, data)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileRefused("bad_json", f"JSON 格式错误(第 {exc.lineno} 行):{exc.msg}", file=str(path)) from None
    records = doc.get("records") if isinstance(doc, dict) else doc
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise FileRefused("bad_json", "JSON 中没有 records 记录列表", file=str(path))
    headers: list[str] = []
    for record in records:
        headers.extend(k for k in record if k not in headers)
    rows = [(i + 1, [record.get(h) for h in headers]) for i, record in enumerate(records)]
    envelope = {k: v for k, v in doc.items() if k != "records"} if isinstance(doc, dict) else {}
    return Grid(rows=rows, encoding=encoding, envelope=envelope, headers=headers)
