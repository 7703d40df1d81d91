"""JSON exported by the online form system: an envelope with metadata and `records`
(or a bare list of records). Envelope keys may be English or Chinese."""
from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from ingest.errors import FileRefused
from ingest.readers import Grid
from ingest.readers.csv import detect

MAX_JSON_BYTES = 64 * 1024 * 1024     # larger exports come as CSV
ENVELOPE_KEYS = {"城市": "city", "填报单位": "department", "报送单位": "department", "报表类型": "kind",
                 "填报期间": "period", "报送期间": "period", "提交时间": "submitted_at"}
RECORD_KEYS = ("records", "data", "rows", "记录")
# \ud800-\udfff escapes: json.loads admits a lone one, which no UTF-8 text (nor DuckDB) can hold
_SURROGATE_ESCAPE_RE = re.compile(r"\\u[dD][89a-fA-F]")


class _Object(dict):
    """A JSON object that remembers the keys it was given more than once (the last value wins
    in a dict: a silent choice)."""
    twice: tuple[tuple[str, Any, Any], ...] = ()


def _pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj, twice = _Object(), []
    for key, value in pairs:
        if key in obj:
            twice.append((key, obj[key], value))
        else:
            obj[key] = value
    obj.twice = tuple(twice)
    return obj


def _mend(value: Any) -> tuple[Any, bool]:
    """(the value with any lone surrogate written out as \\udXXX, whether it had one)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value, False
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8"), True
    if isinstance(value, list):
        items = [_mend(v) for v in value]
        return [v for v, _ in items], any(bad for _, bad in items)
    if isinstance(value, dict):
        out, bad = _Object(), False
        for k, v in value.items():
            (k2, bad_key), (v2, bad_value) = _mend(k), _mend(v)
            out[k2], bad = v2, bad or bad_key or bad_value
        out.twice = getattr(value, "twice", ())
        return out, bad
    return value, False


def _integer(text: str) -> int | Decimal:
    """JSON integers: beyond a few hundred digits Python refuses int(); such values are no
    figure of a form anyway, and the row rules refuse them by range."""
    return int(text) if len(text) <= 300 else Decimal(text)


def _envelope(doc: _Object, records_key: str | None) -> tuple[dict[str, Any], list[tuple[str, Any, str, Any]]]:
    """The metadata keys, English or Chinese, and every pair of keys meaning one thing (or one
    key given twice) with their values: ingest.files.metadata refuses the file if they differ."""
    pairs = [(key, first, key, second) for key, first, second in doc.twice if key != records_key]
    envelope: dict[str, Any] = {}
    named: dict[str, str] = {}
    for key, value in doc.items():
        if key == records_key:
            continue
        canonical = ENVELOPE_KEYS.get(key, key)
        if canonical in envelope:
            pairs.append((named[canonical], envelope[canonical], key, value))
        else:
            envelope[canonical], named[canonical] = value, key
    return envelope, pairs


def read(path: Path, label: str) -> Grid:
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise FileRefused("file_too_large", f"JSON 文件超过 {MAX_JSON_BYTES // 2**20} MB,请改为导出 CSV", file=label)
    data = path.read_bytes()
    if b"\x00" in data:
        raise FileRefused("damaged_file", "文件已损坏:含有空字节(NUL),请重新导出后提交", file=label)
    codec, encoding = detect(data[:256 * 1024], label)
    try:
        text = data.decode(codec)
        doc = json.loads(text, object_pairs_hook=_pairs, parse_int=_integer)
    except UnicodeDecodeError:
        raise FileRefused("undecodable", "JSON 文件中有无法识别的字符(编码不一致)", file=label) from None
    except json.JSONDecodeError as exc:
        raise FileRefused("bad_json", f"JSON 格式错误(第 {exc.lineno} 行):{exc.msg}", file=label) from None
    except RecursionError:
        raise FileRefused("bad_json", "JSON 嵌套层数过多,不是表单系统导出的文件", file=label) from None
    except ValueError:
        raise FileRefused("bad_json", "JSON 中有无法读取的数值", file=label) from None
    broken: set[int] = set()
    if _SURROGATE_ESCAPE_RE.search(text):      # rare: mend every string, flag the records that had one
        key = next((k for k in RECORD_KEYS if k in doc), None) if isinstance(doc, dict) else None
        listed = doc.get(key) if key else doc
        if isinstance(listed, list):
            broken = {i + 1 for i, r in enumerate(listed) if _mend(r)[1]}
        doc = _mend(doc)[0]
    if isinstance(doc, dict):
        key = next((k for k in RECORD_KEYS if k in doc), None)
        records = doc.get(key) if key else None
        if key and any(k == key for k, *_ in doc.twice):
            raise FileRefused("bad_json", f"JSON 中有两份“{key}”记录列表,无法确定报送哪一份", file=label)
        envelope, pairs = _envelope(doc, key)
    else:
        records, envelope, pairs = doc, {}, []
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
    twice = {i + 1: ("duplicate_field", r.twice[0][0]) for i, r in enumerate(records) if r.twice}
    twice.update({n: ("bad_character", "") for n in broken})
    return Grid(head=rows, encoding=encoding, envelope=envelope, headers=headers, flagged=twice, envelope_pairs=pairs)
