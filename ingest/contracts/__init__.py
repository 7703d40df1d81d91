"""Submission kinds as data: one YAML declaration per kind (headers, types, rules)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import yaml

from ingest.rows.values import clean_text, unit_in

KINDS = ("investment", "volunteer", "issue")
_BRACKET_RE = re.compile(r"[(\[【].*?[)\]】]")
_MARK_RE = re.compile(r"^[*★※]+|[*★※]+$")
_UNIT_SUFFIX_RE = re.compile(r"(?<=.)(亿元|万元|元|小时)$")


@dataclass(frozen=True)
class Field:
    name: str
    headers: tuple[str, ...]
    type: str
    required: bool = False
    values: tuple[str, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)   # variant as written -> allowed value
    not_future: bool = False
    in_calendar: bool = False       # the mart audit checks it against the calendar (values.CALENDAR)

    def canonical(self, value: str) -> str | None:
        """The allowed value an enum cell means ('已完成' -> '已完工'), or None."""
        return value if value in self.values else self.aliases.get(value)


@dataclass(frozen=True)
class Contract:
    kind: str
    title: str
    table: str
    fields: dict[str, Field]
    checks: tuple[dict, ...] = ()
    warnings: tuple[dict, ...] = ()
    period_date_fields: tuple[str, ...] = ()
    annual: str = "refuse"          # split_by_month | year_end | refuse
    split_field: str | None = None  # the date field an annual export is split by
    _index: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields.values() if f.required and f.type != "period"]

    def match(self, header: str) -> str | None:
        """Canonical field name for a header as written ('计划总投资(万元)' -> planned_amount_yuan)."""
        return self._index.get(header_key(header))

    def map_headers(self, headers: list[str] | list[list[str]]) -> dict[int, str]:
        """Column index -> canonical field, first occurrence wins. A column may offer several
        candidate names (a two-row header: the lower cell, then upper+lower, then the upper)."""
        mapping: dict[int, str] = {}
        for i, h in enumerate(headers):
            for candidate in ([h] if isinstance(h, str) else h):
                name = self.match(candidate)
                if name and name not in mapping.values():
                    mapping[i] = name
                    break
        return mapping


    def twice(self, headers: list[str] | list[list[str]], mapping: dict[int, str]) -> list[tuple[int, int]]:
        """(first column, other column) pairs where a column's own name (not a group title above
        it) names a field an earlier column already took: which one counts would be a guess."""
        owner = {name: i for i, name in mapping.items()}
        pairs = []
        for i, h in enumerate(headers):
            own = h if isinstance(h, str) else (h[0] if h else "")
            name = self.match(own) if own else None
            if name in owner and owner[name] != i:
                pairs.append((owner[name], i))
        return pairs


@lru_cache(maxsize=65_536)  # the layout search asks again for the same cells, file after file
def header_key(header: str) -> str:
    """Header without spaces, required-field stars and units: '服务时长（小时）' -> '服务时长',
    '*计划总投资万元' -> '计划总投资'."""
    text = _MARK_RE.sub("", clean_text(header).replace(" ", ""))
    text = _BRACKET_RE.sub("", text) or text
    return _UNIT_SUFFIX_RE.sub("", text)


def header_unit(header: str) -> Decimal | None:
    return unit_in(header)


def _load(path: Path) -> Contract:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    fields = {name: Field(name=name, headers=tuple(f["headers"]), type=f["type"],
                          required=f.get("required", False), values=tuple(f.get("values", ())),
                          aliases={clean_text(k): v for k, v in (f.get("aliases") or {}).items()},
                          not_future=f.get("not_future", False), in_calendar=f.get("in_calendar", False))
              for name, f in spec["fields"].items()}
    index = {header_key(h): f.name for f in fields.values() for h in f.headers}
    return Contract(kind=spec["kind"], title=spec["title"], table=spec["table"], fields=fields,
                    checks=tuple(spec.get("checks", ())), warnings=tuple(spec.get("warnings", ())),
                    period_date_fields=tuple(spec.get("period_date_fields", ())),
                    annual=spec.get("annual", "refuse"), split_field=spec.get("split_field"), _index=index)


@lru_cache(maxsize=1)
def all_contracts() -> dict[str, Contract]:
    here = Path(__file__).parent
    return {kind: _load(here / f"{kind}.yaml") for kind in KINDS}


def stages() -> tuple[str, ...]:
    """The project stages of an investment ledger, in their order (the contract's allowed values)."""
    return all_contracts()["investment"].fields["stage"].values


def by_title(text: str) -> str | None:
    """The kind a JSON envelope or title names, in English or Chinese ('志愿服务记录')."""
    text = clean_text(text)
    for contract in all_contracts().values():
        if text in (contract.kind, contract.title) or contract.title in text:
            return contract.kind
    return None


def detect_kind(headers: list[str]) -> str | None:
    """The one kind whose required headers all appear, or None."""
    hits = [c.kind for c in all_contracts().values()
            if set(c.required) <= set(c.map_headers(headers).values())]
    return hits[0] if len(hits) == 1 else None
