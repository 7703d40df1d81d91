"""Scale data for the benchmark, made with the project's own generators (ingest.demo): the
city-year volunteer export (ingest.demo.scale), the same records re-encoded as UTF-8 CSV and as
an xlsx, a +1 % monthly volunteer file, and many small monthly submissions of registry
departments (the demo writers of each kind, one month per call)."""
from __future__ import annotations

import csv
import datetime as dt
import itertools
import os
import random
import shutil
from pathlib import Path

import xlsxwriter

from ingest.demo import investment, issue, volunteer
from ingest.demo.ids import make_id, make_name, make_phone
from ingest.demo.plan import CITIES, Department, Submitter, load_registry
from ingest.demo.scale import scale

KINDS = ("investment", "volunteer", "issue")
# 12 months that every demo writer can cover (issues are found from 2022-03 on)
MONTHS = tuple(f"{2022 + (m > 12)}-{(m - 1) % 12 + 1:02d}" for m in range(3, 15))
_VOLUNTEER_TEAMS = ("wmb", "tsw", "wmsj", "jyj")     # the team styles ingest.demo.volunteer knows


def export(landing: Path, rows: int) -> Path:
    """The GB18030 city-year export (寿光市 市文明办, 2021) under `landing`."""
    return landing / scale(landing, rows)["path"]


def utf8_export(landing: Path, rows: int, scratch: Path) -> Path:
    """The same kind of export, re-encoded as UTF-8 (a clerk's 'CSV UTF-8' save)."""
    source = export(scratch, rows)
    target = landing / source.relative_to(scratch)
    target.parent.mkdir(parents=True, exist_ok=True)
    to_utf8(source, target)
    shutil.rmtree(scratch)
    return target


def to_utf8(source: Path, target: Path) -> None:
    """A GB18030 text file re-encoded as UTF-8, streamed."""
    with open(source, encoding="gb18030", newline="") as src, open(target, "w", encoding="utf-8", newline="") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)


def xlsx_export(landing: Path, rows: int, scratch: Path) -> Path:
    """The export's records as one xlsx sheet: text cells as typed, hours as numbers."""
    source = export(scratch, rows)
    target = (landing / source.relative_to(scratch)).with_suffix(".xlsx")
    target.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(target), {"constant_memory": True})
    sheet = book.add_worksheet("志愿服务记录")
    with open(source, encoding="gb18030", newline="") as f:
        for r, cells in enumerate(csv.reader(f)):
            for c, value in enumerate(cells):
                if r and c == len(cells) - 1:
                    sheet.write_number(r, c, float(value))
                else:
                    sheet.write_string(r, c, value)
    book.close()
    shutil.rmtree(scratch)
    return target


def monthly_volunteer(landing: Path, city: str, folder: str, month: dt.date, rows: int, seed: int) -> Path:
    """One department's monthly volunteer CSV of `rows` valid records (distinct volunteers)."""
    rng, taken = random.Random(seed), set[str]()
    area = CITIES[city].area
    lines = [",".join(volunteer.HEADER)]
    for i in range(rows):
        day = month.replace(day=1 + i % 28)
        activity, category = volunteer.ACTIVITIES[i % len(volunteer.ACTIVITIES)]
        lines.append(",".join([make_name(rng), make_id(rng, area, taken), make_phone(rng), "青年志愿者协会",
                               activity, category, f"{day.year}/{day.month}/{day.day}", str(1 + i % 6)]))
    path = landing / city / folder / "volunteer" / f"{month.month}月志愿服务记录.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def small_files(landing: Path, count: int, departments: int = 100, seed: int = 20220301) -> int:
    """The first `count` of departments x 12 months x 3 kinds small submissions, arriving month by
    month (file times in that order), departments taken from the four cities in turn (so a
    sample spans cities and kinds); the number written. Each department's months of a kind come
    from one writer call, so they tell one consistent story (projects advance, issues close),
    as a real department's monthly files do."""
    registry = load_registry()
    by_city: dict[str, list[Department]] = {}
    for dept in sorted(registry.values(), key=lambda d: d.code):
        by_city.setdefault(dept.city, []).append(dept)
    chosen = [d for turn in itertools.zip_longest(*by_city.values()) for d in turn if d][:departments]
    chosen = chosen[:max(1, -(-count // len(KINDS)))]            # no department beyond the first month's
    taken: dict[str, set[str]] = {}
    written: list[tuple[tuple[int, int, int], Path]] = []
    for i, dept in enumerate(chosen):
        for k, kind in enumerate(KINDS):
            for entry in _department(landing, registry, dept, kind, seed + i, taken.setdefault(dept.city, set())):
                written.append(((MONTHS.index(entry["period"]), i, k), landing / entry["path"]))
    written.sort()
    for n, (_, path) in enumerate(written):
        if n < count:
            os.utime(path, (1_700_000_000 + n, 1_700_000_000 + n))   # arrival order: month by month
        else:
            path.unlink()
    return min(count, len(written))


def _department(landing: Path, registry: dict[str, Department], dept: Department, kind: str, seed: int,
                taken: set[str]) -> list[dict]:
    folder = dept.aliases[0]
    if kind == "investment":   # several departments of a city report projects: codes tagged by department
        return investment.write(landing, seed, Submitter(dept.city, kind, dept.code, folder, MONTHS), registry, {},
                                code_tag=dept.code.split("_", 1)[1].upper())[0]
    if kind == "issue":
        return issue.write(landing, seed, Submitter(dept.city, kind, dept.code, folder, MONTHS), registry, {})[0]
    prefix, suffix = dept.code.split("_", 1)
    code = dept.code if suffix in _VOLUNTEER_TEAMS else f"{prefix}_{_VOLUNTEER_TEAMS[seed % 4]}"
    return volunteer.write(landing, seed, Submitter(dept.city, kind, code, folder, MONTHS), {}, taken)[0]
