"""Byte builders for the awkward-file corpus: xlsx (xlsxwriter/openpyxl), CSV in any encoding,
JSON envelopes, broken zips. Everything is generated; no binary fixture is checked in."""
from __future__ import annotations

import datetime as dt
import io
import json
import re
import struct
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import xlsxwriter
import xlsxwriter.utility

from ingest.demo.ids import check_digit

FIXED_TIME = dt.datetime(2022, 6, 1, 8, 0, 0)
VOL_HEADER = ["志愿者姓名", "身份证号", "联系电话", "所属队伍", "活动名称", "服务类别", "服务日期", "服务时长(小时)"]
INV_HEADER = ["序号", "项目编号", "项目名称", "责任单位", "项目类别", "计划总投资", "本月完成投资", "累计完成投资",
              "项目进度", "开工日期", "完工日期"]
INV_HEADER_WAN = [h + "(万元)" if h.endswith(("投资",)) else h for h in INV_HEADER]
ISSUE_HEADER = ["问题编号", "发现日期", "问题来源", "问题类别", "点位类型", "点位名称", "责任单位", "整改时限",
                "整改状态", "整改完成日期", "复核结果"]


def person_id(n: int, area: str = "510981") -> str:
    """A valid 18-character ID (GB 11643 check character), different for each n."""
    body = f"{area}{dt.date(1970, 1, 1) + dt.timedelta(days=97 * n):%Y%m%d}{100 + n % 800:03d}"
    return body + check_digit(body)


def exact_only_ids(count: int) -> list[str]:
    """Digit-only IDs that no float64 can hold (so a numeric cell storing them kept every digit)."""
    out, n = [], 0
    while len(out) < count:
        n += 1
        value = person_id(n)
        if value[-1] != "X" and float(int(value)) != int(value):
            out.append(value)
    return out


def put(landing: Path, rel: str, data: bytes) -> None:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8-sig", sep: str = ",", newline: str = "\r\n") -> bytes:
    lines = [sep.join(_csv_cell(c, sep) for c in row) for row in rows]
    return (newline.join(lines) + newline).encode(encoding)


def _csv_cell(value: Any, sep: str) -> str:
    text = "" if value is None else str(value)
    if any(ch in text for ch in (sep, '"', "\n", "\r")):
        return '"' + text.replace('"', '""') + '"'
    return text


