"""Where things live: the dbt project, the bundled demo data and the warehouse file.

The dbt project (dbt_project.yml, profiles.yml, models/, macros/, seeds/, tests/dbt/) lives at
the top of the repository, where dbt users expect it. A wheel carries a copy inside the package
(`concord/dbt_project/`, put there by setup.py at build time), so an installed `concord` finds
its models without a checkout. One rule picks between them: a checkout's project when the package
sits in one (editable installs, the tests: model edits take effect at once), else the copy.
"""

from __future__ import annotations

from pathlib import Path

from ingest.warehouse import DEFAULT_DB, resolve_db  # noqa: F401  (the warehouse owns both)

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT_DIR = PACKAGE_DIR.parent
PACKAGED_DBT_PROJECT = PACKAGE_DIR / "dbt_project"


def _dbt_project_dir() -> Path:
    if (CHECKOUT_DIR / "dbt_project.yml").is_file() and (CHECKOUT_DIR / "models").is_dir():
        return CHECKOUT_DIR
    return PACKAGED_DBT_PROJECT


# the dbt project directory (also --profiles-dir: profiles.yml sits beside dbt_project.yml)
DBT_PROJECT_DIR = _dbt_project_dir()
IS_CHECKOUT = DBT_PROJECT_DIR == CHECKOUT_DIR
PROJECT_ROOT = DBT_PROJECT_DIR  # the older name, kept for callers
# the demo's exports, labeling configs and score tables: package data, never read from tests/
DEMO_DATA_DIR = PACKAGE_DIR / "demo_data"
