"""The synthetic export generator (concord/devtools/generate_export.py): deterministic, shaped like the real
Label Studio exports, and its counts are what the file holds."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "label_studio"


def _load_generator():
    from concord.devtools import generate_export

    return generate_export


gen = _load_generator()


def _bytes(n_tasks: int, **options) -> bytes:
    buffer = io.StringIO()
    gen.generate(buffer, n_tasks, **options)
    return buffer.getvalue().encode("utf-8")


@pytest.mark.parametrize(
    "options",
    [{"seed": 7}, {"seed": 7, "form": "snapshot", "ner": True}],
    ids=["sync", "snapshot-ner"],
)
def test_same_seed_gives_byte_identical_file(tmp_path, options):
    first = tmp_path / "a.json"
    second = tmp_path / "b.json"
    counts_a = gen.generate(first, 200, **options)
    counts_b = gen.generate(second, 200, **options)
    assert first.read_bytes() == second.read_bytes()
    assert counts_a == counts_b
    # a fresh interpreter (different hash seed) writes the same bytes through the CLI
    third = tmp_path / "c.json"
    args = [
        sys.executable,
        str(REPO / "scripts" / "generate_export.py"),
        "--tasks",
        "200",
        "--out",
        str(third),
        "--seed",
        str(options["seed"]),
    ]
    if options.get("form"):
        args += ["--form", options["form"]]
    if options.get("ner"):
        args.append("--ner")
    subprocess.run(args, check=True, capture_output=True, env={"PYTHONHASHSEED": "123"})
    assert (
        hashlib.sha256(third.read_bytes()).hexdigest()
        == hashlib.sha256(first.read_bytes()).hexdigest()
    )


def test_different_seed_gives_different_file():
    assert _bytes(50, seed=1) != _bytes(50, seed=2)


def test_prefix_is_stable_across_sizes():
    """Task k does not depend on how many tasks follow it (sizes share their first tasks)."""
    small = json.loads(_bytes(20, seed=3))
    large = json.loads(_bytes(60, seed=3))
    assert large[:20] == small


def _fixture_keys(name: str):
    tasks = json.loads((FIXTURES / "byos_text" / name).read_text(encoding="utf-8"))
    task = next(t for t in tasks if t["annotations"] and t["predictions"] and t["drafts"])
    return task, task["annotations"][0], task["drafts"][0]


@pytest.mark.parametrize(
    "form,fixture", [("sync", "export.json"), ("snapshot", "export_snapshot.json")]
)
def test_keys_and_types_match_the_real_export(form, fixture):
    real_task, real_ann, real_draft = _fixture_keys(fixture)
    tasks = json.loads(_bytes(300, seed=11, form=form))
    task = next(t for t in tasks if t["annotations"] and t["predictions"] and t["drafts"])
    assert list(task) == list(real_task)
    assert list(task["annotations"][0]) == list(real_ann)
    assert list(task["drafts"][0]) == list(real_draft)
    assert set(task["data"]) >= {"text", "score", "ext_id"}
    for real_value, value in ((real_task, task), (real_ann, task["annotations"][0])):
        for key in real_value:
            if real_value[key] is not None and value[key] is not None:
                assert type(value[key]) is type(real_value[key]), key
    embedded = next(a["prediction"] for t in tasks for a in t["annotations"] if a["prediction"])
    assert list(embedded) == list(real_ann["prediction"])
    if form == "sync":
        assert all(isinstance(p, int) for t in tasks for p in t["predictions"])
        assert all(isinstance(a["completed_by"], int) for t in tasks for a in t["annotations"])
    else:
        assert list(task["predictions"][0]) == list(real_task["predictions"][0])
        assert list(task["annotations"][0]["completed_by"]) == list(real_ann["completed_by"])


def test_separators_match_the_server():
    assert _bytes(2, seed=1).startswith(b'[{"id":1,"annotations":[')
    assert _bytes(2, seed=1, form="snapshot").startswith(b'[{"id": 1, "annotations": [')


def test_counts_match_an_independent_parse():
    buffer = io.StringIO()
    counts = gen.generate(buffer, 400, seed=5, form="snapshot", ner=True)
    tasks = json.loads(buffer.getvalue())
    annotations = [a for t in tasks for a in t["annotations"]]
    kept = [a for a in annotations if not a["was_cancelled"]]
    by_type = Counter(r["type"] for a in kept for r in a["result"])
    assert counts["tasks"] == len(tasks) == 400
    assert counts["annotations"] == len(annotations)
    assert counts["annotations_cancelled"] == sum(a["was_cancelled"] for a in annotations)
    assert counts["annotations_ground_truth"] == sum(a["ground_truth"] for a in annotations)
    assert counts["annotations_empty"] == sum(not a["result"] for a in kept)
    assert counts["annotation_results"] == sum(by_type.values())
    for kind in ("choices", "rating", "textarea", "labels"):
        assert counts[f"annotation_results_{kind}"] == by_type[kind] > 0
    assert counts["predictions"] == sum(len(t["predictions"]) for t in tasks)
    assert counts["prediction_results"] == sum(
        len(p["result"]) for t in tasks for p in t["predictions"]
    )
    assert counts["embedded_predictions"] == len(
        {a["prediction"]["id"] for a in annotations if a["prediction"]}
    )
    assert counts["drafts"] == sum(len(t["drafts"]) for t in tasks)
    # ids are unique, every special case occurs, at most one ground truth per task
    assert len({t["id"] for t in tasks}) == 400
    assert len({a["id"] for a in annotations}) == len(annotations)
    for key in (
        "annotations_cancelled",
        "annotations_ground_truth",
        "annotations_empty",
        "annotations_edited",
        "tasks_without_annotations",
        "drafts",
        "annotation_results_from_prediction",
    ):
        assert counts[key] > 0, key
    assert all(sum(a["ground_truth"] for a in t["annotations"]) <= 1 for t in tasks)
    assert all(1 <= len(t["annotations"]) <= 4 or not t["annotations"] for t in tasks)
    for t in tasks:
        assert t["total_annotations"] + t["cancelled_annotations"] == len(t["annotations"])
        for a in t["annotations"]:
            assert len({r["id"] for r in a["result"]}) == len(a["result"])
            for r in a["result"]:
                if r["type"] == "labels":
                    v = r["value"]
                    assert t["data"]["text"][v["start"] : v["end"]] == v["text"]


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="form must be"):
        gen.generate(io.StringIO(), 1, form="csv")
    with pytest.raises(ValueError, match="n_annotators"):
        gen.generate(io.StringIO(), 1, n_annotators=3)


# -- the generated file goes through the real ingest and staging ---------------------------------


def test_generated_exports_ingest_and_staging_counts_match(tmp_path):
    """Both forms through the real `ingest_exports` and `dbt build --select staging` (one build:
    two projects in one warehouse), then staging counts per project equal the generator's."""
    import duckdb

    from concord.dbt import run_dbt
    from ingest.exports import ingest_exports

    forms = {
        9: {"seed": 21, "form": "sync", "ner": False, "first_task_id": 1000},
        10: {"seed": 22, "form": "snapshot", "ner": True, "first_task_id": 5000},
    }
    counts = {}
    paths = []
    for project_id, options in forms.items():
        path = tmp_path / f"export_{project_id}.json"
        counts[project_id] = gen.generate(path, 200, project_id=project_id, **options)
        paths.append(path)
    db = tmp_path / "bench.duckdb"
    ingest_exports(str(db), paths)
    run_dbt(["build", "--select", "staging"], db, target_path=tmp_path / "target", quiet=True)
    checks = {
        "staging_tasks": "stg_label_studio__tasks",
        "staging_annotations": "stg_label_studio__annotations",
        "annotations_cancelled": "stg_label_studio__annotations where is_cancelled",
        "annotations_ground_truth": "stg_label_studio__annotations where is_ground_truth",
        "annotations_empty": "stg_label_studio__annotations where is_empty and not is_cancelled",
        "staging_annotation_results": "stg_label_studio__annotation_results",
        "annotation_results_choices": "stg_label_studio__annotation_results"
        " where result_type = 'choices'",
        "annotation_results_rating": "stg_label_studio__annotation_results where rating is not null",
        "annotation_results_textarea": "stg_label_studio__annotation_results where texts is not null",
        "annotation_results_labels": "stg_label_studio__annotation_results"
        " where span_start is not null and region_labels is not null",
        "staging_predictions": "stg_label_studio__predictions",
        "staging_prediction_results": "stg_label_studio__prediction_results",
        "staging_drafts": "stg_label_studio__drafts",
    }
    with duckdb.connect(str(db), read_only=True) as con:
        for project_id, expected in counts.items():
            for key, relation in checks.items():
                joiner = " and " if " where " in relation else " where "
                sql = f"select count(*) from staging.{relation}{joiner}project_id = {project_id}"
                got = con.execute(sql).fetchone()[0]
                assert got == expected[key], (project_id, key, got, expected[key])
