"""Every per-control metric on hand-worked cases, Label Studio Enterprise's worked examples, box
geometry vs an independent polygon clipper (touching, nested, disjoint, rotated), and the pair
rules (missing control scores 0, absent in both does not count, skipped annotations never pair,
a single annotation is NULL, never 1.0). One dbt build for the whole module."""

from __future__ import annotations

import math
import random

import pytest

from .agreement_staging import (
    Builder,
    box,
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

IMAGE = (640, 480)
TOL = 1e-9

# control name -> metric, for the variants that are not defaults (var concord_agreement_metrics)
METRIC_OVERRIDES = {
    # the default for Taxonomy is taxonomy_exact (tax_exact); "tax" keeps the common-subtree variant
    "tax": "taxonomy_common_subtree",
    "rating_scaled": "numeric_scaled",
    "number_scaled": "numeric_scaled",
    "rank_tau": "ranker_kendall_tau",
    "tax_exact": "taxonomy_exact",
    "tax_jaccard": "taxonomy_jaccard",
}
THRESHOLDS = {"notes_085": 0.85}
SYMMETRY_CASES = [
    ("enterprise_053", "ner"),
    ("span_missed_region", "ner"),
    ("span_partial", "ner"),
    ("box_rotated_45_octagon", "bbox"),
    ("box_half_shift", "bbox"),
    ("multi_jaccard", "tags"),
    ("text_extra_line", "notes"),
    ("tau_swap", "rank_tau"),
    ("tax_two_vs_one", "tax"),
    ("tax_jaccard_two_vs_one", "tax_jaccard"),
    ("number_scaled_5_10", "number_scaled"),
]


# ---------------------------------------------------------------- independent geometry reference
def _corners(x: float, y: float, w: float, h: float, rotation: float) -> list[tuple[float, float]]:
    t = math.radians(rotation)
    offsets = [(0, 0), (w, 0), (w, h), (0, h)]
    return [
        (x + dx * math.cos(t) - dy * math.sin(t), y + dx * math.sin(t) + dy * math.cos(t))
        for dx, dy in offsets
    ]


def _area(poly: list[tuple[float, float]]) -> float:
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1]))) / 2


def _ccw(poly):
    signed = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1]))
    return poly if signed > 0 else poly[::-1]


def _inside(p, a, b) -> bool:
    """p is left of (or on) the directed edge a -> b."""
    return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= 0


def _crossing(p, q, a, b):
    """Intersection of segment p-q with the line through a and b."""
    (x1, y1), (x2, y2) = p, q
    den = (x1 - x2) * (a[1] - b[1]) - (y1 - y2) * (a[0] - b[0])
    t = ((x1 - a[0]) * (a[1] - b[1]) - (y1 - a[1]) * (a[0] - b[0])) / den
    return (x1 + t * (x2 - x1), y1 + t * (y2 - y1))


def _clip(subject, clipper):
    """Sutherland-Hodgman: subject polygon clipped by a convex clipper (both counter-clockwise)."""
    output = subject
    for a, b in zip(clipper, clipper[1:] + clipper[:1]):
        if not output:
            break
        previous_output, output = output, []
        for i, current in enumerate(previous_output):
            prev = previous_output[i - 1]
            if _inside(current, a, b):
                if not _inside(prev, a, b):
                    output.append(_crossing(prev, current, a, b))
                output.append(current)
            elif _inside(prev, a, b):
                output.append(_crossing(prev, current, a, b))
    return output


def reference_iou(a, b, image=None) -> float:
    def px(box_):
        x, y, w, h, r = box_
        if image:
            return (
                x * image[0] / 100,
                y * image[1] / 100,
                w * image[0] / 100,
                h * image[1] / 100,
                r,
            )
        return box_

    pa, pb = _ccw(_corners(*px(a))), _ccw(_corners(*px(b)))
    inter = _clip(pa, pb)
    inter_area = _area(inter) if len(inter) >= 3 else 0.0
    return inter_area / (_area(pa) + _area(pb) - inter_area)


