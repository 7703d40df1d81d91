"""ingest.readers.native_csv: DuckDB reads a CSV into Arrow chunks that hold the same records, with
the same numbers, as the Python reader (ingest.readers.csv); the files it cannot read alike go to
that reader, wholly or from the record where DuckDB stopped; the layout rules find the same data
rows in Arrow chunks as in Python rows."""
from __future__ import annotations

import pytest

from ingest import readers
from ingest.errors import FileRefused
from ingest.files.layout import choose
from ingest.readers import Columns, csv as csv_reader, native_csv

HEADER = "序号,志愿者姓名,身份证号,联系电话,所属队伍,活动名称,服务类别,服务日期,服务时长(小时)"


def _line(k: int) -> str:
    return f"{k},王{k},11010519491231002X,13812345678,青年队,文明交通劝导,文明交通,2022/5/3,2"


def _native_rows(chunks) -> list[tuple[int, list]]:
    return [(n, _trim(cells)) for chunk in chunks for n, cells in chunk]


def _python_rows(path, codec: str, delimiter: str = ",", hinted: bool = False) -> list[tuple[int, list]]:
    return [(n, _trim(cells)) for chunk in csv_reader.python_chunks(path, codec, delimiter, hinted, "f.csv")
            for n, cells in chunk]


def _trim(cells: list) -> list:
    cells = ["" if c is None else c for c in cells]
    while cells and cells[-1] == "":
        cells.pop()
    return cells


def _native(monkeypatch) -> list[bool]:
    """Records, in a list, whether each read took the native reader."""
    took: list[bool] = []
    read = native_csv.read

    def spy(*args, **kw):
        grid = read(*args, **kw)
        took.append(grid is not None)
        return grid
    monkeypatch.setattr(native_csv, "read", spy)
    return took


@pytest.mark.parametrize("content, codec, delimiter", [
    ("标题\n" + HEADER + "\n" + "\n".join(_line(k) for k in range(1, 60)) + "\n", "utf-8", ","),
    ('a,b,c\n1,"x, y",3\n2,"多\n行",4\n3,"say ""hi""",5\n4,,\n5\n', "utf-8", ","),
    ("\ufeffa\tb\tc\r\n1\t2\t3\r\n4\t 5 \t6", "utf-8-sig", "\t"),
    ("甲,乙,丙\r\n中文,𠀾,￥1\r\n" * 40, "gb18030", ","),
    ('a,b\r\n1,2\r\n2,"3\r\n4"\r\n', "utf-8", ","),          # a quoted CRLF is part of its cell
    ("a,b\r1,2\r3,4\r", "utf-8", ","),
])
def test_native_chunks_hold_the_python_readers_records(tmp_path, monkeypatch, content, codec, delimiter):
    path = tmp_path / "f.csv"
    path.write_bytes(content.encode(codec))
    took = _native(monkeypatch)
    grid = readers.read(path, "f.csv")[0]
    assert took == [True]
    chunks = list(grid.chunks())
    assert _native_rows(chunks) == _python_rows(path, codec, delimiter)
    assert any(isinstance(c, Columns) for c in chunks) == (len(_python_rows(path, codec, delimiter)) > 30)


