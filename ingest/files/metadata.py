"""Who sent what for which period: city, department, kind and reporting period from the landing
path, the file name, the title rows, the JSON envelope and a 填报期间 column. Where these
disagree the file is refused naming both values; a year-less month takes its year from the
data's dates or is refused; nothing is guessed."""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from ingest.contracts import KINDS, Contract, by_title
from ingest.errors import FileRefused
from ingest.registry import Registry
from ingest.rows import pii
from ingest.rows.values import CALENDAR, Period, clean_text, parse_period

_NOT_PERIOD_LINE_RE = re.compile(r"^(填报单位|报送单位|填报日期|报送日期|制表日期|单位)\s*[::]")
_DEPT_LINE_RE = re.compile(r"(?:填报单位|报送单位)\s*[::]\s*(.*)$")
_NEXT_LABEL_RE = re.compile(r"\s{2,}|\s+(?=\S{2,6}[::])")
_SEAL_RE = re.compile(r"[((](盖章|公章|签章|章)[))]")
_STAMP_RE = re.compile(r"(填报|报送|制表|打印|导出)(日期|时间)\s*[::]\s*\S+")
_NAME_DATE_RE = re.compile(r"(?<![截止至])(?<!\d)(\d{4}年\d{1,2}月\d{1,2}日|\d{4}([-./])\d{1,2}\2\d{1,2}|20\d{6})(?!\d)")


@dataclass
class Meta:
    city: str
    department_code: str
    kind: str
    periods: list[tuple[str, Period]] = field(default_factory=list)   # (source, period) as found

    @property
    def period(self) -> Period | None:
        """The most specific period the sources name (before settling from data)."""
        full = [p for _, p in self.periods if p.year is not None]
        return full[0] if full else (self.periods[0][1] if self.periods else None)


def _agree(label: str, found: list[tuple[str, str]], rel: str) -> str:
    """All sources must name the same value; refuse naming both otherwise."""
    first_source, first = found[0]
    for source, value in found[1:]:
        if value != first:
            raise FileRefused("metadata_conflict",
                              f"{label}不一致:{first_source}为“{first}”,{source}为“{value}”,请核对后重新提交",
                              file=rel, field=label, value=value)
    return first


def from_path(rel: str, registry: Registry) -> tuple[str, str, str]:
    parts = PurePosixPath(rel).parts
    if len(parts) != 4 or parts[2] not in KINDS:
        raise FileRefused("bad_landing_path",
                          "文件位置不符合 <城市>/<单位>/<investment|volunteer|issue>/<文件> 的约定", file=rel)
    city = registry.city(parts[0])
    if city is None:
        known = "、".join(registry.cities)
        raise FileRefused("unknown_city", f"城市“{parts[0]}”不在登记名册中(名册中的城市:{known})", file=rel,
                          value=parts[0])
    return city, parts[1], parts[2]


def department(registry: Registry, city: str, label: str, rel: str, source: str = "存放路径") -> str:
    code = registry.department(city, label)
    if code is None:
        hint = "、".join(registry.suggest(city, label)) or "无"
        raise FileRefused("unknown_department", f"{source}中的单位“{label}”不在{city}的单位名册中"
                          f"(相近的单位:{hint}),请使用名册中的单位名称", file=rel, value=label)
    return code


def _title_department(line: str) -> str | None:
    m = _DEPT_LINE_RE.search(line)
    if not m:
        return None
    label = _SEAL_RE.sub("", _NEXT_LABEL_RE.split(m.group(1).strip())[0]).strip()
    return label or None


def name_period(rel: str) -> Period | None:
    """The period a file name names; a full date in a name is an export date, not a period."""
    return parse_period(_NAME_DATE_RE.sub(" ", PurePosixPath(rel).stem))


