"""CSV read by DuckDB's reader (native code): every column as text, strict quoting, no type
sniffing, handed on as Arrow columns (`Columns`), never as Python rows. GBK/GB18030 is first
transcoded block by block into a temporary UTF-8 file (the file is never whole in memory).

Record numbers are those of the Python reader (`ingest.readers.csv`): records, counting title
rows. What DuckDB would number or judge otherwise goes to that reader, found by one pass over
the bytes before anything is read: blank lines (DuckDB skips them, so later numbers would
shift), NUL bytes, an odd number of quotes (a quote left open). A reading error part-way (a row
wider than the sampled ones, a byte that is not UTF-8, a stray quote, a line over the cell
limit) hands the rest of the file to the Python reader from the next record on: it goes on
reading, or refuses the file naming the line, as before.
"""
from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ingest.readers import HEAD_ROWS, Columns, Grid, Row

BATCH_ROWS = 16 * 2048             # rows per Arrow batch (DuckDB's vectors are 2,048 rows)
BLOCK_BYTES = 8 << 20              # bytes scanned (and transcoded) at a time
SAMPLE_RECORDS = 2_000             # records of the sample that fix the number of columns
BUFFER_BYTES = 8 << 20             # DuckDB's read buffer (at least a line's limit, MAX_FIELD_CHARS)
MEMORY_LIMIT = "128MB"             # the reading connection's own limit
_BLANK_LINES = (b"\n\n", b"\r\r", b"\n\r")   # a line end right after a line end: an empty line
NATIVE_CODECS = ("utf-8", "utf-8-sig", "gb18030")
# A GB18030 file's UTF-8 copy (it holds what the file holds, personal numbers too) is read from a
# private folder named after the reading process, removed when the read ends or, after a kill, by
# clear_leftovers at the next run.
SCRATCH_PREFIX = "campaign-csv-"