def test_reference_clipper_on_known_shapes() -> None:
    """The reference itself: two known rotated-square overlaps."""
    # unit square vs the same square rotated 45 degrees about its centre: octagon, area 2(sqrt2-1)
    s = 1 / math.sqrt(2)
    diamond = [(0.5, 0.5 - s), (0.5 + s, 0.5), (0.5, 0.5 + s), (0.5 - s, 0.5)]
    square = [(0, 0), (1, 0), (1, 1), (0, 1)]
    assert _area(_clip(_ccw(square), _ccw(diamond))) == pytest.approx(
        2 * (math.sqrt(2) - 1), abs=1e-12
    )
    assert reference_iou((0, 0, 10, 10, 0), (5, 0, 10, 10, 0)) == pytest.approx(1 / 3)


# ---------------------------------------------------------------- the one warehouse of this module
P_SPANS, P_BOXES, P_SCALAR, P_RULES, P_GEOMETRY, P_MODEL = 1, 2, 3, 4, 5, 6


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    b = Builder()
    cases: dict[str, tuple[int, int]] = {}  # case name -> (task_id, project_id)

    inputs: dict[str, tuple] = {}

    def pair(project: int, name: str, results_a, results_b, *more) -> None:
        inputs[name] = (project, results_a, results_b, *more)
        task = b.task(project)
        for annotator, results in enumerate((results_a, results_b, *more), start=1):
            b.annotation(project, task, annotator, results)
        cases[name] = (task, project)

    # spans: Enterprise's worked example and hand-computed 1-D geometry
    b.control(P_SPANS, "ner", "labels")
    pair(
        P_SPANS,
        "enterprise_053",
        [span("ner", 0, 7, "X"), span("ner", 20, 40, "X")],
        [span("ner", 0, 5, "X"), span("ner", 20, 27, "X")],
    )
    pair(P_SPANS, "span_identical", [span("ner", 3, 9, "PER")], [span("ner", 3, 9, "PER")])
    pair(P_SPANS, "span_touching", [span("ner", 0, 5, "PER")], [span("ner", 5, 9, "PER")])
    pair(P_SPANS, "span_nested", [span("ner", 0, 10, "PER")], [span("ner", 2, 5, "PER")])
    pair(P_SPANS, "span_disjoint", [span("ner", 0, 5, "PER")], [span("ner", 10, 15, "PER")])
    pair(P_SPANS, "span_label_mismatch", [span("ner", 0, 5, "PER")], [span("ner", 0, 5, "ORG")])
    pair(
        P_SPANS,
        "span_missed_region",
        [span("ner", 0, 10, "LOC"), span("ner", 20, 30, "LOC")],
        [span("ner", 0, 10, "LOC")],
    )
    pair(P_SPANS, "span_partial", [span("ner", 0, 10, "LOC")], [span("ner", 5, 15, "LOC")])

    # boxes: axis-aligned and rotated, hand-computed
    b.control(P_BOXES, "bbox", "rectanglelabels")
    pair(
        P_BOXES,
        "box_half_shift",
        [box("bbox", 0, 0, 10, 10, "car")],
        [box("bbox", 5, 0, 10, 10, "car")],
    )
    pair(
        P_BOXES, "box_nested", [box("bbox", 0, 0, 10, 10, "car")], [box("bbox", 2, 2, 5, 5, "car")]
    )
    pair(
        P_BOXES,
        "box_touching",
        [box("bbox", 0, 0, 10, 10, "car")],
        [box("bbox", 10, 0, 10, 10, "car")],
    )
    pair(
        P_BOXES,
        "box_disjoint",
        [box("bbox", 0, 0, 10, 10, "car")],
        [box("bbox", 50, 50, 10, 10, "car")],
    )
    pair(
        P_BOXES,
        "box_label_mismatch",
        [box("bbox", 0, 0, 10, 10, "car")],
        [box("bbox", 0, 0, 10, 10, "bus")],
    )
    # rotated 90 degrees about the top-left corner = the axis-aligned box to its left
    pair(
        P_BOXES,
        "box_rotated_90_equals_shifted",
        [box("bbox", 20, 20, 10, 10, "car", rotation=90)],
        [box("bbox", 10, 20, 10, 10, "car")],
    )
    pair(
        P_BOXES,
        "box_rotated_identical",
        [box("bbox", 30, 30, 10, 6, "car", rotation=33)],
        [box("bbox", 30, 30, 10, 6, "car", rotation=33)],
    )
    # unit-ish square vs the same square rotated 45 degrees about its centre (octagon overlap)
    s = 10 / math.sqrt(2)
    pair(
        P_BOXES,
        "box_rotated_45_octagon",
        [box("bbox", 40, 40, 10, 10, "car")],
        [box("bbox", 45, 45 - s, 10, 10, "car", rotation=45)],
    )

    # scalar controls
    for name, kind, attrs in [
        ("label", "choices", {}),
        ("tags", "choices", {"is_multiple": True}),
        ("stars", "rating", {"max_rating": 5}),
        ("rating_scaled", "rating", {"max_rating": 5}),
        ("count", "number", {}),
        ("number_scaled", "number", {"min_value": 0, "max_value": 20}),
        ("notes", "textarea", {}),
        ("notes_085", "textarea", {}),
        ("pref", "pairwise", {}),
        ("rank", "ranker", {}),
        ("rank_tau", "ranker", {}),
        ("tax", "taxonomy", {}),
        ("tax_exact", "taxonomy", {}),
        ("tax_jaccard", "taxonomy", {}),
        ("poly", "polygonlabels", {}),
    ]:
        b.control(P_SCALAR, name, kind, **attrs)
    pair(P_SCALAR, "choice_same", [choices("label", "pos")], [choices("label", "pos")])
    pair(P_SCALAR, "choice_differ", [choices("label", "pos")], [choices("label", "neg")])
    pair(P_SCALAR, "multi_jaccard", [choices("tags", "a", "b")], [choices("tags", "c", "b")])
    pair(P_SCALAR, "multi_both_empty", [choices("tags")], [choices("tags")])
    pair(P_SCALAR, "multi_one_empty", [choices("tags")], [choices("tags", "a")])
    pair(
        P_SCALAR,
        "multi_order_insensitive",
        [choices("tags", "a", "b")],
        [choices("tags", "b", "a")],
    )
    pair(P_SCALAR, "ratings_345", [rating("stars", 3)], [rating("stars", 4)], [rating("stars", 5)])
    pair(P_SCALAR, "rating_scaled_1_5", [rating("rating_scaled", 1)], [rating("rating_scaled", 5)])
    pair(P_SCALAR, "rating_scaled_2_3", [rating("rating_scaled", 2)], [rating("rating_scaled", 3)])
    pair(P_SCALAR, "number_diff", [number("count", 7)], [number("count", 10)])
    pair(
        P_SCALAR, "number_scaled_5_10", [number("number_scaled", 5)], [number("number_scaled", 10)]
    )
    pair(
        P_SCALAR,
        "text_one_edit",
        [textarea("notes", "hello world")],
        [textarea("notes", "hello world!")],
    )
    pair(
        P_SCALAR,
        "text_extra_line",
        [textarea("notes", "same", "extra")],
        [textarea("notes", "same")],
    )
    pair(
        P_SCALAR,
        "text_threshold_pass",
        [textarea("notes_085", "hello world")],
        [textarea("notes_085", "hello world!")],
    )
    pair(
        P_SCALAR,
        "text_threshold_fail",
        [textarea("notes_085", "same", "extra")],
        [textarea("notes_085", "same")],
    )
    pair(P_SCALAR, "pairwise_same", [pairwise("pref", "left")], [pairwise("pref", "left")])
    pair(P_SCALAR, "pairwise_differ", [pairwise("pref", "left")], [pairwise("pref", "right")])
    pair(
        P_SCALAR,
        "rank_same",
        [ranker("rank", "r1", "r2", "r3")],
        [ranker("rank", "r1", "r2", "r3")],
    )
    pair(
        P_SCALAR,
        "rank_swap",
        [ranker("rank", "r1", "r2", "r3")],
        [ranker("rank", "r1", "r3", "r2")],
    )
    pair(
        P_SCALAR,
        "tau_swap",
        [ranker("rank_tau", "r1", "r2", "r3")],
        [ranker("rank_tau", "r1", "r3", "r2")],
    )
    pair(
        P_SCALAR,
        "tau_reversed",
        [ranker("rank_tau", "r1", "r2", "r3")],
        [ranker("rank_tau", "r3", "r2", "r1")],
    )
    deep, shallow, other = (
        ["Safety", "Violence", "Threat"],
        ["Safety", "Violence"],
        ["Integrity", "Spam"],
    )
    for control in ("tax", "tax_exact", "tax_jaccard"):
        pair(
            P_SCALAR, f"{control}_ancestor", [taxonomy(control, deep)], [taxonomy(control, shallow)]
        )
        pair(
            P_SCALAR,
            f"{control}_two_vs_one",
            [taxonomy(control, deep, other)],
            [taxonomy(control, deep)],
        )
        pair(
            P_SCALAR,
            f"{control}_same_set",
            [taxonomy(control, other, deep)],
            [taxonomy(control, deep, other)],
        )
    pair(
        P_SCALAR,
        "polygon_unscored",
        [{"control_name": "poly", "result_type": "polygonlabels"}],
        [{"control_name": "poly", "result_type": "polygonlabels"}],
    )

    # the same cases with the two annotations' results swapped (symmetry)
    for name, _ in SYMMETRY_CASES:
        project, results_a, results_b = inputs[name]
        pair(project, name + "_swapped", results_b, results_a)

    # pair rules
    b.control(P_RULES, "label", "choices")
    b.control(P_RULES, "stars", "rating")
    task = b.task(P_RULES)
    cases["rules"] = (task, P_RULES)
    b.annotation(
        P_RULES, task, 1, [choices("label", "pos"), rating("stars", 4)], annotation_id=9001
    )
    b.annotation(P_RULES, task, 2, [choices("label", "pos")], annotation_id=9002)  # no stars
    b.annotation(P_RULES, task, 3, [], annotation_id=9003, is_cancelled=True)  # skipped
    b.annotation(P_RULES, task, 4, [choices("label", "neg")], annotation_id=9004)  # no stars
    single = b.task(P_RULES)
    cases["single"] = (single, P_RULES)
    b.annotation(P_RULES, single, 1, [choices("label", "pos"), rating("stars", 2)])
    b.annotation(P_RULES, single, 2, [], is_cancelled=True)

    # random rotated boxes vs the reference clipper (each pair its own task)
    b.control(P_GEOMETRY, "bbox", "rectanglelabels")
    rng = random.Random(7)
    geometry = []
    for i in range(160):
        with_image = i % 4 != 0

        def random_box():
            rotation = 0.0 if rng.random() < 0.25 else rng.uniform(-180, 360)
            return (
                rng.uniform(10, 60),
                rng.uniform(10, 60),
                rng.uniform(1, 40),
                rng.uniform(1, 40),
                rotation,
            )

        a = random_box()
        bb = (
            random_box()
            if rng.random() < 0.7
            else (
                a[0] + rng.uniform(-5, 5),
                a[1] + rng.uniform(-5, 5),
                *a[2:4],
                a[4] + rng.uniform(-20, 20),
            )
        )
        task = b.task(P_GEOMETRY)
        image = IMAGE if with_image else None
        b.annotation(P_GEOMETRY, task, 1, [box("bbox", *a[:4], "obj", rotation=a[4], image=image)])
        b.annotation(
            P_GEOMETRY, task, 2, [box("bbox", *bb[:4], "obj", rotation=bb[4], image=image)]
        )
        geometry.append((task, reference_iou(a, bb, image)))

    # a prediction against two annotations (model_human pairs)
    b.control(P_MODEL, "label", "choices")
    b.control(P_MODEL, "stars", "rating")
    task = b.task(P_MODEL)
    cases["model"] = (task, P_MODEL)
    b.annotation(P_MODEL, task, 1, [choices("label", "pos"), rating("stars", 5)])
    b.annotation(P_MODEL, task, 2, [choices("label", "neg"), rating("stars", 5)])
    b.prediction(P_MODEL, task, "m-v1", [choices("label", "pos")])

    root = tmp_path_factory.mktemp("handworked")
    db = root / "handworked.duckdb"
    b.write(db)
    run_agreement(
        db,
        root / "target",
        dbt_vars={
            "concord_agreement_metrics": METRIC_OVERRIDES,
            "concord_agreement_thresholds": THRESHOLDS,
        },
    )
    return db, cases, geometry


