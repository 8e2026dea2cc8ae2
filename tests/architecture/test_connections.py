"""Every DuckDB connection of Concord's code is opened by ingest/warehouse.py (issue #13): its
`connect` / `connection` / `scratch` give every connection the memory limit (CONCORD_MEMORY_LIMIT),
the read-only fallback and the one-line error for a locked warehouse. A `duckdb.connect(` call
anywhere else in `concord` or `ingest` fails this test; found on the source with `ast` (a call,
under any alias of the module or of the function; text in a string is not a call)."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("concord", "ingest")
HOME = "ingest/warehouse.py"

# Calls allowed elsewhere, each with the reason: (path, line of the call).
ALLOWED: set[tuple[str, int]] = set()
# Not a call, so not listed: concord/commands/build_cmds.py prints a `python -c "import duckdb;
# duckdb.connect(...)"` line for the user to paste, in a string.


def connect_calls(path: Path) -> list[int]:
    """Lines of the calls to duckdb.connect in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    modules = {"duckdb"}  # names bound to the duckdb module
    functions: set[str] = set()  # names bound to duckdb.connect
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(a.asname or a.name for a in node.names if a.name == "duckdb")
        elif isinstance(node, ast.ImportFrom) and node.module == "duckdb":
            functions.update(a.asname or a.name for a in node.names if a.name == "connect")
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "connect"
            and isinstance(func.value, ast.Name)
            and func.value.id in modules
        ) or (isinstance(func, ast.Name) and func.id in functions):
            lines.append(node.lineno)
    return sorted(lines)


def all_calls() -> set[tuple[str, int]]:
    return {
        (path.relative_to(REPO).as_posix(), line)
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
        for line in connect_calls(path)
    }


def test_connections_are_opened_by_the_warehouse_module_only():
    outside = sorted(call for call in all_calls() if call[0] != HOME and call not in ALLOWED)
    assert not outside, (
        f"duckdb.connect outside {HOME} (use ingest.warehouse.connect / connection / scratch, "
        f"or allow it in ALLOWED with the reason): {outside}"
    )


def test_the_allowed_calls_still_exist():
    stale = sorted(ALLOWED - all_calls())
    assert not stale, f"gone: remove from ALLOWED: {stale}"


def test_the_finder_sees_calls_under_any_name(tmp_path):
    source = tmp_path / "m.py"
    source.write_text(
        "import duckdb\nimport duckdb as db\nfrom duckdb import connect as c\n"
        "duckdb.connect()\ndb.connect('x')\nc()\nprint('duckdb.connect(x)')\n",
        encoding="utf-8",
    )
    assert connect_calls(source) == [4, 5, 6]
    assert any(call[0] == HOME for call in all_calls())  # the finder reads the real tree
