"""Demo and test data: department submissions shaped like the real ones, with a manifest.

`generate(landing)` writes LANDING/<city>/<department as written>/<kind>/<file> for
investment (xlsx), volunteer (csv) and issue (json) submissions of the four registry
cities, 2022-04..2022-06, plus a few deliberately bad rows and one non-submission, and
returns a manifest of every file and the figures the pipeline should arrive at.
Same seed, same bytes.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from . import investment, issue, volunteer
from .files import FileEntry
from .plan import BAD_ROWS, SUBMITTERS, load_registry

DEFAULT_SEED = 20220601

__all__ = ["DEFAULT_SEED", "generate"]


def generate(landing: Path, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """Write the demo landing tree under `landing`; return its manifest.

    Manifest: {"seed", "files": [FileEntry…] sorted by path,
    "expected": {"<city>|<kind>|<YYYY-MM>": figures from the good rows only}}.
    """
    landing = Path(landing)
    registry = load_registry()
    files: list[FileEntry] = []
    inv_good: list[investment.Good] = []
    vol_good: list[volunteer.Good] = []
    issue_good: list[issue.Good] = []
    taken: dict[str, set[str]] = {}              # ID numbers in use, per city
    for sub in SUBMITTERS:
        if sub.kind == "investment":
            entries, good_inv = investment.write(landing, seed, sub, registry, BAD_ROWS)
            inv_good += good_inv
        elif sub.kind == "volunteer":
            entries, good_vol = volunteer.write(landing, seed, sub, BAD_ROWS,
                                                taken.setdefault(sub.city, set()))
            vol_good += good_vol
        else:
            entries, good_issue = issue.write(landing, seed, sub, registry, BAD_ROWS)
            issue_good += good_issue
        files += entries
    files.append(volunteer.write_contacts(landing, seed))
    expected = {**investment.expected(inv_good), **volunteer.expected(vol_good),
                **issue.expected(issue_good)}
    return {"seed": seed,
            "files": sorted(files, key=lambda f: f["path"]),
            "expected": dict(sorted(expected.items()))}