def xlsx_bytes(sheets: list[dict[str, Any]]) -> bytes:
    """sheets: [{'name', 'rows': [[...]], 'merge': [(r0, c0, r1, c1, text)], 'hidden': bool,
    'date_cells': {(r, c): date}}] written with xlsxwriter (as Excel would store them)."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    book.set_properties({"created": FIXED_TIME})     # same content, same bytes
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for spec in sheets:
        ws = book.add_worksheet(spec["name"])
        for r, row in enumerate(spec.get("rows", [])):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, (dt.date, dt.datetime)):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()) if type(value) is dt.date else value,
                                      date_format)
                else:
                    ws.write(r, c, value)
        for r0, c0, r1, c1, text in spec.get("merge", []):
            ws.merge_range(r0, c0, r1, c1, text)
        if spec.get("hidden"):
            ws.hide()
    book.close()
    return buf.getvalue()


def exact_number_xlsx(rows: list[list[Any]], column: str, numbers: dict[int, str], name: str = "志愿服务") -> bytes:
    """A workbook as some export tools write it (e.g. an int64 written in full): the numeric cells
    `column`<row> hold every digit of numbers[row] in the sheet XML (openpyxl and Excel itself
    would write a 15-digit float)."""
    book = openpyxl.Workbook()
    book.properties.created = book.properties.modified = FIXED_TIME
    ws = book.active
    ws.title = name
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    book.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "docProps/core.xml":   # openpyxl stamps the save time
                body = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2022-06-01T08:00:00Z", body)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = body.decode()
                for row, digits in numbers.items():
                    text = re.sub(rf'(<c r="{column}{row}"[^>]*><v>)[^<]*(</v>)', rf"\g<1>{digits}\g<2>", text)
                body = text.encode()
            dst.writestr(zipfile.ZipInfo(info.filename, FIXED_TIME.timetuple()[:6]), body, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def json_bytes(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


def zip_bomb(inflated: int = 128 * 1024 * 1024) -> bytes:
    """A package whose worksheet inflates ~1000:1 (zeros)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        stamp = FIXED_TIME.timetuple()[:6]
        z.writestr(zipfile.ZipInfo("[Content_Types].xml", stamp), "<Types/>", zipfile.ZIP_DEFLATED)
        member = zipfile.ZipInfo("xl/worksheets/sheet1.xml", stamp)
        member.compress_type = zipfile.ZIP_DEFLATED
        with z.open(member, "w") as f:
            block = b"\0" * (1 << 20)
            for _ in range(inflated // len(block)):
                f.write(block)
    return buf.getvalue()


def lying_zip(real: int = 64 * 1024 * 1024, declared: int = 4096) -> bytes:
    """A package whose worksheet declares `declared` bytes but inflates to `real`: sizes checked
    on paper pass; only inflating with a counter catches it."""
    data = bytearray(zip_bomb(real))
    name = b"xl/worksheets/sheet1.xml"
    for sig, size_at, name_len_at, name_at in ((b"PK\x01\x02", 24, 28, 46), (b"PK\x03\x04", 22, 26, 30)):
        pos = 0
        while (pos := data.find(sig, pos)) >= 0:
            name_len = struct.unpack_from("<H", data, pos + name_len_at)[0]
            if bytes(data[pos + name_at:pos + name_at + name_len]) == name:
                struct.pack_into("<I", data, pos + size_at, declared)
            pos += 4
    return bytes(data)


def formula_xlsx(rows: list[list[Any]], formulas: dict[tuple[int, int], tuple[str, Any]], writer: str) -> bytes:
    """A workbook whose cells formulas[(r, c)] = (formula, cached value or None) hold formulas, as
    `writer` saves it: 'excel' (calculated: cached values kept, no recalculation asked for; a
    None value is a formula saved without its result), 'xlsxwriter' (as that library writes it:
    cached 0 unless given, recalculation on load) or 'openpyxl' (no cached values at all)."""
    if writer == "openpyxl":
        book = openpyxl.Workbook()
        book.properties.created = book.properties.modified = FIXED_TIME
        ws = book.active
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                ws.cell(r + 1, c + 1, formulas[(r, c)][0] if (r, c) in formulas else value)
        buf = io.BytesIO()
        book.save(buf)
        return _restamp(buf.getvalue(), {})
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    book.set_properties({"created": FIXED_TIME})
    ws = book.add_worksheet("台账")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if (r, c) in formulas:
                formula, cached = formulas[(r, c)]
                ws.write_formula(r, c, formula, None, 0 if cached is None and writer == "xlsxwriter" else cached)
            elif value is not None:
                ws.write(r, c, value)
    book.close()
    if writer == "xlsxwriter":
        return buf.getvalue()
    missing = {xlsxwriter.utility.xl_rowcol_to_cell(r, c) for (r, c), (_, v) in formulas.items() if v is None}
    return _restamp(buf.getvalue(), {
        "xl/workbook.xml": lambda t: t.replace(' fullCalcOnLoad="1"', ""),
        "docProps/app.xml": lambda t: re.sub(r"<AppVersion>[^<]*</AppVersion>", "<AppVersion>16.0300</AppVersion>", t),
        "xl/worksheets/sheet1.xml": lambda t: re.sub(
            r'(<c r="(%s)"[^>]*>(?:<f>[^<]*</f>))<v>[^<]*</v>' % "|".join(missing or ["^"]), r"\g<1>", t)})


def _restamp(package: bytes, edits: dict[str, Any]) -> bytes:
    """The package with members edited (text -> text) and fixed timestamps (same bytes each run)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2022-06-01T08:00:00Z", body)
            if info.filename in edits:
                body = edits[info.filename](body.decode("utf-8")).encode("utf-8")
            dst.writestr(zipfile.ZipInfo(info.filename, FIXED_TIME.timetuple()[:6]), body, zipfile.ZIP_DEFLATED)
    return out.getvalue()
