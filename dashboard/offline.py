"""The dbt docs page, made to call nobody.

`dbt docs generate --static` writes one self-contained page (scripts, styles, fonts, manifest and
catalog inline), but its script still carries dbt's usage tracker: with the manifest's
`send_anonymous_usage_stats` true it would load a Snowplow script from a CDN and report each
view. The warehouse builds dbt with that setting false (dbt_docs.py), and this step removes the
tracker's loader address besides, so the page cannot load it whatever a manifest says. Then the
page is scanned (expectations.offline_scan): any other reference off the site, say from a dbt
upgrade, fails the docs build loudly.

Two local requests of the page fail when it is opened from disk, and are fixed here too: its
favicon link is an unbuilt `${require(…)}` placeholder (now an empty data: icon), and the icons of
its project tree are `<use xlink:href="{{ … }}">` templates that Chromium tries to load as files
before AngularJS fills them in (now `ng-attr-xlink:href`, set by AngularJS once filled in).
"""
from __future__ import annotations

import re
from pathlib import Path

from dashboard.source import DashboardError
from expectations.offline_scan import external_references

TRACKER_LOADER = '"//d1fc8wv8zag5ca.cloudfront.net/2.9.0/sp.js"'   # Snowplow's sp.js, dbt-core 1.11
UNBUILT_FAVICON = re.compile(r"""href=(["'])\$\{require\([^)]*\)\}\1""")
TEMPLATED_ICON = '<use xlink:href="{{'


def offline_dbt_docs(src: Path) -> str:
    """The text of dbt's static page `src`, without the tracker's loader nor the failing local
    requests; raises DashboardError if anything in it would still load from off the site."""
    html = src.read_text(encoding="utf-8").replace(TRACKER_LOADER, '""')
    html = UNBUILT_FAVICON.sub('href="data:,"', html).replace(TEMPLATED_ICON, '<use ng-attr-xlink:href="{{')
    refs = external_references(html)
    if refs:
        raise DashboardError("the dbt docs page would load from off the site (a dbt upgrade? see "
                             "dashboard/offline.py):\n  " + "\n  ".join(sorted(set(refs))))
    return html
