"""The real Label Studio exports' special cases (their manifest.json) come out right in staging.

Runs on the shared `built_warehouse` (snapshot JSON of byos_text and ner_spans + configs + demo
scores, full `dbt build`). Ids below are the manifests' ids.
"""

from __future__ import annotations

import json

from conftest import FIXTURES, query

S = "staging.stg_label_studio__"


def manifest(project: str) -> dict:
    return json.loads((FIXTURES / project / "manifest.json").read_text(encoding="utf-8"))


def raw_annotations() -> dict[int, dict]:
    """Every annotation of both snapshot exports, by id, read straight from the fixture files."""
    out = {}
    for project in ("byos_text", "ner_spans"):
        tasks = json.loads(
            (FIXTURES / project / "export_snapshot.json").read_text(encoding="utf-8")
        )
        for task in tasks:
            for annotation in task["annotations"]:
                out[annotation["id"]] = annotation
    return out


def scalar(db, sql, params=None):
    rows = query(db, sql, params)
    assert len(rows) == 1, rows
    return rows[0][0]


def test_counts_match_the_manifests(built_warehouse):
    for project, project_id in (("byos_text", 1), ("ner_spans", 3)):
        counts = manifest(project)["counts"]

        def q(rel, where="true", project_id=project_id):
            return scalar(
                built_warehouse,
                f"select count(*) from {S}{rel} where project_id = ? and {where}",
                [project_id],
            )

        assert q("tasks") == counts["tasks"]
        assert q("annotations") == counts["annotations_in_export"]
        assert q("predictions") == counts["predictions"]
        assert q("drafts") == counts["drafts"]
        # Label Studio's own per-task counters agree with what staging unnested
        assert q("tasks", "total_annotations is not null") == counts["tasks"]
        assert (
            scalar(
                built_warehouse,
                f"select sum(total_annotations) + sum(cancelled_annotations) from {S}tasks where project_id = ?",
                [project_id],
            )
            == counts["annotations_in_export"]
        )


def test_skips_are_flagged_and_have_no_results(built_warehouse):
    skipped = {
        row[0]
        for row in query(
            built_warehouse, f"select annotation_id from {S}annotations where is_cancelled"
        )
    }
    assert skipped == {28, 63, 64, 145}
    assert (
        scalar(
            built_warehouse,
            f"select count(*) from {S}annotation_results where annotation_id in (28, 63, 64, 145)",
        )
        == 0
    )
    # task 27's only annotation is a skip: the task is still there, with its skip
    assert query(
        built_warehouse, f"select annotation_id, is_empty from {S}annotations where task_id = 27"
    ) == [(64, True)]


def test_ground_truth(built_warehouse):
    truth = {
        row[0]
        for row in query(
            built_warehouse, f"select annotation_id from {S}annotations where is_ground_truth"
        )
    }
    # 32-34 and 143-144 set by the admin; annotation 1 came inside the task import payload
    assert truth == {1, 32, 33, 34, 143, 144}
    assert (
        scalar(
            built_warehouse,
            f"select count(*) from {S}annotations where is_ground_truth group by task_id order by 1 desc limit 1",
        )
        == 1
    )


def test_import_payload_annotation(built_warehouse):
    row = query(
        built_warehouse,
        f"select task_id, annotator_id, annotator_email, is_ground_truth, n_results, is_cancelled "
        f"from {S}annotations where annotation_id = 1",
    )
    n_results = len(raw_annotations()[1]["result"])
    assert n_results > 0
    assert row == [(23, 1, "admin@example.com", True, n_results, False)]
    assert (
        scalar(
            built_warehouse, f"select count(*) from {S}annotation_results where annotation_id = 1"
        )
        == n_results
    )


def test_edited_annotations(built_warehouse):
    edited = {
        row[0]
        for row in query(
            built_warehouse, f"select annotation_id from {S}annotations where is_edited"
        )
    }
    assert edited == {14, 124}  # every other annotation's updated_at is < 1 ms after created_at
    # alice changed 14 from negative to neutral: staging holds the edited version
    assert query(
        built_warehouse,
        f"select choices from {S}annotation_results where annotation_id = 14 and control_name = 'label'",
    ) == [(["neutral"],)]
    # bob fixed Blue Origin LOC -> ORG on 124
    labels = query(
        built_warehouse,
        f"select span_text, region_labels from {S}annotation_results where annotation_id = 124 "
        f"and span_text = 'Blue Origin'",
    )
    assert labels == [("Blue Origin", ["ORG"])]


def test_deleted_annotation_is_absent(built_warehouse):
    assert (
        scalar(built_warehouse, f"select count(*) from {S}annotations where annotation_id = 60")
        == 0
    )
    assert (
        scalar(
            built_warehouse, f"select count(*) from {S}annotation_results where annotation_id = 60"
        )
        == 0
    )
    assert [
        r[0]
        for r in query(
            built_warehouse, f"select annotation_id from {S}annotations where task_id = 25"
        )
    ] == [61]


