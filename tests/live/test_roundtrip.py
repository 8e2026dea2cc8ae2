"""End-to-end against a real Label Studio 1.23.2: push, annotate, push again, pull, build, compare.

Expected values are computed here from the API's answers (tasks, annotations, predictions read
back through the SDK), independently of the dbt models.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from itertools import combinations

import duckdb
import pytest
import world as w


@pytest.fixture(scope="session")
def world(label_studio, tmp_path_factory):
    started = time.monotonic()
    built = w.build_world(label_studio.url, label_studio.api_key,
                          tmp_path_factory.mktemp("live_world"))
    built.timings["world_total"] = time.monotonic() - started
    print("\n[live] timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in built.timings.items()))
    return built


@pytest.fixture
def con(world):
    # same config as dbt's in-process connection (DuckDB shares one instance per file)
    con = duckdb.connect(str(world.db))
    yield con
    con.close()


# ---------------------------------------------------------------------------------------------
# push
# ---------------------------------------------------------------------------------------------
def test_first_push_created_everything(world):
    assert "(created)" in world.first_push
    assert "tasks 36 created, 0 updated, 0 unchanged" in world.first_push
    assert "predictions 36 created, 0 updated, 0 unchanged" in world.first_push


def test_second_push_creates_no_duplicates(world):
    assert "(created)" not in world.second_push
    assert "tasks 0 created, 0 updated, 36 unchanged" in world.second_push
    assert "predictions 0 created, 0 updated, 36 unchanged" in world.second_push
    project_id = world.projects["byos_review"]
    tasks = list(world.admin.tasks.list(project=project_id, fields="task_only"))
    exts = [t.data["ext_id"] for t in tasks]
    assert len(exts) == 36 and len(set(exts)) == 36
    preds = world.admin.predictions.list(project=project_id)
    keys = Counter((p.task, p.model_version) for p in preds)
    assert len(preds) == 36 and max(keys.values()) == 1
    projects = [p for p in world.admin.projects.list() if p.title == w.CORE_TITLE]
    assert len(projects) == 1


def test_scores_joined_by_ext_id(world):
    """--scores put the table's score (not the tasks file's) into data and the prediction."""
    for task_id, task in world.api_tasks.items():
        if task["spec"] != "byos_review":
            continue
        ext = task["data"]["ext_id"]
        assert task["data"]["score"] == pytest.approx(world.scores[ext])
        (pred,) = world.api_predictions[task_id]
        assert pred["model_version"] == "sentiment-v1"
        assert pred["score"] == pytest.approx(world.scores[ext])
        expected = "positive" if world.scores[ext] >= 0.5 else "negative"
        assert pred["result"][0]["value"] == {"choices": [expected]}


# ---------------------------------------------------------------------------------------------
# pull
# ---------------------------------------------------------------------------------------------
def test_pull_brings_every_task_and_annotation(world, con):
    for spec, project_id in world.projects.items():
        n_api = len(world.task_ids[spec])
        n_raw = con.execute(
            "select count(*) from raw_label_studio.tasks where project_id = ? and not is_deleted",
            [project_id]).fetchone()[0]
        assert n_raw == n_api, spec
    api_ids = {a["id"] for anns in world.api_annotations.values() for a in anns}
    stg_ids = {r[0] for r in con.execute(
        "select annotation_id from staging.stg_label_studio__annotations").fetchall()}
    assert stg_ids == api_ids
    flags = dict(con.execute(
        "select annotation_id, struct_pack(c := is_cancelled, g := is_ground_truth, "
        "p := parent_prediction_id, o := has_prediction_origin, e := is_empty) "
        "from staging.stg_label_studio__annotations").fetchall())
    assert flags[world.special["skip"]]["c"] is True
    assert flags[world.special["ground_truth"]]["g"] is True
    fp = flags[world.special["from_prediction"]]
    assert fp["p"] == world.special["from_prediction_pred"] and fp["o"] is True
    assert flags[world.special["prediction_changed"]]["o"] is True
    assert flags[world.special["empty"]]["e"] is True
    n_pred = con.execute("select count(*) from staging.stg_label_studio__predictions").fetchone()[0]
    assert n_pred == sum(len(p) for p in world.api_predictions.values())


def test_pulled_config_is_the_projects_config(world, con):
    rows = con.execute(
        "select project_id, config_xml from raw_label_studio.labeling_configs").fetchall()
    configs = dict(rows)
    for spec, project_id in world.projects.items():
        project = world.admin.projects.get(id=project_id)
        assert configs[project_id] == project.label_config, spec


# ---------------------------------------------------------------------------------------------
# every control type through the real server
# ---------------------------------------------------------------------------------------------
TYPED = {
    "ranker": ("ranker_order", lambda v: v["ranker"]["rank"]),
    "pairwise": ("pairwise_selected", lambda v: v["selected"]),
    "number": ("number_value", lambda v: float(v["number"])),
    "rating": ("rating", lambda v: float(v["rating"])),
    "taxonomy": ("taxonomy_paths", lambda v: v["taxonomy"]),
    "labels": ("region_labels", lambda v: v["labels"]),
    "rectanglelabels": ("region_labels", lambda v: v["rectanglelabels"]),
    "choices": ("choices", lambda v: v["choices"]),
    "textarea": ("texts", lambda v: v["text"]),
}


def test_every_control_type_round_trips(world, con):
    seen_types = set()
    for spec in w.VARIATIONS:
        for task_id in world.task_ids[spec].values():
            for ann in world.api_annotations[task_id]:
                for idx, item in enumerate(ann["result"]):
                    column, extract = TYPED[item["type"]]
                    got = con.execute(
                        f"select result_type, control_name, {column} "
                        "from staging.stg_label_studio__annotation_results "
                        "where annotation_id = ? and result_index = ?",
                        [ann["id"], idx]).fetchone()
                    assert got is not None, (spec, ann["id"], idx)
                    assert got[0] == item["type"] and got[1] == item["from_name"]
                    assert got[2] == extract(item["value"]), (spec, item)
                    seen_types.add(item["type"])
                    if item["type"] == "rectanglelabels":
                        geo = con.execute(
                            "select rect_x, rect_y, rect_width, rect_height "
                            "from staging.stg_label_studio__annotation_results "
                            "where annotation_id = ? and result_index = ?",
                            [ann["id"], idx]).fetchone()
                        v = item["value"]
                        assert geo == pytest.approx((v["x"], v["y"], v["width"], v["height"]))
                    if item["type"] == "labels":
                        span = con.execute(
                            "select span_start, span_end "
                            "from staging.stg_label_studio__annotation_results "
                            "where annotation_id = ? and result_index = ?",
                            [ann["id"], idx]).fetchone()
                        assert span == (item["value"]["start"], item["value"]["end"])
    assert {"rectanglelabels", "pairwise", "ranker", "number", "taxonomy", "labels",
            "choices"} <= seen_types
    multi = con.execute(
        "select count(*) from staging.stg_label_studio__annotation_results "
        "where control_name = 'issues' and len(choices) = 2").fetchone()[0]
    assert multi > 0  # multiple choices kept both picks


def test_box_prediction_keeps_per_box_confidence(world, con):
    expected = {}
    for task_id in world.task_ids["cv_triage"].values():
        for pred in world.api_predictions.get(task_id, []):
            for item in pred["result"]:
                if item["type"] == "rectanglelabels":
                    expected[(pred["id"], item["id"])] = item["score"]
    assert expected
    got = dict(((r[0], r[1]), r[2]) for r in con.execute(
        "select prediction_id, region_id, region_score "
        "from staging.stg_label_studio__prediction_results "
        "where result_type = 'rectanglelabels'").fetchall())
    assert got == pytest.approx(expected)
