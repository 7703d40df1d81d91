"""CSV: UTF-8 (with or without BOM) or GBK/GB18030, detected strictly; never mojibake."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from ingest.errors import FileRefused
from ingest.readers import Grid

ENCODINGS = ("utf-8-sig", "gb18030")


def decode(path: Path, data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused("unsupported_encoding", "文件为 UTF-16 编码,请另存为 UTF-8 或 GBK 编码的 CSV",
                          file=str(path))
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text, ("utf-8-bom" if encoding == "utf-8-sig" and data.startswith(b"\xef\xbb\xbf")
                      else "utf-8" if encoding == "utf-8-sig" else encoding)
    raise FileRefused("undecodable", "文件编码无法识别(不是 UTF-8 或 GBK 文本),请另存为 CSV UTF-8 后重新提交",
                      file=str(path))


def read(path: Path, data: bytes) -> Grid:
    text, encoding = decode(path, data)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list]] = []
    line = 1
    for cells in reader:
        rows.append((line, cells))
        line = reader.line_num + 1
    return Grid(rows=rows, encoding=encoding)
