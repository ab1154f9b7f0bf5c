"""The mock's modules import downward only: no import cycle, type-only imports included (a cycle
hidden under TYPE_CHECKING is still one a newcomer has to untangle)."""

from __future__ import annotations

import ast
from pathlib import Path

MOCK = Path(__file__).resolve().parent.parent / "mock"
#: Known, and being untangled with the request gate (bodies.py / forms.py) in its own change.
KNOWN = {frozenset({"bodies", "forms"})}


def _imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in MOCK.rglob("*.py"):
        parts = path.relative_to(MOCK).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = list(parts[:-1])
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package[: len(package) - (node.level - 1)]
                if node.module:
                    found.add(".".join([*base, node.module]))
                else:
                    found.update(".".join([*base, alias.name]) for alias in node.names)
        graph[name] = found
    return graph


def _cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    cycles: set[frozenset[str]] = set()

    def walk(node: str, path: list[str]) -> None:
        for nxt in graph.get(node, ()):
            if nxt in path:
                cycles.add(frozenset(path[path.index(nxt) :]))
            elif nxt in graph:
                walk(nxt, [*path, nxt])

    for start in graph:
        walk(start, [start])
    return cycles


def test_no_import_cycle():
    assert _cycles(_imports()) - KNOWN == set()


def test_the_cycle_finder_finds_one():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == {frozenset({"a", "b", "c"})}


def test_what_the_core_does_not_import():
    graph = _imports()
    assert "endpoint" not in graph["jobs"], "new_job takes plain values, not the request"
    assert "shapes" not in graph["state"], "the state holds no response shapes"
    assert "store" not in graph["persist"], "the state file sits below the store"
    assert "store" not in graph["job"] and "persist" not in graph["job"]
