"""Jinja2 pages of the static site: formatting filters and one render call per page."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES = Path(__file__).with_name("templates")
KIND_NAMES = {"investment": "项目投资台账", "volunteer": "志愿服务记录", "issue": "问题整改台账"}
ACTION_NAMES = {"none": "—", "quarantined": "行已隔离", "refused": "文件退回", "blocked_publish": "阻止发布"}
STATUS_NAMES = {"on_time": "按时", "late": "迟报", "missing": "缺报", "pending": "未到截止日", "not_owed": "非应报",
                "held_back": "暂缓发布"}


def wan(yuan: Decimal | None) -> str:
    """Yuan as 万元 with two decimals and thousands separators: 26,894.93."""
    return "—" if yuan is None else f"{Decimal(yuan) / 10000:,.2f}"


def pct(rate: Decimal | float | None) -> str:
    """A 0-1 rate (4 decimals in the marts) as a percentage with two decimals: 85.37%."""
    return "—" if rate is None else f"{Decimal(str(rate)) * 100:.2f}%"


def hours(value: Decimal | float | None) -> str:
    return "—" if value is None else f"{Decimal(str(value)):,.2f}"


def ym(d: date | None) -> str:
    return "—" if d is None else f"{d.year}-{d.month:02d}"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(wan=wan, pct=pct, hours=hours, ym=ym,
                       kind=lambda k: KIND_NAMES.get(k, k), status=lambda s: STATUS_NAMES.get(s, s),
                       action=lambda a: ACTION_NAMES.get(a, a))
    return env


def render(env: jinja2.Environment, template: str, **context: Any) -> str:
    return env.get_template(template).render(**context)
