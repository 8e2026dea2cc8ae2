"""The import rules of the house (CONVENTIONS.md, issue #13), checked on the source with `ast`:

1. `ingest` never imports `concord` (concord may import ingest): ingest is the bottom layer.
2. No import cycles between Concord's modules.

Every import counts: module level, inside functions (a late import is still a dependency), and
dynamic imports: `importlib.import_module("...")` with a literal, and any string literal that is
exactly the dotted name of a project module (e.g. the runner's list of check modules).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("concord", "ingest")

# Known edges that break rule 1, each with the issue that removes it. The test fails when one
# of them is gone (remove it here then), so the list cannot go stale.
# issue #12 moved the erased-task look-up down into ingest/erased.py: nothing is known upward
KNOWN_UPWARD: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
    }


def imported_names(path: Path, module: str) -> set[str]:
    """Dotted names a module imports, anywhere in it (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # `from pkg import mod` depends on the submodule pkg.mod when there is one (a
            # package's own __init__ importing its submodules is not a cycle), else on pkg
            out.update(f"~{prefix}.{alias.name}|{prefix}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            out.add(node.args[0].value)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.startswith(tuple(f"{p}." for p in PACKAGES))
            and node.value.replace(".", "").replace("_", "").isalnum()
        ):
            out.add("=" + node.value)  # a module named by string: counts only on an exact match
    return out


def import_graph() -> dict[str, set[str]]:
    """module -> the project modules it imports (names resolved to the longest known module)."""
    modules = project_modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = set()
        for name in imported_names(path, module):
            if name.startswith("="):
                if name[1:] in modules and name[1:] != module:
                    targets.add(name[1:])
                continue
            if name.startswith("~"):
                submodule, _, package = name[1:].partition("|")
                name = submodule if submodule in modules else package
            parts = name.split(".")
            if parts[0] not in PACKAGES:
                continue
            while parts and ".".join(parts) not in modules:
                parts.pop()
            if parts:
                target = ".".join(parts)
                if target != module:
                    targets.add(target)
        graph[module] = targets
    return graph


def upward_imports(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {
        (module, target)
        for module, targets in graph.items()
        if module.split(".")[0] == "ingest"
        for target in targets
        if target.split(".")[0] == "concord"
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_function_level_imports():
    # the walker itself: concord.dbt imports dbt's runner inside run_dbt only
    graph = import_graph()
    assert "ingest.warehouse" in graph["concord.dbt_vars"]
    assert "ingest.warehouse" in graph["concord.checks.runner"]  # imported inside a function
    assert "concord.checks.marts" in graph["concord.checks.runner"]  # via importlib, by name


def test_ingest_never_imports_concord():
    upward = upward_imports(import_graph())
    new = sorted(upward - KNOWN_UPWARD)
    assert not new, f"ingest imports concord (concord may import ingest, never the reverse): {new}"
    stale = sorted(KNOWN_UPWARD - upward)
    assert not stale, f"fixed: remove from KNOWN_UPWARD: {stale}"


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, f"import cycles: {found}"


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": set()}, []),
    ],
)
def test_cycle_finder(graph, expected):
    assert cycles(graph) == expected
