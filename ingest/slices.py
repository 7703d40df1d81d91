"""Targeted re-runs: the run parameters (city, department, kind, month, full refresh) checked
against the registry, and the landing files that fall inside such a slice.

A slice touches only its own submissions: a targeted ingest run picks the waiting files of the
slice and leaves every other file in landing for a later run. City, department and kind come
from the landing path (resolved through the registry); the month is what ingest would settle
for the file (peek_month: envelope, title, file name, and the data's dates for
a year-less `5月`). A file whose month cannot be settled is left for an untargeted run, which
refuses it with a receipt.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Mapping

from ingest import config, registry as registry_mod
from ingest.contracts import KINDS
from ingest.errors import ConfigError, IngestError

log = logging.getLogger(__name__)

MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
_MONTH_RE = re.compile(MONTH_PATTERN)

# JSON-schema of each run parameter (the DAGs wrap them in airflow.sdk.Param). The shape is
# checked when a run is triggered; `parse_slice` checks the values against the registry.
PARAM_SPECS: dict[str, dict[str, Any]] = {
    "city": {"default": None, "type": ["null", "string"], "title": "City",
             "description": "城市, e.g. 格尔木市 (empty: every city)"},
    "department": {"default": None, "type": ["null", "string"], "title": "Department",
                   "description": "registry code (golmud_fgw) or a name/alias of the city's department"},
    "kind": {"default": None, "type": ["null", "string"], "enum": [None, *KINDS], "title": "Kind",
             "description": "investment | volunteer | issue (empty: every kind)"},
    "month": {"default": None, "type": ["null", "string"], "pattern": MONTH_PATTERN, "title": "Month",
              "description": "reporting month YYYY-MM, e.g. 2022-05 (empty: every month)"},
    "full_refresh": {"default": False, "type": "boolean", "title": "Full refresh",
                     "description": "rebuild every mart from scratch (incremental ones included)"},
}


class BadParam(ConfigError):
    """A run parameter the registry or the format does not accept; names the value. Never retried."""


@dataclass(frozen=True)
class Slice:
    city: str | None = None
    department: str | None = None   # registry code
    kind: str | None = None
    month: str | None = None        # YYYY-MM
    full_refresh: bool = False

    @property
    def targeted(self) -> bool:
        return any((self.city, self.department, self.kind, self.month))

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in (("city", self.city), ("department", self.department),
                                          ("kind", self.kind), ("month", self.month)) if v]
        return ", ".join(parts) or "everything waiting"

    def contains(self, city: str | None, department: str | None, kind: str | None) -> bool:
        """Whether a file of this city, department and kind may be in the slice (the month aside)."""
        wanted = ((self.city, city), (self.department, department), (self.kind, kind))
        return all(want is None or want == got for want, got in wanted)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _text(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise BadParam(f"参数 {name} 应为文本,收到 {value!r} / param {name} must be text, got {value!r}",
                       field=name, value=value)
    return value.strip()


def parse_slice(params: Mapping[str, Any], reg: registry_mod.Registry | None = None) -> Slice:
    """The run parameters as a Slice; BadParam names the parameter and the value it refuses."""
    reg = reg or registry_mod.load()
    unknown = sorted(set(params) - set(PARAM_SPECS))
    if unknown:
        given = ", ".join(f"{k}={params[k]!r}" for k in unknown)
        raise BadParam(f"未知参数 {given} / unknown params {given}; known: {', '.join(PARAM_SPECS)}",
                       field=unknown[0], value=params[unknown[0]])
    city_label, dept_label = _text(params, "city"), _text(params, "department")
    kind, month = _text(params, "kind"), _text(params, "month")
    city = None
    if city_label is not None:
        city = reg.city(city_label)
        if city is None:
            raise BadParam(f"城市“{city_label}”不在登记名册中 / unknown city {city_label!r}; "
                           f"known: {'、'.join(reg.cities)}", field="city", value=city_label)
    department = _department(reg, dept_label, city) if dept_label is not None else None
    if department is not None and city is None:
        city = reg.departments[department].city
    if kind is not None and kind not in KINDS:
        raise BadParam(f"报表类型“{kind}”无效 / unknown kind {kind!r}; known: {', '.join(KINDS)}",
                       field="kind", value=kind)
    if month is not None and not _MONTH_RE.match(month):
        raise BadParam(f"月份“{month}”格式不对,应为 YYYY-MM(如 2022-05) / malformed month {month!r}, "
                       "expected YYYY-MM", field="month", value=month)
    full = params.get("full_refresh", False)
    if not isinstance(full, bool):
        raise BadParam(f"full_refresh 应为 true/false,收到 {full!r} / full_refresh must be a boolean",
                       field="full_refresh", value=full)
    return Slice(city, department, kind, month, full)


def _department(reg: registry_mod.Registry, label: str, city: str | None) -> str:
    if label in reg.departments:
        code = label
        if city is not None and reg.departments[code].city != city:
            raise BadParam(f"单位“{label}”属于{reg.departments[code].city},不属于{city} / department {label!r} "
                           f"is not in city {city!r}", field="department", value=label)
        return code
    if city is None:
        raise BadParam(f"单位“{label}”不是名册代码;用单位名称时请同时给出城市 / department {label!r} is not a "
                       "registry code; give the city too to look up a name", field="department", value=label)
    code = reg.department(city, label)
    if code is None:
        hint = "、".join(reg.suggest(city, label)) or "无"
        raise BadParam(f"单位“{label}”不在{city}的名册中(相近:{hint}) / unknown department {label!r} in {city}",
                       field="department", value=label)
    return code


def from_dict(doc: Mapping[str, Any]) -> Slice:
    """A Slice passed along in XCom or an asset event (already checked)."""
    return Slice(**{k: doc.get(k) for k in ("city", "department", "kind", "month")},
                 full_refresh=bool(doc.get("full_refresh")))


def select(rels: list[str], sl: Slice, home: Path | None = None) -> tuple[list[str], list[str]]:
    """Split waiting files (relative to landing) into the slice's and the others."""
    if not sl.targeted:
        return list(rels), []
    reg = registry_mod.load()
    landing = config.paths(home).landing
    chosen, left = [], []
    for rel in rels:
        city, department, kind = path_slice(rel, reg)
        inside = sl.contains(city, department, kind)
        if inside and sl.month is not None:
            inside = peek_month(landing / rel, rel) == sl.month
        (chosen if inside else left).append(rel)
    return chosen, left


