"""CSV as Chinese Windows Excel saves it: UTF-8 (with or without BOM) or GBK/GB18030, comma-
or tab-separated. Detected from a sample, then decoded strictly while streaming; UTF-16 is
refused with how to re-save it, and a file that decodes only to garbage is refused, never
loaded as mojibake.
Row numbers are records (what Excel shows), counting title rows and blank lines.
Most files are read by DuckDB into Arrow columns (ingest.readers.native_csv); this module's
reader takes the ones that need it, and names the line of a reading error."""
from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from ingest.errors import FileRefused
from ingest.readers import CHUNK_ROWS, HEAD_ROWS, Grid, Row, native_csv

SAMPLE_BYTES = 256 * 1024
MAX_FIELD_CHARS = 1_000_000          # one cell; Excel itself stops at 32,767
MOJIBAKE_SHARE = 0.2                 # share of rare characters that marks a wrong decoding
_COMMON_EXTRA = set("“”‘’…—–·•、。，；：？！（）《》【】〔〕『』「」￥％＋－×÷≤≥")
_CONTROL = {chr(c) for c in range(32)} - {"\t", "\r", "\n"} | {"\x7f"}

csv.field_size_limit(MAX_FIELD_CHARS)


def _refuse(code: str, message: str, label: str) -> FileRefused:
    return FileRefused(code, message, file=label)


def _damaged(label: str) -> FileRefused:
    return _refuse("damaged_file", "文件已损坏:含有空字节(NUL),请重新导出后提交", label)


class _NoNul(io.RawIOBase):
    """The file's bytes, refusing the file at the first NUL byte wherever it is (a NUL is never
    part of a UTF-8 or GB18030 character; PostgreSQL cannot store one)."""

    def __init__(self, raw, label: str) -> None:
        self.raw, self.label = raw, label

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        if b"\x00" in data:
            raise _damaged(self.label)
        buffer[:len(data)] = data
        return len(data)


def _text(path: Path, codec: str, label: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BufferedReader(_NoNul(open(path, "rb", buffering=0), label), 1 << 20),
                            encoding=codec, errors="strict", newline="")


def _looks_utf16(sample: bytes) -> bool:
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    return max(even, odd) > len(sample) // 8 and min(even, odd) < max(even, odd) // 10


def _common(ch: str) -> bool:
    """A character Chinese forms are made of: a GB2312 hanzi, CJK punctuation, full-width forms."""
    if "\u4e00" <= ch <= "\u9fff":
        try:
            ch.encode("gb2312")
            return True
        except UnicodeEncodeError:
            return False
    return ch in _COMMON_EXTRA or "\uff01" <= ch <= "\uff5e" or "\u3000" <= ch <= "\u3003"


def _plausible_chinese(text: str) -> bool:
    """True unless the text is mostly characters real Chinese forms never hold (what Big5,
    Shift-JIS or stray bytes turn into when read as GBK: rare hanzi, kana, Greek, box drawing)."""
    counts = Counter(ch for ch in text if ord(ch) > 127)
    total = sum(counts.values())
    rare = sum(n for ch, n in counts.items() if not _common(ch))
    return rare <= total * MOJIBAKE_SHARE