def control_agreement(warehouse, case: str, control: str) -> dict:
    db, cases, _ = warehouse
    task, _ = cases[case]
    rows = query_dicts(
        db,
        f"select * from marts.fct_control_agreement where task_id = {task} and control_name = '{control}'",
    )
    assert len(rows) == 1, (case, control, rows)
    return rows[0]


def pair_agreements(warehouse, case: str, control: str) -> list[float]:
    db, cases, _ = warehouse
    task, _ = cases[case]
    rows = query_dicts(
        db,
        f"""
        select agreement from marts.fct_pair_agreement
        where task_id = {task} and control_name = '{control}'
        order by annotation_id_a, annotation_id_b""",
    )
    return [r["agreement"] for r in rows]


@pytest.mark.parametrize(
    "case, expected",
    [
        # Enterprise's example: best IoUs 5/7 and 7/20 each way -> (0.71 + 0.35 + 0.71 + 0.35) / 4
        ("enterprise_053", (5 / 7 + 7 / 20 + 5 / 7 + 7 / 20) / 4),
        ("span_identical", 1.0),
        ("span_touching", 0.0),
        ("span_nested", 3 / 10),
        ("span_disjoint", 0.0),
        ("span_label_mismatch", 0.0),
        ("span_missed_region", (1 + 0 + 1) / 3),
        ("span_partial", 5 / 15),
    ],
)
def test_span_iou(warehouse, case: str, expected: float) -> None:
    assert pair_agreements(warehouse, case, "ner") == [pytest.approx(expected, abs=TOL)]


