"""Run every registered check with Great Expectations and report the failures with sample rows."""

from __future__ import annotations

import importlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from concord.checks.registry import REGISTRY, Check, CheckResult, resolve_ranges

# modules whose import registers checks; marts is optional (the governance area adds it)
CHECK_MODULES = ("concord.checks.raw", "concord.checks.staging", "concord.checks.marts")
# `concord check --layer`: which checks belong to which layer (by the relation's schema)
LAYERS = {
    "raw": ("raw_label_studio", "raw_scores"),
    "staging": ("staging",),
    "marts": ("intermediate", "marts", "concord_meta"),
}
SAMPLE_ROWS = 5


@dataclass
class CheckReport:
    db: Path
    results: list[CheckResult]
    seconds: float

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.status != "pass"]

    @property
    def ok(self) -> bool:
        return not self.failed


def load_checks() -> list[Check]:
    """Import the check modules (registering their checks) and return the registry's checks."""
    for module in CHECK_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name != module:  # a real import error inside the module: surface it
                raise
    return list(REGISTRY.values())


def _relation_exists(connection: Any, relation: str) -> bool:
    from sqlalchemy import text

    from ingest.warehouse import RELATION_EXISTS_SQL

    schema, _, name = relation.partition(".")
    row = connection.execute(text(RELATION_EXISTS_SQL), {"schema": schema, "name": name}).fetchone()
    return bool(row[0])


def _with_var_ranges(db: Path, checks: list[Check]) -> list[Check]:
    """Range checks get their bounds from the vars this warehouse was built with."""
    from concord.dbt_vars import declared_range
    from ingest.warehouse import connection

    with connection(db, read_only=True) as con:
        return resolve_ranges(checks, lambda var: declared_range(var, con))


def _sample(connection: Any, check: Check) -> tuple[list[str], list[tuple]]:
    from sqlalchemy import text

    sql = check.sample_sql.replace("{batch}", f"(select * from {check.relation})")
    cursor = connection.execute(text(f"select * from ({sql}) as offending limit {SAMPLE_ROWS}"))
    return list(cursor.keys()), [tuple(row) for row in cursor.fetchall()]


def _unexpected_count(result: dict) -> int | None:
    if "unexpected_count" in result:
        return result["unexpected_count"]
    observed = result.get("observed_value")
    return observed if isinstance(observed, int) else None


def layer_of(relation: str) -> str:
    schema = relation.split(".", 1)[0]
    return next((layer for layer, schemas in LAYERS.items() if schema in schemas), "marts")


def run_checks(
    db: Path, *, relations: list[str] | None = None, layers: list[str] | None = None
) -> CheckReport:
    """Validate every registered check (optionally only those on `relations`, or of `layers`:
    raw / staging / marts) against `db`."""
    started = time.perf_counter()
    checks = _with_var_ranges(db, load_checks())
    if relations:
        checks = [c for c in checks if c.relation in relations]
    if layers:
        checks = [c for c in checks if layer_of(c.relation) in layers]
    from concord.checks.gx_duckdb import add_duckdb_datasource, make_context

    context = make_context()
    datasource = add_duckdb_datasource(context, db)
    import great_expectations as gx
    import great_expectations.expectations as gxe

    by_relation: dict[str, list[Check]] = {}
    for check in checks:
        by_relation.setdefault(check.relation, []).append(check)

    results: list[CheckResult] = []
    engine = datasource.get_engine()
    with engine.connect() as connection:
        for relation, group in by_relation.items():
            if not _relation_exists(connection, relation):
                for check in group:
                    results.append(
                        CheckResult(
                            check,
                            "error",
                            message=f"{relation} does not exist: run `concord build` first",
                        )
                    )
                continue
            asset = datasource.add_query_asset(name=relation, query=f"select * from {relation}")
            batch = asset.add_batch_definition_whole_table("all").get_batch()
            suite = gx.ExpectationSuite(name=relation)
            for check in group:
                suite.add_expectation(
                    getattr(gxe, check.expectation)(
                        **check.kwargs, meta={"concord_check": check.check_id}
                    )
                )
            validation = batch.validate(suite, result_format="SUMMARY")
            # GX does not keep the suite's order in its results: match them by our id
            outcomes = {o.expectation_config.meta["concord_check"]: o for o in validation.results}
            for check in group:
                results.append(_to_result(connection, check, outcomes[check.check_id]))
    _release_gx_connections(datasource, engine)
    for module in CHECK_MODULES:  # checks GX cannot express (files, salted hashes): governance
        if layers and module.rsplit(".", 1)[-1] not in layers:
            continue
        python_checks = getattr(sys.modules.get(module), "run_python_checks", None)
        if python_checks is not None:
            results += python_checks(db, relations)
    return CheckReport(db=db, results=results, seconds=time.perf_counter() - started)


