"""创建项目投资台账: one xlsx per department and month, projects carried over months."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import xlsxwriter

from .files import BadRow, FileEntry, entry, landing_path, yuan
from ingest.contracts import stages

from .ids import make_name
from .plan import CITIES, Department, Submitter, cn_date, month_first, month_last, stream

STAGES = stages()
HEADER = ["序号", "项目编号", "项目名称", "责任单位", "项目类别", "计划总投资", "本月完成投资",
          "累计完成投资", "项目进度", "开工日期", "完工日期"]
PROJECT_TYPES = (("背街小巷提升", "基础设施"), ("公厕改造", "环境卫生"), ("公交候车亭建设", "交通设施"),
         ("公益广告设置", "公益宣传"), ("新时代文明实践站建设", "文明实践阵地"), ("农贸市场改造", "基础设施"),
         ("垃圾分类亭建设", "环境卫生"), ("停车场建设", "交通设施"), ("人行道修缮", "基础设施"),
         ("道德讲堂建设", "文明实践阵地"))
RESPONSIBLE = ("fgw", "zjj", "jtj", "cgj", "wlj", "jyj")   # registry code suffixes
# Share of planned total spent to date, by stage.
SPENT = ((0.0, 0.01), (0.005, 0.03), (0.02, 0.06), (0.10, 0.75), (0.85, 1.0))
# 格尔木市 in 2022-05 matches the city's published figures: 41 projects, 3.8 亿元.
GOLMUD_MAY_STAGES = (37, 2, 1, 1, 0)
GOLMUD_PLANNED_WAN = Decimal("38000.00")
CENT = Decimal("0.01")


@dataclass
class Project:
    code: str
    name: str
    responsible: str       # as written in the file
    category: str
    planned: Decimal       # 万元
    months: dict[str, tuple[int, Decimal, Decimal]] = field(default_factory=dict)  # stage, month, cum
    start: dt.date | None = None
    finish: dt.date | None = None


class Row(NamedTuple):
    code: str
    name: str
    responsible: str
    category: str
    planned: Decimal
    month: Decimal
    cum: Decimal
    stage: str
    start: dt.date | None
    finish: dt.date | None


def _planned(rng: random.Random, n: int, total: Decimal | None) -> list[Decimal]:
    cents = [rng.randrange(8000, 150000) for _ in range(n)]
    if total is not None:   # scale to the exact total, remainder on the first
        want = int(total * 100)
        cents = [c * want // sum(cents) for c in cents]
        cents[0] += want - sum(cents)
    return [Decimal(c) / 100 for c in cents]


def _anchor_stages(rng: random.Random, city: str, n: int) -> list[int]:
    if city == "格尔木市":
        stages = [i for i, k in enumerate(GOLMUD_MAY_STAGES) for _ in range(k)]
        rng.shuffle(stages)
        return stages
    return rng.choices(range(5), weights=(35, 20, 15, 22, 8), k=n)


def _dates(rng: random.Random, p: Project, months: list[str]) -> None:
    """开工/完工 dates consistent with when the project reached those stages."""
    stages = [p.months[m][0] for m in months]
    first = months[0]
    if stages[-1] >= 3:
        i = next(i for i, s in enumerate(stages) if s >= 3)
        if i > 0:
            lo, hi = month_first(months[i]), month_last(months[i])
        elif stages[0] == 4:
            lo, hi = dt.date(2021, 9, 1), dt.date(2022, 1, 31)
        else:
            lo, hi = dt.date(2021, 9, 1), month_last(first)
        p.start = lo + dt.timedelta(days=rng.randrange((hi - lo).days + 1))
    if stages[-1] == 4 and p.start is not None:
        j = next(j for j, s in enumerate(stages) if s == 4)
        lo = month_first(months[j]) if j > 0 else p.start + dt.timedelta(days=30)
        lo, hi = max(lo, p.start), month_last(months[j])
        p.finish = lo + dt.timedelta(days=rng.randrange((hi - lo).days + 1))


def build(seed: int, sub: Submitter, registry: dict[str, Department], code_tag: str = "") -> list[Project]:
    """The submitter's projects; code_tag (e.g. the department) keeps project codes apart when
    several departments of one city report projects."""
    rng = stream(seed, sub.city, sub.kind, sub.code)
    city = CITIES[sub.city]
    n = 41 if sub.city == "格尔木市" else rng.randrange(22, 33)
    late = 2 if sub.city == "寿光市" else 0          # projects first reported in the 2nd month
    total = GOLMUD_PLANNED_WAN if sub.city == "格尔木市" else None
    anchor = _anchor_stages(rng, sub.city, n)
    planned = _planned(rng, n, total)
    prefix = sub.code.split("_")[0]
    people = [registry[f"{prefix}_{s}"].short for s in RESPONSIBLE]
    projects: list[Project] = []
    for i in range(n):
        kind, category = rng.choice(PROJECT_TYPES)
        name = f"{rng.choice(city.places)}{kind}{'一二三'[i % 3]}期"
        code = f"{city.prefix}-{code_tag}-TZ2022-{i + 1:03d}" if code_tag else f"{city.prefix}-TZ2022-{i + 1:03d}"
        p = Project(code, name, rng.choice(people), category, planned[i])
        months = list(sub.months[1:] if i >= n - late else sub.months)
        anchor_at = months.index("2022-05") if "2022-05" in months else 0
        stage: dict[str, int] = {months[anchor_at]: anchor[i]}
        for k in range(anchor_at - 1, -1, -1):      # earlier months: same or one stage back
            stage[months[k]] = max(0, stage[months[k + 1]] - (rng.random() < 0.2))
        for k in range(anchor_at + 1, len(months)):  # later months: same or one stage on
            stage[months[k]] = min(4, stage[months[k - 1]] + (rng.random() < 0.25))
        cum_prev: Decimal | None = None
        for m in months:
            lo, hi = SPENT[stage[m]]
            frac = 0.0 if stage[m] == 0 and rng.random() < 0.7 else rng.uniform(lo, hi)
            cum = (p.planned * Decimal(str(round(frac, 4)))).quantize(CENT)
            if cum_prev is None:   # spend before the first reported month
                share = rng.uniform(0.4, 0.95) if stage[m] >= 3 else rng.uniform(0.6, 1.0)
                cum_prev = (cum * Decimal(str(round(share, 4)))).quantize(CENT)
            cum = max(cum, cum_prev)
            p.months[m] = (stage[m], cum - cum_prev, cum)
            cum_prev = cum
        _dates(rng, p, months)
        projects.append(p)
    return projects


Good = tuple[str, str, Decimal, Decimal, Decimal, int]   # city, period, planned, month, cum, stage


def write(landing: Path, seed: int, sub: Submitter, registry: dict[str, Department],
          bad: dict[tuple[str, str], str], code_tag: str = "") -> tuple[list[FileEntry], list[Good]]:
    """Write every month's workbook; return manifest entries and the good rows' figures."""
    projects = build(seed, sub, registry, code_tag)
    entries: list[FileEntry] = []
    good: list[Good] = []
    for period in sub.months:
        rng = stream(seed, sub.city, sub.kind, sub.code, period)
        rows = [p for p in projects if period in p.months]
        reason = bad.get((sub.code, period))
        bad_at = rng.randrange(3, len(rows) - 3) if reason else -1
        path, bad_rows = _workbook(landing, rng, sub, registry, period, rows, bad_at, reason)
        n = len(rows) + (1 if reason else 0)
        entries.append(entry(landing, path, kind="investment", city=sub.city,
                             department_code=sub.code, period=period, fmt="xlsx",
                             encoding=None, rows=n, bad_rows=bad_rows))
        good += [(sub.city, period, p.planned, p.months[period][1], p.months[period][2],
                  p.months[period][0]) for p in rows]
    return entries, good


def expected(good: list[Good]) -> dict[str, dict[str, Any]]:
    """Per city and month: projects, planned / month / cumulative yuan, projects by stage."""
    out: dict[str, dict[str, Any]] = {}
    for city, period in sorted({(g[0], g[1]) for g in good}):
        rows = [g for g in good if g[0] == city and g[1] == period]
        stages = {s: sum(1 for g in rows if g[5] == i) for i, s in enumerate(STAGES)}
        out[f"{city}|investment|{period}"] = {
            "projects": len(rows),
            "planned_yuan": yuan(sum((g[2] for g in rows), Decimal(0))),
            "month_yuan": yuan(sum((g[3] for g in rows), Decimal(0))),
            "cumulative_yuan": yuan(sum((g[4] for g in rows), Decimal(0))),
            "stages": {s: c for s, c in stages.items() if c},
        }
    return out


def _workbook(landing: Path, rng: random.Random, sub: Submitter,
              registry: dict[str, Department], period: str, projects: list[Project],
              bad_at: int, reason: str | None) -> tuple[Path, list[BadRow]]:
    first = month_first(period)
    filed = month_last(period) + dt.timedelta(days=rng.randrange(1, 8))
    path = landing_path(landing, sub.city, sub.folder, "investment",
                        f"{first.year}年{first.month}月创建项目投资台账.xlsx")
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"created": dt.datetime.combine(filed, dt.time(9, 30)),
                       "author": "创建办", "title": "创建项目投资台账"})
    title = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
    head = wb.add_format({"bold": True, "border": 1, "align": "center"})
    money = wb.add_format({"num_format": "0.00", "border": 1})
    cell = wb.add_format({"border": 1})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd", "border": 1})
    ws = wb.add_worksheet("投资台账")
    ws.set_column(0, 0, 6)
    ws.set_column(1, 4, 18)
    ws.set_column(5, 10, 13)
    ws.merge_range(0, 0, 0, len(HEADER) - 1,
                   f"{sub.city}创建全国文明城市项目投资情况表({first.year}年{first.month}月)", title)
    ws.write(1, 0, f"填报单位:{registry[sub.code].name}")
    ws.write(1, 5, f"填报日期:{cn_date(filed)}")
    ws.write(1, 9, "单位:万元")
    ws.write_row(2, 0, HEADER, head)
    rows: list[Row] = []
    for p in projects:
        stage, month, cum = p.months[period]
        resp = p.responsible + (" " if sub.city == "毕节市" and rng.random() < 0.1 else "")
        rows.append(Row(p.code, p.name, resp, p.category, p.planned, month, cum, STAGES[stage],
                        p.start, p.finish))
    if reason:   # one project whose 责任单位 is not in the registry
        code = f"{CITIES[sub.city].prefix}-TZ2022-{len(projects) + 90:03d}"
        rows.insert(bad_at, Row(code, f"{CITIES[sub.city].places[0]}天文科普馆建设", "市天文局",
                                "公益宣传", Decimal("320.00"), Decimal(0), Decimal(0),
                                STAGES[0], None, None))
    gap = rng.randrange(4, len(rows) - 2)            # a blank row after this many data rows
    r, bad_rows = 3, []
    for i, row in enumerate(rows):
        if i == gap:
            r += 1
        if i == bad_at and reason:
            bad_rows.append(BadRow(row=r + 1, reason=reason))
        ws.write_number(r, 0, i + 1, cell)
        ws.write_row(r, 1, (row.code, row.name, row.responsible, row.category), cell)
        for c, v in ((5, row.planned), (6, row.month), (7, row.cum)):
            ws.write_number(r, c, float(v), money)
        ws.write_string(r, 8, row.stage, cell)
        for c, d in ((9, row.start), (10, row.finish)):
            if d is None:
                ws.write_blank(r, c, None, cell)
            elif sub.city == "射洪市":   # this clerk types dates as text
                ws.write_string(r, c, f"{d.year}.{d.month}.{d.day}", cell)
            else:
                ws.write_datetime(r, c, dt.datetime.combine(d, dt.time()), date_fmt)
        r += 1
    ws.write_string(r, 0, "合计", head)
    for c, k in ((5, "planned"), (6, "month"), (7, "cum")):
        ws.write_number(r, c, float(sum((getattr(x, k) for x in rows), Decimal(0))), money)
    people = [make_name(rng) for _ in range(2)]
    ws.write(r + 2, 0, f"填表人:{people[0]}")
    ws.write(r + 2, 3, f"审核人:{people[1]}")
    ws.write(r + 2, 6, f"联系电话:{CITIES[sub.city].phone_area}-{rng.randrange(2000000, 9000000)}")
    notes = wb.add_worksheet("填报说明")
    for i, line in enumerate(("1. 本表按月填报,每月5日前报送市创建办。",
                              "2. 金额单位为万元,保留两位小数。",
                              "3. 累计完成投资为项目开工以来完成投资总额。",
                              "4. 项目进度填写:编制方案/可研、施工图设计、招投标、开工建设、已完工。")):
        notes.write(i, 0, line)
    wb.close()
    return path, bad_rows
