"""Submission kinds as data: one YAML declaration per kind (headers, types, rules)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import yaml

from ingest.values import clean_text, unit_in

KINDS = ("investment", "volunteer", "issue")
_BRACKET_RE = re.compile(r"[(\[【].*?[)\]】]")


@dataclass(frozen=True)
class Field:
    name: str
    headers: tuple[str, ...]
    type: str
    required: bool = False
    values: tuple[str, ...] = ()
    not_future: bool = False


@dataclass(frozen=True)
class Contract:
    kind: str
    title: str
    table: str
    fields: dict[str, Field]
    checks: tuple[dict, ...] = ()
    period_date_fields: tuple[str, ...] = ()
    _index: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields.values() if f.required]

    def match(self, header: str) -> str | None:
        """Canonical field name for a header as written ('计划总投资(万元)' -> planned_amount_yuan)."""
        return self._index.get(header_key(header))

    def map_headers(self, headers: list[str]) -> dict[int, str]:
        """Column index -> canonical field, first occurrence wins."""
        mapping: dict[int, str] = {}
        for i, h in enumerate(headers):
            name = self.match(h)
            if name and name not in mapping.values():
                mapping[i] = name
        return mapping


def header_key(header: str) -> str:
    """Header without spaces and bracketed units: '服务时长（小时）' -> '服务时长'."""
    text = clean_text(header).replace(" ", "")
    return _BRACKET_RE.sub("", text) or text


def header_unit(header: str) -> Decimal | None:
    return unit_in(header)


def _load(path: Path) -> Contract:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    fields = {name: Field(name=name, headers=tuple(f["headers"]), type=f["type"],
                          required=f.get("required", False), values=tuple(f.get("values", ())),
                          not_future=f.get("not_future", False))
              for name, f in spec["fields"].items()}
    index = {header_key(h): f.name for f in fields.values() for h in f.headers}
    return Contract(kind=spec["kind"], title=spec["title"], table=spec["table"], fields=fields,
                    checks=tuple(spec.get("checks", ())),
                    period_date_fields=tuple(spec.get("period_date_fields", ())), _index=index)


@lru_cache(maxsize=1)
def all_contracts() -> dict[str, Contract]:
    here = Path(__file__).parent
    return {kind: _load(here / f"{kind}.yaml") for kind in KINDS}


def detect_kind(headers: list[str]) -> str | None:
    """The one kind whose required headers all appear, or None."""
    hits = [c.kind for c in all_contracts().values()
            if set(c.required) <= set(c.map_headers(headers).values()) - {"period"}]
    return hits[0] if len(hits) == 1 else None