def test_drafts_are_separate(built_warehouse):
    drafts = query(
        built_warehouse,
        f"select draft_id, task_id, annotation_id, user_email, n_results from {S}drafts order by draft_id",
    )
    assert drafts == [
        (1, 11, 36, "alice@example.com", 3),
        (2, 30, None, "dan@example.com", 1),
        (4, 78, None, "chloe@example.com", 1),
    ]
    # draft-only tasks have no annotations
    assert (
        scalar(built_warehouse, f"select count(*) from {S}annotations where task_id in (30, 78)")
        == 0
    )


def test_prediction_only_and_bare_tasks(built_warehouse):
    assert (
        scalar(built_warehouse, f"select count(*) from {S}tasks where task_id in (28, 29, 77)") == 3
    )
    assert (
        scalar(
            built_warehouse, f"select count(*) from {S}annotations where task_id in (28, 29, 77)"
        )
        == 0
    )
    predictions = query(
        built_warehouse,
        f"select prediction_id, model_version, prediction_score, n_results from {S}predictions "
        f"where task_id = 28 order by prediction_id",
    )
    assert predictions[0][:2] == (28, "sentiment-v1") and predictions[0][3] == 1
    # sentiment-v2 prediction 29: result=[] and no score
    assert predictions[1] == (29, "sentiment-v2", None, 0)
    assert (
        scalar(
            built_warehouse, f"select count(*) from {S}prediction_results where prediction_id = 29"
        )
        == 0
    )
    for bare in (29, 77):
        assert (
            scalar(
                built_warehouse, f"select count(*) from {S}predictions where task_id = ?", [bare]
            )
            == 0
        )
        assert (
            scalar(built_warehouse, f"select count(*) from {S}drafts where task_id = ?", [bare])
            == 0
        )


def test_two_model_versions(built_warehouse):
    versions = query(
        built_warehouse,
        f"select task_id, list(model_version order by model_version) from {S}predictions "
        f"where project_id = 1 group by task_id having count(*) = 2 order by task_id",
    )
    expected_tasks = [
        t["task_id"] for t in manifest("byos_text")["tasks"] if len(t["prediction_ids"]) == 2
    ]
    assert [v[0] for v in versions] == expected_tasks == [*range(1, 11), 28]
    assert all(v[1] == ["sentiment-v1", "sentiment-v2"] for v in versions)
    # predictions are task.predictions bodies (snapshot), deduplicated against annotation copies
    assert query(built_warehouse, f"select distinct source from {S}predictions") == [
        ("task.predictions",)
    ]


def test_predictions_started_from(built_warehouse):
    rows = query(
        built_warehouse,
        f"select annotation_id, parent_prediction_id, embedded_prediction_id, has_prediction_origin "
        f"from {S}annotations where has_prediction_origin order by annotation_id",
    )
    assert rows == [(46, 16, 16, True), (49, 17, 17, True), (141, 68, 68, True)]
    # the accepted regions keep the prediction's region ids
    shared = scalar(
        built_warehouse,
        f"select count(*) from {S}annotation_results as a inner join {S}prediction_results as p "
        f"on a.region_id = p.region_id where a.annotation_id = 141 and p.prediction_id = 68",
    )
    assert shared == 2


def test_empty_results_and_null_lead_time(built_warehouse):
    rows = query(
        built_warehouse,
        f"select annotation_id, is_empty, is_cancelled, n_results from {S}annotations "
        f"where is_empty and not is_cancelled order by annotation_id",
    )
    expected = sorted(
        (a["id"], True, False, 0)
        for a in raw_annotations().values()
        if a["result"] == [] and not a["was_cancelled"]
    )
    assert rows == expected and {57, 147} <= {r[0] for r in rows}
    assert (
        scalar(
            built_warehouse,
            f"select lead_time_seconds from {S}annotations where annotation_id = 50",
        )
        is None
    )
    # partial result: label only
    assert [
        r[0]
        for r in query(
            built_warehouse,
            f"select control_name from {S}annotation_results where annotation_id = 55",
        )
    ] == ["label"]


def test_completed_by_set_by_admin(built_warehouse):
    assert query(
        built_warehouse,
        f"select annotator_id, annotator_email from {S}annotations where annotation_id = 59",
    ) == [(5, "dan@example.com")]


def test_emoji_offsets_are_code_points(built_warehouse):
    """ner_spans task 63: a flag emoji (2 code points, 4 UTF-16 units) before 'Nestlé'."""
    text = scalar(built_warehouse, f"select data_json->>'text' from {S}tasks where task_id = 63")
    spans = query(
        built_warehouse,
        f"select span_start, span_end, span_text from {S}annotation_results where task_id = 63 "
        f"union all select span_start, span_end, span_text from {S}prediction_results where task_id = 63",
    )
    assert len(spans) == 9
    assert ("Nestlé" in {s[2] for s in spans}) and all(text[s:e] == t for s, e, t in spans)
    # and for every span of both projects
    every = query(
        built_warehouse,
        f"select tasks.data_json->>'text', results.span_start, results.span_end, results.span_text "
        f"from {S}annotation_results as results inner join {S}tasks as tasks using (task_id) "
        f"where results.span_start is not null",
    )
    assert len(every) == 125
    assert all(text[s:e] == t for text, s, e, t in every)


