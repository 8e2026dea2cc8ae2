"""`concord docs`: the dbt docs of the warehouse as a static site (`dbt docs generate --static`).

static_index.html is one file with the manifest and catalog inlined: it opens from disk, can be
mailed or kept as a CI artifact. Lineage includes the exposures (models/marts/reporting/
_reporting__exposures.yml): the report, the extracts and the Label Studio push-flags.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ingest.errors import ConcordError

SITE_FILES = ("static_index.html", "index.html", "manifest.json", "catalog.json")


def generate_docs(db: Path, out: Path) -> Path:
    """Run `dbt docs generate --static` on `db`; copy the site into `out`; return static_index.html."""
    from concord.dbt import run_dbt

    if not db.exists():
        raise ConcordError(
            f"{db}: no warehouse here: run `concord ingest` and `concord build` first"
        )
    out = out.expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="concord-docs-") as target:
        run_dbt(["docs", "generate", "--static"], db, target_path=target, quiet=True)
        for name in SITE_FILES:
            source = Path(target) / name
            if source.exists():
                shutil.copy2(source, out / name)
    site = out / "static_index.html"
    if not site.exists():
        raise ConcordError(
            f"dbt docs generate --static wrote no static_index.html (dbt {_dbt_version()})"
        )
    return site


def _dbt_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dbt-core")
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"
