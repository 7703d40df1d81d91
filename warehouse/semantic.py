"""The metric definitions of the semantic layer (dbt_project/models/semantic/*.yml), read for the
tools that compute rates without MetricFlow: the static dashboard and the Superset bundle.

A ratio metric is resolved to its numerator and denominator measures (mart, aggregation, SQL
expression, and for a snapshot measure the entity and month of which the latest row counts), and
``ratio_sql`` writes the ratio of sums from them. Change a definition in the YAML and MetricFlow,
the dashboard and the Superset datasets change with it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from warehouse.dbt import DBT_DIR

SEMANTIC_DIR = DBT_DIR / "models" / "semantic"
AGGREGATES = {"sum": "sum({})", "count": "count({})"}  # what a ratio of sums may divide
DISTINCT = {"count_distinct": "count(distinct {})"}
RATE_DECIMALS = 4  # as the marts store rates


class MetricError(ValueError):
    """A metric the semantic layer does not define, or one these tools cannot compute."""


@dataclass(frozen=True)
class Measure:
    name: str
    mart: str                   # the mart of its semantic model (ref('...'))
    agg: str                    # sum | count
    expr: str                   # SQL over one row of the mart
    latest_of: str | None       # snapshot measure: per this entity expression ...
    latest_by: str | None       # ... only the row of the latest value of this column counts

    def aggregate(self, column: str | None = None) -> str:
        """The aggregate of `column` (default: the measure's own expression)."""
        return {**AGGREGATES, **DISTINCT}[self.agg].format(column or self.expr)


@dataclass(frozen=True)
class Ratio:
    name: str
    label: str
    numerator: Measure
    denominator: Measure

    @property
    def mart(self) -> str:
        return self.numerator.mart


def _load(directory: Path) -> tuple[dict[str, dict], dict[str, Measure]]:
    metrics: dict[str, dict] = {}
    measures: dict[str, Measure] = {}
    for path in sorted(directory.glob("*.yml")):
        doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        metrics.update({m["name"]: m for m in doc.get("metrics", [])})
        for model in doc.get("semantic_models", []):
            mart = re.fullmatch(r"ref\('([^']+)'\)", model["model"].strip()).group(1)
            entities = {e["name"]: e.get("expr", e["name"]) for e in model.get("entities", [])}
            dimensions = {d["name"]: d.get("expr", d["name"]) for d in model.get("dimensions", [])}
            for m in model.get("measures", []):
                window = m.get("non_additive_dimension")
                groupings = (window or {}).get("window_groupings", [])
                if window and (window.get("window_choice") != "max" or len(groupings) != 1):
                    raise MetricError(f"{path.name}: measure {m['name']}: only the latest row of one entity is supported")
                measures[m["name"]] = Measure(
                    name=m["name"], mart=mart, agg=m["agg"], expr=str(m.get("expr", m["name"])),
                    latest_of=entities[groupings[0]] if window else None,
                    latest_by=dimensions[window["name"]] if window else None)
    return metrics, measures


def _simple_measure(name: str, metrics: dict[str, dict], measures: dict[str, Measure]) -> Measure:
    metric = metrics.get(name)
    if metric is None or metric["type"] != "simple" or metric.get("filter"):
        raise MetricError(f"{name}: not an unfiltered simple metric of the semantic layer")
    measure = measures[metric["type_params"]["measure"]]
    if measure.agg not in AGGREGATES:
        raise MetricError(f"{name}: a ratio of sums cannot divide a {measure.agg} measure")
    return measure


@dataclass(frozen=True)
class Expression:
    """A metric as one aggregate SQL expression over the rows of `mart` (a snapshot measure:
    over the latest row per entity, e.g. a mart that holds only those)."""
    name: str
    label: str
    description: str
    mart: str
    sql: str
    snapshot: bool


def metric_expression(name: str, directory: Path = SEMANTIC_DIR) -> Expression:
    """A simple or ratio metric as an aggregate expression, for BI tools' dataset metrics."""
    metrics, measures = _load(directory)
    metric = metrics.get(name)
    if metric is None:
        raise MetricError(f"{name}: no metric of that name in {directory}")
    if metric["type"] == "ratio":
        r = ratio(name, directory)
        num, den = r.numerator, r.denominator
        sql = f"1.0 * {num.aggregate()} / nullif({den.aggregate()}, 0)"
    elif metric["type"] == "simple" and not metric.get("filter"):
        num = measures[metric["type_params"]["measure"]]
        sql = num.aggregate()
    else:
        raise MetricError(f"{name}: only unfiltered simple metrics and ratios are one SQL expression")
    return Expression(name, metric.get("label", name), metric.get("description", ""), num.mart, sql,
                      num.latest_of is not None)


def ratio(name: str, directory: Path = SEMANTIC_DIR) -> Ratio:
    """The ratio metric `name`, its numerator and denominator resolved to their measures."""
    metrics, measures = _load(directory)
    metric = metrics.get(name)
    if metric is None or metric["type"] != "ratio":
        raise MetricError(f"{name}: no ratio metric of that name in {directory}")
    params = metric["type_params"]
    numerator = _simple_measure(params["numerator"], metrics, measures)
    denominator = _simple_measure(params["denominator"], metrics, measures)
    if (numerator.mart, numerator.latest_of, numerator.latest_by) != \
            (denominator.mart, denominator.latest_of, denominator.latest_by):
        raise MetricError(f"{name}: numerator and denominator must come from one semantic model")
    return Ratio(name, metric.get("label", name), numerator, denominator)


def ratio_sql(metric: Ratio, group_by: dict[str, str], where: str = "true", month_grain: str | None = None) -> str:
    """SELECT <group_by aliases>, numerator, denominator, rate (4 decimals, null on 0) over schema
    marts. `group_by` maps output names to SQL over the mart's rows; `month_grain`, a column of the
    mart: a snapshot measure counts each entity's latest row per month of it (else over all rows)."""
    num, den = metric.numerator, metric.denominator
    keys = dict(group_by)
    columns = [f"{sql} as {alias}" for alias, sql in keys.items()]
    latest = "true"
    if num.latest_of:
        window = [num.latest_of] + ([f"date_trunc('month', {month_grain})"] if month_grain else [])
        columns.append(f"{num.latest_by} as snapshot_at")
        columns.append(f"max({num.latest_by}) over (partition by {', '.join(window)}) as latest_at")
        latest = "snapshot_at = latest_at"
    columns += [f"{num.expr} as numerator_value", f"{den.expr} as denominator_value"]
    aliases = ", ".join(keys)
    numerator, denominator = num.aggregate("numerator_value"), den.aggregate("denominator_value")
    return f"""
with metric_rows as (
    select {', '.join(columns)}
    from marts.{metric.mart}
    where {where}
)
select {aliases + ', ' if keys else ''}{numerator} as numerator, {denominator} as denominator,
       cast(round(1.0 * {numerator} / nullif({denominator}, 0), {RATE_DECIMALS}) as numeric(9, {RATE_DECIMALS})) as rate
from metric_rows
where {latest}
{'group by ' + aliases if keys else ''}
{'order by ' + aliases if keys else ''}
"""
