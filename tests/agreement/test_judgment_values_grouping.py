"""int_agreement__judgment_values list-aggregates only the (judgment, control) groups with several
results and projects one-result groups directly (list aggregation states cannot spill to disk).
Both paths must give what list-aggregating every group gives: checked against that reference
query on judgments mixing one-result and several-result controls of every value type, plus
hand-worked values for the several-result groups."""

from __future__ import annotations

from pathlib import Path

import pytest

from .agreement_staging import (
    Builder,
    choices,
    number,
    pairwise,
    query_dicts,
    ranker,
    rating,
    run_agreement,
    span,
    taxonomy,
    textarea,
)

PROJECT = 7

# every group list-aggregated, as the model did before one-result groups were split off
REFERENCE = """
with results as (
    select annotation_id * 2 as judgment_key, control_name, result_index, choices,
        coalesce(rating, number_value) as number_value, texts, span_start, rect_x,
        pairwise_selected, ranker_order, taxonomy_paths,
    from staging.stg_label_studio__annotation_results
    union all
    select prediction_id * 2 + 1, control_name, result_index, choices,
        coalesce(rating, number_value), texts, span_start, rect_x,
        pairwise_selected, ranker_order, taxonomy_paths,
    from staging.stg_label_studio__prediction_results
)
select
    results.judgment_key,
    results.control_name,
    list_sort(list_distinct(flatten(list(choices)))) as choice_set,
    avg(number_value) as number_value,
    flatten(list(texts order by result_index)) as text_lines,
    max(pairwise_selected) as pairwise_selected,
    flatten(list(ranker_order order by result_index)) as ranker_order,
    flatten(list(taxonomy_paths order by result_index)) as taxonomy_paths,
    count(case when span_start is not null or rect_x is not null then 1 end) as n_regions,
    count(*) as n_results,
from results
inner join intermediate.int_agreement__judgments as judgments
    on results.judgment_key = judgments.judgment_key
where results.control_name is not null
group by results.judgment_key, results.control_name
"""
COLUMNS = (
    "judgment_key, control_name, choice_set, number_value, text_lines, pairwise_selected, "
    "ranker_order, taxonomy_paths, n_regions, n_results"
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    b = Builder()
    for name, kind in [
        ("tags", "choices"),
        ("stars", "rating"),
        ("count", "number"),
        ("notes", "textarea"),
        ("ner", "labels"),
        ("pref", "pairwise"),
        ("rank", "ranker"),
        ("tax", "taxonomy"),
    ]:
        b.control(PROJECT, name, kind, **({"is_multiple": True} if kind == "choices" else {}))
    task = b.task(PROJECT)
    # several results per control (result_index = list position)
    b.annotation(
        PROJECT,
        task,
        1,
        [
            textarea("notes", "first"),
            choices("tags", "b", "a"),
            rating("stars", 3),
            span("ner", 0, 4, "PER"),
            textarea("notes", "second", "third"),
            choices("tags", "a", "c"),
            rating("stars", 4),
            span("ner", 9, 12, "LOC"),
            ranker("rank", "r2"),
            ranker("rank", "r1"),
            taxonomy("tax", ["B"]),
            taxonomy("tax", ["A", "A1"]),
            number("count", 1),
            number("count", 2),
            pairwise("pref", "left"),
            pairwise("pref", "right"),
        ],
        annotation_id=10,
    )
    # one result per control, including empty and missing values
    b.annotation(
        PROJECT,
        task,
        2,
        [
            choices("tags"),
            rating("stars", 5),
            textarea("notes"),
            span("ner", 0, 4, "PER"),
            ranker("rank", "r1", "r2"),
            taxonomy("tax", ["A"]),
            number("count", 7),
            pairwise("pref", "left"),
        ],
        annotation_id=20,
    )
    b.annotation(
        PROJECT,
        task,
        3,
        [
            {"control_name": "tags", "result_type": "choices"},
            {"control_name": "notes", "result_type": "textarea"},
            {"control_name": "tax", "result_type": "taxonomy"},
            {"control_name": "rank", "result_type": "ranker"},
        ],
        annotation_id=30,
    )
    b.prediction(
        PROJECT,
        task,
        "m1",
        [choices("tags", "c", "c", "a"), textarea("notes", "x"), textarea("notes", "y")],
    )
    # consensus medians (fct_control_agreement): an even and an odd number of values
    even = b.task(PROJECT)
    for annotation_id, stars, count in [(40, 1, 0.1), (41, 2, 0.7), (42, 4, 0.2), (43, 5, 0.9)]:
        b.annotation(
            PROJECT,
            even,
            annotation_id,
            [rating("stars", stars), number("count", count)],
            annotation_id=annotation_id,
        )
    odd = b.task(PROJECT)
    for annotation_id, stars in [(50, 2), (51, 5), (52, 3)]:
        b.annotation(
            PROJECT, odd, annotation_id, [rating("stars", stars)], annotation_id=annotation_id
        )
    b.annotation(PROJECT, odd, 53, [choices("tags", "a")], annotation_id=53)
    root = tmp_path_factory.mktemp("judgment_values_grouping")
    db = root / "warehouse.duckdb"
    b.write(db)
    run_agreement(db, root / "target")
    return db


def test_values_equal_list_aggregation_of_every_group(warehouse) -> None:
    model = f"select {COLUMNS} from intermediate.int_agreement__judgment_values"
    reference = f"select {COLUMNS} from ({REFERENCE})"
    n_model = query_dicts(warehouse, f"select count(*) as n from ({model})")[0]["n"]
    # controls answered by annotations 10, 20, 30, the prediction, and the median tasks
    assert n_model == 8 + 8 + 4 + 2 + 4 * 2 + 3 + 1
    for left, right in ((model, reference), (reference, model)):
        assert (
            query_dicts(warehouse, f"select * from ({left}) except all select * from ({right})")
            == []
        )


def test_several_results_hand_worked(warehouse) -> None:
    rows = {
        r["control_name"]: r
        for r in query_dicts(
            warehouse,
            """
        select * from intermediate.int_agreement__judgment_values where judgment_id = 'annotation:10'""",
        )
    }
    assert rows["notes"]["text_lines"] == ["first", "second", "third"]
    assert rows["tags"]["choice_set"] == ["a", "b", "c"]
    assert rows["stars"]["number_value"] == 3.5
    assert rows["count"]["number_value"] == 1.5
    assert (rows["ner"]["n_regions"], rows["ner"]["n_results"]) == (2, 2)
    assert rows["rank"]["ranker_order"] == ["r2", "r1"]
    assert rows["tax"]["taxonomy_paths"] == [["B"], ["A", "A1"]]
    assert rows["pref"]["pairwise_selected"] == "right"
    assert all(r["n_results"] == 2 for r in rows.values())


def test_one_result_hand_worked(warehouse) -> None:
    rows = {
        r["control_name"]: r
        for r in query_dicts(
            warehouse,
            """
        select * from intermediate.int_agreement__judgment_values where judgment_id = 'annotation:30'""",
        )
    }
    # a result without a value list: an empty list, as list aggregation of a NULL gives
    assert {
        name: (
            r["choice_set"],
            r["text_lines"],
            r["ranker_order"],
            r["taxonomy_paths"],
            r["n_results"],
        )
        for name, r in rows.items()
    } == {name: ([], [], [], [], 1) for name in ("tags", "notes", "tax", "rank")}
    prediction = {
        r["control_name"]: r
        for r in query_dicts(
            warehouse,
            """
        select * from intermediate.int_agreement__judgment_values where judgment_kind = 'prediction'""",
        )
    }
    assert prediction["tags"]["choice_set"] == ["a", "c"]
    assert prediction["notes"]["text_lines"] == ["x", "y"]


def test_consensus_median_equals_median_aggregate(warehouse) -> None:
    # fct_control_agreement computes the median by rank (median() states cannot spill to disk)
    rows = query_dicts(
        warehouse,
        """
        select consensus.task_id, consensus.control_name, consensus.consensus_number, reference.median_number
        from marts.fct_control_agreement as consensus
        inner join (
            select task_id, control_name, median(number_value) as median_number
            from intermediate.int_agreement__judgment_values
            where judgment_kind = 'annotation'
            group by task_id, control_name
        ) as reference
            on consensus.task_id = reference.task_id and consensus.control_name = reference.control_name
        where consensus.control_type in ('rating', 'number')""",
    )
    assert len(rows) == 2 + 2 + 1
    assert all(r["consensus_number"] == r["median_number"] for r in rows)
    by_value = sorted(r["consensus_number"] for r in rows)
    # task 1: stars 3.5 (mean of two results), 5; count 1.5, 7; even task: 1 2 4 5, 0.1 0.2 0.7 0.9
    assert by_value == sorted([4.25, 4.25, 3.0, (0.2 + 0.7) / 2, 3.0])
