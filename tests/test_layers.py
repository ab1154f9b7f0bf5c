"""The mock's modules import downward only: no import cycle (type-only imports count: they are
still a dependency a reader follows), nothing below the entry points imports them, and the
handlers do not import each other. ARCHITECTURE.md draws the layers these keep."""

from __future__ import annotations

import ast
from pathlib import Path

MOCK = Path(__file__).resolve().parent.parent / "mock"
#: the entry points: they may import anything, nothing else imports them
TOP = {"cli", "__main__", "server", "app", "pytest_plugin", "healthcheck"}


def _module(path: Path) -> str:
    rel = path.relative_to(MOCK).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join(parts) or "__init__"


def _imports(path: Path) -> set[str]:
    """The mock's own modules a file imports (relative imports, and `aihubmix_mock.x`)."""
    name = _module(path)
    package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                target = [*base, *(node.module.split(".") if node.module else [])]
                if node.module:
                    found.add(".".join(target))
                else:  # from . import x
                    found |= {".".join([*target, alias.name]) for alias in node.names}
            elif node.module and node.module.startswith("aihubmix_mock"):
                rest = node.module.split(".")[1:]
                if rest:
                    found.add(".".join(rest))
                else:
                    found |= {alias.name for alias in node.names}
    modules = {_module(p) for p in MOCK.rglob("*.py")}
    return {m for m in found if m in modules and m != name}


def graph() -> dict[str, set[str]]:
    return {_module(p): _imports(p) for p in MOCK.rglob("*.py")}


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_graph_is_read():
    edges = graph()
    assert "handlers.videos" in edges and edges["handlers.videos"], "the reader finds the handlers' imports"
    assert _cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"], "the cycle finder finds a cycle"


def test_no_import_cycle():
    cycle = _cycle(graph())
    assert cycle is None, "an import cycle in mock/: " + " -> ".join(cycle or [])


def test_nothing_below_the_entry_points_imports_them():
    upward = [(m, t) for m, targets in graph().items() if m not in TOP for t in targets if t in TOP]
    assert not upward, f"upward imports: {upward}"


def test_handlers_do_not_import_each_other():
    edges = graph()
    between = [
        (m, t)
        for m, targets in edges.items()
        if m.startswith("handlers.")
        for t in targets
        if t.startswith("handlers.")
    ]
    assert not between, between
