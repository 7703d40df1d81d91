"""Data Docs that load nothing from outside, checked without a browser.

The scanner (expectations.offline_scan) on each kind of reference that loads, and on what it must
leave alone; GX's templates against the pinned npm assets; a site as GX renders it, before and
after expectations.offline_docs.make_offline; and the loud failures: a reference nobody knows
(what a GX upgrade would bring), assets not installed, an installed version that drifted.
The same checks on a whole demo home, and in Chromium with the network off: test_offline_pages.py.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from pathlib import Path
from unittest import mock

import pytest

from expectations import offline_docs
from expectations.offline_scan import css_references, external_references


# --------------------------------------------------------------------------- the scanner itself
LOADS = [
    '<script src="https://cdn.example.org/lib.js"></script>',
    '<link rel="stylesheet" href="//cdn.example.org/x.css">',
    '<link rel="icon" href="https://example.org/favicon.ico">',
    '<img srcset="a.png 1x, https://example.org/b.png 2x">',
    '<video poster="http://example.org/p.jpg"></video>',
    '<object data="https://example.org/x.svg"></object>',
    '<svg><image href="https://example.org/i.png"/></svg>',
    '<meta http-equiv="refresh" content="0; url=https://example.org/">',
    '<style>@import "https://fonts.example.org/css";</style>',
    "<style>@import url(https://fonts.example.org/css);</style>",
    "<style>.a { background: url('https://example.org/bg.png') }</style>",
    '<div style="background-image:url(//example.org/bg.png)"></div>',
    '<script>var s = document.createElement("script"); s.src = "//cdn.example.org/t.js";</script>',
    "<script>fetch('https://api.example.org/beacon?x=1')</script>",
]
STAYS = [
    '<a href="https://docs.example.org/">docs a person clicks</a>',
    '<link rel="canonical" href="https://example.org/page">',
    '<script src="static/vendor/jquery.min.js"></script>',
    '<img src="data:image/png;base64,iVBORw0KGgo=">',
    "<style>.a { background: url(../images/logo.png) } .b { background: url(data:image/svg+xml,%3csvg%3e) }</style>",
    '<script>var ns = "http://www.w3.org/2000/svg"; // see https://example.org/why\n</script>',
    '<script>var msg = "report this at https://github.com/x/y";</script>',
]


@pytest.mark.parametrize("html", LOADS)
def test_the_scan_finds_each_kind_of_reference_that_loads(html):
    assert external_references(f"<html><body>{html}</body></html>"), html


@pytest.mark.parametrize("html", STAYS)
def test_the_scan_leaves_links_local_files_and_inert_strings(html):
    assert external_references(f"<html><body>{html}</body></html>") == [], html


# --------------------------------------------------------------------------- Data Docs, without a browser
def gx_templates() -> Path:
    import great_expectations

    return Path(great_expectations.__file__).parent / "render" / "view"


def test_every_cdn_reference_of_the_installed_gx_is_known():
    """Each script and stylesheet GX's templates load from outside has its pinned npm file, and the
    files that GX pins by integrity hash are byte for byte the ones the CDN serves."""
    templates = "\n".join(p.read_text(encoding="utf-8") for p in (gx_templates() / "templates").glob("*.j2"))
    tags = re.findall(r"<(?:script|link)\b[^>]*>", templates)
    urls = {m for tag in tags for m in re.findall(r'(?:src|href)="(https?://[^"]+)"', tag)}
    assert urls, "no CDN reference found in GX's templates: has their layout changed?"
    assert urls == set(offline_docs.ASSETS), "GX's CDN references changed: update vendor/package.json and ASSETS"
    pinned = {m[0]: m[1] for m in re.findall(r'src="(https?://[^"]+)" integrity="(sha384-[^"]+)"', templates)}
    assert len(pinned) == 2
    for url, integrity in pinned.items():
        package, _, file = offline_docs.ASSETS[url]
        digest = hashlib.sha384((offline_docs.assets_dir() / package / file).read_bytes()).digest()
        assert f"sha384-{base64.b64encode(digest).decode()}" == integrity, url


@pytest.fixture(scope="module")
def gx_site(tmp_path_factory) -> Path:
    """A Data Docs site as GX renders it, before make_offline (from a small audited warehouse)."""
    from expectations import audit_warehouse, build_data_docs
    from tests.expectations.test_audit import make_warehouse

    base = tmp_path_factory.mktemp("gx-site")
    report = audit_warehouse(make_warehouse(base / "w.duckdb"), run_id="manual__raw")
    with mock.patch("expectations.audit.runner.make_offline"):
        build_data_docs(report, base / "docs")
    return base / "docs"


def copy_site(gx_site: Path, dest: Path) -> Path:
    shutil.copytree(gx_site, dest)
    return dest


def test_gx_writes_cdn_references_and_make_offline_removes_all(gx_site, tmp_path):
    pages = sorted(gx_site.rglob("*.html"))
    assert pages and all(external_references(p.read_text(encoding="utf-8")) for p in pages)
    site = copy_site(gx_site, tmp_path / "docs")
    rewritten = offline_docs.make_offline(site)
    assert len(rewritten) == len(pages)
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert external_references(html) == [], page
        assert "integrity=" not in html and "crossorigin" not in html
        for ref in re.findall(r'<(?:script|link|img)\b[^>]*?(?:src|href)="([^"#]+)"', html):
            assert (page.parent / ref).resolve().is_file(), f"{page.relative_to(site)} -> {ref}: no such file"
    for sheet in site.rglob("*.css"):
        assert css_references(sheet.read_text(encoding="utf-8")) == [], sheet


def test_an_unknown_reference_fails_the_build_loudly(gx_site, tmp_path):
    """What a GX upgrade bringing a new CDN script would do: the build stops and names it."""
    site = copy_site(gx_site, tmp_path / "docs")
    index = site / "index.html"
    index.write_text(index.read_text(encoding="utf-8").replace(
        "</head>", '<script src="https://cdn.example.org/new-lib@2/new.min.js"></script></head>'), encoding="utf-8")
    named = r"index\.html: <script src>: https://cdn\.example\.org/new-lib"
    with pytest.raises(offline_docs.OfflineDocsError, match=named):
        offline_docs.make_offline(site)


def test_missing_or_drifted_assets_fail_with_the_install_command(gx_site, tmp_path, monkeypatch):
    monkeypatch.setenv(offline_docs.ASSETS_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(offline_docs.OfflineDocsError, match=r"bootstrap 4\.3\.1 .* not installed .*make venv"):
        offline_docs.make_offline(copy_site(gx_site, tmp_path / "a"))
    drifted = tmp_path / "drifted"                   # the installed packages, but another Bootstrap
    drifted.mkdir()
    for entry in offline_docs.DEFAULT_ASSETS.iterdir():
        if entry.name != "bootstrap":
            (drifted / entry.name).symlink_to(entry)
    (drifted / "bootstrap").mkdir()
    (drifted / "bootstrap" / "package.json").write_text(json.dumps({"name": "bootstrap", "version": "4.3.2"}))
    monkeypatch.setenv(offline_docs.ASSETS_ENV, str(drifted))
    with pytest.raises(offline_docs.OfflineDocsError, match=r"bootstrap 4\.3\.1 .*found: 4\.3\.2"):
        offline_docs.make_offline(copy_site(gx_site, tmp_path / "b"))