def test_enterprise_span_example_rounds_to_053(warehouse) -> None:
    assert round(pair_agreements(warehouse, "enterprise_053", "ner")[0], 2) == 0.53


@pytest.mark.parametrize(
    "case, expected",
    [
        ("box_half_shift", 50 / 150),
        ("box_nested", 25 / 100),
        ("box_touching", 0.0),
        ("box_disjoint", 0.0),
        ("box_label_mismatch", 0.0),
        ("box_rotated_90_equals_shifted", 1.0),
        ("box_rotated_identical", 1.0),
        # octagon area 100 * 2 (sqrt 2 - 1); union 200 - that
        ("box_rotated_45_octagon", 200 * (math.sqrt(2) - 1) / (200 - 200 * (math.sqrt(2) - 1))),
    ],
)
def test_box_iou(warehouse, case: str, expected: float) -> None:
    assert pair_agreements(warehouse, case, "bbox") == [pytest.approx(expected, abs=1e-9)]


def test_rotated_boxes_match_reference_clipper(warehouse) -> None:
    db, _, geometry = warehouse
    rows = {
        r["task_id"]: r["agreement"]
        for r in query_dicts(
            db,
            f"select task_id, agreement from marts.fct_pair_agreement where project_id = {P_GEOMETRY}",
        )
    }
    assert len(rows) == len(geometry)
    overlapping = 0
    for task, expected in geometry:
        assert rows[task] == pytest.approx(expected, abs=1e-9), (task, rows[task], expected)
        overlapping += expected > 0
    assert overlapping >= 40  # the sample really exercises the intersection polygon


