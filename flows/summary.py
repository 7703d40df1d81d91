"""The run summary: files accepted and refused, rows per kind, rows per mart, where it was published."""
from __future__ import annotations

import json
from pathlib import Path

from ingest.config import Paths
from ingest.raw import holds
from warehouse import target as warehouse_target


def summarise(paths: Paths) -> dict:
    out: dict = {"warehouse": str(paths.published_db), "files": [], "kinds": {}, "marts": {}}
    target = warehouse_target.current()
    if (query := warehouse_target.raw_query(paths, target)) is not None:
        run = next(iter(query("select run_id from file_ledger order by received_at desc limit 1", [])), [None])[0]
        out["run_id"] = run
        out["files"] = [dict(zip(("file", "status", "reason", "message", "loaded", "quarantined"), r))
                        for r in query("""select source_file, status, reason_code, message, rows_loaded,
                            rows_quarantined from file_ledger where run_id = %s order by source_file""", [run])]
        out["kinds"] = {k: {"loaded": int(l), "quarantined": int(q)} for k, l, q in query(
            """select kind, sum(rows_loaded), sum(rows_quarantined) from file_ledger
               where run_id = %s and status = 'accepted' group by kind order by kind""", [run])}
        if query("""select count(*) from information_schema.tables where table_name = 'held_submissions'
                    and table_schema in ('main', 'raw')""", [])[0][0]:
            out["held"] = holds.in_force(query)
    out["warehouse"] = warehouse_target.label(paths, target)
    out["marts"] = warehouse_target.published_counts(paths, target)
    out["quality"] = _latest_audit(paths)
    site = paths.home / "site" / "index.html"
    out["dashboard"] = str(site) if site.exists() else None
    return out


def _latest_audit(paths: Paths) -> dict | None:
    """The last mart audit (written by warehouse.duck.audit): outcome and its Data Docs."""
    path = paths.home / "quality" / "latest_audit.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def render(s: dict) -> str:
    files = s["files"]
    count = {st: sum(1 for f in files if f["status"] == st) for st in ("accepted", "refused", "duplicate")}
    lines = [f"== Campaign pipeline summary (ingest run {s.get('run_id')}) ==",
             f"Files: {count['accepted']} accepted, {count['refused']} refused, {count['duplicate']} duplicate (already loaded)"]
    for f in files:
        detail = (f"loaded {f['loaded']}, quarantined {f['quarantined']}" if f["status"] == "accepted"
                  else f"{f['reason']}: {f['message']}")
        lines.append(f"  [{f['status']:9}] {f['file']} — {detail}")
    lines.append("Rows per kind (this run):")
    for kind, n in s["kinds"].items() or {}.items():
        lines.append(f"  {kind:11} loaded {n['loaded']:>7}  quarantined {n['quarantined']:>5}")
    if not s["kinds"]:
        lines.append("  (no new rows)")
    if s.get("held"):
        lines.append("Held back by the mart audit (not in the marts until resubmitted):")
        lines += [f"  [held_back] {h['source_file']} ({h['submission_id']}) — {h['expectations']}" for h in s["held"]]
    lines.append("Rows per mart:")
    lines += [f"  marts.{t:28} {n:>8}" for t, n in s["marts"].items()] or ["  (no published warehouse yet)"]
    lines.append(f"Published warehouse: {s['warehouse']}")
    if q := s.get("quality"):
        verdict = "passed" if q["success"] else "FAILED, nothing published: " + "; ".join(q["failed"])
        lines.append(f"Quality audit (run {q['run_id']}): {q['expectations']} expectations, {verdict}")
        lines.append(f"GX Data Docs: {q['data_docs']}")
    if s.get("dashboard"):
        lines.append(f"Dashboard (open in a browser): {s['dashboard']}")
    return "\n".join(lines)


def print_summary(paths: Paths) -> None:
    print(render(summarise(paths)))


if __name__ == "__main__":  # pragma: no cover
    print_summary(Paths(Path("data").resolve()))
