"""python -m dashboard --home H [--target duckdb|postgres] [--no-dbt-docs] — rebuild the static site."""
from __future__ import annotations

import argparse
import logging
import sys

from dashboard import build_dashboard, build_dbt_docs
from dashboard.source import DashboardError


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m dashboard", description="rebuild $CAMPAIGN_HOME/site")
    ap.add_argument("--home", help="CAMPAIGN_HOME (default: $CAMPAIGN_HOME or ./data)")
    ap.add_argument("--target", choices=["duckdb", "postgres"],
                    help="warehouse to read (default: $CAMPAIGN_TARGET or duckdb)")
    ap.add_argument("--no-dbt-docs", action="store_true", help="skip `dbt docs generate` (keep the docs already there)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        if not args.no_dbt_docs:
            print(f"dbt docs: {build_dbt_docs(args.home, args.target)}")
        index = build_dashboard(args.home, args.target)
    except DashboardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"dashboard: {index}")
    print(f"open it:   file://{index}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
