"""fct_control_reliability against independent reference implementations, to 1e-9:
Krippendorff's alpha (nominal, ordinal, interval) vs the `krippendorff` package, Fleiss' kappa vs
statsmodels, Cohen's kappa vs scikit-learn, on 240 randomized ragged datasets (missing values,
varying numbers of annotators per unit), each its own project, all built in ONE dbt invocation.
Plus Gwet's AC1 and percent agreement vs the published irrCAC worked example (Gwet 2014).
"""

from __future__ import annotations

import math
import random

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa

from .agreement_staging import Builder, choices, query_dicts, rating, run_agreement

N_DATASETS = 240
TOLERANCE = 1e-9


def _make_dataset(rng: random.Random, shape: str) -> dict[str, object]:
    """A dataset: {unit: {annotator: (category or None, rating or None)}}."""
    n_units = rng.randint(2, 25)
    n_annotators = 2 if shape == "two_annotators" else rng.randint(2, 7)
    n_categories = rng.randint(1, 5) if shape != "degenerate" else 1
    skew = [rng.random() ** 2 + 0.05 for _ in range(n_categories)]
    agreement = rng.random()
    per_unit_m = rng.randint(2, n_annotators) if shape == "balanced" else None
    units: dict[int, dict[int, tuple[str | None, int | None]]] = {}
    for unit in range(n_units):
        truth_cat = rng.choices(range(n_categories), weights=skew)[0]
        truth_rating = rng.randint(1, 5)
        if shape == "balanced":
            raters = rng.sample(range(n_annotators), per_unit_m)
        else:
            raters = [a for a in range(n_annotators) if rng.random() < 0.7]
        values = {}
        for annotator in raters:
            cat = truth_cat if rng.random() < agreement else rng.randrange(n_categories)
            score = truth_rating if rng.random() < agreement else rng.randint(1, 5)
            if shape == "degenerate":
                score = 3
            # missing data per control (not in balanced sets: Fleiss needs equal counts per control)
            drop_cat = shape not in ("balanced", "degenerate") and rng.random() < 0.1
            drop_score = shape not in ("balanced", "degenerate") and rng.random() < 0.1
            values[annotator] = (None if drop_cat else f"c{cat}", None if drop_score else score)
        units[unit] = values
    return {"units": units, "n_annotators": n_annotators}


def _shape(index: int) -> str:
    return (
        ["ragged", "two_annotators", "balanced", "ragged", "ragged"][index % 5]
        if index % 37
        else "degenerate"
    )


