"""志愿服务记录: one CSV per department and month; GBK or UTF-8 with BOM by city."""
from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from .files import BadRow, FileEntry, entry, hours_text, landing_path, write_csv
from .ids import make_id, make_name, make_phone, wrong_check
from .plan import (
    CITIES,
    NOT_A_SUBMISSION,
    VOLUNTEER_STYLE,
    Submitter,
    cn_date,
    month_first,
    month_last,
    slash_date,
    stream,
)

HEADER = ["志愿者姓名", "身份证号", "联系电话", "所属队伍", "活动名称", "服务类别", "服务日期",
          "服务时长(小时)"]
ACTIVITIES = (("文明交通劝导", "文明交通"), ("路口文明引导", "文明交通"), ("公交站台秩序维护", "文明交通"),
              ("敬老院慰问", "敬老助残"), ("助残陪伴服务", "敬老助残"), ("关爱空巢老人", "敬老助残"),
              ("垃圾分类宣传", "环境保护"), ("河道清洁行动", "环境保护"), ("植树护绿", "环境保护"),
              ("党史宣讲进社区", "理论宣讲"), ("惠民政策宣讲", "理论宣讲"),
              ("文明餐桌劝导", "文明劝导"), ("景区文明劝导", "文明劝导"), ("不文明行为劝导", "文明劝导"))
TEAMS = {"wmb": ("{city}志愿服务联合会", "市文明办文明劝导队", "{street}志愿服务站"),
         "tsw": ('团市委"青春行"志愿服务队', "青年志愿者协会", "大学生志愿服务队"),
         "wmsj": ("新时代文明实践志愿服务总队", "{street}新时代文明实践所"),
         "jyj": ("教育系统志愿服务队", '市教育局"红烛"宣讲团')}
HOURS = tuple(Decimal(h) for h in ("1", "1.5", "2", "2.5", "3", "3.5", "4", "5", "6"))
BAD_HOURS = {"golmud_tsw": Decimal(30), "shouguang_tsw": Decimal(-2)}   # hours_out_of_range rows
DAY_CAP = Decimal(8)          # the generator keeps one volunteer's day at ≤ 8 h
STAR_HOURS = Decimal(100)     # one star and up


@dataclass(frozen=True)
class Volunteer:
    name: str
    id_number: str
    phone: str
    team: str
    core: bool                # a regular: many records every month


Record = list[str]            # one CSV row, as written
Good = tuple[str, str, str, Decimal]   # city, period, ID number, hours


def _pool(rng: random.Random, sub: Submitter, taken: set[str]) -> list[Volunteer]:
    city = CITIES[sub.city]
    street = rng.choice(city.streets)[1]
    teams = [t.format(city=city.name, street=street) for t in TEAMS[sub.code.split("_")[1]]]
    return [Volunteer(make_name(rng), make_id(rng, city.area, taken), make_phone(rng),
                      rng.choice(teams), i < 3) for i in range(rng.randrange(35, 51))]


def _records(rng: random.Random, pool: list[Volunteer], period: str,
             date_text: Callable[[dt.date], str]) -> tuple[list[Record], dict[str, set[dt.date]]]:
    """Good records of one month; also the days each volunteer served."""
    first, last = month_first(period), month_last(period)
    days: dict[str, set[dt.date]] = defaultdict(set)
    rows: list[Record] = []
    for v in pool:
        if not v.core and rng.random() < 0.4:
            continue
        day_hours: dict[dt.date, Decimal] = defaultdict(Decimal)
        for _ in range(rng.randrange(11, 15) if v.core else rng.randrange(1, 5)):
            day = first + dt.timedelta(days=rng.randrange((last - first).days + 1))
            hours = rng.choice(HOURS[4:] if v.core else HOURS)
            if day_hours[day] + hours > DAY_CAP:
                continue
            day_hours[day] += hours
            days[v.id_number].add(day)
            activity, category = rng.choice(ACTIVITIES)
            rows.append([v.name, v.id_number, v.phone, v.team, activity, category,
                         date_text(day), hours_text(hours)])
    return rows, days