@pytest.mark.parametrize(
    "case, control, expected",
    [
        ("choice_same", "label", [1.0]),
        ("choice_differ", "label", [0.0]),
        ("multi_jaccard", "tags", [1 / 3]),
        ("multi_both_empty", "tags", [1.0]),
        ("multi_one_empty", "tags", [0.0]),
        ("multi_order_insensitive", "tags", [1.0]),
        ("ratings_345", "stars", [1 / 2, 1 / 3, 1 / 2]),  # 1 / (1 + |a - b|)
        ("rating_scaled_1_5", "rating_scaled", [0.0]),  # 1 - |a - b| / (5 - 1)
        ("rating_scaled_2_3", "rating_scaled", [0.75]),
        ("number_diff", "count", [1 / 4]),
        ("number_scaled_5_10", "number_scaled", [1 - 5 / 20]),
        ("text_one_edit", "notes", [1 - 1 / 12]),
        ("text_extra_line", "notes", [(1 + 0) / 2]),
        ("text_threshold_pass", "notes_085", [1.0]),  # 0.9167 >= 0.85
        ("text_threshold_fail", "notes_085", [0.0]),  # 0.5 < 0.85
        ("pairwise_same", "pref", [1.0]),
        ("pairwise_differ", "pref", [0.0]),
        ("rank_same", "rank", [1.0]),
        ("rank_swap", "rank", [0.0]),
        ("tau_swap", "rank_tau", [(1 / 3 + 1) / 2]),  # tau = (2 - 1) / 3
        ("tau_reversed", "rank_tau", [0.0]),
        ("tax_ancestor", "tax", [2 / 3]),  # nodes {S, S/V, S/V/T} vs {S, S/V}
        ("tax_two_vs_one", "tax", [3 / 5]),
        ("tax_same_set", "tax", [1.0]),
        ("tax_exact_ancestor", "tax_exact", [0.0]),
        ("tax_exact_two_vs_one", "tax_exact", [0.0]),
        ("tax_exact_same_set", "tax_exact", [1.0]),
        ("tax_jaccard_ancestor", "tax_jaccard", [0.0]),
        ("tax_jaccard_two_vs_one", "tax_jaccard", [1 / 2]),
        ("tax_jaccard_same_set", "tax_jaccard", [1.0]),
    ],
)
def test_scalar_metrics(warehouse, case: str, control: str, expected: list[float]) -> None:
    assert pair_agreements(warehouse, case, control) == [
        pytest.approx(v, abs=TOL) for v in expected
    ]


