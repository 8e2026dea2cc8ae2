"""End-to-end against a real Label Studio 1.23.2: push, annotate, push again, pull, build, compare.

Expected values are computed here from the API's answers (tasks, annotations, predictions read
back through the SDK), independently of the dbt models.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from itertools import combinations

import duckdb
import live_world as w
import pytest


@pytest.fixture(scope="session")
def world(label_studio, tmp_path_factory):
    started = time.monotonic()
    built = w.build_world(
        label_studio.url, label_studio.api_key, tmp_path_factory.mktemp("live_world")
    )
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
            [project_id],
        ).fetchone()[0]
        assert n_raw == n_api, spec
    api_ids = {a["id"] for anns in world.api_annotations.values() for a in anns}
    stg_ids = {
        r[0]
        for r in con.execute(
            "select annotation_id from staging.stg_label_studio__annotations"
        ).fetchall()
    }
    assert stg_ids == api_ids
    flags = dict(
        con.execute(
            "select annotation_id, struct_pack(c := is_cancelled, g := is_ground_truth, "
            "p := parent_prediction_id, o := has_prediction_origin, e := is_empty) "
            "from staging.stg_label_studio__annotations"
        ).fetchall()
    )
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
        "select project_id, config_xml from raw_label_studio.labeling_configs"
    ).fetchall()
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
                        [ann["id"], idx],
                    ).fetchone()
                    assert got is not None, (spec, ann["id"], idx)
                    assert got[0] == item["type"] and got[1] == item["from_name"]
                    assert got[2] == extract(item["value"]), (spec, item)
                    seen_types.add(item["type"])
                    if item["type"] == "rectanglelabels":
                        geo = con.execute(
                            "select rect_x, rect_y, rect_width, rect_height "
                            "from staging.stg_label_studio__annotation_results "
                            "where annotation_id = ? and result_index = ?",
                            [ann["id"], idx],
                        ).fetchone()
                        v = item["value"]
                        assert geo == pytest.approx((v["x"], v["y"], v["width"], v["height"]))
                    if item["type"] == "labels":
                        span = con.execute(
                            "select span_start, span_end "
                            "from staging.stg_label_studio__annotation_results "
                            "where annotation_id = ? and result_index = ?",
                            [ann["id"], idx],
                        ).fetchone()
                        assert span == (item["value"]["start"], item["value"]["end"])
    assert {
        "rectanglelabels",
        "pairwise",
        "ranker",
        "number",
        "taxonomy",
        "labels",
        "choices",
    } <= seen_types
    multi = con.execute(
        "select count(*) from staging.stg_label_studio__annotation_results "
        "where control_name = 'issues' and len(choices) = 2"
    ).fetchone()[0]
    assert multi > 0  # multiple choices kept both picks


def test_box_prediction_keeps_per_box_confidence(world, con):
    expected = {}
    for task_id in world.task_ids["cv_triage"].values():
        for pred in world.api_predictions.get(task_id, []):
            for item in pred["result"]:
                if item["type"] == "rectanglelabels":
                    expected[(pred["id"], item["id"])] = item["score"]
    assert expected
    got = {
        (r[0], r[1]): r[2]
        for r in con.execute(
            "select prediction_id, region_id, region_score "
            "from staging.stg_label_studio__prediction_results "
            "where result_type = 'rectanglelabels'"
        ).fetchall()
    }
    assert got == pytest.approx(expected)


# ---------------------------------------------------------------------------------------------
# marts against values computed here from the API's answers
# ---------------------------------------------------------------------------------------------
LABEL_VALUE = {"positive": 1.0, "negative": 0.0, "neutral": 0.5}  # seeds/label_values.csv


def _answer(ann: dict, control: str):
    for item in ann["result"]:
        if item["from_name"] == control:
            value = item["value"]
            if item["type"] == "choices":
                return tuple(value["choices"])
            if item["type"] == "rating":
                return float(value["rating"])
    return None


def _expected_control_agreement(anns: list[dict], control: str, kind: str):
    """Mean pair agreement over submitted annotations (docs/agreement.md): a pair where only one
    side answered scores 0, a pair where neither answered does not count."""
    submitted = [a for a in anns if not a["was_cancelled"]]
    scores = []
    for a, b in combinations(submitted, 2):
        va, vb = _answer(a, control), _answer(b, control)
        if va is None and vb is None:
            continue
        if va is None or vb is None:
            scores.append(0.0)
        elif kind == "exact":
            scores.append(1.0 if va == vb else 0.0)
        else:  # numeric_difference
            scores.append(1.0 / (1.0 + abs(va - vb)))
    return (sum(scores) / len(scores) if scores else None), len(scores)


@pytest.mark.parametrize("control,kind", [("label", "exact"), ("human_rating", "numeric")])
def test_control_agreement_equals_api(world, con, control, kind):
    core = world.projects["byos_review"]
    mart = {
        r[0]: (r[1], r[2])
        for r in con.execute(
            "select task_id, agreement, n_pairs from marts.fct_control_agreement "
            "where project_id = ? and control_name = ?",
            [core, control],
        ).fetchall()
    }
    checked = 0
    for task_id in world.task_ids["byos_review"].values():
        expected, n_pairs = _expected_control_agreement(
            world.api_annotations[task_id], control, kind
        )
        if n_pairs == 0:
            if task_id in mart:
                assert mart[task_id][0] is None, task_id  # one annotation is never 1.0
            continue
        assert task_id in mart, task_id
        assert mart[task_id][1] == n_pairs, task_id
        assert mart[task_id][0] == pytest.approx(expected), task_id
        checked += 1
    assert checked >= 15
    # the design has agreements and disagreements
    if control == "label":
        values = [v for v, _ in mart.values() if v is not None]
        assert 1.0 in values and 0.0 in values and any(0 < v < 1 for v in values)


def test_score_deltas_equal_api(world, con):
    """fct_score_deltas (data_field score): model score minus the normalised human judgment."""
    core = world.projects["byos_review"]
    expected = {}
    for task_id in world.task_ids["byos_review"].values():
        score = world.api_tasks[task_id]["data"]["score"]
        for ann in world.api_annotations[task_id]:
            if ann["was_cancelled"]:
                continue
            label = _answer(ann, "label")
            if label is not None and len(label) == 1:
                expected[(ann["id"], "label")] = score - LABEL_VALUE[label[0]]
            rating = _answer(ann, "human_rating")
            if rating is not None:
                expected[(ann["id"], "human_rating")] = score - (rating - 1) / (5 - 1)
    got = {
        (r[0], r[1]): r[2]
        for r in con.execute(
            "select annotation_id, control_name, signed_delta from marts.fct_score_deltas "
            "where project_id = ? and score_source = 'data_field'",
            [core],
        ).fetchall()
    }
    assert len(expected) > 40
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value), key


def test_review_queue_equals_api(world, con):
    """Queue membership for the reasons computable from the API alone (docs/model_eval.md):
    too_few_annotations (< 2 non-empty submitted), human_disagreement (a scalar control judged
    by >= 2 with modal share < 0.6), divergence (some |score - judgment| > 0.5),
    model_uncertain (data score in [0.4, 0.6] or the prediction score there)."""
    core = world.projects["byos_review"]
    rows = con.execute(
        "select task_id, has_too_few_annotations, has_human_disagreement, has_divergence, "
        "has_model_uncertain, priority from marts.fct_review_queue where project_id = ?",
        [core],
    ).fetchall()
    mart = {r[0]: r[1:] for r in rows}
    for task_id in world.task_ids["byos_review"].values():
        anns = [a for a in world.api_annotations[task_id] if not a["was_cancelled"]]
        score = world.api_tasks[task_id]["data"]["score"]
        non_empty = [a for a in anns if a["result"]]
        too_few = len(non_empty) < 2
        disagreement = False
        divergence = False
        for control in ("label", "human_rating"):
            answers = [_answer(a, control) for a in anns]
            answers = [x for x in answers if x is not None]
            if len(answers) >= 2:
                share = Counter(answers).most_common(1)[0][1] / len(answers)
                disagreement |= share < 0.6
            for x in answers:
                human = LABEL_VALUE[x[0]] if control == "label" else (x - 1) / 4
                divergence |= abs(score - human) > 0.5
        pred_scores = [p["score"] for p in world.api_predictions.get(task_id, [])]
        uncertain = any(0.4 <= s <= 0.6 for s in [score, *pred_scores])
        expected = (too_few, disagreement, divergence, uncertain)
        if any(expected):
            assert task_id in mart, (task_id, expected)
            assert tuple(mart[task_id][:4]) == expected, task_id
        elif task_id in mart:
            # only a reason not computable from the API alone may queue it
            assert not any(mart[task_id][:4]), task_id
    assert len(mart) >= 10


# ---------------------------------------------------------------------------------------------
# push-flags (runs after the mart checks: it changes task data on the server)
# ---------------------------------------------------------------------------------------------
def test_push_flags_round_trip(world, con):
    core = world.projects["byos_review"]
    queue = {
        r[0]: (r[1], r[2])
        for r in con.execute(
            "select task_id, priority, reasons from marts.fct_review_queue where project_id = ?",
            [core],
        ).fetchall()
    }
    agreement = dict(
        con.execute(
            "select task_id, agreement from marts.fct_task_agreement where project_id = ?", [core]
        ).fetchall()
    )
    con.close()
    out = w.run_cli(world, "ls", "push-flags", "--db", str(world.db), "--project", str(core))
    assert "36 updated, 0 unchanged" in out, out
    again = w.run_cli(world, "ls", "push-flags", "--db", str(world.db), "--project", str(core))
    assert "0 updated, 36 unchanged" in again, again
    for task_id in world.task_ids["byos_review"].values():
        data = world.admin.tasks.get(id=task_id).data
        if task_id in queue:
            assert data["concord_in_review_queue"] is True
            assert data["concord_review_priority"] == pytest.approx(queue[task_id][0])
            reasons = queue[task_id][1]  # "a, b" (concat_ws) or a list, as the mart has it
            if not isinstance(reasons, str):
                reasons = ", ".join(reasons)
            assert data["concord_review_reasons"] == reasons
        else:
            assert data["concord_in_review_queue"] is False
            assert data["concord_review_priority"] == 0.0
            assert data["concord_review_reasons"] == ""
        if agreement.get(task_id) is None:
            assert data["concord_agreement"] is None
        else:
            assert data["concord_agreement"] == pytest.approx(agreement[task_id], abs=1e-6)
        assert data["ext_id"] and "text" in data  # the task's own data is kept
    # the Data Manager sorts and filters by them
    http = world.admin._client_wrapper.httpx_client
    body = http.request(
        "api/tasks/",
        method="GET",
        params={
            "project": core,
            "fields": "task_only",
            "page_size": 100,
            "query": json.dumps({"ordering": ["-tasks:data.concord_review_priority"]}),
        },
    ).json()
    priorities = [t["data"]["concord_review_priority"] for t in body["tasks"]]
    assert priorities == sorted(priorities, reverse=True) and len(priorities) == 36
    body = http.request(
        "api/tasks/",
        method="GET",
        params={
            "project": core,
            "fields": "task_only",
            "page_size": 100,
            "query": json.dumps(
                {
                    "filters": {
                        "conjunction": "and",
                        "items": [
                            {
                                "filter": "filter:tasks:data.concord_in_review_queue",
                                "operator": "equal",
                                "type": "Boolean",
                                "value": True,
                            }
                        ],
                    }
                }
            ),
        },
    ).json()
    assert {t["id"] for t in body["tasks"]} == set(queue)
    # a push after push-flags keeps the flags and changes nothing
    again = w.run_cli(
        world,
        "ls",
        "push",
        "--project",
        w.CORE_TITLE,
        str(w.SPECS / "byos_review.yaml"),
        str(w.TASKS / "byos_review.jsonl"),
        "--scores",
        str(world.tmp / "core_scores.csv"),
    )
    assert "tasks 0 created, 0 updated, 36 unchanged" in again


def test_incremental_pull_brings_only_changed_tasks(world, tmp_path):
    """A second pull exports only tasks updated since the previous snapshot (a DM view filter)."""
    import shutil

    db = tmp_path / "copy.duckdb"
    shutil.copy(world.db, db)
    project = world.projects["pairwise_preference"]
    task_id = sorted(world.task_ids["pairwise_preference"].values())[5]  # not annotated yet

    def pull() -> tuple[str, int]:
        out = w.run_cli(
            world, "ls", "pull", "--db", str(db), "--project", str(project), "--out", str(tmp_path)
        )
        assert "incremental pull" in out, out
        return out, int(out.split(" tasks -> ")[0].rsplit(" ", 1)[1])

    pull()  # catches up with anything since the session's pull (minus the 5 s overlap)
    ann = world.users["chloe"].annotations.create(
        id=task_id, result=w.variation_result("pairwise_preference", 0, "chloe"), lead_time=3.0
    )
    out, n = pull()
    assert n == 1, out  # only the task annotated since the previous snapshot
    con = duckdb.connect(str(db))
    try:
        got = con.execute(
            "select count(*) from raw_label_studio.tasks, "
            "unnest(task.annotations) as a(ann) "
            "where task_id = ? and cast(ann.id::varchar as bigint) = ?",
            [task_id, ann.id],
        ).fetchone()[0]
        n_raw = con.execute(
            "select count(*) from raw_label_studio.tasks where project_id = ? and not is_deleted",
            [project],
        ).fetchone()[0]
    finally:
        con.close()
    assert got == 1
    assert n_raw == len(world.task_ids["pairwise_preference"])

    # a deleted task is invisible to an incremental pull; --full marks it deleted
    world.admin.tasks.delete(id=str(task_id))
    out, n = pull()
    assert n == 0, out
    full = w.run_cli(
        world,
        "ls",
        "pull",
        "--full",
        "--db",
        str(db),
        "--project",
        str(project),
        "--out",
        str(tmp_path),
    )
    assert "full pull" in full and "1 marked deleted" in full, full
    # the export files were deleted once loaded (erasure could not reach them there)
    assert "export file removed after loading" in full, full
    assert not list(tmp_path.glob("project_*_export_*.json"))
    kept = w.run_cli(
        world,
        "ls",
        "pull",
        "--keep-export",
        "--db",
        str(db),
        "--project",
        str(project),
        "--out",
        str(tmp_path),
    )
    assert "export file removed" not in kept, kept
    assert len(list(tmp_path.glob("project_*_export_*.json"))) == 1
    con = duckdb.connect(str(db))
    try:
        deleted = con.execute(
            "select is_deleted from raw_label_studio.tasks where task_id = ?", [task_id]
        ).fetchone()[0]
    finally:
        con.close()
    assert deleted is True


# ---------------------------------------------------------------------------------------------
# config validation and errors against the real server
# ---------------------------------------------------------------------------------------------
def test_every_example_config_is_valid_on_the_server(world):
    for path in sorted(w.SPECS.glob("*.yaml")):
        result = world.cli("ls", "config", str(path))
        assert result.exit_code == 0, result.output
        assert "config is valid (checked by the server)" in result.output


def test_server_rejection_of_a_config_is_one_clear_line(world):
    from concord.labelstudio.client import Client
    from concord.labelstudio.config import validate_config
    from concord.labelstudio.errors import SpecError

    client = Client(world.url, world.env["LABEL_STUDIO_API_KEY"])
    bad = '<View><Text name="t" value="$text"/><Choices name="c" toName="x"><Choice value="a"/></Choices></View>'
    with pytest.raises(SpecError) as err:
        validate_config(client, bad, "bad.yaml")
    assert str(err.value).startswith("bad.yaml: the server rejects the built config: ")
    assert 'toName=\\"x\\" not found in names' in str(err.value) or (
        'toName="x" not found in names' in str(err.value)
    )


def test_unknown_project_is_a_clear_4xx_error(world):
    result = world.cli("ls", "pull", "--db", str(world.tmp / "other.duckdb"), "--project", "987654")
    assert result.exit_code == 1
    assert result.output.startswith(
        "concord: error: get project 987654: Label Studio rejected the request: HTTP 404"
    )
    assert world.env["LABEL_STUDIO_API_KEY"] not in result.output


def test_wrong_token_is_a_clear_401(world):
    env = {**world.env, "LABEL_STUDIO_API_KEY": "0" * 40}
    from click.testing import CliRunner

    from concord.cli import cli

    result = CliRunner().invoke(
        cli, ["ls", "push-flags", "--project", "1", "--db", str(world.db)], env=env
    )
    assert result.exit_code == 1
    assert "HTTP 401 unauthorized: check LABEL_STUDIO_API_KEY" in result.output
    assert "0" * 40 not in result.output


def test_script_refuses_the_port_of_the_running_server(label_studio, tmp_path):
    from concord.devtools import ls_server

    port = int(label_studio.url.rsplit(":", 1)[1])
    with pytest.raises(ls_server.ServerError, match="already answers"):
        ls_server.start_server(os.environ["LABEL_STUDIO_VENV"], tmp_path / "d", port=port)


def _pair_score(item_a: dict | None, item_b: dict | None, multiple: bool) -> float:
    """Agreement of two results of one control, per docs/agreement.md's default metrics, for
    the cases the variation design produces (identical, or disjoint labels / nodes)."""
    if item_a is None or item_b is None:
        return 0.0
    kind, va, vb = item_a["type"], item_a["value"], item_b["value"]
    if kind == "choices" and multiple:
        a, b = set(va["choices"]), set(vb["choices"])
        return len(a & b) / len(a | b)
    if kind in ("rating", "number"):
        return 1.0 / (1.0 + abs(float(va[kind]) - float(vb[kind])))
    if kind == "textarea":
        assert va == vb, "the design only has identical rationales"
        return 1.0
    if kind in ("choices", "pairwise", "ranker"):
        return 1.0 if va == vb else 0.0
    if kind in ("rectanglelabels", "labels"):
        if va == vb:
            return 1.0
        assert va[kind] != vb[kind]  # different labels: no region can match
        return 0.0
    if kind == "taxonomy":
        nodes = [
            {tuple(p[: i + 1]) for p in v["taxonomy"] for i in range(len(p))} for v in (va, vb)
        ]
        return len(nodes[0] & nodes[1]) / len(nodes[0] | nodes[1])
    raise AssertionError(kind)


def test_variation_agreement_equals_api(world, con):
    """Every control type's per-task agreement in fct_control_agreement, from the API's answers."""
    multiple = {"issues"}
    checked = Counter()
    for spec in w.VARIATIONS:
        project = world.projects[spec]
        mart = {
            (r[0], r[1]): (r[2], r[3])
            for r in con.execute(
                "select task_id, control_name, agreement, n_pairs from marts.fct_control_agreement "
                "where project_id = ?",
                [project],
            ).fetchall()
        }
        for task_id in world.task_ids[spec].values():
            anns = [a for a in world.api_annotations[task_id] if not a["was_cancelled"]]
            if len(anns) < 2:
                continue
            controls = {item["from_name"] for a in anns for item in a["result"]}
            for control in controls:
                scores = []
                for a, b in combinations(anns, 2):
                    ia = next((x for x in a["result"] if x["from_name"] == control), None)
                    ib = next((x for x in b["result"] if x["from_name"] == control), None)
                    scores.append(_pair_score(ia, ib, control in multiple))
                expected = sum(scores) / len(scores)
                got = mart.get((task_id, control))
                assert got is not None, (spec, task_id, control)
                assert got[1] == len(scores), (spec, task_id, control)
                assert got[0] == pytest.approx(expected), (spec, task_id, control, got, expected)
                checked[(spec, 1.0 if expected == 1.0 else 0.0 if expected == 0 else 0.5)] += 1
    for spec in w.VARIATIONS:  # every project has agreeing and disagreeing pairs
        assert checked[(spec, 1.0)] and (checked[(spec, 0.0)] or checked[(spec, 0.5)]), spec