def _bad_row(rng: random.Random, sub: Submitter, reason: str, pool: list[Volunteer], period: str,
             days: dict[str, set[dt.date]], date_text: Callable[[dt.date], str]) -> Record:
    """One row the pipeline must quarantine, on a day its volunteer has no other record."""
    v = rng.choice([v for v in pool if v.id_number in days])
    first = month_first(period)
    free = [d for d in (first + dt.timedelta(days=k) for k in range(28)) if d not in days[v.id_number]]
    day, hours = rng.choice(free), Decimal(3)
    name, id_number = v.name, v.id_number
    if reason == "bad_id_number":
        id_number = wrong_check(id_number)
    elif reason == "missing_required":
        name = ""
    elif reason == "date_in_future":
        day = dt.date(2031, 1, 1)
    elif reason == "hours_out_of_range":
        hours = BAD_HOURS[sub.code]
    activity, category = rng.choice(ACTIVITIES)
    return [name, id_number, v.phone, v.team, activity, category, date_text(day),
            hours_text(hours)]


def write(landing: Path, seed: int, sub: Submitter, bad: dict[tuple[str, str], str],
          taken: set[str]) -> tuple[list[FileEntry], list[Good]]:
    """Write every month's CSV; return entries and good (city, period, id, hours) tuples."""
    encoding, newline, style = VOLUNTEER_STYLE[sub.city]
    date_text = slash_date if style == "slash" else cn_date
    pool = _pool(stream(seed, sub.city, sub.kind, sub.code), sub, taken)
    entries: list[FileEntry] = []
    good: list[Good] = []
    for period in sub.months:
        rng = stream(seed, sub.city, sub.kind, sub.code, period)
        rows, days = _records(rng, pool, period, date_text)
        good += [(sub.city, period, r[1], Decimal(r[7])) for r in rows]
        bad_rows: list[BadRow] = []
        reason = bad.get((sub.code, period))
        if reason:
            at = rng.randrange(5, len(rows) - 5)
            rows.insert(at, _bad_row(rng, sub, reason, pool, period, days, date_text))
            bad_rows.append(BadRow(row=at + 2, reason=reason))   # line 1 is the header
        month = month_first(period).month
        name = f"{month}月志愿服务记录.csv" if sub.code.endswith(("wmb", "wmsj")) \
            else f"{month}月志愿服务时长统计.csv"
        path = landing_path(landing, sub.city, sub.folder, "volunteer", name)
        write_csv(path, HEADER, rows, encoding, newline)
        entries.append(entry(landing, path, kind="volunteer", city=sub.city,
                             department_code=sub.code, period=period, fmt="csv",
                             encoding=encoding, rows=len(rows), bad_rows=bad_rows))
    return entries, good


def expected(good: list[Good]) -> dict[str, dict[str, Any]]:
    """Per city and month: records, distinct volunteers, hours; stars from hours to date."""
    out: dict[str, dict[str, Any]] = {}
    for city, period in sorted({(c, p) for c, p, _, _ in good}):
        month = [g for g in good if g[0] == city and g[1] == period]
        to_date: dict[str, Decimal] = defaultdict(Decimal)
        for c, p, vid, h in good:
            if c == city and p <= period:
                to_date[vid] += h
        out[f"{city}|volunteer|{period}"] = {
            "records": len(month),
            "volunteers": len({g[2] for g in month}),
            "hours": f"{sum((g[3] for g in month), Decimal(0)):.2f}",
            "star_volunteers_to_date": sum(1 for h in to_date.values() if h >= STAR_HOURS),
        }
    return out


def write_contacts(landing: Path, seed: int) -> FileEntry:
    """A contact list dropped into a volunteer folder: no submission at all."""
    city, folder, code, name = NOT_A_SUBMISSION
    rng = stream(seed, city, "contacts")
    rows = [[make_name(rng), duty, make_phone(rng)]
            for duty in ("主任", "副主任", "科长", "科员", "科员", "联络员")]
    path = landing_path(landing, city, folder, "volunteer", name)
    write_csv(path, ["姓名", "职务", "电话"], rows, "gbk", "\r\n")
    return entry(landing, path, kind=None, city=city, department_code=code, period=None,
                 fmt="csv", encoding="gbk", rows=len(rows), bad_rows=[], status="refused",
                 reason="unknown_kind")
