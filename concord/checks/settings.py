"""Check settings live beside the dbt vars in dbt_project.yml; concord/dbt_vars.py reads them."""

from __future__ import annotations

from concord.dbt_vars import declared_range, project_vars

__all__ = ["declared_range", "project_vars"]