def test_ratings_345_control_mean_and_median_consensus(warehouse) -> None:
    row = control_agreement(warehouse, "ratings_345", "stars")
    assert row["n_pairs"] == 3
    assert row["agreement"] == pytest.approx((1 / 2 + 1 / 3 + 1 / 2) / 3)
    assert row["consensus_number"] == 4.0 and row["consensus_share"] == pytest.approx(1 / 3)


def test_metric_versions_and_names_recorded(warehouse) -> None:
    db, _, _ = warehouse
    rows = query_dicts(
        db,
        "select distinct control_name, metric_name, metric_version from marts.fct_pair_agreement",
    )
    by_control = {r["control_name"]: r for r in rows}
    assert by_control["rank_tau"]["metric_name"] == "ranker_kendall_tau"
    assert by_control["tax"]["metric_name"] == "taxonomy_common_subtree"
    assert all(r["metric_version"] >= 1 for r in rows)


def test_unscored_control_listed_with_reason(warehouse) -> None:
    db, _, _ = warehouse
    rows = query_dicts(
        db, f"select * from marts.dim_skipped_controls where project_id = {P_SCALAR}"
    )
    assert [(r["control_name"], r["skip_reason"]) for r in rows] == [
        ("poly", "no agreement metric configured for control type polygonlabels")
    ]
    assert (
        query_dicts(
            db, "select count(*) as n from marts.fct_pair_agreement where control_name = 'poly'"
        )[0]["n"]
        == 0
    )


