"""Who sent what for which month: city, department, kind and period from the landing path,
the file name, the title rows and the JSON envelope. Disagreements refuse the file."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from ingest.contracts import KINDS
from ingest.errors import FileRefused
from ingest.registry import Registry
from ingest.values import clean_text, parse_period

_UNIT_LINE_RE = re.compile(r"^(填报单位|报送单位|填报日期|报送日期|单位)\s*[::]")
_DEPT_LINE_RE = re.compile(r"^(?:填报单位|报送单位)\s*[::]\s*(.+)$")


@dataclass
class Meta:
    city: str
    department_code: str
    kind: str
    period: tuple[int | None, int] | None      # year may be None until settled from the data
    period_source: str | None


def _agree(label: str, found: list[tuple[str, str]], rel: str) -> str:
    """All sources must name the same value; refuse naming both otherwise."""
    values = {v for _, v in found}
    if len(values) > 1:
        (s1, v1), (s2, v2) = found[0], next(f for f in found if f[1] != found[0][1])
        raise FileRefused("metadata_conflict",
                          f"{label}不一致:{s1}为“{v1}”,{s2}为“{v2}”,请核对后重新提交", file=rel)
    return found[0][1]


def from_path(rel: str, registry: Registry) -> tuple[str, str, str]:
    parts = PurePosixPath(rel).parts
    if len(parts) != 4 or parts[2] not in KINDS:
        raise FileRefused("bad_landing_path",
                          "文件位置不符合 <城市>/<单位>/<investment|volunteer|issue>/<文件> 的约定", file=rel)
    city = registry.city(parts[0])
    if city is None:
        raise FileRefused("unknown_city", f"城市“{parts[0]}”不在登记名册中", file=rel, value=parts[0])
    return city, parts[1], parts[2]


def _department(registry: Registry, city: str, label: str, rel: str) -> str:
    code = registry.department(city, label)
    if code is None:
        hint = "、".join(registry.suggest(city, label)) or "无"
        raise FileRefused("unknown_department",
                          f"填报单位“{label}”不在{city}的单位名册中(相近的单位:{hint})", file=rel, value=label)
    return code


def resolve(rel: str, registry: Registry, table_kind: str, preamble: list[str],
            envelope: dict) -> Meta:
    city, dept_label, path_kind = from_path(rel, registry)
    cities = [("存放路径", city)]
    if envelope.get("city"):
        cities.append(("文件信封", registry.city(str(envelope["city"])) or clean_text(envelope["city"])))
    titled = [registry.city_in(line) for line in preamble if not _UNIT_LINE_RE.match(line)]
    cities += [("表头标题", c) for c in titled if c]
    city = _agree("城市", cities, rel)

    depts = [("存放路径", _department(registry, city, dept_label, rel))]
    if envelope.get("department"):
        depts.append(("文件信封", _department(registry, city, str(envelope["department"]), rel)))
    for line in preamble:
        m = _DEPT_LINE_RE.match(line)
        if m:
            depts.append(("填报单位栏", _department(registry, city, m.group(1).strip(), rel)))
    department = _agree("填报单位", depts, rel)

    kinds = [("存放路径", path_kind), ("表格内容", table_kind)]
    if envelope.get("kind"):
        kinds.append(("文件信封", clean_text(envelope["kind"])))
    kind = _agree("报表类型", kinds, rel)

    periods: list[tuple[str, tuple[int | None, int]]] = []
    if envelope.get("period"):
        p = parse_period(str(envelope["period"]))
        if p:
            periods.append(("文件信封", p))
    for line in preamble:
        p = None if _UNIT_LINE_RE.match(line) else parse_period(line)
        if p:
            periods.append(("表头标题", p))
    p = parse_period(PurePosixPath(rel).stem)
    if p:
        periods.append(("文件名", p))
    full = [(s, f"{y}-{m:02d}") for s, (y, m) in periods if y]
    months = [(s, f"{m}月") for s, (_, m) in periods]
    if months:
        _agree("填报月份", months, rel)
    period = None
    if full:
        year, month = map(int, _agree("填报期间", full, rel).split("-"))
        period = (year, month)
    elif periods:
        period = periods[0][1]
    return Meta(city, department, kind, period, periods[0][0] if periods else None)


def settle_period(meta: Meta, dates: list[dt.date], rel: str) -> dt.date:
    """First day of the reporting month; a year-less month takes its year from the data's dates."""
    if meta.period is None:
        raise FileRefused("missing_period", "无法确定填报期间:文件名、标题和内容中都没有填报月份", file=rel)
    year, month = meta.period
    if year is None:
        years = {d.year for d in dates if d.month == month}
        if len(years) != 1:
            seen = "、".join(str(y) for y in sorted(years)) or "无"
            raise FileRefused("period_unsettled",
                              f"填报期间只写了“{month}月”,数据中该月日期的年份无法确定(出现的年份:{seen}),请注明年份",
                              file=rel)
        year = years.pop()
    return dt.date(year, month, 1)