def detect(sample: bytes, label: str) -> tuple[str, str]:
    """(Python codec, label stored with the submission)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "utf-8-bom"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _refuse("unsupported_encoding", "文件为 UTF-16 编码(Excel“Unicode 文本”),"
                      "请在 Excel 中另存为“CSV UTF-8(逗号分隔)”后重新提交", label)
    if b"\x00" in sample:
        if _looks_utf16(sample):
            raise _refuse("unsupported_encoding", "文件为没有字节序标记的 UTF-16 编码,无法可靠识别,"
                          "请在 Excel 中另存为“CSV UTF-8(逗号分隔)”后重新提交", label)
        controls = sum(sample.count(bytes([c])) for c in range(32) if c not in (9, 10, 13)) + sample.count(b"\x7f")
        if controls * 100 < len(sample):      # text with a few NULs: a damaged file, not a binary one
            raise _damaged(label)
        raise _refuse("binary_file", "文件不是文本表格(含有二进制内容),请提交 xlsx、csv 或 json 文件", label)
    for codec, name in (("utf-8", "utf-8"), ("gb18030", "gb18030")):
        try:
            text = codecs.getincrementaldecoder(codec)(errors="strict").decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        if sum(text.count(c) for c in _CONTROL) > max(8, len(text) // 100):   # binary, not a stray control
            raise _refuse("binary_file", "文件不是文本表格(含有控制字符或二进制内容),请提交 xlsx、csv 或 json 文件",
                          label)
        if codec == "gb18030" and not _plausible_chinese(text):
            break
        return codec, name
    raise _refuse("undecodable", "文件编码无法识别(不是 UTF-8 或 GBK/GB18030 文本),"
                  "请在 Excel 中另存为“CSV UTF-8(逗号分隔)”后重新提交", label)


def _delimiter(first_lines: list[str]) -> tuple[str, bool]:
    """(delimiter, whether the first line is Excel's 'sep=X' hint)."""
    first = first_lines[0].rstrip("\r\n") if first_lines else ""
    if first.lower().startswith("sep=") and len(first) == 5:
        return first[4], True
    text = "\n".join(first_lines)
    return ("\t" if text.count("\t") > text.count(",") else ","), False


def read(path: Path, label: str) -> Grid:
    with open(path, "rb") as f:
        sample = f.read(SAMPLE_BYTES)
        f.seek(-1, io.SEEK_END)
        cut = f.read(1) not in (b"\n", b"\r")   # no line end after the last record: maybe cut off
    codec, name = detect(sample, label)
    preview = codecs.getincrementaldecoder(codec)(errors="replace").decode(sample, final=False)
    delimiter, hinted = _delimiter(preview.lstrip("\ufeff").splitlines()[:HEAD_ROWS])
    native = native_csv.read(path, codec, name, delimiter, hinted, preview.lstrip("\ufeff"), label, cut)
    if native is not None:
        return native
    grid = Grid(head=[], encoding=name)
    chunks = python_chunks(path, codec, delimiter, hinted, label, grid if cut else None)
    grid.head, grid.tail = next(chunks, []), chunks
    return grid


def python_chunks(path: Path, codec: str, delimiter: str, hinted: bool, label: str,
            cut: Grid | None = None) -> Iterator[list[Row]]:
    """The records in lists: the first HEAD_ROWS, then CHUNK_ROWS at a time, each list built in C
    (no Python frame per row). On a decoding or CSV error the file is read again row by row
    to name the row."""
    with _text(path, codec, label) as text:
        if hinted:
            text.readline()
        reader = csv.reader(text, delimiter=delimiter)
        rows = enumerate(reader, start=1)
        size, lines, width = HEAD_ROWS, 0, 0
        while True:
            try:
                chunk = list(itertools.islice(rows, size))
            except (UnicodeDecodeError, csv.Error):
                for _ in _records(path, codec, delimiter, hinted, label):
                    pass
                raise AssertionError("a reading error that a second reading does not meet") from None
            if not chunk:
                if cut is not None and size == CHUNK_ROWS:
                    cut.cut_record = last     # the last record had no line end
                return
            last = chunk[-1][0]
            width = width or max(len(cells) for _, cells in chunk)
            if reader.line_num - lines != len(chunk):      # a record spans lines: a cell holds a line break
                check_quotes(chunk, delimiter, width, label)
            lines = reader.line_num
            yield chunk
            size = CHUNK_ROWS


def check_quotes(chunk: list[Row], delimiter: str, width: int, label: str) -> None:
    """A quote left open swallows the records after it into one cell (up to the next quote or
    the end of the file): a cell whose later lines carry as many delimiters as a record does is
    that, not a line break a clerk typed. Refused, naming the row where the quote opened."""
    least = max(2, (width - 1) // 2)
    for number, cells in chunk:
        for cell in cells:
            if "\n" in cell or "\r" in cell:
                swallowed = [line for line in cell.splitlines()[1:] if line.count(delimiter) >= least]
                if swallowed:
                    raise _refuse("unclosed_quote", f"第 {number} 行有未闭合的英文双引号(\"):其后 {len(cell.splitlines()) - 1} 行"
                                  "被并进了同一个单元格。请检查该行的引号后重新提交", label)


def _records(path: Path, codec: str, delimiter: str, hinted: bool, label: str) -> Iterator[Row]:
    number = 0
    with _text(path, codec, label) as text:
        if hinted:
            text.readline()
        reader = csv.reader(text, delimiter=delimiter)
        try:
            for number, cells in enumerate(reader, start=1):
                yield number, cells
        except UnicodeDecodeError:
            raise _refuse("undecodable", f"第 {_bad_line(path, codec)} 行出现无法按 {codec.upper()} 识别的字符:"
                          "文件中混有不同编码的内容,请整体另存为“CSV UTF-8”后重新提交", label) from None
        except csv.Error as exc:
            too_big = "field larger" in str(exc)
            raise _refuse("cell_too_large" if too_big else "bad_csv",
                          f"第 {number + 1} 行:" + (f"单元格内容超过 {MAX_FIELD_CHARS:,} 个字符" if too_big
                                                    else f"CSV 格式错误({exc})"), label) from None


def _bad_line(path: Path, codec: str) -> int:
    """The physical line holding the first byte `codec` cannot decode (a newline byte is never
    part of a UTF-8 or GB18030 character, so lines decode independently)."""
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    with open(path, "rb") as f:
        for number, line in enumerate(f, start=1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError:
                return number
    return number
