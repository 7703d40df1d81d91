"""What in an HTML page or a stylesheet would load from off the site on its own.

A page of the warehouse must work with no internet and call nobody: every script, stylesheet,
font, image and frame comes from the site itself (a relative URL, or data:). Links a person
clicks (<a href>, <area href>, a form's action) may point outside.

`external_references(html)` lists each reference that breaks the rule, as "<where>: <url>":
- src, srcset, poster, background of any tag, <object data>, <link href> (stylesheets, icons,
  preloads: any rel but the purely descriptive ones), SVG <image>/<use> href, <base href>,
  a <meta http-equiv=refresh> target;
- @import and url(…) in <style> blocks and style attributes (and, through `css_references`,
  in stylesheet files);
- script-built URLs: a string literal in an inline <script> that starts with an absolute URL
  (`"https://…"`, `'//host/…'`), as in `s.src = "//cdn…/x.js"`. Literals known to be inert
  (INERT, each with its reason) are left out; everything else counts, so a new one fails.
Standard library only: it runs wherever a page is written.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

LOCAL_SCHEMES = frozenset({"", "data", "blob", "about"})
LOADING_ATTRS = frozenset({"src", "srcset", "poster", "background", "lowsrc", "dynsrc"})
DESCRIPTIVE_LINK_RELS = frozenset({"alternate", "author", "canonical", "help", "license", "next", "prev", "search"})
SVG_HREF_TAGS = frozenset({"image", "use", "feimage"})

CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""", re.I | re.S)
CSS_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?(['"]?)([^'")\s;]+)\1""", re.I)
META_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\";]+)", re.I)
SCRIPT_URL_LITERAL = re.compile(r"""(?<![\w$\\])(["'`])((?:https?:)?//[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+[^"'`\s]*)""")

# Absolute URLs that appear as string literals in the pages' inline scripts but are never fetched.
INERT: dict[str, str] = {
    "http://www.w3.org/": "XML namespace names (SVG, XLink, XHTML): identifiers, not addresses",
    "https://schemas.getdbt.com/": "dbt artifact schema ids in the manifest and catalog the dbt docs embed",
    "https://errors.angularjs.org/": "text of AngularJS error messages in the dbt docs (a link for a person)",
    "https://fuzzed.getdbt.com/": "page label the dbt docs' usage tracker would report; the tracker is off "
                                  "and its loader removed (dashboard/offline.py)",
}


def is_external(url: str) -> bool:
    """True when the URL leaves the site: a scheme other than data:/blob:/about:, or //host."""
    url = url.strip()
    if url.startswith(("//", "\\\\")):
        return True
    try:
        return urlsplit(url).scheme.lower() not in LOCAL_SCHEMES
    except ValueError:
        return True


def css_references(css: str) -> list[str]:
    """@import and url(…) targets in a stylesheet that point off the site."""
    refs = [m.group(2) for m in CSS_URL.finditer(css)] + [m.group(2) for m in CSS_IMPORT.finditer(css)]
    return [url for url in refs if is_external(url)]


def script_references(js: str) -> list[str]:
    """String literals of a script that start with an absolute URL, less the known inert ones."""
    found = (m.group(2) for m in SCRIPT_URL_LITERAL.finditer(js))
    return [url for url in found if not url.startswith(tuple(INERT))]


def external_references(html: str) -> list[str]:
    """Every reference of the page that would load from off the site, as "<where>: <url>"."""
    parser = _Scanner()
    parser.feed(html)
    parser.close()
    return parser.found


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in: str | None = None   # "script" or "style" while inside one, else None
        self._text: list[str] = []

    def _add(self, where: str, urls: list[str]) -> None:
        self.found.extend(f"{where}: {url.strip()}" for url in urls)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): v or "" for k, v in attrs}
        for name in LOADING_ATTRS & a.keys():
            urls = [part.split()[0] for part in a[name].split(",") if part.split()] if name == "srcset" else [a[name]]
            self._add(f"<{tag} {name}>", [u for u in urls if is_external(u)])
        hrefs = [a[k] for k in ("href", "xlink:href") if k in a]
        rels = set(a.get("rel", "").lower().split())
        if (tag == "link" and not rels <= DESCRIPTIVE_LINK_RELS) or tag in SVG_HREF_TAGS or tag == "base":
            self._add(f"<{tag} href>", [u for u in hrefs if is_external(u)])
        if tag == "object" and "data" in a and is_external(a["data"]):
            self._add("<object data>", [a["data"]])
        if tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            self._add("<meta refresh>", [m.group(1) for m in META_REFRESH_URL.finditer(a.get("content", ""))
                                         if is_external(m.group(1))])
        if "style" in a:
            self._add(f"<{tag} style>", css_references(a["style"]))
        if tag in ("script", "style"):
            self._in, self._text = tag, []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            text = "".join(self._text)
            if tag == "style":
                self._add("<style>", css_references(text))
            else:
                self._add("<script>", script_references(text))
            self._in, self._text = None, []
