"""Check settings that live beside the dbt vars in dbt_project.yml (one place to declare them)."""

from __future__ import annotations

from functools import lru_cache

import yaml

from concord.paths import PROJECT_ROOT


@lru_cache(maxsize=1)
def dbt_vars() -> dict:
    with open(PROJECT_ROOT / "dbt_project.yml", encoding="utf-8") as handle:
        return (yaml.safe_load(handle) or {}).get("vars", {}) or {}


def declared_range(var_name: str) -> tuple[float | None, float | None] | None:
    """The [min, max] declared in dbt var `var_name` (either end may be null), or None if undeclared."""
    value = dbt_vars().get(var_name)
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        from ingest.errors import ConcordError

        raise ConcordError(f"dbt_project.yml: var {var_name} must be [min, max], got {value!r}")
    low, high = value
    return (None if low is None else float(low), None if high is None else float(high))
