"""Checks over the marts and what left the warehouse (governance), run by `concord check`.

1. Agreement values lie in [0, 1], or are NULL with a reason: every mart column named
   `agreement` or `*_agreement` (from the marts' YAML, so new marts are covered when documented);
   a NULL `agreement` needs its reason: a `*reason*` column saying why, or `n_pairs = 0`
   (fewer than two annotations answered the control).
2. Every annotation and prediction a mart names exists in staging: columns `annotation_id`,
   `prediction_id`, `parent_prediction_id` and the id lists `annotation_ids`, `prediction_ids`.
3. Every registered extract's files hold the rows its manifest.json says (counts and sha256).
4. No erased task id, ext id or email in any table, view or extract (`concord verify-erasure`
   is the full proof: texts and raw bytes too).

1 and 2 are Great Expectations checks in the registry; 3 and 4 read files and salted hashes, so
they are Python checks (`run_python_checks`, called by the runner after the GX checks).
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import duckdb
import yaml

from concord.checks.registry import Check, CheckResult, between, no_rows, register
from concord.paths import DBT_PROJECT_DIR
from ingest.warehouse import connect

MARTS_DIR = DBT_PROJECT_DIR / "models" / "marts"
ANNOTATIONS = "staging.stg_label_studio__annotations"
PREDICTIONS = "staging.stg_label_studio__predictions"


@functools.cache
def documented_mart_columns() -> dict[str, list[str]]:
    """{model: [columns]} of every mart documented in models/marts/**/_*.yml."""
    out: dict[str, list[str]] = {}
    for path in sorted(MARTS_DIR.glob("**/_*.yml")):
        with open(path, encoding="utf-8") as handle:
            doc = yaml.safe_load(handle) or {}
        for model in doc.get("models") or []:
            columns = [c["name"] for c in model.get("columns") or [] if "name" in c]
            out[model["name"]] = columns
    return out


def _is_agreement_column(column: str) -> bool:
    return column == "agreement" or (
        column.endswith("_agreement") and not column.startswith(("n_", "is_", "has_"))
    )


def _register_mart_checks() -> None:
    for model, columns in documented_mart_columns().items():
        relation = f"marts.{model}"
        for column in columns:
            if _is_agreement_column(column):
                register(
                    between(
                        relation,
                        column,
                        0,
                        1,
                        description=f"{column} within [0, 1] (NULL allowed)",
                    )
                )
        if "agreement" in columns:
            reasons = [c for c in columns if "reason" in c]
            if reasons:
                register(
                    no_rows(
                        relation,
                        "agreement_null_has_reason",
                        f"a NULL agreement says why ({reasons[0]})",
                        f'select * from {{batch}} where agreement is null and "{reasons[0]}" is null',
                    )
                )
            elif "n_pairs" in columns:
                register(
                    no_rows(
                        relation,
                        "agreement_null_has_reason",
                        "agreement is NULL only when no pair of annotations exists (n_pairs = 0)",
                        "select * from {batch} where agreement is null and n_pairs > 0",
                    )
                )
        for column, staged, key in (
            ("annotation_id", ANNOTATIONS, "annotation_id"),
            ("prediction_id", PREDICTIONS, "prediction_id"),
            ("parent_prediction_id", PREDICTIONS, "prediction_id"),
        ):
            if column in columns:
                register(
                    no_rows(
                        relation,
                        f"{column}_in_staging",
                        f"every {column} exists in {staged}",
                        f'select * from {{batch}} where "{column}" is not null'
                        f' and "{column}" not in (select {key} from {staged})',
                    )
                )
        for column, staged, key in (
            ("annotation_ids", ANNOTATIONS, "annotation_id"),
            ("prediction_ids", PREDICTIONS, "prediction_id"),
        ):
            if column in columns:
                register(
                    no_rows(
                        relation,
                        f"{column}_in_staging",
                        f"every id in {column} exists in {staged}",
                        f'select * from {{batch}} where exists (select 1 from unnest("{column}")'
                        f" as ids(id) where id is not null and id not in (select {key} from {staged}))",
                    )
                )


_register_mart_checks()

# --- Python checks: files and salted hashes ----------------------------------------------------

EXTRACTS_CHECK = Check(
    relation="concord_meta.extracts",
    name="files_match_manifest",
    description="every registered extract's files hold the rows and bytes its manifest says",
    expectation="python",
)
ERASURE_CHECK = Check(
    relation="concord_meta.erasure_log",
    name="no_erased_identifier_anywhere",
    description=(
        "no erased task id, ext id or email in any table, view or extract file"
        " (texts and raw bytes: concord verify-erasure)"
    ),
    expectation="python",
)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def extract_mismatches(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(extract_dir, file, expected, found) for every way an extract differs from its manifest."""
    from concord.extracts import read_extract_rows, registered_extract_dirs

    problems: list[tuple] = []
    registry = {}
    if registered_extract_dirs(con):
        registry = dict(
            con.execute("select extract_dir, n_rows from concord_meta.extracts").fetchall()
        )
    for directory in registered_extract_dirs(con):
        manifest_path = Path(directory) / "manifest.json"
        if not Path(directory).exists():
            continue  # the extract was deleted: nothing left to disagree with
        if not manifest_path.exists():
            problems.append((directory, "manifest.json", "present", "missing"))
            continue
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        for split, entry in sorted(manifest["files"].items()):
            path = Path(directory) / entry["file"]
            if not path.exists():
                problems.append((directory, entry["file"], f"{entry['rows']} rows", "missing"))
                continue
            n_rows = sum(1 for _ in read_extract_rows(path))
            if n_rows != entry["rows"] or n_rows != manifest["row_counts"][split]:
                problems.append(
                    (directory, entry["file"], f"{entry['rows']} rows", f"{n_rows} rows")
                )
            if _sha256(path) != entry["sha256"]:
                problems.append((directory, entry["file"], "sha256 of the manifest", "other bytes"))
        if registry.get(directory) != manifest["row_counts"]["total"]:
            problems.append(
                (
                    directory,
                    "concord_meta.extracts",
                    f"{manifest['row_counts']['total']} rows",
                    f"{registry.get(directory)} rows",
                )
            )
    return problems