def clear_leftovers() -> None:
    """Remove the scratch folders of reading processes that no longer run."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*"):
        pid = folder.name[len(SCRATCH_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:         # another user's process
        return True
    return True


def read(path: Path, codec: str, name: str, delimiter: str, hinted: bool, preview: str, label: str,
         cut: bool) -> Grid | None:
    """The file as a Grid of Arrow chunks, or None when the Python reader must read it."""
    if codec not in NATIVE_CODECS:
        return None
    folder = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
    try:
        target = folder / "utf8.csv" if codec == "gb18030" else None
        quotes = _scan(path, codec, target)
        if quotes is None:
            shutil.rmtree(folder, ignore_errors=True)
            return None
        try:
            sampled = list(itertools.islice(csv.reader(io.StringIO(preview, newline=""), delimiter=delimiter),
                                            int(hinted), int(hinted) + SAMPLE_RECORDS))
        except csv.Error:              # what the Python reader names and refuses
            shutil.rmtree(folder, ignore_errors=True)
            return None
        width = max((len(r) for r in sampled), default=1) or 1
        head_width = max((len(r) for r in sampled[:HEAD_ROWS]), default=0)
        grid = Grid(head=[], encoding=name)
        chunks = _chunks(target or path, folder, width, head_width, delimiter, hinted, bool(quotes), label,
                         (path, codec), grid if cut else None)
        first = next(chunks, None)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if first is False:                 # the native reader failed on the first batch
        return None
    at = np.arange(len(first)) if first is not None else np.arange(0)
    grid.head = list(first.take(at < HEAD_ROWS)) if first is not None else []
    rest = first.take(at >= HEAD_ROWS) if len(at) > HEAD_ROWS else None
    grid.tail = itertools.chain([rest] if rest is not None else [], chunks)
    return grid


def _scan(path: Path, codec: str, target: Path | None) -> int | None:
    """The number of quote characters in the file, or None when the native reader must not read
    it. With `target`, the file is also transcoded there to UTF-8 (None: not decodable)."""
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    quotes, previous, first = 0, b"", True
    with open(path, "rb") as f, (open(target, "wb") if target else io.BytesIO()) as out:
        while block := f.read(BLOCK_BYTES):
            if first:
                start = block[3:] if block.startswith(codecs.BOM_UTF8) else block
                if start[:1] in (b"\n", b"\r"):
                    return None
                first = False
            if b"\x00" in block or previous + block[:1] in _BLANK_LINES or any(p in block for p in _BLANK_LINES):
                return None
            quotes += block.count(b'"')
            previous = block[-1:]
            if target:
                try:
                    out.write(decoder.decode(block).encode("utf-8"))
                except UnicodeDecodeError:
                    return None
        if target:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                return None
    if first or quotes % 2:
        return None
    return quotes


def _sql(path: Path, width: int, delimiter: str, hinted: bool) -> str:
    from ingest.readers.csv import MAX_FIELD_CHARS

    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    quoted = str(path).replace("'", "''")
    delim = delimiter.replace("'", "''")
    return (f"select * from read_csv('{quoted}', header = false, columns = {{{columns}}}, delim = '{delim}', "
            f"quote = '\"', escape = '\"', strict_mode = true, null_padding = true, auto_detect = false, "
            f"parallel = false, skip = {int(hinted)}, max_line_size = {MAX_FIELD_CHARS}, "
            f"buffer_size = {max(BUFFER_BYTES, MAX_FIELD_CHARS)})")


_DATABASE: tuple[int, object] | None = None


def _database(duckdb):
    """This process's in-memory DuckDB for reading (opening one costs ~9 ms, a cursor on it
    nothing: a small file pays for no database of its own). Opened again after a fork."""
    global _DATABASE
    if _DATABASE is None or _DATABASE[0] != os.getpid():
        # the file's cells pass through it, personal numbers too: never spilled to a temporary file
        _DATABASE = (os.getpid(), duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": ""}))
    return _DATABASE[1]


def _chunks(path: Path, folder: Path, width: int, head_width: int, delimiter: str, hinted: bool, quotes: bool,
            label: str, source: tuple[Path, str], cut: Grid | None) -> Iterator[Columns | list[Row] | bool]:
    """Arrow chunks; on a reading error the Python reader's chunks from the next record on. The
    first item is False when the very first batch fails (the whole file goes to the Python reader)."""
    import duckdb
    import pyarrow.compute as pc

    done = 0
    con = _database(duckdb).cursor()
    try:
        try:
            batches = iter(con.sql(_sql(path, width, delimiter, hinted)).to_arrow_reader(BATCH_ROWS))
        except Exception:
            yield False
            return
        while True:
            try:
                batch = next(batches, None)
            except Exception:          # DuckDB's reading errors, however the Arrow stream wraps them
                if done == 0:
                    yield False
                    return
                yield from _python_rest(source, delimiter, hinted, label, cut, done)
                return
            if batch is None:
                break
            if not batch.num_rows:
                continue
            chunk = Columns(np.arange(done + 1, done + 1 + batch.num_rows, dtype=np.int64), list(batch.columns))
            if quotes:
                _check_breaks(chunk, delimiter, head_width, label, pc)
            done += batch.num_rows
            yield chunk
        if cut is not None and done:
            cut.cut_record = done      # the last record had no line end
    finally:
        con.close()
        shutil.rmtree(folder, ignore_errors=True)


def _check_breaks(chunk: Columns, delimiter: str, width: int, label: str, pc) -> None:
    """Cells holding a line break: what the Python reader checks for a quote left open."""
    mask = None
    for column in chunk.columns:
        broken = pc.fill_null(pc.match_substring_regex(column, "[\r\n]"), False)
        mask = broken if mask is None else pc.or_(mask, broken)
    if mask is not None and pc.any(mask).as_py():
        from ingest.readers.csv import check_quotes

        check_quotes(list(chunk.take(mask.to_numpy(zero_copy_only=False))), delimiter, width, label)


def _python_rest(source: tuple[Path, str], delimiter: str, hinted: bool, label: str, cut: Grid | None,
                 done: int) -> Iterator[list[Row]]:
    from ingest.readers.csv import python_chunks

    path, codec = source
    for chunk in python_chunks(path, codec, delimiter, hinted, label, cut):
        rest = [row for row in chunk if row[0] > done]
        if rest:
            yield rest
