"""问题整改台账: one JSON export per department and month, the whole ledger as of that month."""
from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .files import BadRow, FileEntry, entry, landing_path, write_json
from .plan import CITIES, Department, Submitter, month_last, stream

SOURCES = ("暗访督查", "点位测评", "12345热线", "群众举报", "媒体曝光")
PROBLEMS = {"治脏": ("垃圾清运不及时", "卫生死角未清理", "公厕异味严重", "绿化带内杂物堆积"),
            "治乱": ("占道经营", "非机动车乱停放", "乱拉横幅", "电线私拉乱接"),
            "治弱": ("公益广告破损", "文明提示牌缺失", "门前三包未落实", "志愿服务岗无人值守"),
            "设施短板": ("盲道中断", "路灯不亮", "井盖破损", "果皮箱缺失")}
POINTS = {"农贸市场": "{}农贸市场", "背街小巷": "{}背街小巷", "公交站台": "{}公交站",
          "学校周边": "{}小学周边", "建筑工地": "{}建设项目工地", "居民小区": "{}家园小区"}
OTHERS = ("jtj", "scjg", "cgj", "zjj")       # departments issues get assigned to
OPEN = ("未整改", "整改中")
Good = tuple[str, str, dict[str, Any]]   # city, period, record
KEYS = ("问题编号", "发现日期", "问题来源", "问题类别", "点位类型", "点位名称", "所属区县", "街道",
        "责任单位", "问题描述", "整改时限", "整改状态", "整改完成日期", "复核结果")


@dataclass
class Issue:
    found: dt.date
    fields: tuple[str, ...]            # 问题来源 … 问题描述, fixed over months
    deadline: dt.date
    work_start: dt.date                # 未整改 → 整改中
    rect1: dt.date | None = None       # first rectification
    fail: dt.date | None = None        # re-inspection 未通过 (reopens)
    rect2: dt.date | None = None       # rectified again after reopening
    closed: dt.date | None = None      # 已销号 (re-inspection 通过)
    code: str = ""

    def state(self, t: dt.date) -> tuple[str, dt.date | None, str]:
        """(整改状态, 整改完成日期, 复核结果) as of day t."""
        if t < self.work_start:
            return "未整改", None, ""
        if self.rect1 is None or t < self.rect1:
            return "整改中", None, ""
        rect = self.rect1
        if self.fail is not None and t >= self.fail:
            if self.rect2 is None or t < self.rect2:
                return "整改中", None, "未通过"
            rect = self.rect2
        if self.closed is None or t < self.closed:
            return "已整改", rect, ""
        return "已销号", rect, "通过"


def _issue(rng: random.Random, sub: Submitter, registry: dict[str, Department],
           found: dt.date) -> Issue:
    city = CITIES[sub.city]
    prefix = sub.code.split("_")[0]
    own = registry[sub.code].short
    category = rng.choice(sorted(PROBLEMS))
    point = rng.choice(sorted(POINTS))
    district, street = rng.choice(city.streets)
    responsible = own if rng.random() < 0.55 else registry[f"{prefix}_{rng.choice(OTHERS)}"].short
    fields = (rng.choice(SOURCES), category, point, POINTS[point].format(rng.choice(city.places)),
              district, street, responsible, rng.choice(PROBLEMS[category]))
    it = Issue(found, fields, found + dt.timedelta(days=rng.choice((3, 5, 7, 10, 15, 20, 30))),
               found + dt.timedelta(days=rng.randrange(0, 6)))
    if rng.random() < 0.78:
        it.rect1 = found + dt.timedelta(days=rng.randrange(1, 45))
        it.closed = it.rect1 + dt.timedelta(days=rng.randrange(2, 20)) if rng.random() < 0.85 else None
        fail = it.rect1 + dt.timedelta(days=rng.randrange(2, 10))
        period = f"{fail:%Y-%m}"
        # Reopen only where the 未通过 shows at a reported month end: re-rectified next month.
        if rng.random() < 0.12 and period in sub.months and fail < month_last(period):
            it.fail = fail
            it.rect2 = month_last(period) + dt.timedelta(days=rng.randrange(1, 20))
            it.closed = it.rect2 + dt.timedelta(days=rng.randrange(2, 15)) if rng.random() < 0.7 else None
    return it


