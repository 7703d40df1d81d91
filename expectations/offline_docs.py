"""GX Data Docs that work with no internet: the CDN references GX writes, served from the site.

great-expectations 1.24.1 renders every Data Docs page with scripts and stylesheets from public
CDNs (Bootstrap, jQuery, popper, bootstrap-table, a datepicker, Font Awesome, Vega) and its logo
from a cloud bucket, tagged with the time and the data context's id. Opened on an intranet the
pages stay unstyled and their tables empty (scripts draw them); on a connected machine each
opening tells outside hosts that the warehouse is in use.

`make_offline(site)` runs right after GX builds a site (expectations.audit.runner.build_data_docs):
1. copies each asset of ASSETS from the npm packages pinned in vendor/package.json (installed by
   `make venv` into vendor/node_modules, the exact files the CDNs serve: the integrity hashes GX
   gives popper and Bootstrap match) to <site>/static/vendor/, with the fonts and images their
   stylesheets load;
2. rewrites each page's references to relative paths (and the logo to the copy GX itself puts in
   <site>/static/images/; GX's favicon path too, one folder short on validation pages), dropping
   `integrity`/`crossorigin`, which file:// pages cannot honour;
3. scans every page and stylesheet (expectations.offline_scan) and raises OfflineDocsError naming each
   reference still pointing off the site: a GX upgrade that brings a new one fails here, loudly,
   instead of shipping pages that call out.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from .offline_scan import CSS_URL, css_references, external_references, is_external

ASSETS_ENV = "CAMPAIGN_WEB_ASSETS"
DEFAULT_ASSETS = Path(__file__).resolve().parents[1] / "vendor" / "node_modules"
SITE_VENDOR = Path("static") / "vendor"

# Every CDN URL GX 1.24.1's templates write -> (npm package as installed, its version, file in it).
# The version is checked against the installed package, so the lock cannot drift from GX.
ASSETS: dict[str, tuple[str, str, str]] = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css":
        ("bootstrap", "4.3.1", "dist/css/bootstrap.min.css"),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js":
        ("bootstrap", "4.3.1", "dist/js/bootstrap.min.js"),
    "https://code.jquery.com/jquery-3.7.1.min.js": ("jquery", "3.7.1", "dist/jquery.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js":
        ("popper.js", "1.12.9", "dist/umd/popper.min.js"),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css":
        ("bootstrap-table", "1.19.1", "dist/bootstrap-table.min.css"),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js":
        ("bootstrap-table", "1.19.1", "dist/bootstrap-table.min.js"),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        ("bootstrap-table", "1.19.1", "dist/extensions/filter-control/bootstrap-table-filter-control.min.js"),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        ("bootstrap-table-1.19.0", "1.19.0", "dist/extensions/filter-control/bootstrap-table-filter-control.css"),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        ("bootstrap-table-1.19.0", "1.19.0", "dist/extensions/filter-control/bootstrap-table-filter-control.min.css"),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        ("bootstrap-datepicker", "1.9.0", "dist/css/bootstrap-datepicker.min.css"),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        ("bootstrap-datepicker", "1.9.0", "dist/js/bootstrap-datepicker.min.js"),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        ("@forevolve/bootstrap-dark", "1.1.0", "dist/css/bootstrap-prefers-dark.css"),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css":
        ("@fortawesome/fontawesome-free", "6.6.0", "css/all.min.css"),
    # GX asks for the newest 5.x / 6.x; the lock pins the newest there is (the packages' "jsdelivr" file).
    "https://cdn.jsdelivr.net/npm/vega@5": ("vega", "5.33.1", "build/vega.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-lite@5": ("vega-lite", "5.23.0", "build/vega-lite.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-embed@6": ("vega-embed", "6.29.0", "build/vega-embed.min.js"),
}
# GX's logo from its bucket (with ?d=<time>&dataContextId=<id>) -> the copy GX ships in static/images/.
GX_LOGO = re.compile(r"https://great-expectations-web-assets\.s3\.us-east-2\.amazonaws\.com/"
                     r"(?:logo-long|full_logo_dark)\.png(?:\?[^\"')\s]*)?")
LOCAL_LOGO = "static/images/logo-long.png"
# GX points validation pages one folder short at its favicon (../../../ for a page four deep).
GX_IMAGES = re.compile(r'((?:href|src)=")(?:\.\./)*static/images/')
SRI_ATTRS = re.compile(r"""\s+(?:integrity|crossorigin)=(?:"[^"]*"|'[^']*'|[^\s>]+)""")
TAG_WITH_URL = re.compile(r"<(?:script|link)\b[^>]*>")


