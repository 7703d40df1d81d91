"""Plotly figures for one city, rendered as <div>s that use the vendored plotly.min.js (no CDN).

Every trace keeps the exact mart value in ``customdata`` (yuan, rate 0-1) next to the display value
(万元, %), so the browser test can compare what the page holds with SQL over the marts.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Iterable

import plotly.graph_objects as go

from dashboard.data import STAGES, STAR_LEVELS, CityData

FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
CONFIG = {"displayModeBar": False, "responsive": True}
RED, BLUE, GREY, GOLD = "#c0392b", "#2e6da4", "#7f8c8d", "#d4a017"
STAR_NAMES = {1: "一星", 2: "二星", 3: "三星", 4: "四星", 5: "五星"}
WAN = Decimal(10000)
PERCENT_AXIS = {"range": [0, 110], "tickmode": "linear", "tick0": 0, "dtick": 20}


@dataclass(frozen=True)
class Chart:
    id: str
    html: str


def month_label(d: date) -> str:
    return f"{d.year}-{d.month:02d}"


def wan(yuan: Decimal | None) -> float:
    """Yuan -> 万元 for display, rounded to 0.01 万元."""
    return float(round((yuan or Decimal(0)) / WAN, 2))


def _num(v: Any) -> float | None:
    return None if v is None else float(v)


def _layout(fig: go.Figure, *, y_title: str, y2_title: str | None = None, height: int = 340) -> None:
    fig.update_layout(
        template="plotly_white", height=height, margin={"l": 60, "r": 60 if y2_title else 20, "t": 30, "b": 50},
        font={"family": FONT, "size": 13}, separators=".,", hoverlabel={"font": {"family": FONT}},
        legend={"orientation": "h", "y": 1.12, "x": 0}, bargap=0.25,
    )
    fig.update_yaxes(title_text=y_title, rangemode="tozero", exponentformat="none", separatethousands=True)
    if y2_title:
        fig.update_layout(yaxis2={"title": {"text": y2_title}, "overlaying": "y", "side": "right",
                                  "rangemode": "tozero", "showgrid": False})


def _int_ticks(values: Iterable[Any]) -> dict[str, Any]:
    """Axis settings for counts: whole-number ticks, about five of them."""
    top = max([float(v) for v in values if v is not None] or [0])
    return {"tickformat": ",d", "dtick": max(1, math.ceil(top / 5)), "rangemode": "tozero"}


def _render(fig: go.Figure, chart_id: str) -> Chart:
    return Chart(chart_id, fig.to_html(full_html=False, include_plotlyjs=False, div_id=chart_id, config=CONFIG))


def investment(c: CityData) -> Chart:
    by_stage = {r["stage"]: r for r in c.investment}
    rows = [by_stage.get(s) for s in STAGES]
    planned = [r["planned_yuan"] if r else Decimal(0) for r in rows]
    spent = [r["spent_yuan"] if r else Decimal(0) for r in rows]
    projects = [r["projects"] if r else 0 for r in rows]
    fig = go.Figure()
    for name, values, color in (("计划总投资", planned, GREY), ("累计完成投资", spent, RED)):
        fig.add_bar(name=name, x=list(STAGES), y=[wan(v) for v in values], marker_color=color,
                    customdata=[[float(v), n] for v, n in zip(values, projects)],
                    hovertemplate=f"%{{x}}<br>{name} %{{y:,.2f}} 万元<br>项目 %{{customdata[1]}} 个<extra></extra>")
    _layout(fig, y_title="万元")
    fig.update_xaxes(type="category", title_text="项目进度")
    return _render(fig, f"chart-investment-{c.city_code}")


def volunteer_hours(c: CityData) -> Chart:
    months = [month_label(r["month"]) for r in c.volunteer_months]
    fig = go.Figure()
    fig.add_bar(name="服务时长（小时）", x=months, y=[_num(r["hours"]) for r in c.volunteer_months],
                marker_color=BLUE, customdata=[_num(r["hours"]) for r in c.volunteer_months],
                hovertemplate="%{x}<br>服务时长 %{y:,.2f} 小时<extra></extra>")
    fig.add_scatter(name="参与志愿者（人）", x=months, y=[r["volunteers"] for r in c.volunteer_months],
                    yaxis="y2", mode="lines+markers", line={"color": GOLD},
                    customdata=[r["volunteers"] for r in c.volunteer_months],
                    hovertemplate="%{x}<br>参与志愿者 %{y} 人<extra></extra>")
    _layout(fig, y_title="小时", y2_title="人")
    fig.update_layout(yaxis2=_int_ticks(r["volunteers"] for r in c.volunteer_months))
    fig.update_xaxes(type="category", title_text="服务月份")
    return _render(fig, f"chart-volunteer-{c.city_code}")


def star_volunteers(c: CityData) -> Chart:
    counts = [c.stars.get(level, 0) for level in STAR_LEVELS]
    fig = go.Figure()
    fig.add_bar(name="星级志愿者", x=[STAR_NAMES[level] for level in STAR_LEVELS], y=counts,
                marker_color=GOLD, customdata=counts, text=counts, textposition="outside",
                hovertemplate="%{x}志愿者 %{y} 人<extra></extra>")
    _layout(fig, y_title="人")
    fig.update_layout(yaxis=_int_ticks(counts))
    fig.update_xaxes(type="category", title_text="星级（累计服务时长 100/300/600/1000/1500 小时）")
    return _render(fig, f"chart-stars-{c.city_code}")


def rectification(c: CityData) -> Chart:
    """Overdue issues as bars (left axis), the rate as a line on top (right axis, 0-100 %)."""
    months = [month_label(r["month"]) for r in c.rectification]
    fig = go.Figure()
    fig.add_bar(name="逾期问题（件）", x=months, y=[r["overdue"] for r in c.rectification],
                marker_color=GREY, opacity=0.55, customdata=[r["overdue"] for r in c.rectification],
                hovertemplate="%{x}<br>逾期问题 %{y} 件<extra></extra>")
    fig.add_scatter(name="整改率", x=months, y=[round(float(r["rate"]) * 100, 2) for r in c.rectification],
                    yaxis="y2", mode="lines+markers+text", line={"color": RED, "width": 3},
                    text=[f"{float(r['rate']) * 100:.2f}%" for r in c.rectification], textposition="top center",
                    customdata=[_num(r["rate"]) for r in c.rectification],
                    hovertemplate="%{x}<br>整改率 %{y:.2f}%<extra></extra>")
    _layout(fig, y_title="逾期问题（件）", y2_title="整改率（%）")
    fig.update_layout(yaxis=_int_ticks(r["overdue"] for r in c.rectification), yaxis2=PERCENT_AXIS)
    fig.update_xaxes(type="category", title_text="台账月份")
    return _render(fig, f"chart-rectification-{c.city_code}")


def overdue_by_department(c: CityData) -> Chart:
    rows = [r for r in c.ranking() if (r["issues_in_ledger"] or 0) > 0]   # departments with a ledger
    boards = c.boards()
    colors = {"红榜": RED, "黑榜": "#222222"}
    fig = go.Figure()
    fig.add_bar(name="逾期问题（件）", orientation="h", y=[f"{r['rank_in_city']}. {r['department_name']}" for r in rows],
                x=[r["issues_overdue"] for r in rows],
                marker_color=[colors.get(boards.get(r["department_code"], ""), GREY) for r in rows],
                customdata=[r["issues_overdue"] for r in rows], text=[r["issues_overdue"] for r in rows],
                textposition="outside", hovertemplate="%{y}<br>逾期问题 %{x} 件<extra></extra>")
    _layout(fig, y_title="", height=max(300, 34 * len(rows) + 80))
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_xaxes(title_text="逾期问题（件）", **_int_ticks(r["issues_overdue"] for r in rows))
    return _render(fig, f"chart-overdue-{c.city_code}")


def stacked_months(chart_id: str, rows: Iterable[Any], series: list[tuple[str, str, str]], y_title: str,
                   x_title: str) -> Chart:
    """Stacked bars per month; ``series`` = (column, legend name, colour)."""
    rows = list(rows)
    months = [month_label(r["month"]) for r in rows]
    fig = go.Figure()
    for column, name, color in series:
        values = [r[column] for r in rows]
        fig.add_bar(name=name, x=months, y=values, marker_color=color, customdata=values,
                    hovertemplate=f"%{{x}}<br>{name} %{{y}}<extra></extra>")
    _layout(fig, y_title=y_title)
    totals = [sum(r[col] or 0 for col, _, _ in series) for r in rows]
    fig.update_layout(barmode="stack", yaxis=_int_ticks(totals))
    fig.update_xaxes(type="category", title_text=x_title)
    return _render(fig, chart_id)


def city_charts(c: CityData) -> dict[str, Chart | None]:
    """Every chart of a city's page; ``None`` where the city has no data for it (an empty panel)."""
    subs, quality = c.submissions, c.quality
    return {
        "investment": investment(c) if c.investment else None,
        "volunteer": volunteer_hours(c) if c.volunteer_months else None,
        "stars": star_volunteers(c) if c.volunteer_months else None,
        "rectification": rectification(c) if c.rectification else None,
        "overdue": overdue_by_department(c) if any((r["issues_in_ledger"] or 0) > 0 for r in c.ranking()) else None,
        "submissions": stacked_months(
            f"chart-submissions-{c.city_code}", subs.months,
            [("on_time", "按时报送", BLUE), ("late", "迟报", GOLD), ("missing", "缺报", RED),
             ("pending", "未到截止日", GREY)],
            y_title="应报（份）", x_title="报送月份") if subs and subs.months else None,
        "quality": quality_trend(c) if quality and quality.months else None,
    }


