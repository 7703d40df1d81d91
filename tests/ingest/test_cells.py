"""What a cell can do to a run: nothing. A value no rule foresaw refuses its row, not the file,
and no log line carries a raw personal number (tests/corpus/cells.py has every class of value)."""
from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

import pytest

from ingest.pipeline import ingest_file
from ingest.rows.column_sql import ColumnRules
from tests.corpus import files as F
from tests.corpus.cells import SCRIPTS, X_IDS, in_script

REL = "射洪市/市文明办/volunteer/2022年5月.csv"
TODAY = dt.date(2026, 1, 1)
PERSONAL = re.compile(r"\d{17}[\dX]|1[3-9]\d{9}")


def _land(home: Path, rows: list[list]) -> None:
    F.put(home / "landing", REL, F.csv_bytes([F.VOL_HEADER] + rows))


def _row(n: int, id_number: str, phone: str = "13812345678") -> list:
    return [f"志{n}", id_number, phone, "青年队", "劝导", "文明交通", f"2022/5/{n + 1}", 2]


def test_an_unforeseen_error_refuses_the_row_and_logs_no_value(tmp_path, monkeypatch, caplog):
    """A rule that fails in a way no rule foresaw (its message holding the raw value, as a
    UnicodeEncodeError or a KeyError would) quarantines that row; the file loads the others.
    The personal-data rules run in SQL over a column's values at once: a failing query is retried
    value by value, so only the value it fails on refuses its row."""
    real_column, real_outcomes = ColumnRules.column, ColumnRules.outcomes

    def broken_column(self, kind, texts, params=None):
        if kind == "phone" and any(t and t.endswith("5678") for t in texts):
            raise RuntimeError(f"cannot read {texts}")
        return real_column(self, kind, texts, params)

    def broken_outcomes(self, kind, texts, ready, params=None):
        if kind == "phone" and any(t.endswith("5678") for t in texts):
            raise RuntimeError(f"cannot read {texts}")
        return real_outcomes(self, kind, texts, ready, params)

    monkeypatch.setattr(ColumnRules, "column", broken_column)
    monkeypatch.setattr(ColumnRules, "outcomes", broken_outcomes)
    _land(tmp_path, [_row(1, X_IDS[0]), _row(2, X_IDS[1], "13900000000")])
    with caplog.at_level(logging.DEBUG):
        r = ingest_file(REL, tmp_path, today=TODAY)
    assert (r.status, r.rows_in, r.rows_loaded, r.rows_quarantined) == ("accepted", 2, 1, 1)
    assert [(q.row, q.reason_code, q.value) for q in r.rejected] == [(2, "unreadable_value", "138****5678")]
    assert "RuntimeError" in caplog.text and "13812345678" not in caplog.text


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_ids_in_any_script_never_reach_a_log(tmp_path, caplog, script):
    digits = SCRIPTS[script]
    _land(tmp_path, [_row(k + 1, in_script(i, digits), in_script("13812345678", digits)) for k, i in enumerate(X_IDS)])
    with caplog.at_level(logging.DEBUG):
        r = ingest_file(REL, tmp_path, today=TODAY)
    assert (r.status, r.rows_loaded) == ("accepted", len(X_IDS))
    ascii_text = "".join(str(int(c)) if c.isdecimal() else c for c in caplog.text + r.text())
    assert not PERSONAL.search(ascii_text)


def test_content_no_rule_foresaw_refuses_the_file_for_good(tmp_path, monkeypatch, caplog):
    """An error raised by a file's content where no rule expected one (here: a KeyError quoting
    an ID number) refuses the file with a receipt, so it is not retried forever; the log names
    the error's type, never the value."""
    from ingest.files import metadata

    def broken(*args, **kwargs):
        raise KeyError(X_IDS[2])

    monkeypatch.setattr(metadata, "resolve", broken)
    _land(tmp_path, [_row(1, X_IDS[0])])
    with caplog.at_level(logging.DEBUG):
        r = ingest_file(REL, tmp_path, today=TODAY)
    assert (r.status, r.reason_code) == ("refused", "unreadable_content")
    assert not (tmp_path / "landing" / REL).exists() and list((tmp_path / "receipts").rglob("*.json"))
    assert "KeyError" in caplog.text and X_IDS[2] not in caplog.text


def test_the_environment_stays_transient(tmp_path, monkeypatch):
    """An operating-system error is no verdict on the file: it propagates, the file stays."""
    from ingest import readers

    def unreadable(*args, **kwargs):
        raise OSError("disk went away")

    monkeypatch.setattr(readers, "read", unreadable)
    _land(tmp_path, [_row(1, X_IDS[0])])
    with pytest.raises(OSError):
        ingest_file(REL, tmp_path, today=TODAY)
    assert (tmp_path / "landing" / REL).exists()