def test_missing_control_scores_zero_and_absent_in_both_does_not_count(warehouse) -> None:
    # annotations 9001 (pos, 4 stars), 9002 (pos), 9003 skipped, 9004 (neg)
    db, cases, _ = warehouse
    task, _ = cases["rules"]
    rows = query_dicts(
        db,
        f"""
        select control_name, annotation_id_a, annotation_id_b, agreement
        from marts.fct_pair_agreement where task_id = {task} order by 1, 2, 3""",
    )
    assert [
        (r["control_name"], r["annotation_id_a"], r["annotation_id_b"], r["agreement"])
        for r in rows
    ] == [
        ("label", 9001, 9002, 1.0),
        ("label", 9001, 9004, 0.0),
        ("label", 9002, 9004, 0.0),
        ("stars", 9001, 9002, 0.0),  # present in one annotation only: 0
        ("stars", 9001, 9004, 0.0),
        # (9002, 9004) has no stars on either side: not a pair for that control
    ]
    stars = control_agreement(warehouse, "rules", "stars")
    assert stars["n_annotations"] == 3 and stars["n_pairs"] == 2 and stars["agreement"] == 0.0


def test_single_annotation_is_null_never_one(warehouse) -> None:
    for control in ("label", "stars"):
        row = control_agreement(warehouse, "single", control)
        assert row["n_annotations"] == 1 and row["n_pairs"] == 0 and row["agreement"] is None
    db, cases, _ = warehouse
    task, _ = cases["single"]
    row = query_dicts(db, f"select * from marts.fct_task_agreement where task_id = {task}")[0]
    assert row["agreement"] is None and row["n_controls_scored"] == 0


def test_model_human_pairs(warehouse) -> None:
    db, cases, _ = warehouse
    task, _ = cases["model"]
    rows = query_dicts(
        db,
        f"""
        select control_name, annotator_id_b, model_version_a, is_present_a, agreement
        from intermediate.int_agreement__judgment_pairs_scored
        where task_id = {task} and pair_kind = 'model_human' order by 1, 2""",
    )
    assert [
        (
            r["control_name"],
            r["annotator_id_b"],
            r["model_version_a"],
            r["is_present_a"],
            r["agreement"],
        )
        for r in rows
    ] == [
        ("label", 1, "m-v1", True, 1.0),
        ("label", 2, "m-v1", True, 0.0),
        ("stars", 1, "m-v1", False, 0.0),
        ("stars", 2, "m-v1", False, 0.0),
    ]
    # the model is not part of the human agreement
    label = control_agreement(warehouse, "model", "label")
    assert label["n_pairs"] == 1 and label["agreement"] == 0.0 and label["is_consensus_tied"]


@pytest.mark.parametrize("case, control", SYMMETRY_CASES)
def test_scores_symmetric(warehouse, case: str, control: str) -> None:
    """s(a, b) = s(b, a): the same results with the two annotations swapped score the same."""
    forward = pair_agreements(warehouse, case, control)
    backward = pair_agreements(warehouse, case + "_swapped", control)
    assert len(forward) == 1 and backward == [pytest.approx(forward[0], abs=1e-12)]