def quality_trend(c: CityData) -> Chart:
    """Failed checks as bars (left axis), the pass rate as a line on top (right axis)."""
    rows = c.quality.months if c.quality else []
    months = [month_label(r["month"]) for r in rows]
    fig = go.Figure()
    fig.add_bar(name="未通过检查（项）", x=months, y=[r["failed"] for r in rows], marker_color=RED,
                opacity=0.6, customdata=[r["failed"] for r in rows],
                hovertemplate="%{x}<br>未通过 %{y} 项<extra></extra>")
    fig.add_scatter(name="检查通过率", x=months, y=[round(float(r["pass_rate"]) * 100, 2) for r in rows],
                    yaxis="y2", mode="lines+markers", line={"color": BLUE, "width": 3},
                    customdata=[_num(r["pass_rate"]) for r in rows],
                    hovertemplate="%{x}<br>通过率 %{y:.2f}%<extra></extra>")
    _layout(fig, y_title="未通过（项）", y2_title="通过率（%）")
    fig.update_layout(yaxis=_int_ticks(r["failed"] for r in rows), yaxis2=PERCENT_AXIS)
    fig.update_xaxes(type="category", title_text="填报月份")
    return _render(fig, f"chart-quality-{c.city_code}")


def overview_charts(cities: list[CityData]) -> dict[str, Chart | None]:
    """The overview page: the cities side by side."""
    if not cities:
        return {"investment": None, "volunteer": None, "rectification": None}
    names = [c.city for c in cities]
    inv = go.Figure()
    for key, name, color in (("planned_yuan", "计划总投资", GREY), ("spent_yuan", "累计完成投资", RED)):
        values = [c.kpis[key] for c in cities]
        inv.add_bar(name=name, x=names, y=[wan(v) for v in values], marker_color=color,
                    customdata=[float(v) for v in values],
                    hovertemplate=f"%{{x}}<br>{name} %{{y:,.2f}} 万元<extra></extra>")
    _layout(inv, y_title="万元")
    inv.update_xaxes(type="category")
    vol, rect = go.Figure(), go.Figure()
    for c in cities:
        vol.add_scatter(name=c.city, x=[month_label(r["month"]) for r in c.volunteer_months],
                        y=[_num(r["hours"]) for r in c.volunteer_months], mode="lines+markers",
                        customdata=[_num(r["hours"]) for r in c.volunteer_months],
                        hovertemplate=f"{c.city} %{{x}}<br>服务时长 %{{y:,.2f}} 小时<extra></extra>")
        rect.add_scatter(name=c.city, x=[month_label(r["month"]) for r in c.rectification],
                         y=[round(float(r["rate"]) * 100, 2) for r in c.rectification], mode="lines+markers",
                         customdata=[_num(r["rate"]) for r in c.rectification],
                         hovertemplate=f"{c.city} %{{x}}<br>整改率 %{{y:.2f}}%<extra></extra>")
    _layout(vol, y_title="小时")
    _layout(rect, y_title="整改率（%）")
    rect.update_layout(yaxis=PERCENT_AXIS)
    months = sorted({month_label(r["month"]) for c in cities for r in [*c.volunteer_months, *c.rectification]})
    for fig in (vol, rect):
        fig.update_xaxes(type="category", categoryorder="array", categoryarray=months)
    return {"investment": _render(inv, "chart-overview-investment"),
            "volunteer": _render(vol, "chart-overview-volunteer"),
            "rectification": _render(rect, "chart-overview-rectification")}
