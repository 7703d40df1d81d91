"""Which nodes an incremental build must run when only some kinds of submission changed.

Each node of the parsed project depends on a set of inputs:
- a kind (investment, volunteer, issue): the node is downstream of that kind's roots, the raw
  source and the `int_<kind>_submissions` model the project marks with meta `submission_kind`
  (each reads the submissions of its own kind only, so what is built from it changes only with
  them);
- ALWAYS: the node reads raw data that is not of one kind (the submissions of every kind, file
  receipts, the quality store) other than through a kind's root: it may change on any build;
- nothing: the node is built from the project alone (seeds, the calendar): it changes only with
  the project's files.
A build for `changed` kinds runs the nodes (models, seeds, snapshots, data and unit tests) that
depend on one of them or on ALWAYS. Every other node's relation is the one the previous build of
the same project made from the same inputs, which the caller must guarantee (the DuckDB candidate
starts as a byte copy of that build; warehouse.build_inputs records what it was built from).
"""
from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

KIND_META = "submission_kind"
ALWAYS = "*"
_RUNNABLE = {"model", "seed", "snapshot", "test", "unit_test"}


def node_inputs(manifest: Any) -> dict[str, frozenset[str]]:
    """unique_id -> the inputs it depends on (kinds, ALWAYS), for every node, source and unit test."""
    inputs: dict[str, frozenset[str]] = {}
    for uid, source in manifest.sources.items():
        kind = _kind_of(source)
        inputs[uid] = frozenset({kind or ALWAYS})
    graph = {uid: node for uid, node in _nodes(manifest)}

    def of(uid: str, path: tuple[str, ...] = ()) -> frozenset[str]:
        if uid in inputs:
            return inputs[uid]
        if uid in path:
            raise ValueError(f"dependency cycle through {uid}")
        node = graph.get(uid)
        if node is None:                  # a macro, a disabled node: no data
            return frozenset()
        kind = _kind_of(node)
        found = frozenset({kind}) if kind else frozenset().union(
            *(of(parent, (*path, uid)) for parent in getattr(node.depends_on, "nodes", ())))
        inputs[uid] = found
        return found

    for uid in graph:
        of(uid)
    return inputs


def selection(manifest: Any, changed: Collection[str]) -> list[str] | None:
    """`--select` arguments for a build of the `changed` kinds (fqn of each node to run), or
    None when that is every node (then select nothing: build all). A kind the project has no
    root for means everything too."""
    inputs = node_inputs(manifest)
    known = set().union(*inputs.values()) - {ALWAYS}
    if set(changed) - known:
        return None
    wanted = set(changed) | {ALWAYS}
    runnable = [(uid, node) for uid, node in _nodes(manifest) if _type(node) in _RUNNABLE]
    chosen = [node for uid, node in runnable if inputs[uid] & wanted]
    if len(chosen) == len(runnable):
        return None
    return sorted({"fqn:" + ".".join(node.fqn) for node in chosen})


def _nodes(manifest: Any) -> Iterable[tuple[str, Any]]:
    yield from manifest.nodes.items()
    yield from manifest.unit_tests.items()


def _type(node: Any) -> str:
    return str(getattr(node.resource_type, "value", node.resource_type))


def _kind_of(node: Any) -> str | None:
    config = getattr(node, "config", None)
    meta = {**(getattr(node, "meta", None) or {}), **(getattr(config, "meta", None) or {})}
    kind = meta.get(KIND_META)
    return str(kind) if kind else None
