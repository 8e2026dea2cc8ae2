"""Where things live: the dbt project root and the warehouse file."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "concord.duckdb"


def resolve_db(db: str | os.PathLike[str] | None) -> Path:
    """`--db`, else `$CONCORD_DB`, else `./concord.duckdb`; always returned absolute."""
    value = db or os.environ.get("CONCORD_DB") or DEFAULT_DB
    return Path(value).expanduser().resolve()