def test_long_text_is_intact(built_warehouse):
    raw = json.loads((FIXTURES / "byos_text" / "export_snapshot.json").read_text(encoding="utf-8"))
    expected = next(t for t in raw if t["id"] == 8)["data"]["text"]
    text = scalar(built_warehouse, f"select data_json->>'text' from {S}tasks where task_id = 8")
    assert len(text) == 27510 and text == expected


def test_unicode_texts_round_trip(built_warehouse):
    raw = json.loads((FIXTURES / "byos_text" / "export_snapshot.json").read_text(encoding="utf-8"))
    for task in raw:
        stored = scalar(
            built_warehouse, f"select data_json from {S}tasks where task_id = ?", [task["id"]]
        )
        assert json.loads(stored) == task["data"]


def test_task_columns(built_warehouse):
    rows = query(
        built_warehouse,
        f"select task_id, project_id, inner_id, ext_id, data_score, score_field, meta_json "
        f"from {S}tasks where task_id in (1, 2, 55) order by task_id",
    )
    assert rows[0][:6] == (1, 1, 1, "byos-0000", 0.8716, "score")
    assert json.loads(rows[1][6]) == {"batch": "2024-06-A", "note": "task.meta set at import"}
    assert rows[2][:4] == (55, 3, 1, "ner-0000") and rows[2][4] is not None


def test_typed_result_columns(built_warehouse):
    rows = query(
        built_warehouse,
        f"select control_name, result_type, choices, rating, texts from {S}annotation_results "
        f"where annotation_id = 14 order by result_index",
    )
    assert rows == [
        ("label", "choices", ["neutral"], None, None),
        ("human_rating", "rating", None, 3.0, None),
        ("rationale", "textarea", None, None, ["Changed my mind after re-reading."]),
    ]
    scores = query(
        built_warehouse,
        f"select region_score, span_text, region_labels from {S}prediction_results "
        f"where prediction_id = 70 order by result_index",
    )
    assert scores == [
        (0.9646, "Zoë Saldaña", ["PER"]),
        (0.9137, "São Paulo", ["LOC"]),
        (0.7188, "Nestlé", ["ORG"]),
    ]


def test_controls_and_projects(built_warehouse):
    controls = query(
        built_warehouse,
        f"select project_id, control_name, control_type, to_name, choices, labels, max_rating, is_inferred "
        f"from {S}controls order by project_id, control_name",
    )
    assert controls == [
        (1, "human_rating", "rating", "text_data", None, None, 5, False),
        (
            1,
            "label",
            "choices",
            "text_data",
            ["positive", "negative", "neutral"],
            None,
            None,
            False,
        ),
        (1, "rationale", "textarea", "text_data", None, None, None, False),
        (3, "ner", "labels", "text", None, ["PER", "ORG", "LOC"], None, False),
    ]
    projects = query(
        built_warehouse,
        f"select project_id, score_field, n_tasks, n_deleted_tasks, has_config, has_score_banner "
        f"from {S}projects order by project_id",
    )
    assert projects == [(1, "score", 30, 0, True, True), (3, "score", 24, 0, True, True)]


def test_external_scores(built_warehouse):
    rows = query(
        built_warehouse,
        "select score_table_name, key_kind, key_field, count(*), count(key_prediction_id) "
        "from staging.stg_scores__external_scores group by all order by 1",
    )
    assert rows == [
        ("byos_text_prediction_calibrated", "prediction_id", None, 39, 39),
        ("byos_text_scores", "data_field", "ext_id", 30, 0),
    ]
    # every prediction-keyed score names a staged prediction
    assert (
        scalar(
            built_warehouse,
            f"select count(*) from staging.stg_scores__external_scores where key_kind = 'prediction_id' "
            f"and key_prediction_id not in (select prediction_id from {S}predictions)",
        )
        == 0
    )


def test_every_staging_column_is_described(built_warehouse):
    """The models' YAML lists exactly the columns the warehouse has, each with a description."""
    import yaml
    from conftest import REPO_ROOT

    documented = {}
    for path in (REPO_ROOT / "models" / "staging").glob("**/_*__models.yml"):
        for model in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]:
            assert model.get("description"), model["name"]
            documented[model["name"]] = model["columns"]
    relations = {
        r[0]
        for r in query(
            built_warehouse,
            "select table_name from information_schema.tables where table_schema = 'staging'",
        )
    }
    assert relations == set(documented)
    for name, columns in documented.items():
        actual = [r[0] for r in query(built_warehouse, f"describe staging.{name}")]
        assert [c["name"] for c in columns] == actual, name
        assert all(c.get("description") for c in columns), name
