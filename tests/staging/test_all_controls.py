"""Typed result columns for every control type (hand-made fixture tests/fixtures/label_studio/
all_controls/, shapes from label-studio.md section 4), and controls inferred without a config."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES, build_warehouse, query

HERE = FIXTURES / "all_controls"
S = "staging.stg_label_studio__"


@pytest.fixture(scope="module")
def controls_warehouse(tmp_path_factory):
    """all_controls ingested WITHOUT its labeling config, staging built."""
    from ingest.exports import ingest_exports

    root = tmp_path_factory.mktemp("all_controls")
    db = root / "warehouse.duckdb"
    ingest_exports(db, [HERE / "export.json"])
    build_warehouse(db, root / "target", select=["staging"])
    return db


def result_row(db, result_id, columns):
    rows = query(
        db,
        f"select {columns} from {S}annotation_results where annotation_result_id = ?",
        [result_id],
    )
    assert len(rows) == 1
    return rows[0]


def test_every_control_type_typed(controls_warehouse):
    db = controls_warehouse
    box = "rect_x, rect_y, rect_width, rect_height, rect_rotation, original_width, original_height, region_labels"
    assert result_row(db, "9001-0", box) == (10.5, 20.0, 30.25, 40.0, 0.0, 1280, 720, ["defect"])
    assert result_row(db, "9002-0", box) == (11.0, 21.5, 29.0, 39.0, 15.0, 1280, 720, ["scratch"])
    assert result_row(db, "9001-1", "choices") == (["violence", "harassment"],)
    assert result_row(db, "9002-1", "choices") == (["violence"],)
    # numbers are numbers whatever JSON wrote: 5.0 and 4, 0 and 7.0
    assert result_row(db, "9001-2", "rating") == (5.0,)
    assert result_row(db, "9002-2", "rating") == (4.0,)
    assert result_row(db, "9001-3", "number_value") == (0.0,)
    assert result_row(db, "9002-3", "number_value") == (7.0,)
    assert result_row(db, "9001-4", "texts, span_text") == (["line 1\nline 2", "second text"], None)
    assert result_row(db, "9001-5", "span_start, span_end, span_text, region_labels, texts") == (
        3,
        9,
        "Nestlé",
        ["ORG"],
        None,
    )
    assert result_row(db, "9001-6", "pairwise_selected, to_name") == ("right", "pref")
    assert result_row(db, "9001-7", "ranker_order") == (["i2", "i3", "i1"],)
    order, raw = result_row(db, "9001-8", "ranker_order, ranker_json")
    assert order is None and json.loads(raw) == {"good": ["i1"], "bad": ["i3"], "_": ["i2"]}
    assert result_row(db, "9001-9", "taxonomy_paths") == (
        [["Safety", "Violence", "Threat"], ["Integrity", "Spam"]],
    )
    # a typed column is null for every other control type
    assert query(db, f"select count(*) from {S}annotation_results where rating is not null") == [
        (2,)
    ]
    assert query(db, f"select count(*) from {S}annotation_results where choices is not null") == [
        (2,)
    ]
    # the text of the task: offsets are code points
    text = query(db, f"select data_json->>'text' from {S}tasks")[0][0]
    assert text[3:9] == "Nestlé"


def test_prediction_region_scores(controls_warehouse):
    rows = query(
        controls_warehouse,
        f"select prediction_result_id, model_version, region_score, region_labels, choices, rect_width "
        f"from {S}prediction_results order by 1",
    )
    assert rows == [
        ("9101-0", "vision-v3", 0.9, ["defect"], None, 30.0),
        ("9101-1", "vision-v3", 1.0, None, ["violence"], None),
    ]
    assert query(controls_warehouse, f"select prediction_score from {S}predictions") == [(0.75,)]


def test_controls_inferred_then_from_config(controls_warehouse):
    inferred = query(
        controls_warehouse,
        f"select control_name, control_type, to_name, choices, labels, is_multiple, max_rating, min_value, max_value, is_inferred "
        f"from {S}controls order by control_name",
    )
    assert [r[0] for r in inferred] == [
        "box",
        "count",
        "flags",
        "ner",
        "notes",
        "pref",
        "rank",
        "sort",
        "stars",
        "topic",
    ]
    by_name = {r[0]: r for r in inferred}
    assert all(r[-1] is True for r in inferred)
    assert by_name["flags"][1:6] == ("choices", "text", ["harassment", "violence"], None, True)
    assert by_name["box"][4] == ["defect", "scratch"]
    # no config: the scale is unknown, never the range of the values seen (ratings up to 5 and
    # numbers 0..7 were entered here)
    assert by_name["stars"][6] is None
    assert by_name["count"][7:9] == (None, None)
    assert query(controls_warehouse, f"select has_config, score_field from {S}projects") == [
        (False, "score")
    ]

    # ingesting the config switches the project to its configured controls (views: no rebuild)
    from ingest.configs import ingest_config

    ingest_config(controls_warehouse, HERE / "labeling_config.xml", 9)
    configured = query(
        controls_warehouse,
        f"select control_name, control_type, choices, labels, is_multiple, max_rating, min_value, max_value, is_inferred "
        f"from {S}controls order by control_name",
    )
    by_name = {r[0]: r for r in configured}
    assert set(by_name) == {
        "box",
        "count",
        "flags",
        "ner",
        "notes",
        "pref",
        "rank",
        "sort",
        "stars",
        "topic",
    }
    assert not any(r[-1] for r in configured)
    assert by_name["flags"][2:5] == (["violence", "harassment"], None, True)
    assert by_name["stars"][5] == 5
    assert by_name["count"][6:8] == (0.0, 10.0)
    assert query(controls_warehouse, f"select has_config, has_score_banner from {S}projects") == [
        (True, True)
    ]