def run_python_checks(db: Path, relations: list[str] | None = None) -> list:
    """The file / hash checks, as runner CheckResults (read-only connection)."""
    from concord.erasure import verify_erasure

    wanted = [
        c for c in (EXTRACTS_CHECK, ERASURE_CHECK) if not relations or c.relation in relations
    ]
    if not wanted:
        return []
    results = []
    con = connect(db, read_only=True)
    try:
        if EXTRACTS_CHECK in wanted:
            problems = extract_mismatches(con)
            results.append(
                CheckResult(
                    EXTRACTS_CHECK,
                    "fail" if problems else "pass",
                    unexpected_count=len(problems),
                    sample_columns=["extract_dir", "file", "expected", "found"],
                    sample_rows=problems[:5],
                )
            )
        if ERASURE_CHECK in wanted:
            # the full verify took 169 s at 100k tasks, mostly hashing texts in Python: check
            # looks for ids, ext ids and emails (hashed in DuckDB); texts and raw bytes are
            # verify-erasure's. Tables unchanged since a clean scan are skipped (proof.py)
            proof = verify_erasure(
                con, finish_pending=False, texts=False, raw_bytes=False, use_proofs=True
            )
            rows = [(r.where, r.what, r.count) for r in proof.residues]
            results.append(
                CheckResult(
                    ERASURE_CHECK,
                    "fail" if rows else "pass",
                    unexpected_count=len(rows),
                    sample_columns=["where", "what", "values"],
                    sample_rows=rows[:5],
                )
            )
    finally:
        con.close()
    return results