def _release_gx_connections(datasource: Any, engine: Any) -> None:
    """Close every DuckDB connection GX opened (the persisted one included), so that later
    connections to the same file in this process (python checks, tests) may use another config."""
    execution_engine = datasource.get_execution_engine()
    connection = getattr(execution_engine, "_connection", None)
    if connection is not None:
        connection.close()
        execution_engine._connection = None
    execution_engine.engine.dispose()
    engine.dispose()


def _to_result(connection: Any, check: Check, outcome: Any) -> CheckResult:
    info = outcome.exception_info or {}
    if info.get("raised_exception") or any(
        isinstance(v, dict) and v.get("raised_exception") for v in info.values()
    ):
        messages = [info.get("exception_message")] + [
            v.get("exception_message") for v in info.values() if isinstance(v, dict)
        ]
        message = next(m for m in messages if m).splitlines()[0]
        return CheckResult(check, "error", message=f"could not evaluate: {message}")
    count = _unexpected_count(outcome.result or {})
    if outcome.success:
        return CheckResult(check, "pass", unexpected_count=count)
    columns, rows = _sample(connection, check) if check.sample_sql else ([], [])
    return CheckResult(
        check, "fail", unexpected_count=count, sample_columns=columns, sample_rows=rows
    )


def _cell(value: Any, width: int = 40) -> str:
    text = "null" if value is None else str(value)
    text = text.replace("\n", "\\n")
    return text if len(text) <= width else text[: width - 1] + "…"


def format_report(report: CheckReport, *, verbose: bool = False) -> list[str]:
    """The lines `concord check` prints: each failure with its sample rows, then a summary."""
    lines: list[str] = []
    for result in report.results:
        check = result.check
        if result.status == "pass":
            if verbose:
                lines.append(f"ok    {check.check_id}: {check.description}")
            continue
        if result.status == "error":
            lines.append(f"ERROR {check.check_id}: {check.description}: {result.message}")
            continue
        count = (
            "" if result.unexpected_count is None else f" ({result.unexpected_count} unexpected)"
        )
        lines.append(f"FAIL  {check.check_id}: {check.description}{count}")
        columns = result.sample_columns
        shown = (
            [i for i, c in enumerate(columns) if not c.endswith("_json")]
            if len(columns) > 8
            else list(range(len(columns)))
        )
        shown = shown[:10]
        if result.sample_rows:
            lines.append("      " + " | ".join(columns[i] for i in shown))
            for row in result.sample_rows:
                lines.append("      " + " | ".join(_cell(row[i]) for i in shown))
    n_pass = sum(r.status == "pass" for r in report.results)
    n_fail = sum(r.status == "fail" for r in report.results)
    n_error = sum(r.status == "error" for r in report.results)
    n_relations = len({r.check.relation for r in report.results})
    lines.append(
        f"{len(report.results)} expectations on {n_relations} relations: {n_pass} passed, "
        f"{n_fail} failed, {n_error} errors ({report.seconds:.1f} s, {report.db})"
    )
    return lines
