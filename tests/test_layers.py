"""The house rules, read statically from the source (nothing is imported or run):

- expectations/ imports no other package of ours; ingest/ imports none of warehouse, flows,
  dashboard, dags, bench, nor Airflow or dbt; warehouse/ imports none of flows, dashboard, dags;
  dashboard/ imports none of flows, dags;
- no module takes another module's private name (``from m import _x``, or ``m._x`` on a module
  imported by name), tests included;
- no import cycle between modules;
- no module (tests aside) over MAX_LINES lines.
Each rule is shown to fail on a small tree that breaks it.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

OURS = {"ingest", "expectations", "warehouse", "flows", "dashboard", "dags", "bench", "scripts", "tests"}
FORBIDDEN = {
    "expectations": OURS - {"expectations"},
    "ingest": {"warehouse", "flows", "dashboard", "dags", "bench", "tests", "airflow", "dbt", "cosmos"},
    "warehouse": {"flows", "dashboard", "dags", "bench", "tests", "airflow"},
    "dashboard": {"flows", "dags", "bench", "tests", "airflow"},
    "flows": {"dags", "bench", "tests"},
}
MAX_LINES = 350
SKIP = {".venv", "data", "build", "dbt_project", "node_modules"}


def modules(root: Path) -> dict[str, Path]:
    """Dotted name -> file, for every .py file of the tree (tests included)."""
    out = {}
    for p in sorted(root.rglob("*.py")):
        rel = p.relative_to(root)
        if rel.parts[0] in SKIP or any(x.startswith(".") for x in rel.parts):
            continue
        out[".".join(rel.with_suffix("").parts).removesuffix(".__init__")] = p
    return out


def imports(path: Path, name: str) -> tuple[list[tuple[str, list[str]]], list[tuple[str, str]]]:
    """(module, names taken) per import, relative imports resolved; and (local name, attribute)
    for every attribute read on a name bound by `import x` / `from pkg import module`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: list[tuple[str, list[str]]] = []
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                found.append((a.name, []))
                bound[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = here[: len(here) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            found.append((base, [a.name for a in node.names]))
            for a in node.names:
                bound[a.asname or a.name] = f"{base}.{a.name}"
    attrs = [(bound[n.value.id], n.attr) for n in ast.walk(tree)
             if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in bound]
    return found, attrs


def private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def breaches(root: Path) -> list[str]:
    mods = modules(root)
    out: list[str] = []
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        rel = path.relative_to(root).as_posix()
        top = name.split(".")[0]
        if top != "tests" and (lines := path.read_text(encoding="utf-8").count("\n")) > MAX_LINES:
            out.append(f"{rel}: {lines} lines (> {MAX_LINES})")
        found, attrs = imports(path, name)
        for target, names in found:
            if target.split(".")[0] in FORBIDDEN.get(top, set()):
                out.append(f"{rel} imports {target}: {top}/ must not import {target.split('.')[0]}")
            for cand in [f"{target}.{n}" for n in names] + [target]:
                if cand in mods and cand != name:
                    graph[name].add(cand)
                    break
            if target in mods and target != name and (taken := [n for n in names if private(n)]):
                out.append(f"{rel} takes private {taken} from {target}")
        for target, attr in attrs:
            if target in mods and target != name and private(attr):
                out.append(f"{rel} uses private {target}.{attr}")
    out += [f"import cycle: {' <-> '.join(c)}" for c in cycles(graph)]
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (a package's __init__ importing its
    own submodules aside)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = stack[stack.index(v):]
            del stack[stack.index(v):]
            root = min(comp, key=len)
            if len(comp) > 1 and not all(c == root or c.startswith(root + ".") for c in comp):
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_house_keeps_its_rules():
    assert breaches(REPO) == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("files, expected", [
    ({"expectations/a.py": "from ingest import config\n"}, "expectations/ must not import ingest"),
    ({"expectations/a.py": "import warehouse.duck\n"}, "expectations/ must not import warehouse"),
    ({"ingest/a.py": "def f():\n    from warehouse import duck\n"}, "ingest/ must not import warehouse"),
    ({"ingest/a.py": "from flows import summary\n"}, "ingest/ must not import flows"),
    ({"ingest/a.py": "import dashboard\n"}, "ingest/ must not import dashboard"),
    ({"ingest/a.py": "from airflow.sdk import dag\n"}, "ingest/ must not import airflow"),
    ({"ingest/a.py": "import dbt.cli.main\n"}, "ingest/ must not import dbt"),
    ({"warehouse/a.py": "from flows.notify import send\n"}, "warehouse/ must not import flows"),
    ({"warehouse/a.py": "from dashboard import publish_site\n"}, "warehouse/ must not import dashboard"),
    ({"ingest/a.py": "_x = 1\n", "ingest/b.py": "from ingest.a import _x\n"}, "takes private ['_x'] from ingest.a"),
    ({"ingest/a.py": "_x = 1\n", "ingest/b.py": "from ingest import a\nprint(a._x)\n"}, "uses private ingest.a._x"),
    ({"ingest/a.py": "_x = 1\n", "tests/t.py": "import ingest.a as m\nm._x\n"}, "uses private ingest.a._x"),
    ({"ingest/a.py": "from ingest import b\n", "ingest/b.py": "def f():\n    from ingest import a\n"},
     "import cycle: ingest.a <-> ingest.b"),
    ({"expectations/g/a.py": "from . import b\n", "expectations/g/b.py": "from .a import x\n"},
     "import cycle: expectations.g.a <-> expectations.g.b"),
    ({"flows/a.py": "x = 1\n" * (MAX_LINES + 1)}, f"flows/a.py: {MAX_LINES + 1} lines"),
])
def test_each_rule_fails_on_a_tree_that_breaks_it(tmp_path, files, expected):
    found = breaches(_tree(tmp_path, files))
    assert any(expected in b for b in found), found


def test_allowed_directions_pass(tmp_path):
    root = _tree(tmp_path, {
        "flows/a.py": "import dashboard.b, warehouse.c, ingest.d, expectations.e\n",
        "dashboard/b.py": "from warehouse import c\nfrom ingest import d\n",
        "warehouse/c.py": "from ingest import d\nfrom expectations import e\n",
        "ingest/d.py": "def f():\n    from expectations import e\n",
        "expectations/e.py": "import duckdb\n_private = 1\nprint(_private)\n",
        "expectations/__init__.py": "from .e import x\n",
        "tests/t.py": "x = 1\n" * (MAX_LINES + 5),
    })
    assert breaches(root) == []