class OfflineDocsError(RuntimeError):
    """The Data Docs would load something from off the site, or their assets are not installed."""


def assets_dir() -> Path:
    return Path(os.environ.get(ASSETS_ENV) or DEFAULT_ASSETS)


def make_offline(site: str | Path) -> list[Path]:
    """Serve every asset of the GX site at `site` from the site itself; returns the pages rewritten.
    Raises OfflineDocsError if an asset is missing or a page still points off the site."""
    site = Path(site)
    local = vendor_assets(site, assets_dir())
    pages = sorted(site.rglob("*.html"))
    problems: list[str] = []
    for page in pages:
        html = page.read_text(encoding="utf-8")
        offline = rewrite(html, local, _relative(site, page.parent))
        if offline != html:
            page.write_text(offline, encoding="utf-8")
        problems += [f"{page.relative_to(site)}: {ref}" for ref in external_references(offline)]
    for sheet in sorted(site.rglob("*.css")):   # GX's own, copied to static/styles/, and the vendored ones
        css = sheet.read_text(encoding="utf-8")
        offline = GX_LOGO.sub(_relative(site, sheet.parent) + LOCAL_LOGO, css)
        if offline != css:
            sheet.write_text(offline, encoding="utf-8")
        problems += [f"{sheet.relative_to(site)}: url({ref})" for ref in css_references(offline)]
    if problems:
        raise OfflineDocsError(
            "Data Docs would load from off the site (a GX upgrade brought a reference "
            "expectations/offline_docs.py does not know: add its npm package to vendor/package.json "
            "and ASSETS):\n  " + "\n  ".join(sorted(set(problems))))
    return pages


def rewrite(html: str, local: dict[str, str], to_root: str) -> str:
    """The page with each known CDN URL replaced by its file under the site (paths relative to the
    site root in `local`, `to_root` the way from the page's folder to the root, e.g. "../../")."""
    def localize(tag: re.Match[str]) -> str:
        text = tag.group(0)
        if not any(url in text for url in local):
            return text
        for url, path in local.items():
            text = text.replace(f'"{url}"', f'"{to_root}{path}"')
        return SRI_ATTRS.sub("", text)

    html = TAG_WITH_URL.sub(localize, html)
    html = GX_IMAGES.sub(lambda m: f"{m.group(1)}{to_root}static/images/", html)
    return GX_LOGO.sub(to_root + LOCAL_LOGO, html)


def vendor_assets(site: Path, source: Path) -> dict[str, str]:
    """Copy each asset (and what its stylesheet loads) into the site; returns URL -> path under the site."""
    local: dict[str, str] = {}
    for url, (package, version, file) in ASSETS.items():
        installed = _installed_version(source / package)
        if installed != version:
            raise OfflineDocsError(
                f"web asset {package} {version} for the Data Docs is not installed in {source} "
                f"(found: {installed or 'nothing'}); run `make venv` (npm ci --prefix vendor)")
        rel = SITE_VENDOR / package / file
        _copy(source / package / file, site / rel)
        if rel.suffix == ".css":
            _copy_css_dependencies(source / package / file, site / rel)
        local[url] = rel.as_posix()
    return local


def _copy_css_dependencies(css: Path, dest: Path) -> None:
    """Fonts and images a stylesheet loads by relative url(…), e.g. Font Awesome's ../webfonts/."""
    for match in CSS_URL.finditer(css.read_text(encoding="utf-8")):
        ref = match.group(2).split("?")[0].split("#")[0]
        if ref and not is_external(ref) and not urlsplit(ref).scheme:   # not data:
            _copy(css.parent / ref, dest.parent / ref)


def _copy(src: Path, dest: Path) -> None:
    if not src.is_file():
        raise OfflineDocsError(f"web asset file missing: {src}; run `make venv` (npm ci --prefix vendor)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)


def _installed_version(package_dir: Path) -> str | None:
    try:
        return json.loads((package_dir / "package.json").read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None


def _relative(site: Path, folder: Path) -> str:
    rel = os.path.relpath(site, folder)
    return "" if rel == "." else rel.replace(os.sep, "/") + "/"