def build(seed: int, sub: Submitter, registry: dict[str, Department]) -> list[Issue]:
    rng = stream(seed, sub.city, sub.kind, sub.code)
    start, end = dt.date(2022, 3, 1), month_last(sub.months[-1])
    n = rng.randrange(15, 22) * (len(sub.months) + 1)
    founds = sorted(start + dt.timedelta(days=rng.randrange((end - start).days + 1)) for _ in range(n))
    issues = [_issue(rng, sub, registry, f) for f in founds]
    tag = sub.code.split("_")[1].upper()
    for i, it in enumerate(issues):
        it.code = f"{CITIES[sub.city].prefix}-{tag}-2022-{i + 1:04d}"
    return issues


def _record(it: Issue, t: dt.date) -> dict[str, Any]:
    status, rect, review = it.state(t)
    values = (it.code, it.found.isoformat(), *it.fields, it.deadline.isoformat(), status,
              rect.isoformat() if rect else None, review)
    return dict(zip(KEYS, values, strict=True))


def write(landing: Path, seed: int, sub: Submitter, registry: dict[str, Department],
          bad: dict[tuple[str, str], str]) -> tuple[list[FileEntry], list[Good]]:
    """Write every month's export; return entries and good (city, period, record) rows."""
    issues = build(seed, sub, registry)
    entries: list[FileEntry] = []
    good: list[Good] = []
    for period in sub.months:
        rng = stream(seed, sub.city, sub.kind, sub.code, period)
        t = month_last(period)
        listed = [it for it in issues if it.found <= t]
        records = [_record(it, t) for it in listed]
        bad_rows: list[BadRow] = []
        reason = bad.get((sub.code, period))
        if reason == "missing_rectified_date":   # 已整改 with the date left empty
            at = rng.choice([i for i, r in enumerate(records)
                             if r["整改状态"] == "已整改" and listed[i].fail is None])
            records[at]["整改完成日期"] = ""
            bad_rows.append(BadRow(row=at + 1, reason=reason))
        good += [(sub.city, period, r) for i, r in enumerate(records)
                 if not any(b["row"] == i + 1 for b in bad_rows)]
        sent = t + dt.timedelta(days=rng.randrange(1, 6))
        doc = {"city": sub.city, "department": registry[sub.code].name, "kind": "issue",
               "period": period,
               "submitted_at": f"{sent}T{rng.randrange(8, 18):02d}:{rng.randrange(60):02d}:00+08:00",
               "records": records}
        path = landing_path(landing, sub.city, sub.folder, "issue", f"export_{sent:%Y%m%d}.json")
        write_json(path, doc)
        entries.append(entry(landing, path, kind="issue", city=sub.city, department_code=sub.code,
                             period=period, fmt="json", encoding="utf-8", rows=len(records),
                             bad_rows=bad_rows))
    return entries, good


def expected(good: list[Good]) -> dict[str, dict[str, Any]]:
    """Per city and month: issues, rectified, overdue, reopened (未通过 in this or an earlier month)."""
    failed: dict[str, set[str]] = defaultdict(set)     # city -> codes seen with 未通过 so far
    out: dict[str, dict[str, Any]] = {}
    for city, period in sorted({(c, p) for c, p, _ in good}):
        rows = [r for c, p, r in good if c == city and p == period]
        failed[city] |= {r["问题编号"] for r in rows if r["复核结果"] == "未通过"}
        last = month_last(period).isoformat()
        statuses: dict[str, int] = defaultdict(int)
        for r in rows:
            statuses[r["整改状态"]] += 1
        out[f"{city}|issue|{period}"] = {
            "issues": len(rows),
            "rectified": sum(1 for r in rows if r["整改完成日期"]),
            "overdue": sum(1 for r in rows if r["整改状态"] in OPEN and r["整改时限"] < last),
            "reopened": sum(1 for r in rows if r["问题编号"] in failed[city]),
            "statuses": {s: statuses[s] for s in ("未整改", "整改中", "已整改", "已销号") if statuses[s]},
        }
    return out
