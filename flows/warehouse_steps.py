"""The bodies of the campaign_warehouse DAG's tasks, in plain Python (the DAG file only wires them).

plan -> build -> audit -> publish -> docs (dbt docs + dashboard), and track (the late/missing
notice) after publish.
The target is CAMPAIGN_TARGET (warehouse.target): duckdb (default; candidate file, atomic
rename) or postgres (candidate schemas, one swapping transaction).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Iterable

from ingest import config
from ingest.raw import state as raw_state
from ingest.lock import home_lock
from flows import notify, tracking
from ingest.slices import from_dict, parse_slice
from warehouse import holdback, target

log = logging.getLogger(__name__)


def plan(params: dict[str, Any], events: Iterable[dict[str, Any]], home: str | Path | None = None) -> dict[str, Any]:
    """What this build is for: the ingest runs' announcements (asset events' extras) when the run
    was scheduled by them, else the run's own params. Decides full refresh and the months and
    cities the late/missing notice looks at. A run that no announcement scheduled, without full
    refresh, on a raw database the published warehouse was already built from, has nothing to do
    (`nothing_new`: the DAG then skips every step and no mart is touched)."""
    sl = parse_slice(params)
    extras = [e for e in events if e]
    slices = [from_dict(e.get("slice") or {}) for e in extras] or [sl]
    submissions = [s for e in extras for s in e.get("submissions", [])]
    months = sorted({s["month"] for s in submissions if s.get("month")} | {x.month for x in slices if x.month})
    cities = sorted({x.city for x in slices if x.city}) if all(x.city for x in slices) else []
    result = {"target": target.current(), "full_refresh": sl.full_refresh or any(x.full_refresh for x in slices),
              "slices": [x.to_dict() for x in slices], "submissions": len(submissions),
              "months": months, "cities": cities}
    result["nothing_new"] = (not extras and not result["full_refresh"] and home is not None
                             and not raw_state.unpublished(config.paths(home), lambda: target.raw_fingerprint(
                                 config.paths(home), result["target"])))
    log.info("warehouse plan: %s", result)
    return result


def build(home: str | Path, plan_doc: dict[str, Any]) -> str:
    with home_lock(config.paths(home), "warehouse build"):
        paths = config.paths(home)
        state = target.raw_fingerprint(paths, plan_doc["target"])   # before dbt reads raw: a later load rebuilds
        built = target.build(paths, plan_doc["target"], full_refresh=plan_doc["full_refresh"])
        raw_state.mark_built(paths, state)
        return built


def audit(home: str | Path, plan_doc: dict[str, Any], run_id: str) -> int:
    """The GX gate on the candidate. A failure traced to submissions holds them back, rebuilds the
    candidate without them and audits again (warehouse.holdback; `track` tells people); raises
    AuditFailed (never retried) unless an audit passes."""
    paths, name = config.paths(home), plan_doc["target"]
    with home_lock(paths, f"warehouse audit {run_id}"):
        raw = holdback.RawAccess(lambda: target.raw_writes(paths, name), lambda: target.raw_fingerprint(paths, name))
        outcome = holdback.audit_or_hold(
            paths, raw, run_id, lambda: target.build(paths, name, full_refresh=plan_doc["full_refresh"]),
            lambda audit_id: target.audit(paths, name, audit_id))
    for row in outcome.held:
        log.warning("held back %s (%s): %s", row["submission_id"], row["source_file"], row["reason"])
    return len(outcome.report.records)


def publish(home: str | Path, target_name: str) -> str:
    with home_lock(config.paths(home), "warehouse publish"):
        published = target.publish(config.paths(home), target_name)
        raw_state.mark_published(config.paths(home))
        return published


def docs(home: str | Path, target_name: str) -> str:
    """What readers see after a publish: dbt's documentation and the scorecard dashboard, rebuilt
    from the published marts under $CAMPAIGN_HOME/site (dashboard.publish_site)."""
    from dashboard import publish_site

    with home_lock(config.paths(home), "warehouse docs"):   # dbt docs attach raw.duckdb
        site = publish_site(config.paths(home).home, target_name)
    log.info("dashboard and dbt docs: %s", site)
    return str(site)


def track(home: str | Path, plan_doc: dict[str, Any]) -> dict[str, Any]:
    """Notify late, missing and held-back submissions for the months this build was about."""
    months, rows = tracking.attention(config.paths(home), plan_doc["months"], plan_doc["cities"],
                                      target=plan_doc["target"])
    note = tracking.notice(months, rows)
    delivered = notify.send(note, strict=True) if note else {}
    if not note:
        log.info("submissions for %s: nothing late, missing or held back", months)
    return {"months": months, **{s: sum(r["status"] == s for r in rows) for s in tracking.STATUS_ZH},
            "delivered": delivered}