def path_slice(rel: str, reg: registry_mod.Registry) -> tuple[str | None, str | None, str | None]:
    """City, department code and kind named by a landing path (None where it names none)."""
    parts = PurePosixPath(rel).parts
    if len(parts) != 4:
        return None, None, None
    city = reg.city(parts[0])
    department = reg.department(city, parts[1]) if city else None
    return city, department, parts[2] if parts[2] in KINDS else None


def peek_month(source: Path, rel: str) -> str | None:
    """The reporting month (YYYY-MM; YYYY for an annual export) ingest would settle for a file
    in landing, without loading it (staged on a scratch database); None when it cannot be settled."""
    import duckdb

    from ingest.files import metadata, safety
    from ingest.pipeline import stage_rows
    from ingest.raw import load
    from ingest.raw.receipt import Receipt

    receipt = Receipt(receipt_id="peek", run_id="peek", source_file=rel, content_sha256="",
                      submission_id=None, received_at=dt.datetime.now())
    try:
        with duckdb.connect() as con:
            con.execute(load.SCHEMA_SQL)
            table, meta, parser, writer, _ = stage_rows(con, rel, source, receipt, dt.date.today(), key=b"peek")
            period = metadata.settle(meta, table.contract, writer.month_counts(table.contract.period_date_fields),
                                     parser.periods, rel, dt.date.today())
            writer.abort()
        return str(period.year) if period.annual else f"{period.year}-{period.month:02d}"
    except (IngestError, OSError, ValueError) as exc:
        log.info("%s: month not settled", safety.display_name(f"{rel} ({exc})"))   # redacted, name and error
        return None
