"""Training-set extracts: filters (hand-worked), reproducibility, split stability, manifest."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import duckdb
import pytest
from conftest import compile_inline

from concord.extracts import (
    CONTROL_COLUMNS,
    TASK_COLUMNS,
    ExtractError,
    ExtractOptions,
    default_options,
    read_extract_rows,
    select_rows,
    split_bucket,
    split_of,
    write_extract,
)

from .gov_helpers import connect, dbt_run, dump_dir, fixture_tasks

# --- the filters, on candidates built by hand ---------------------------------------------------


def _synthetic_candidates() -> duckdb.DuckDBPyConnection:
    """Tiny fct_training_candidates(_by_control) tables, one task per rule.

    task  controls (agreement)            n_ann  queue  gt     skipped_only
    1     label 0.9, rating 0.7           3      no     no     no     passes everything
    2     label 0.5, rating 0.9           3      no     no     no     label below 0.6
    3     label 1.0                       2      yes    no     no     in review queue
    4     label 1.0                       2      yes    yes    no     queued, resolved by GT
    5     label NULL (one annotation)     1      no     no     no     NULL agreement
    6     (none)                          0      no     no     yes    skipped only
    7     rationale 0.1 (no metric)       2      no     no     no     only an ungated control
    """
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        """
        create table marts.fct_training_candidates_by_control as
        select * from (values
            (1, 'label', 0.9, 3, true, false, false, false),
            (1, 'rating', 0.7, 3, true, false, false, false),
            (2, 'label', 0.5, 3, true, false, false, false),
            (2, 'rating', 0.9, 3, true, false, false, false),
            (3, 'label', 1.0, 2, true, true, false, false),
            (4, 'label', 1.0, 2, true, true, true, false),
            (5, 'label', null, 1, true, false, false, false),
            (7, 'rationale', 0.1, 2, false, false, false, false)
        ) as t(task_id, control_name, agreement, n_annotations, has_agreement_metric,
               is_in_review_queue, is_resolved_by_ground_truth, is_skipped_only)
        """
    )
    con.execute(
        """
        create table marts.fct_training_candidates as
        select * from (values
            (1, 3, false, false, false), (2, 3, false, false, false), (3, 2, true, false, false),
            (4, 2, true, true, false), (5, 1, false, false, false), (6, 0, false, false, true),
            (7, 2, false, false, false)
        ) as t(task_id, n_annotations, is_in_review_queue, is_resolved_by_ground_truth,
               is_skipped_only)
        """
    )
    # the remaining output columns and the Dawid-Skene ones, as NULLs of the right shape
    # (_synthetic_posteriors fills the latter)
    posteriors = {
        "fct_training_candidates": ("weighted_labels_json", "min_majority_posterior",
                                    "min_weighted_posterior"),
        "fct_training_candidates_by_control": ("weighted_label", "weighted_posterior",
                                               "majority_posterior"),
    }  # fmt: skip
    for table, columns in (
        ("fct_training_candidates", TASK_COLUMNS),
        ("fct_training_candidates_by_control", CONTROL_COLUMNS),
    ):
        have = {r[0] for r in con.execute(f"describe marts.{table}").fetchall()}
        for column in (*columns, *posteriors[table]):
            if column in have or column == "split":
                continue
            kind = "bigint[]" if column.endswith("_ids") else "varchar"
            kind = "double" if column.endswith("_posterior") else kind
            con.execute(f"alter table marts.{table} add column {column} {kind}")
        con.execute(f"alter table marts.{table} add column split_bucket double default 0.0")
    for ddl in _training_macro_ddl():
        con.execute(ddl)
    return con


@functools.cache
def _training_macro_ddl() -> tuple[str, ...]:
    """The build's own DDL of the extract's table macros (the post-hooks of
    fct_training_examples), compiled by dbt: the hand-worked cases test the one definition."""
    return tuple(
        compile_inline(f"{{{{ training_create_table_macro('{grain}') }}}}")
        for grain in ("task", "control")
    )


def _ids(con, **options) -> list:
    table = select_rows(con, ExtractOptions(**options))
    if "control_name" in table.column_names:
        return list(
            zip(table.column("task_id").to_pylist(), table.column("control_name").to_pylist())
        )
    return table.column("task_id").to_pylist()


def test_filters_hand_worked():
    con = _synthetic_candidates()
    # no gate: everything but skipped-only (6) and queued-without-ground-truth (3)
    assert _ids(con, min_agreement=None, min_annotations=0) == [1, 2, 4, 5, 7]
    # min annotations 2 drops 5 (one annotation)
    assert _ids(con, min_agreement=None, min_annotations=2) == [1, 2, 4, 7]
    # global gate 0.6: every control with a metric >= 0.6; 2 (label 0.5) and 5 (NULL) fail;
    # 7 has no gated control at all, so nothing was agreed on: out
    assert _ids(con, min_agreement=0.6, min_annotations=0) == [1, 4]
    # 0.75: task 1's rating (0.7) fails
    assert _ids(con, min_agreement=0.75, min_annotations=0) == [4]
    # per-control threshold: only label is gated (>= 0.9); rating is not
    assert _ids(con, min_agreement_by_control=(("label", 0.9),), min_annotations=0) == [1, 4]
    # a per-control threshold overrides the global one for that control
    assert _ids(
        con, min_agreement=0.95, min_agreement_by_control=(("rating", 0.6), ("label", 0.85))
    ) == [1, 4]
    # per task and control: rows of the asked controls passing their own threshold
    assert _ids(con, controls=("label",), min_agreement=0.6, min_annotations=0) == [
        (1, "label"),
        (4, "label"),
    ]
    assert _ids(con, controls=("label", "rating"), min_agreement=0.6, min_annotations=0) == [
        (1, "label"),
        (1, "rating"),
        (2, "rating"),
        (4, "label"),
    ]
    assert _ids(con, controls=("rationale",), min_agreement=0.6, min_annotations=0) == [
        (7, "rationale")  # no agreement metric: not gated
    ]


def test_unknown_control_is_an_error():
    con = _synthetic_candidates()
    with pytest.raises(ExtractError) as err:
        select_rows(con, ExtractOptions(controls=("sentiment",)))
    assert str(err.value) == (
        "control 'sentiment' is not in the warehouse (controls: label, rating, rationale)"
    )


def test_split_is_a_hash_of_the_task_id():
    # md5('concord:1') = 4a8c... : first 32 bits / 2^32, worked by hand with hashlib
    digest = hashlib.md5(b"concord:1").hexdigest()
    assert split_bucket(1) == int(digest[:8], 16) / 2**32
    ratios = (0.8, 0.1, 0.1)
    counts = {"train": 0, "validation": 0, "test": 0}
    for task_id in range(1, 20001):
        counts[split_of(split_bucket(task_id), ratios)] += 1
    assert abs(counts["train"] / 20000 - 0.8) < 0.015
    assert abs(counts["validation"] / 20000 - 0.1) < 0.01
    assert abs(counts["test"] / 20000 - 0.1) < 0.01
    assert split_of(0.0, ratios) == "train"
    assert split_of(0.8, ratios) == "validation"
    assert split_of(0.9, ratios) == "test"
    assert split_of(0.5, (0.0, 0.0, 1.0)) == "test"


# --- on a real warehouse ------------------------------------------------------------------------


def test_two_runs_are_byte_identical(warehouse, tmp_path):
    con = connect(warehouse)
    for fmt in ("parquet", "jsonl"):
        first, second = tmp_path / f"{fmt}_1", tmp_path / f"{fmt}_2"
        write_extract(con, first, default_options(fmt))
        write_extract(con, second, default_options(fmt))
        assert dump_dir(first) == dump_dir(second)
        assert sorted(dump_dir(first)) == [
            "manifest.json",
            *(f"{s}.{fmt}" for s in ("test", "train", "validation")),
        ]
        # writing again into the same directory changes nothing either
        before = dump_dir(first)
        write_extract(con, first, default_options(fmt))
        assert dump_dir(first) == before
    con.close()


def test_default_extract_is_the_dbt_model(warehouse, tmp_path):
    con = connect(warehouse)
    out = tmp_path / "default"
    result = write_extract(con, out, default_options())
    rows = sorted(
        (
            row
            for split in ("train", "validation", "test")
            for row in read_extract_rows(out / f"{split}.parquet")
        ),
        key=lambda r: r["task_id"],
    )
    cursor = con.execute("select * from marts.fct_training_examples order by task_id")
    names = [d[0] for d in cursor.description]
    model_rows = [dict(zip(names, r)) for r in cursor.fetchall()]
    assert rows == model_rows
    assert list(rows[0]) == list(TASK_COLUMNS)
    assert result.manifest["row_counts"]["total"] == len(model_rows) > 0

    # per task and control: the by-control model (var concord_extract_controls = [] : all)
    controls = tuple(
        r[0]
        for r in con.execute(
            "select distinct control_name from marts.fct_training_candidates_by_control order by 1"
        ).fetchall()
    )
    out = tmp_path / "by_control"
    write_extract(con, out, ExtractOptions(**{**default_options().__dict__, "controls": controls}))
    rows = sorted(
        (
            row
            for split in ("train", "validation", "test")
            for row in read_extract_rows(out / f"{split}.parquet")
        ),
        key=lambda r: (r["task_id"], r["control_name"]),
    )
    cursor = con.execute(
        "select * from marts.fct_training_examples_by_control order by task_id, control_name"
    )
    names = [d[0] for d in cursor.description]
    assert rows == [dict(zip(names, r)) for r in cursor.fetchall()]
    con.close()


def test_extract_rows_carry_what_the_issue_lists(warehouse, tmp_path):
    con = connect(warehouse)
    out = tmp_path / "all"
    write_extract(con, out, ExtractOptions(fmt="jsonl", min_agreement=None, min_annotations=0))
    rows = {
        r["task_id"]: r
        for s in ("train", "validation", "test")
        for r in read_extract_rows(out / f"{s}.jsonl")
    }
    task = {t["id"]: t for t in fixture_tasks("byos_text")}[2]
    row = rows[2]  # byos-0001: 4 annotations (ground truth 33), predictions 2 and 31
    assert json.loads(row["data_json"]) == task["data"]
    assert row["ext_id"] == "byos-0001"
    assert row["annotation_ids"] == [5, 6, 7, 33]
    assert row["prediction_ids"] == [2, 31]
    assert row["n_annotations"] == 4
    labels = json.loads(row["labels_json"])
    assert labels["label"]["consensus_value"] == "negative"
    assert labels["label"]["ground_truth_value"] == "negative"
    assert labels["label"]["agreement"] == 1.0
    assert row["has_ground_truth"] is True
    assert row["model_version"] is not None
    # never: skipped-only task 27, and tasks queued for review without ground truth
    assert 27 not in rows
    queued = {
        r[0]
        for r in con.execute(
            "select task_id from marts.fct_review_queue where task_id not in"
            " (select task_id from staging.stg_label_studio__annotations where is_ground_truth)"
        ).fetchall()
    }
    assert queued and not queued & set(rows)
    con.close()


def test_manifest(warehouse, tmp_path):
    con = connect(warehouse)
    out = tmp_path / "extract"
    write_extract(con, out, default_options())
    manifest = json.loads((out / "manifest.json").read_text())
    total = 0
    for split in ("train", "validation", "test"):
        entry = manifest["files"][split]
        data = (out / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        n = len(list(read_extract_rows(out / entry["file"])))
        assert n == entry["rows"] == manifest["row_counts"][split]
        total += n
    assert manifest["row_counts"]["total"] == total
    recomputed = hashlib.sha256(
        json.dumps(manifest["files"], sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    assert manifest["content_sha256"] == recomputed
    assert {load["file_name"] for load in manifest["loads"]} == {"export_snapshot.json"}
    assert manifest["options"]["min_agreement"] == 0.6
    assert manifest["options"]["split"]["ratios"] == {"train": 0.8, "validation": 0.1, "test": 0.1}
    assert "agreement_metric_version" in manifest["metric_versions"]
    assert "loaded_at" not in json.dumps(manifest)  # no timestamps: reruns are byte-identical
    registered = con.execute(
        "select extract_format, n_rows, content_sha256 from concord_meta.extracts where extract_dir = ?",
        [str(out)],
    ).fetchall()
    assert registered == [("parquet", total, manifest["content_sha256"])]
    con.close()


def test_python_split_equals_dbt_split(warehouse):
    con = connect(warehouse)
    rows = con.execute(
        "select task_id, split_bucket, split from marts.fct_training_candidates"
    ).fetchall()
    assert rows
    for task_id, bucket, split in rows:
        assert split_bucket(task_id) == pytest.approx(bucket, abs=1e-12)
        assert split_of(split_bucket(task_id), (0.8, 0.1, 0.1)) == split
    con.close()


def test_split_stable_when_tasks_arrive(warehouse, tmp_path):
    """Extract, then ingest 30 new tasks and rebuild: every old task keeps its split."""
    from ingest.exports import ingest_exports

    con = connect(warehouse)
    options = ExtractOptions(min_agreement=None, min_annotations=0)
    before = select_rows(con, options)
    old = dict(zip(before.column("task_id").to_pylist(), before.column("split").to_pylist()))
    con.close()

    new_tasks = []
    for task in fixture_tasks("byos_text"):
        task = json.loads(json.dumps(task))
        task["id"] += 1000
        task["data"]["ext_id"] += "-new"
        for annotation in task["annotations"]:
            annotation["id"] += 1000
            annotation["task"] = task["id"]
            if annotation.get("prediction"):
                annotation["prediction"] = {}
        for prediction in task["predictions"]:
            prediction["id"] += 1000
            prediction["task"] = task["id"]
        for draft in task["drafts"]:
            draft["id"] += 1000
            draft["task"] = task["id"]
            draft["annotation"] = draft["annotation"] and draft["annotation"] + 1000
        new_tasks.append(task)
    path = tmp_path / "new_tasks.json"
    path.write_text(json.dumps(new_tasks))
    ingest_exports(warehouse, [path])
    dbt_run(warehouse, tmp_path / "target")

    con = connect(warehouse)
    after = select_rows(con, options)
    new = dict(zip(after.column("task_id").to_pylist(), after.column("split").to_pylist()))
    assert {t: new[t] for t in old} == old
    arrived = set(new) - set(old)
    assert arrived and arrived <= {t["id"] for t in new_tasks}  # new tasks that pass the filters
    candidates = {
        r[0] for r in con.execute("select task_id from marts.fct_training_candidates").fetchall()
    }
    assert {t["id"] for t in new_tasks} <= candidates
    con.close()


def test_refuses_a_foreign_directory(warehouse, tmp_path):
    con = connect(warehouse)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("do not overwrite me")
    with pytest.raises(ExtractError) as err:
        write_extract(con, out, default_options())
    assert str(err.value) == (
        f"--out {out}: directory is not empty and holds no Concord extract (notes.txt);"
        " choose an empty or new directory"
    )
    assert dump_dir(out) == {"notes.txt": hashlib.sha256(b"do not overwrite me").hexdigest()}
    con.close()


def test_missing_models_say_build_first(tmp_path):
    db = tmp_path / "empty.duckdb"
    con = duckdb.connect(str(db))
    with pytest.raises(ExtractError) as err:
        write_extract(con, tmp_path / "out", default_options())
    assert str(err.value) == (
        "marts.fct_training_candidates does not exist in the warehouse:"
        " run `concord build` (dbt build) first"
    )
    assert not Path(tmp_path / "out").exists()
    con.close()


# --- issue 14 item 5: --label majority|weighted and --min-posterior ------------------------------


def _synthetic_posteriors(con: duckdb.DuckDBPyConnection) -> None:
    """Dawid-Skene columns on the hand-made candidates (label is categorical, rating is not).

    task  label: majority / weighted (posterior of each)
    1     pos 0.95 / pos 0.95
    2     neg 0.40 / pos 0.60      the weighted label differs
    4     NULL (tie) / neg 0.70    no majority: no majority posterior
    5     pos 0.99 / pos 0.99
    """
    con.execute(
        """
        update marts.fct_training_candidates_by_control set consensus_value = 'pos',
            weighted_label = 'pos', weighted_posterior = 0.95, majority_posterior = 0.95
            where task_id = 1 and control_name = 'label';
        update marts.fct_training_candidates_by_control set consensus_value = 'neg',
            weighted_label = 'pos', weighted_posterior = 0.6, majority_posterior = 0.4
            where task_id = 2 and control_name = 'label';
        update marts.fct_training_candidates_by_control set consensus_value = null,
            weighted_label = 'neg', weighted_posterior = 0.7, majority_posterior = null
            where task_id = 4 and control_name = 'label';
        update marts.fct_training_candidates_by_control set consensus_value = 'pos',
            weighted_label = 'pos', weighted_posterior = 0.99, majority_posterior = 0.99
            where task_id = 5 and control_name = 'label';
        update marts.fct_training_candidates_by_control set consensus_value = '4'
            where control_name = 'rating';
        update marts.fct_training_candidates set labels_json = 'majority:' || task_id,
            weighted_labels_json = 'weighted:' || task_id;
        update marts.fct_training_candidates as c set
            min_majority_posterior = coalesce(b.majority_posterior, 0),
            min_weighted_posterior = b.weighted_posterior
            from marts.fct_training_candidates_by_control as b
            where c.task_id = b.task_id and b.control_name = 'label' and b.weighted_label is not null;
        """
    )


def _rows(con, **options) -> list[dict]:
    return select_rows(con, ExtractOptions(**options)).to_pylist()


def test_label_and_min_posterior_hand_worked():
    con = _synthetic_candidates()
    _synthetic_posteriors(con)
    base = {"min_agreement": None, "min_annotations": 0}
    # the label: majority keeps consensus_value; weighted takes the Dawid-Skene label on the
    # categorical control and leaves the other controls alone
    by_control = {"controls": ("label", "rating"), **base}
    majority = {
        (r["task_id"], r["control_name"]): r["consensus_value"] for r in _rows(con, **by_control)
    }
    weighted = {
        (r["task_id"], r["control_name"]): r["consensus_value"]
        for r in _rows(con, label="weighted", **by_control)
    }
    assert majority == {(1, "label"): "pos", (1, "rating"): "4", (2, "label"): "neg",
                        (2, "rating"): "4", (4, "label"): None, (5, "label"): "pos"}  # fmt: skip
    assert weighted == {**majority, (2, "label"): "pos", (4, "label"): "neg"}
    # --min-posterior gates the categorical control on its label's posterior; rating is not gated
    assert _ids(con, min_posterior=0.65, **by_control) == [
        (1, "label"), (1, "rating"), (2, "rating"), (5, "label"),  # 4: no majority fails
    ]  # fmt: skip
    assert _ids(con, label="weighted", min_posterior=0.65, **by_control) == [
        (1, "label"), (1, "rating"), (2, "rating"), (4, "label"), (5, "label"),
    ]  # fmt: skip
    # task grain: the label object follows --label; every categorical control must pass
    assert [r["labels_json"] for r in _rows(con, **base)][:2] == ["majority:1", "majority:2"]
    assert [r["labels_json"] for r in _rows(con, label="weighted", **base)][:2] == [
        "weighted:1",
        "weighted:2",
    ]
    assert _ids(con, min_posterior=0.65, **base) == [1, 5, 7]  # 7: no categorical control
    assert _ids(con, label="weighted", min_posterior=0.65, **base) == [1, 4, 5, 7]
    assert _ids(con, label="weighted", min_posterior=0.96, **base) == [5, 7]
    with pytest.raises(ExtractError):
        _ids(con, label="median", **base)


def test_weighted_extract_is_the_dbt_model_and_is_recorded(warehouse, tmp_path):
    """With vars concord_extract_label=weighted and concord_extract_min_posterior, the training
    models and `concord extract --label weighted --min-posterior` give the same rows; the manifest
    records the choice."""
    from dataclasses import replace

    from concord.dbt import run_dbt

    dbt_vars = {"concord_extract_label": "weighted", "concord_extract_min_posterior": 0.9}
    run_dbt(
        ["run", "--select", "fct_training_examples", "fct_training_examples_by_control",
         "--vars", json.dumps(dbt_vars)],
        warehouse, target_path=tmp_path / "target", quiet=True,
    )  # fmt: skip
    con = connect(warehouse)
    options = replace(default_options(), label="weighted", min_posterior=0.9)
    out = tmp_path / "weighted"
    result = write_extract(con, out, options)
    rows = sorted(
        (
            r
            for split in ("train", "validation", "test")
            for r in read_extract_rows(out / f"{split}.parquet")
        ),
        key=lambda r: r["task_id"],
    )
    cursor = con.execute("select * from marts.fct_training_examples order by task_id")
    names = [d[0] for d in cursor.description]
    assert rows == [dict(zip(names, r)) for r in cursor.fetchall()]
    assert result.manifest["options"]["label"] == "weighted"
    assert result.manifest["options"]["min_posterior"] == 0.9
    manifest = json.loads((out / "manifest.json").read_text())
    assert (
        manifest["options"]["label"] == "weighted" and manifest["options"]["min_posterior"] == 0.9
    )
    # the posterior gate removed something, and the weighted labels differ from the majority
    # somewhere in the demo data, or this test would not tell the options apart
    n_candidates = con.execute(
        "select count(*) from marts.fct_training_candidates where min_weighted_posterior < 0.9"
    ).fetchone()[0]
    n_differ = con.execute(
        "select count(*) from marts.fct_training_candidates where labels_json <> weighted_labels_json"
    ).fetchone()[0]
    assert n_candidates > 0 or n_differ > 0

    controls = tuple(
        r[0] for r in con.execute(
            "select distinct control_name from marts.fct_training_candidates_by_control order by 1"
        ).fetchall()
    )  # fmt: skip
    out = tmp_path / "weighted_by_control"
    write_extract(con, out, replace(options, controls=controls))
    rows = sorted(
        (
            r
            for split in ("train", "validation", "test")
            for r in read_extract_rows(out / f"{split}.parquet")
        ),
        key=lambda r: (r["task_id"], r["control_name"]),
    )
    cursor = con.execute(
        "select * from marts.fct_training_examples_by_control order by task_id, control_name"
    )
    names = [d[0] for d in cursor.description]
    assert rows == [dict(zip(names, r)) for r in cursor.fetchall()]
    con.close()
