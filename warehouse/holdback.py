"""The blast radius of a submission that breaks a mart rule is that submission.

When the mart audit of a candidate fails on rows that trace back to submissions
(expectations.audit.blame), those submissions are held back (ingest.raw.holds: recorded in raw,
left out by the next build), the candidate is built again without them and audited again; the
run goes on to publish when that audit passes. The departments get a follow-up receipt. An audit
failure that traces to no submission, more culprits than CAMPAIGN_AUDIT_HOLD_MAX (default 5; 0:
never hold back), or a failure left after MAX_ROUNDS rebuilds keeps the last good warehouse as
before: AuditFailed is raised and this run's holds are undone (the next run judges them again).
Works for either target: the caller hands in its build and audit steps.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ContextManager

from ingest.config import Paths
from ingest.raw import holds, state as raw_state

if TYPE_CHECKING:
    from expectations import AuditReport

log = logging.getLogger(__name__)
MAX_ROUNDS = 3          # rebuilds after holds, per run


@dataclass
class RawAccess:
    """The raw tables of the run's target, as the caller reaches them (warehouse.target)."""
    writes: Callable[[], ContextManager[holds.Run]]     # holds.Run on raw, committed when the block ends
    fingerprint: Callable[[], str]                      # ingest.raw.state's fingerprint of raw


@dataclass
class Outcome:
    report: AuditReport                                         # the audit that passed
    held: list[dict[str, Any]] = field(default_factory=list)    # holds of this run (held_submissions rows)


def hold_max() -> int:
    """CAMPAIGN_AUDIT_HOLD_MAX: at most this many submissions held back in one run (default 5)."""
    return max(0, int(os.environ.get("CAMPAIGN_AUDIT_HOLD_MAX", "5")))


def audit_or_hold(paths: Paths, raw: RawAccess, run_id: str, build: Callable[[], Any],
                  audit: Callable[[str], AuditReport]) -> Outcome:
    """audit(run_id); on a failure traced to submissions: hold them, build(), audit again (as
    run `<run_id>.hold<n>`, so that every round's results stay in the quality store)."""
    from expectations import AuditFailed
    from expectations.audit.blame import culprits, untraced

    held: list[dict[str, Any]] = []
    audit_id = run_id
    try:
        for round_no in range(MAX_ROUNDS + 1):
            try:
                report = audit(audit_id)
            except AuditFailed as failed:
                found: dict[str, list[dict[str, Any]]] = {}
                for c in culprits(failed.report):
                    found.setdefault(c.submission_id, []).append(c.doc())
                why = _why_not(found, len(held), round_no)
                rows = [] if why else _hold(raw, run_id, found)
                if not rows:
                    log.error("mart audit failed; not holding submissions back (%s): the published warehouse "
                              "is kept", why or "none of the traced submissions is current in raw")
                    raise
                held += rows
                raw_state.mark_built(paths, raw.fingerprint())   # the rebuild reads the holds
                left = [f"{r.suite}: {r.expectation}({r.column or ''})" for r in untraced(failed.report)]
                log.warning("mart audit %s failed on %d submission(s), held back: %s; rebuilding without them%s",
                            audit_id, len(rows), ", ".join(f"{r['submission_id']} ({r['source_file']})" for r in rows),
                            f" (failures naming no submission, checked again: {'; '.join(left)})" if left else "")
                build()
                audit_id = f"{run_id}.hold{round_no + 1}"
                continue
            if held:
                holds.write_receipts(paths.receipts, held)
            return Outcome(report, held)
    except BaseException:
        if held:
            _release(raw, run_id)
        raise
    raise AssertionError("unreachable")


def _why_not(found: dict[str, list], already: int, round_no: int) -> str | None:
    """Why these culprits are not held back (None: hold them)."""
    if not found:
        return "no failure names a submission"
    if round_no >= MAX_ROUNDS:
        return f"still failing after {MAX_ROUNDS} rebuilds"
    if already + len(found) > hold_max():
        return f"{already + len(found)} submissions named, more than CAMPAIGN_AUDIT_HOLD_MAX={hold_max()}"
    return None


def _hold(raw: RawAccess, run_id: str, found: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    with raw.writes() as run:
        return holds.hold(run, run_id, found)


def _release(raw: RawAccess, run_id: str) -> None:
    with raw.writes() as run:
        n = holds.release_run(run, run_id)
    log.warning("run %s published nothing: its %d hold(s) undone, judged again by the next run", run_id, n)
