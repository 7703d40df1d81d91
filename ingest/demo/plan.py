"""What the demo generates: cities, submitting departments, months, deliberate faults."""
from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

REGISTRY = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "departments.csv"


@dataclass(frozen=True)
class Department:
    code: str
    city: str
    name: str
    aliases: tuple[str, ...]

    @property
    def short(self) -> str:
        """The usual 市… alias, as clerks write it in 责任单位."""
        return next((a for a in self.aliases if a.startswith("市")), self.aliases[0])


def load_registry(path: Path = REGISTRY) -> dict[str, Department]:
    """Registry departments by code."""
    with path.open(encoding="utf-8", newline="") as f:
        return {r["department_code"]: Department(r["department_code"], r["city"], r["name"],
                                                  tuple(r["aliases"].split("|")))
                for r in csv.DictReader(f)}


@dataclass(frozen=True)
class City:
    name: str
    prefix: str        # project / issue code prefix
    area: str          # ID-number area code
    phone_area: str    # landline area code for footers
    places: tuple[str, ...]
    streets: tuple[tuple[str, str], ...]   # (district, street)


CITIES: dict[str, City] = {c.name: c for c in (
    City("格尔木市", "GEM", "632801", "0979", ("江源路", "盐桥路", "八一路", "金峰路", "河东", "察尔汗路"),
         (("格尔木市", "昆仑路街道"), ("格尔木市", "黄河路街道"), ("格尔木市", "金峰路街道"),
          ("格尔木市", "河西街道"))),
    City("寿光市", "SG", "370783", "0536", ("圣城街", "渤海路", "弥河", "农圣街", "文圣街", "建新街"),
         (("寿光市", "圣城街道"), ("寿光市", "文家街道"), ("寿光市", "古城街道"), ("寿光市", "洛城街道"))),
    City("射洪市", "SH", "510981", "0825", ("子昂路", "太和大道", "美丰路", "涪江", "平安街", "陈子昂广场"),
         (("射洪市", "太和街道"), ("射洪市", "平安街道"), ("射洪市", "子昂街道"), ("射洪市", "金华镇"))),
    City("毕节市", "BJ", "520502", "0857", ("洪山路", "威宁路", "碧阳湖", "麻园", "天河路", "同心大道"),
         (("七星关区", "市东街道"), ("七星关区", "市西街道"), ("七星关区", "三板桥街道"),
          ("七星关区", "洪山街道"))),
)}

M4, M5, M6 = "2022-04", "2022-05", "2022-06"


@dataclass(frozen=True)
class Submitter:
    """One department of one city submitting one kind for some months."""
    city: str
    kind: str
    code: str           # registry code of the submitting department
    folder: str         # department as the clerk writes it in the landing path
    months: tuple[str, ...]


SUBMITTERS: tuple[Submitter, ...] = (
    Submitter("格尔木市", "investment", "golmud_fgw", "市发改委", (M4, M5, M6)),
    Submitter("格尔木市", "volunteer", "golmud_wmb", "市文明办", (M4, M5)),
    Submitter("格尔木市", "volunteer", "golmud_tsw", "团市委", (M4, M5)),
    Submitter("格尔木市", "issue", "golmud_cgj", "市城管局", (M4, M5)),
    Submitter("寿光市", "investment", "shouguang_fgw", "寿光市发展和改革委员会", (M4, M5)),
    Submitter("寿光市", "volunteer", "shouguang_wmsj", "市新时代文明实践中心", (M4, M5, M6)),
    Submitter("寿光市", "volunteer", "shouguang_tsw", "团市委", (M4, M5, M6)),
    Submitter("寿光市", "issue", "shouguang_cgj", "市城市管理局", (M4, M5, M6)),
    Submitter("寿光市", "issue", "shouguang_scjg", "市场监管局", (M4, M5, M6)),
    Submitter("射洪市", "investment", "shehong_fgw", "发改委", (M4, M5)),
    Submitter("射洪市", "volunteer", "shehong_wmb", "市文明办", (M4, M5)),
    Submitter("射洪市", "volunteer", "shehong_jyj", "教育局", (M4, M5)),
    Submitter("射洪市", "issue", "shehong_cgj", "市城管局", (M4, M5)),
    Submitter("毕节市", "investment", "bijie_zjj", "市住建局", (M4, M5, M6)),
    Submitter("毕节市", "volunteer", "bijie_tsw", "团市委", (M4, M5, M6)),
    Submitter("毕节市", "volunteer", "bijie_wmb", "市文明办", (M4, M5, M6)),
    Submitter("毕节市", "issue", "bijie_cgj", "市城市管理局", (M4, M5, M6)),
)

# Volunteer CSV style per city: (encoding, line ending, date style).
VOLUNTEER_STYLE: dict[str, tuple[str, str, str]] = {
    "格尔木市": ("gbk", "\r\n", "slash"),
    "射洪市": ("gbk", "\r\n", "slash"),
    "寿光市": ("utf-8-sig", "\n", "cjk"),
    "毕节市": ("utf-8-sig", "\n", "cjk"),
}

# Deliberately bad rows: (department code, month) -> reason code (one per file).
BAD_ROWS: dict[tuple[str, str], str] = {
    ("shehong_wmb", M5): "bad_id_number",
    ("golmud_tsw", M5): "hours_out_of_range",      # 30 hours
    ("shouguang_tsw", M5): "hours_out_of_range",   # negative hours
    ("bijie_tsw", M6): "date_in_future",
    ("bijie_wmb", M5): "missing_required",         # empty 志愿者姓名
    ("shehong_fgw", M5): "unknown_department",     # 责任单位 市天文局
    ("bijie_cgj", M5): "missing_rectified_date",   # 已整改 without 整改完成日期
}

# The non-submission: (city, folder, department code, file name).
NOT_A_SUBMISSION = ("射洪市", "市文明办", "shehong_wmb", "联系人名单.csv")


def month_first(period: str) -> dt.date:
    y, m = period.split("-")
    return dt.date(int(y), int(m), 1)


def month_last(period: str) -> dt.date:
    first = month_first(period)
    nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return nxt - dt.timedelta(days=1)


def stream(seed: int, *parts: str) -> random.Random:
    """An independent, reproducible random stream (str seeds hash with sha512)."""
    return random.Random("|".join([str(seed), *parts]))


def cn_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def slash_date(d: dt.date) -> str:
    return f"{d.year}/{d.month}/{d.day}"
