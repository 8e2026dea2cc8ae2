"""The registry of data-quality checks that `concord check` runs with Great Expectations.

A check is one Great Expectations expectation over one relation (a raw table, a staging view or a
mart), plus the SQL that shows the offending rows when it fails. Modules register their checks at
import time; `concord.checks.runner` imports them (raw, staging, then marts if it exists) and runs
every registered check, one GX validation per relation.

Writing a check (e.g. in concord/checks/marts.py):

    from concord.checks.registry import register, unique, not_null, between, finite, no_rows

    register(unique("marts.fct_task_agreement", "task_id"))
    register(between("marts.fct_task_agreement", "alpha", -1, 1))
    register(no_rows(
        "marts.fct_task_agreement", "agreement_has_task",
        "every agreement row names a staged task",
        "select * from {batch} where task_id not in (select task_id from staging.stg_label_studio__tasks)",
    ))

`{batch}` is the relation itself; other relations are named in full (schema.table).
Names must be unique; a check name is `<relation>.<name>` and is what `concord check` prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ingest.warehouse import quote_identifier as _q

# checks, in registration order (the order `concord check` prints them)
REGISTRY: dict[str, Check] = {}


@dataclass(frozen=True)
class Check:
    """One expectation over one relation.

    expectation: the GX expectation class name in great_expectations.expectations
        (e.g. "ExpectColumnValuesToBeUnique"), built lazily with `kwargs` because importing GX
        costs seconds.
    sample_sql: a query over `{batch}` returning the offending rows, run (limited) when GX reports
        a failure, so the report shows whole rows, not just values.
    """

    relation: str
    name: str
    description: str
    expectation: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    sample_sql: str | None = None
    # a range check whose bounds are a dbt var: resolved when the checks run (`resolve_ranges`),
    # with the vars the warehouse was built with; skipped when the var is null
    range_var: str | None = None

    @property
    def check_id(self) -> str:
        return f"{self.relation}.{self.name}"


@dataclass
class CheckResult:
    """What one check found (GX checks and the Python checks of concord/checks/marts.py)."""

    check: Check
    status: str  # pass | fail | error
    unexpected_count: int | None = None
    message: str = ""
    sample_columns: list[str] = field(default_factory=list)
    sample_rows: list[tuple] = field(default_factory=list)


def register(check: Check) -> Check:
    """Add `check` to the registry (re-registering the same id replaces it: imports are idempotent)."""
    REGISTRY[check.check_id] = check
    return check


def unique(
    relation: str, column: str, *, name: str | None = None, description: str | None = None
) -> Check:
    """No two rows share `column` (nulls are ignored: pair with not_null)."""
    c = _q(column)
    return Check(
        relation=relation,
        name=name or f"{column}_unique",
        description=description or f"{column} is unique",
        expectation="ExpectColumnValuesToBeUnique",
        kwargs={"column": column},
        sample_sql=(
            f"select * from {{batch}} where {c} in "
            f"(select {c} from {{batch}} group by {c} having count(*) > 1) order by {c}"
        ),
    )


def not_null(
    relation: str, column: str, *, name: str | None = None, description: str | None = None
) -> Check:
    """Every row has `column`."""
    return Check(
        relation=relation,
        name=name or f"{column}_present",
        description=description or f"{column} is present (not null)",
        expectation="ExpectColumnValuesToNotBeNull",
        kwargs={"column": column},
        sample_sql=f"select * from {{batch}} where {_q(column)} is null",
    )


def compound_unique(
    relation: str, columns: list[str], *, name: str | None = None, description: str | None = None
) -> Check:
    """No two rows share the combination of `columns`."""
    cols = ", ".join(_q(c) for c in columns)
    return Check(
        relation=relation,
        name=name or "_".join(columns) + "_unique",
        description=description or f"({', '.join(columns)}) is unique",
        expectation="ExpectCompoundColumnsToBeUnique",
        kwargs={"column_list": list(columns)},
        sample_sql=(
            f"select * exclude (concord_n_rows) from (select *, count(*) over (partition by {cols}) "
            f"as concord_n_rows from {{batch}}) where concord_n_rows > 1 order by {cols}"
        ),
    )


def between(
    relation: str,
    column: str,
    min_value: float | None,
    max_value: float | None,
    *,
    name: str | None = None,
    description: str | None = None,
) -> Check:
    """Every non-null value of `column` lies in [min_value, max_value] (NaN fails)."""
    c = _q(column)
    conditions = []
    if min_value is not None:
        conditions.append(f"{c} < {float(min_value)!r}")
    if max_value is not None:
        conditions.append(f"{c} > {float(max_value)!r}")
    conditions.append(f"isnan({c})")
    return Check(
        relation=relation,
        name=name or f"{column}_in_range",
        description=description or f"{column} within [{min_value}, {max_value}]",
        expectation="ExpectColumnValuesToBeBetween",
        kwargs={"column": column, "min_value": min_value, "max_value": max_value},
        sample_sql=f"select * from {{batch}} where {c} is not null and ({' or '.join(conditions)})",
    )


def var_range(relation: str, column: str, var: str, *, describe_var: bool = False) -> Check:
    """`between` with the [min, max] of dbt var `var`, read when the checks run."""
    return Check(
        relation=relation,
        name=f"{column}_in_range",
        description="var " + var if describe_var else "",
        expectation="ExpectColumnValuesToBeBetween",
        range_var=var,
    )


def resolve_ranges(checks: list[Check], vars_range) -> list[Check]:
    """Replace each `var_range` check by its `between` (bounds from `vars_range(var)`, a
    [min, max] pair or None), dropping those whose var is null."""
    out = []
    for check in checks:
        if check.range_var is None:
            out.append(check)
            continue
        declared = vars_range(check.range_var)
        if declared is None:
            continue
        column = check.name.removesuffix("_in_range")
        description = (
            f"{column} within {list(declared)} (var {check.range_var})"
            if check.description
            else None
        )
        out.append(between(check.relation, column, *declared, description=description))
    return out


def no_rows(relation: str, name: str, description: str, unexpected_rows_sql: str) -> Check:
    """`unexpected_rows_sql` (over `{batch}`) returns no rows (GX UnexpectedRowsExpectation)."""
    return Check(
        relation=relation,
        name=name,
        description=description,
        expectation="UnexpectedRowsExpectation",
        kwargs={"unexpected_rows_query": unexpected_rows_sql, "description": description},
        sample_sql=unexpected_rows_sql,
    )


def finite(
    relation: str, column: str, *, name: str | None = None, description: str | None = None
) -> Check:
    """Every non-null value of the numeric `column` is finite (no NaN, inf, -inf)."""
    c = _q(column)
    return no_rows(
        relation,
        name or f"{column}_finite",
        description or f"{column} is finite (no NaN / inf)",
        f"select * from {{batch}} where {c} is not null and not isfinite({c})",
    )