@pytest.fixture(scope="module")
def reliability(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    rng = random.Random(20261128)
    builder = Builder()
    datasets = {}
    for index in range(N_DATASETS):
        project_id = index + 1
        data = _make_dataset(rng, _shape(index))
        datasets[project_id] = data
        builder.control(project_id, "cat", "choices")
        builder.control(project_id, "score", "rating", max_rating=5)
        for unit, values in data["units"].items():
            task_id = builder.task(project_id)
            for annotator, (cat, score) in values.items():
                results = []
                if cat is not None:
                    results.append(choices("cat", cat))
                if score is not None:
                    results.append(rating("score", score))
                builder.annotation(project_id, task_id, 100 + annotator, results)
            data.setdefault("task_ids", {})[unit] = task_id
    _add_gwet_example(builder)
    root = tmp_path_factory.mktemp("reliability")
    db = root / "reliability.duckdb"
    builder.write(db)
    run_agreement(db, root / "target")
    rows = query_dicts(db, "select * from marts.fct_control_reliability")
    return datasets, {(r["project_id"], r["control_name"]): r for r in rows}


# Gwet (2014) / irrCAC's worked example `cac.raw4raters`: 12 units, 4 raters, categories 1-5,
# missing ratings as None. Published (irrCAC README, R package): percent agreement 0.8181818,
# Gwet's AC1 = 0.77544 (pe 0.1903212), Krippendorff's alpha 0.74342. AC2 with quadratic weights
# on the same data = 0.914 (irrCAC 0.4.4 for Python, `CAC(data, weights="quadratic").gwet()`;
# the R vignette runs the same call), interval alpha 0.84911 (irrCAC, quadratic weights).
GWET_PROJECT = 10_000
CAC_RAW4RATERS = [
    (1, 1, None, 1),
    (2, 2, 3, 2),
    (3, 3, 3, 3),
    (3, 3, 3, 3),
    (2, 2, 2, 2),
    (1, 2, 3, 4),
    (4, 4, 4, 4),
    (1, 1, 2, 1),
    (2, 2, 2, 2),
    (None, 5, 5, 5),
    (None, None, 1, 1),
    (None, None, 3, None),
]


def _add_gwet_example(builder: Builder) -> None:
    builder.control(GWET_PROJECT, "cat", "choices")
    builder.control(GWET_PROJECT, "score", "rating", max_rating=5)
    for ratings in CAC_RAW4RATERS:
        task_id = builder.task(GWET_PROJECT)
        for rater, value in enumerate(ratings):
            if value is not None:
                builder.annotation(
                    GWET_PROJECT,
                    task_id,
                    rater + 1,
                    [choices("cat", str(value)), rating("score", value)],
                )


def test_gwet_published_example(reliability) -> None:
    _, rows = reliability
    for control in ("cat", "score"):
        row = rows[(GWET_PROJECT, control)]
        assert row["percent_agreement"] == pytest.approx(0.8181818, abs=5e-8)
        assert row["gwet_ac1"] == pytest.approx(0.77544, abs=5e-6)
        assert row["alpha_nominal"] == pytest.approx(0.74342, abs=5e-6)
        assert row["n_units"] == 12 and row["n_coincident_units"] == 11 and row["n_values"] == 41
        # raters rate 2-4 units each: Fleiss needs equal counts, Cohen two raters
        assert row["fleiss_kappa"] is None and row["fleiss_reason"].startswith(
            "units have unequal numbers"
        )
        assert (
            row["cohen_kappa"] is None
            and row["cohen_reason"] == "needs exactly two annotators (found 4)"
        )
    score = rows[(GWET_PROJECT, "score")]
    assert score["gwet_ac2"] == pytest.approx(0.914, abs=5e-6)
    assert score["alpha_interval"] == pytest.approx(0.84911, abs=5e-6)
    cat = rows[(GWET_PROJECT, "cat")]
    assert (
        cat["gwet_ac2"] is None
        and cat["gwet_reason"] == "AC2 needs ordered (numeric) categories; AC1 given"
    )


def _matrix(data: dict, which: int, encode) -> np.ndarray:
    """coders x units reliability matrix (nan = missing) for the krippendorff package."""
    units = sorted(data["units"])
    matrix = np.full((data["n_annotators"], len(units)), np.nan)
    for column, unit in enumerate(units):
        for annotator, values in data["units"][unit].items():
            if values[which] is not None:
                matrix[annotator, column] = encode(values[which])
    return matrix


def _reference_alpha(matrix: np.ndarray, level: str) -> float | None:
    pairable = (np.sum(~np.isnan(matrix), axis=0) >= 2).sum()
    if pairable == 0:
        return None
    try:
        value = krippendorff.alpha(reliability_data=matrix, level_of_measurement=level)
    except ValueError:  # "There has to be more than one value in the domain."
        return None
    return None if math.isnan(value) else float(value)


def _close(actual: float | None, expected: float | None) -> bool:
    if expected is None:
        return actual is None
    return actual is not None and abs(actual - expected) <= TOLERANCE


def test_alpha_matches_krippendorff_package(reliability) -> None:
    datasets, rows = reliability
    checked = {"nominal": 0, "ordinal": 0, "interval": 0}
    for project_id, data in datasets.items():
        cat = _matrix(data, 0, lambda v: float(v[1:]))
        score = _matrix(data, 1, float)
        expectations = [
            ("cat", "nominal", _reference_alpha(cat, "nominal")),
            ("score", "nominal", _reference_alpha(score, "nominal")),
            ("score", "ordinal", _reference_alpha(score, "ordinal")),
            ("score", "interval", _reference_alpha(score, "interval")),
        ]
        for control, level, expected in expectations:
            row = rows[(project_id, control)]
            actual = row[f"alpha_{level}"]
            assert _close(actual, expected), (
                project_id,
                control,
                level,
                actual,
                expected,
                row["alpha_reason"],
            )
            if expected is not None:
                checked[level] += 1
            else:
                assert row["alpha_reason"], (project_id, control)
    assert min(checked.values()) >= 200, checked


def _fleiss_table(data: dict, which: int) -> np.ndarray | None:
    """units x categories counts over units with >= 2 values; None unless all have the same count."""
    counts = []
    for unit in sorted(data["units"]):
        values = [v[which] for v in data["units"][unit].values() if v[which] is not None]
        if len(values) >= 2:
            counts.append(values)
    if not counts or len({len(v) for v in counts}) != 1:
        return None
    categories = sorted({v for values in counts for v in values})
    return np.array([[values.count(c) for c in categories] for values in counts])


def test_fleiss_matches_statsmodels(reliability) -> None:
    datasets, rows = reliability
    checked = 0
    for project_id, data in datasets.items():
        for control, which in (("cat", 0), ("score", 1)):
            row = rows[(project_id, control)]
            table = _fleiss_table(data, which)
            expected = None
            if table is not None:
                value = fleiss_kappa(table, method="fleiss")
                expected = None if math.isnan(value) or math.isinf(value) else float(value)
            assert _close(row["fleiss_kappa"], expected), (
                project_id,
                control,
                row["fleiss_kappa"],
                expected,
                row["fleiss_reason"],
            )
            if expected is None:
                assert row["fleiss_reason"], (project_id, control)
            else:
                checked += 1
    assert checked >= 60, checked


def test_cohen_matches_scikit_learn(reliability) -> None:
    datasets, rows = reliability
    checked = 0
    for project_id, data in datasets.items():
        for control, which in (("cat", 0), ("score", 1)):
            row = rows[(project_id, control)]
            annotators = sorted(
                {
                    a
                    for values in data["units"].values()
                    for a, v in values.items()
                    if v[which] is not None
                }
            )
            expected = None
            if len(annotators) == 2:
                first, second = annotators
                shared = [
                    (values[first][which], values[second][which])
                    for values in data["units"].values()
                    if first in values
                    and second in values
                    and values[first][which] is not None
                    and values[second][which] is not None
                ]
                if shared:
                    y1 = [str(a) for a, _ in shared]
                    y2 = [str(b) for _, b in shared]
                    with np.errstate(all="ignore"):
                        value = cohen_kappa_score(y1, y2)
                    expected = None if math.isnan(value) else float(value)
            assert _close(row["cohen_kappa"], expected), (
                project_id,
                control,
                row["cohen_kappa"],
                expected,
                row["cohen_reason"],
            )
            if expected is None:
                assert row["cohen_reason"], (project_id, control)
            else:
                checked += 1
    assert checked >= 60, checked


def test_counts_and_single_annotation_units(reliability) -> None:
    datasets, rows = reliability
    for project_id, data in datasets.items():
        values = [
            v[0] for unit in data["units"].values() for v in unit.values() if v[0] is not None
        ]
        per_unit = [
            sum(1 for v in unit.values() if v[0] is not None) for unit in data["units"].values()
        ]
        row = rows[(project_id, "cat")]
        assert row["n_values"] == len(values)
        assert row["n_units"] == sum(1 for n in per_unit if n >= 1)
        assert row["n_coincident_units"] == sum(1 for n in per_unit if n >= 2)