def test_the_last_record_without_a_line_end_is_flagged_as_cut(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text(HEADER + "\n" + "\n".join(_line(k) for k in range(1, 50)), encoding="utf-8")
    grid = readers.read(path, "f.csv")[0]
    list(grid.chunks())
    assert grid.cut_record == 50


@pytest.mark.parametrize("content", [
    "a,b\n\n1,2\n",                 # a blank line: DuckDB would skip it and renumber the rest
    'a,b\n1,"2\n3,4\n',             # a quote left open
    "a,b\n" + "1,2\n" * 70_000 + "3,\x00\n",     # a NUL byte beyond the sample the encoding is told from
    "a,b\r\n1,x\ry\r\n2,3\r\n",       # a lone CR in a CRLF file ends a record for Python, not for DuckDB
])
def test_files_the_native_reader_would_read_otherwise_go_to_the_python_reader(tmp_path, monkeypatch, content):
    path = tmp_path / "f.csv"
    path.write_bytes(content.encode())
    took = _native(monkeypatch)
    try:
        readers.read(path, "f.csv")
    except FileRefused:
        pass
    assert took == [False]


def test_a_reading_error_part_way_hands_the_rest_to_the_python_reader(tmp_path, monkeypatch):
    monkeypatch.setattr(native_csv, "BATCH_ROWS", 2048)
    monkeypatch.setattr(native_csv, "BUFFER_BYTES", 0)      # the least DuckDB reads ahead
    lines = [_line(k) for k in range(1, 150_001)]
    lines[140_000] += ",多出的一格"              # wider than every sampled row: DuckDB stops there
    path = tmp_path / "f.csv"
    path.write_text(HEADER + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    grid = readers.read(path, "f.csv")[0]
    chunks = list(grid.chunks())
    assert isinstance(chunks[1], Columns) and isinstance(chunks[-1], list)     # native first, Python after
    assert [n for c in chunks for n, _ in c] == list(range(1, 150_002))
    assert [_trim(cells) for c in chunks for n, cells in c if n == 140_002][0][-1] == "多出的一格"


def test_a_byte_that_is_not_utf8_part_way_is_refused_naming_its_line(tmp_path, monkeypatch):
    monkeypatch.setattr(native_csv, "BATCH_ROWS", 2048)
    monkeypatch.setattr(native_csv, "BUFFER_BYTES", 0)
    body = "\n".join(_line(k) for k in range(1, 150_001)).encode("utf-8")
    cut = body.index(b"\n", len(body) - 2000)
    path = tmp_path / "f.csv"
    path.write_bytes(HEADER.encode() + b"\n" + body[:cut] + b"\n\xff\xfe,1\n" + body[cut + 1:] + b"\n")
    grid = readers.read(path, "f.csv")[0]
    with pytest.raises(FileRefused) as refused:
        list(grid.chunks())
    line = body[:cut].count(b"\n") + 3                # the header, the records before it, itself
    assert refused.value.reason_code == "undecodable" and f"第 {line} 行" in str(refused.value)


def test_layout_finds_the_same_data_rows_in_arrow_chunks_as_in_python_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(native_csv, "BATCH_ROWS", 2048)
    lines = ["射洪市志愿服务记录", HEADER] + [_line(k) for k in range(1, 5001)]
    lines[1000] = ",,,,,,,,"                          # a blank row
    lines[2000] = "2000,,,,,,,,"                      # a template row: only its 序号
    lines[3000] = "合计,,,,,,,,5.5"
    lines[4000:4000] = ["填表人:张三,审核人:李四", "2022年6月1日,(盖章)", _line(9999)]   # footer, its date, data
    path = tmp_path / "f.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    native = choose(readers.read(path, "f.csv"), "f.csv")
    native_rows = [n for chunk in native.data_chunks() for n, _ in chunk]
    monkeypatch.setattr(native_csv, "read", lambda *a, **k: None)
    python = choose(readers.read(path, "f.csv"), "f.csv")
    python_rows = [n for chunk in python.data_chunks() for n, _ in chunk]
    assert native_rows == python_rows and len(native_rows) == len(lines) - 2 - 5
    assert native.skipped == python.skipped == 5 and native.grid.flagged == python.grid.flagged
    assert native.grid.flagged == {n: ("after_footer", "") for n in range(4003, len(lines) + 1)}


def test_a_gb18030_files_utf8_copy_never_outlives_its_reader(tmp_path, monkeypatch):
    """The UTF-8 copy of a GB18030 file holds its personal numbers: gone when the read ends, and
    a copy left by a killed reader (its process gone) is removed at the next run's start, while a
    living reader's copy is left alone."""
    import subprocess
    import sys

    from ingest import config
    from ingest.files import intake

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(native_csv.tempfile, "tempdir", str(scratch))
    path = tmp_path / "gb.csv"
    path.write_bytes(("姓名,身份证号\n" + "张三,11010519491231002X\n" * 50).encode("gb18030"))
    grid = readers.read(path, "gb.csv")[0]
    assert len(list(scratch.iterdir())) == 1                  # read natively, from its UTF-8 copy
    assert any([isinstance(c, Columns) for c in grid.chunks()])   # every chunk read
    assert not list(scratch.iterdir())
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = scratch / f"{native_csv.SCRATCH_PREFIX}{int(dead.stdout)}-x1"
    living = scratch / f"{native_csv.SCRATCH_PREFIX}{__import__('os').getpid()}-x2"
    for folder in (left, living):
        folder.mkdir()
        (folder / "utf8.csv").write_text("11010519491231002X", encoding="utf-8")
    intake.clear_snapshots(config.paths(tmp_path / "home"))
    assert not left.exists() and living.exists()
