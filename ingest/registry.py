"""Cities and departments with their aliases (dbt_project/seeds/*.csv): one lookup."""
from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ingest.config import SEEDS_DIR
from ingest.rows.values import clean_text


@dataclass(frozen=True)
class Department:
    code: str
    city: str
    name: str
    aliases: tuple[str, ...]
    owes: tuple[str, ...]


class Registry:
    def __init__(self, cities: dict[str, str], departments: list[Department]) -> None:
        self.cities = cities  # city name -> province
        self.departments = {d.code: d for d in departments}
        self._lookup: dict[tuple[str, str], str] = {}
        for d in departments:
            for label in (d.name, *d.aliases):
                key = (d.city, self._key(d.city, label))
                if self._lookup.setdefault(key, d.code) != d.code:
                    raise ValueError(f"registry: “{label}” names both {self._lookup[key]} and {d.code} in {d.city}")

    def _key(self, city: str, label: str) -> str:
        """'青海省格尔木市发展和改革委员会', '市发改委' and '发改委' share the part after
        province/city/'市'; '和' is dropped ('住房城乡建设局' = '住房和城乡建设局')."""
        text = clean_text(label).replace(" ", "")
        province = self.cities.get(city, "")
        if province and text.startswith(province):
            text = text[len(province):]
        for prefix in (city, city.removesuffix("市")):
            if text.startswith(prefix) and len(text) > len(prefix):
                text = text[len(prefix):]
                break
        return (text.removeprefix("市") or text).replace("和", "")

    def city(self, label: str) -> str | None:
        text = clean_text(label).replace(" ", "")
        for province in set(self.cities.values()):
            text = text.removeprefix(province)
        if text in self.cities:
            return text
        matches = [c for c in self.cities if text == c.removesuffix("市")]
        return matches[0] if matches else None

    def city_in(self, text: str) -> str | None:
        """The registry city named somewhere in a title line, if any."""
        found = [c for c in self.cities if c in clean_text(text)]
        return found[0] if len(found) == 1 else None

    def department(self, city: str, label: str) -> str | None:
        return self._lookup.get((city, self._key(city, label)))

    def suggest(self, city: str, label: str, n: int = 3) -> list[str]:
        """Registry names closest to an unknown label (by name or alias), best first."""
        want = self._key(city, label)
        scored: dict[str, float] = {}
        for (c, key), code in self._lookup.items():
            if c == city:
                name = self.departments[code].name
                score = difflib.SequenceMatcher(None, want, key).ratio()
                scored[name] = max(score, scored.get(name, 0.0))
        ranked = sorted((s, name) for name, s in scored.items() if s >= 0.4)
        return [name for _, name in reversed(ranked)][:n]


@lru_cache(maxsize=4)
def load(seeds_dir: Path = SEEDS_DIR) -> Registry:
    with open(seeds_dir / "cities.csv", encoding="utf-8", newline="") as f:
        cities = {r["city"]: r["province"] for r in csv.DictReader(f)}
    with open(seeds_dir / "departments.csv", encoding="utf-8", newline="") as f:
        departments = [Department(r["department_code"], r["city"], r["name"],
                                  tuple(a for a in r["aliases"].split("|") if a),
                                  tuple(o for o in r["owes"].split("|") if o))
                       for r in csv.DictReader(f)]
    return Registry(cities, departments)
