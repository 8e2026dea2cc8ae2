"""No unused dbt macros: every macro is called by a model, another macro, a dbt test or the
project config. An adapter implementation (`duckdb__x`, `spark__x`, `default__x`) counts as used
when its dispatching macro `x` is. dbt's own hooks (generate_schema_name) are called by dbt."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DBT_HOOKS = {"generate_schema_name"}
# an incremental strategy `x` (incremental_strategy: x) is the macro get_incremental_x_sql
STRATEGY = re.compile(r"^get_incremental_(\w+)_sql$")
ADAPTER_PREFIX = re.compile(r"^(duckdb|spark|default)__")
DEFINITION = re.compile(r"\{%-?\s*macro\s+(\w+)\s*\(")


def _sources() -> dict[Path, str]:
    paths = [REPO / "dbt_project.yml"]
    for folder in ("models", "macros", "tests/dbt", "analyses", "seeds"):
        paths += [p for p in (REPO / folder).rglob("*") if p.suffix in (".sql", ".yml", ".yaml")]
    return {p: p.read_text(encoding="utf-8") for p in paths if p.is_file()}


def unused_macros() -> list[str]:
    sources = _sources()
    defined = {
        name: path
        for path, text in sources.items()
        if path.suffix == ".sql"
        for name in DEFINITION.findall(text)
    }
    # every text with the macro definitions themselves blanked out
    calls = "\n".join(DEFINITION.sub("", text) for text in sources.values())
    called = set(re.findall(r"\w+", calls))
    unused = []
    for name in sorted(defined):
        base = ADAPTER_PREFIX.sub("", name)
        if base in DBT_HOOKS or name in called or base in called:
            continue
        strategy = STRATEGY.match(name)
        if strategy and re.search(rf"incremental_strategy:\s*{strategy.group(1)}\b", calls):
            continue
        unused.append(f"{name} ({defined[name].relative_to(REPO)})")
    return unused


def test_every_macro_is_called():
    assert unused_macros() == []


def test_the_scan_finds_an_unused_macro(tmp_path, monkeypatch):
    planted = REPO / "macros" / "utils" / "zz_concord_unused_probe.sql"
    planted.write_text("{% macro zz_concord_unused_probe() -%}1{%- endmacro %}\n", encoding="utf-8")
    try:
        assert unused_macros() == [
            "zz_concord_unused_probe (macros/utils/zz_concord_unused_probe.sql)"
        ]
    finally:
        planted.unlink()
