"""ingest.files.safety: the guards before any parser refuse hostile names, sizes and zip bombs
with a Chinese reason, and never leak a personal number through a file name."""
from __future__ import annotations

import os
import zipfile

import pytest

from ingest.errors import FileRefused
from ingest.files import safety


@pytest.fixture
def landing(tmp_path):
    (tmp_path / "landing" / "射洪市").mkdir(parents=True)
    (tmp_path / "landing" / "射洪市" / "ok.csv").write_text("a,b\n", encoding="utf-8")
    (tmp_path / "outside.csv").write_text("secret\n", encoding="utf-8")
    return tmp_path / "landing"


def test_a_plain_name_inside_landing_is_the_file(landing):
    assert safety.check_name("射洪市/ok.csv", landing) == landing / "射洪市" / "ok.csv"


@pytest.mark.parametrize("rel, code", [
    ("../outside.csv", "unsafe_file_name"),
    ("/etc/passwd", "unsafe_file_name"),
    ("射洪市/a\x07b.csv", "unsafe_file_name"),
    ("射洪市/" + "长" * 90 + ".csv", "unsafe_file_name"),
    ("射洪市/王五110105194912310025.csv", "personal_data_in_name"),
    ("射洪市/联系13812345678.csv", "personal_data_in_name"),
    ("射洪市/nothing.csv", "missing_file"),
])
def test_hostile_or_missing_names_are_refused_with_a_reason(landing, rel, code):
    with pytest.raises(FileRefused) as refused:
        safety.check_name(rel, landing)
    assert refused.value.reason_code == code and refused.value.message
    assert "110105194912310025" not in str(refused.value) and "13812345678" not in str(refused.value)


def test_a_link_out_of_landing_is_refused(landing):
    os.symlink(landing.parent / "outside.csv", landing / "射洪市" / "link.csv")
    with pytest.raises(FileRefused, match="接收目录之外"):
        safety.check_name("射洪市/link.csv", landing)


def test_display_name_masks_personal_numbers_and_shows_control_characters():
    assert safety.display_name("射洪市/王五110105194912310025\x07.csv") == "射洪市/王五110***********0025\\x07.csv"


def test_an_empty_file_is_refused(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(FileRefused) as refused:
        safety.check_size(tmp_path / "empty.csv", "empty.csv")
    assert refused.value.reason_code == "empty_file"


def test_a_workbook_that_inflates_far_beyond_its_size_is_a_zip_bomb(tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"0" * (safety.RATIO_FLOOR * 4))
    with pytest.raises(FileRefused) as refused:
        safety.check_zip(bomb, "bomb.xlsx")
    assert refused.value.reason_code == "zip_bomb"


def test_a_truncated_workbook_is_unreadable(tmp_path):
    good = tmp_path / "good.xlsx"
    with zipfile.ZipFile(good, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"<x/>" * 1000)
    (tmp_path / "cut.xlsx").write_bytes(good.read_bytes()[:-30])  # the end of the central directory cut off
    with pytest.raises(FileRefused) as refused:
        safety.check_zip(tmp_path / "cut.xlsx", "cut.xlsx")
    assert refused.value.reason_code == "unreadable_xlsx"
