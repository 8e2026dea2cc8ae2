"""The incremental agreement engine reads only what its change feed digests (docs/incremental.md).

A per-task model rebuilds task T from the staging rows of T only. If it read anything else (a
source, a var, a staging table the digest does not hash, an unfiltered per-task input), a change
there would leave its rows stale while every digest stays equal, and the equality test would only
catch it if its sequence happened to change that input. This guard reads the SQL:

- every ref of an engine model is a digested staging table, the control settings (digested per
  project), the change feed, or another engine model;
- every per-task input is read through `concord.only_changed_tasks()`;
- no engine model, and no macro it calls (transitively), reads a var or a source;
- the digest model hashes every staging table an engine model reads.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
AGREEMENT = REPO / "models" / "intermediate" / "agreement"
ENGINE = (
    "int_agreement__judgments",
    "int_agreement__judgment_values",
    "int_agreement__judgment_regions",
    "int_agreement__judgment_pairs_scored",
)
FEED = ("int_agreement__changed_tasks", "int_agreement__task_digests")
PER_PROJECT = ("int_agreement__control_settings",)
REF = re.compile(r"\{\{\s*ref\('(\w+)'\)\s*\}\}")
FILTERED_REF = re.compile(
    r"\{\{\s*ref\('(\w+)'\)\s*\}\}(?:\s*as\s+\w+)?\s*\{\{\s*concord\.only_changed_tasks\(\)\s*\}\}"
)
MACRO = re.compile(r"\{%-?\s*macro\s+(\w+)\s*\(")
CALL = re.compile(r"(?<![\w.])(?:concord\.)?(\w+)\s*\(")


def _code(sql: str) -> str:
    """The SQL without its `--` comments (the depends_on hint is one)."""
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


def engine_violations(models: dict[str, str], digest_sql: str, macros: dict[str, str]) -> list[str]:
    problems = []
    digested = set(REF.findall(_code(digest_sql)))
    for name, sql in models.items():
        code = _code(sql)
        refs = REF.findall(code)
        filtered = FILTERED_REF.findall(code)
        for ref in refs:
            if ref in PER_PROJECT or ref in ENGINE and ref == name:
                continue
            if ref.startswith("stg_") and ref not in digested:
                problems.append(
                    f"{name}: reads {ref}, which int_agreement__task_digests does not hash"
                )
            elif not ref.startswith("stg_") and ref not in ENGINE:
                problems.append(f"{name}: reads {ref}, outside the engine's inputs")
        for ref in set(refs) - set(PER_PROJECT):
            if refs.count(ref) != filtered.count(ref):
                problems.append(f"{name}: reads {ref} without concord.only_changed_tasks()")
        if "source(" in code:
            problems.append(f"{name}: reads a source")
        # the macros it calls, transitively
        seen: set[str] = set()
        todo = [m for m in CALL.findall(code) if m in macros]
        while todo:
            macro = todo.pop()
            if macro in seen:
                continue
            seen.add(macro)
            todo += [m for m in CALL.findall(_code(macros[macro])) if m in macros and m not in seen]
        for reader in sorted(m for m in seen | {name} if "var(" in _code(macros.get(m, code))):
            problems.append(f"{name}: reads a var (through {reader}), which no digest sees")
    return problems


def _project() -> tuple[dict[str, str], str, dict[str, str]]:
    models = {name: (AGREEMENT / f"{name}.sql").read_text(encoding="utf-8") for name in ENGINE}
    digest = (AGREEMENT / "int_agreement__task_digests.sql").read_text(encoding="utf-8")
    macros = {}
    for path in (REPO / "macros").rglob("*.sql"):
        text = path.read_text(encoding="utf-8")
        parts = MACRO.split(text)
        for index in range(1, len(parts), 2):
            macros[parts[index]] = parts[index + 1]
    macros.pop("only_changed_tasks")  # the filter itself: it refs the change feed
    return models, digest, macros


def test_the_engine_reads_only_digested_filtered_inputs() -> None:
    models, digest, macros = _project()
    assert engine_violations(models, digest, macros) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda sql: sql.replace("{{ concord.only_changed_tasks() }}", "", 1),
            "reads stg_label_studio__tasks without concord.only_changed_tasks()",
        ),
        (
            lambda sql: sql.replace(
                "),\n\nannotations as",
                "),\n\nx as (select * from {{ ref('stg_label_studio__drafts') }} {{ concord.only_changed_tasks() }}),\n\nannotations as",
                1,
            ),
            "reads stg_label_studio__drafts, which int_agreement__task_digests does not hash",
        ),
        (
            lambda sql: sql.replace(
                "as is_ground_truth", "as is_ground_truth, {{ var('concord_score_field') }} as f", 1
            ),
            "reads a var (through int_agreement__judgments)",
        ),
        (
            lambda sql: sql.replace(
                "as is_ground_truth",
                "as is_ground_truth, {{ concord.bootstrap_lower('x') }} as f",
                1,
            ),
            "reads a var (through",
        ),
    ],
)
def test_the_guard_sees_each_violation(edit, expected) -> None:
    models, digest, macros = _project()
    models["int_agreement__judgments"] = edit(models["int_agreement__judgments"])
    problems = engine_violations(models, digest, macros)
    assert any(expected in p for p in problems), problems