def resolve(rel: str, registry: Registry, table_kind: str, preamble: list[str], envelope: dict,
            envelope_pairs: list[tuple[str, Any, str, Any]] = ()) -> Meta:
    """envelope_pairs: two JSON envelope keys meaning one thing (city and 城市, or one key given
    twice) with their values; values that differ refuse the file, naming both."""
    for key_a, a, key_b, b in envelope_pairs:
        if clean_text(a) != clean_text(b):
            a, b = (pii.redact(clean_text(v))[:60] for v in (a, b))
            said = f"“{key_a}”出现两次,值不一致:“{a}”与“{b}”" if key_a == key_b else f"“{key_a}”为“{a}”,“{key_b}”却为“{b}”,两者不一致"
            raise FileRefused("metadata_conflict", f"JSON 文件头中{said}", file=rel)
    city, dept_label, path_kind = from_path(rel, registry)
    cities = [("存放路径", city)]
    if envelope.get("city"):
        cities.append(("文件信封", registry.city(str(envelope["city"])) or clean_text(envelope["city"])))
    cities += [("表头标题", c) for line in preamble
               if not _NOT_PERIOD_LINE_RE.match(line) and (c := registry.city_in(line))]
    city = _agree("城市", cities, rel)

    depts = [("存放路径", department(registry, city, dept_label, rel))]
    if envelope.get("department"):
        depts.append(("文件信封", department(registry, city, str(envelope["department"]), rel, "文件信封")))
    for line in preamble:
        label = _title_department(line)
        if label:
            depts.append(("填报单位栏", department(registry, city, label, rel, "填报单位栏")))
    _agree("填报单位", [(s, registry.departments[c].name) for s, c in depts], rel)

    kinds = [("存放路径", path_kind), ("表格内容", table_kind)]
    if envelope.get("kind"):
        kinds.append(("文件信封", by_title(str(envelope["kind"])) or clean_text(envelope["kind"])))
    kind = _agree("报表类型", kinds, rel)

    periods: list[tuple[str, Period]] = []
    if envelope.get("period") and (p := parse_period(str(envelope["period"]))):
        periods.append(("文件信封", p))
    periods += [("表头标题", p) for line in preamble if not _NOT_PERIOD_LINE_RE.match(line)
                and (p := parse_period(_STAMP_RE.sub(" ", line)))]
    if p := name_period(rel):
        periods.append(("文件名", p))
    return Meta(city, next(c for _, c in depts), kind, periods)


def settle(meta: Meta, contract: Contract | None, month_counts: Counter[tuple[int, int]],
           column: set[str], rel: str, today: dt.date) -> Period:
    """The reporting period, agreed by every source. A year-less month takes its year from the
    data (the years of the dates falling in that month); an annual export follows its kind's
    rule (split by month, the state at year end, or refused)."""
    found = list(meta.periods)
    for value in sorted(column):
        p = parse_period(value)
        if p is None:
            text = pii.redact(clean_text(value))[:60]    # a clerk's cell: never raw into a message
            raise FileRefused("bad_period", f"填报期间列中的“{text}”不是有效的月份(应如 2022-05 或 2022年5月)",
                              file=rel, field="填报期间", value=text)
        found.append(("填报期间列", p))
    if not found:
        raise FileRefused("missing_period", "无法确定填报期间:文件名、标题、文件信封和填报期间列中都没有写明月份,"
                          "请在文件名或标题中注明(如“2022年5月”)", file=rel)
    _agree("填报期间类型", [(s, "年度" if p.annual else "月度") for s, p in found], rel)
    if not found[0][1].annual:
        _agree("填报月份", [(s, f"{p.month}月") for s, p in found], rel)
    full = [(s, p.label()) for s, p in found if p.year is not None]
    if full:
        _agree("填报期间", full, rel)
        period = next(p for _, p in found if p.year is not None)
    else:
        month = found[0][1].month
        years = sorted({y for (y, m) in month_counts if m == month})
        if len(years) != 1:
            seen = "、".join(map(str, years)) or "无"
            raise FileRefused("period_unsettled", f"填报期间只写了“{month}月”,数据中该月日期的年份无法确定"
                              f"(出现的年份:{seen}),请在文件名或标题中注明年份", file=rel)
        period = Period(years[0], month)
    policy = contract.annual if contract else "refuse"
    if period.annual and policy == "year_end":
        period = Period(period.year, 12)
        if dt.date(period.year, 12, 1) > today:
            raise FileRefused("annual_in_progress", f"{period.year}年度台账按年末(12月)状态入库,但该年尚未结束:"
                              "请按月份报送(文件名注明月份,如“2022年5月”)", file=rel)
    elif period.annual and policy != "split_by_month":
        raise FileRefused("annual_not_supported", "该类报表须按月报送,不接收年度汇总文件", file=rel)
    if not period.annual and dt.date(period.year, period.month, 1) > today:
        raise FileRefused("period_in_future", f"填报期间 {period.label()} 晚于当前月份", file=rel)
    if not CALENDAR[0].year <= period.year <= CALENDAR[1].year:
        raise FileRefused("period_outside_calendar", f"填报期间 {period.label()} 不在数据仓库的统计年份"
                          f"({CALENDAR[0].year}–{CALENDAR[1].year}年)内", file=rel)
    return period


def settle_period(meta: Meta, dates: list[dt.date], rel: str) -> dt.date:
    """First day of the reporting month from the sources and the data's dates (monthly files)."""
    counts = Counter((d.year, d.month) for d in dates)
    period = settle(meta, None, counts, set(), rel, dt.date.today())
    return dt.date(period.year or 1, period.month or 1, 1)


def submitted_at(envelope: dict) -> dt.datetime | None:
    """The export time a JSON envelope states (UTC, naive), or None."""
    try:
        stamp = dt.datetime.fromisoformat(str(envelope["submitted_at"]))
    except (KeyError, ValueError):
        return None
    return stamp.astimezone(dt.timezone.utc).replace(tzinfo=None) if stamp.tzinfo else stamp
