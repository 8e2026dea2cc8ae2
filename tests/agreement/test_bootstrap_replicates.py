"""Bootstrap intervals of fct_control_reliability (#14), checked independently of the SQL:

- every replicate of every coefficient (int_reliability__bootstrap_replicates) equals the
  coefficient recomputed in Python (tests/agreement/bootstrap_reference.py: krippendorff,
  statsmodels, scikit-learn, Gwet's formulas) on the units repeated as often as the Python-drawn
  Poisson(1) weights say, to 1e-9; NULL exactly where the reference is undefined;
- every interval of fct_control_reliability_ci equals numpy's percentile interval of those
  replicates, and is NULL with the documented reason otherwise;
- a rebuild gives the same bytes;
- the reliability_for_tasks table macro on all tasks returns fct_control_reliability_ci, and on a
  subset the intervals of a build made of that subset only.
All in one warehouse of randomized ragged projects (2-7 annotators, missing values)."""

from __future__ import annotations

import random

import duckdb
import pytest

from .agreement_staging import Builder, choices, query_dicts, rating, run_agreement
from .bootstrap_reference import coefficients, percentile_interval, poisson_weights
from .test_reliability_reference import _make_dataset

N_PROJECTS = 36
REPLICATES = 120
SEED = 14
TOLERANCE = 1e-9
COEFFICIENTS = [
    "percent_agreement",
    "alpha_nominal",
    "alpha_ordinal",
    "alpha_interval",
    "gwet_ac1",
    "gwet_ac2",
    "fleiss_kappa",
    "cohen_kappa",
    "mean_pairwise_agreement",
]
VARS = {
    "concord_bootstrap_replicates": REPLICATES,
    "concord_bootstrap_seed": SEED,
    "concord_bootstrap_min_units": 5,
}


def _shape(index: int) -> str:
    return ["ragged", "two_annotators", "balanced", "ragged"][index % 4]


def _build(db, datasets: dict, target) -> None:
    builder = Builder()
    for project_id, data in datasets.items():
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
    _add_published_table(builder)
    builder.write(db)
    run_agreement(db, target, dbt_vars=VARS)


# irrCAC's published contingency-table example `cont3x3abstractors` (Gwet 2014; irrCAC README and
# vignette): 100 subjects, 2 raters, categories Ectopic / AIU / NIU; rows rater 1, columns rater 2.
# Published (analytic, Gwet's variance over subjects, 95% t-interval):
#   Cohen's kappa 0.7964094 se 0.05891072 (0.68, 0.913); Gwet's AC1 0.8493305 se 0.04321747
#   (0.764, 0.935); Krippendorff's alpha 0.7972585 se 0.05905473 (0.68, 0.914);
#   percent agreement 0.89 se 0.03128898.
PUBLISHED_PROJECT = 10_001
CONT3X3 = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]
PUBLISHED = {
    "cohen_kappa": (0.7964094, 0.05891072),
    "gwet_ac1": (0.8493305, 0.04321747),
    "alpha_nominal": (0.7972585, 0.05905473),
    "percent_agreement": (0.89, 0.03128898),
}


def _add_published_table(builder: Builder) -> None:
    labels = ["Ectopic", "AIU", "NIU"]
    builder.control(PUBLISHED_PROJECT, "cat", "choices")
    for i, row in enumerate(CONT3X3):
        for j, count in enumerate(row):
            for _ in range(count):
                task_id = builder.task(PUBLISHED_PROJECT)
                builder.annotation(PUBLISHED_PROJECT, task_id, 1, [choices("cat", labels[i])])
                builder.annotation(PUBLISHED_PROJECT, task_id, 2, [choices("cat", labels[j])])


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    rng = random.Random(1414)
    datasets = {}
    for index in range(N_PROJECTS):
        data = _make_dataset(rng, _shape(index))
        while len(data["units"]) < 8:  # enough units for an interval (min units 5)
            data = _make_dataset(rng, _shape(index))
        datasets[index + 1] = data
    root = tmp_path_factory.mktemp("bootstrap")
    db = root / "bootstrap.duckdb"
    _build(db, datasets, root / "target")
    return db, datasets, root


def _control_units(data: dict, control: str) -> tuple[dict[int, dict], list]:
    """{task_id: {annotator: value or None}} for the control, and the annotators who answered it."""
    which = 0 if control == "cat" else 1
    units = {}
    answered = set()
    for unit, values in data["units"].items():
        per_annotator = {a: v[which] for a, v in values.items()}
        units[data["task_ids"][unit]] = per_annotator
        answered |= {a for a, v in per_annotator.items() if v is not None}
    return units, sorted(answered)


def _metric(control: str):
    if control == "cat":
        return lambda a, b: 1.0 if a == b else 0.0
    return lambda a, b: 1.0 / (1.0 + abs(a - b))  # numeric_difference, the Rating default


def _close(actual, expected) -> bool:
    if expected is None:
        return actual is None
    return actual is not None and abs(actual - expected) <= TOLERANCE


@pytest.fixture(scope="module")
def reference(warehouse):
    _db, datasets, _ = warehouse
    all_tasks = [t for data in datasets.values() for t in data["task_ids"].values()]
    weights = poisson_weights(SEED, all_tasks, REPLICATES)
    expected = {}
    for project_id, data in datasets.items():
        for control in ("cat", "score"):
            units, annotators = _control_units(data, control)
            for replicate in range(REPLICATES + 1):
                resampled = []
                for task_id, unit in units.items():
                    copies = 1 if replicate == 0 else weights[(replicate, task_id)]
                    resampled += [unit] * copies
                expected[(replicate, project_id, control)] = coefficients(
                    resampled, annotators, control == "score", _metric(control)
                )
    return expected


def test_point_estimates_match_reference(warehouse, reference) -> None:
    """Replicate 0 of the reference (every weight 1) is the data: it equals the mart, so the
    reference and the SQL compute the same quantities before any resampling."""
    db, datasets, _ = warehouse
    rows = {
        (r["project_id"], r["control_name"]): r
        for r in query_dicts(db, "select * from marts.fct_control_reliability")
    }
    checked = 0
    for project_id in datasets:
        for control in ("cat", "score"):
            for name in COEFFICIENTS:
                actual, expected = (
                    rows[(project_id, control)][name],
                    reference[(0, project_id, control)][name],
                )
                assert _close(actual, expected), (project_id, control, name, actual, expected)
                checked += expected is not None
    assert checked > 300


def test_every_replicate_matches_reference(warehouse, reference) -> None:
    db, datasets, _ = warehouse
    rows = query_dicts(db, "select * from intermediate.int_reliability__bootstrap_replicates")
    by_key = {(r["replicate_id"], r["project_id"], r["control_name"]): r for r in rows}
    checked = {name: 0 for name in COEFFICIENTS}
    for project_id in datasets:
        for control in ("cat", "score"):
            for replicate in range(1, REPLICATES + 1):
                row = by_key.get((replicate, project_id, control), {})
                expected = reference[(replicate, project_id, control)]
                for name in COEFFICIENTS:
                    actual = row.get(name)
                    assert _close(actual, expected[name]), (
                        replicate,
                        project_id,
                        control,
                        name,
                        actual,
                        expected[name],
                    )
                    checked[name] += expected[name] is not None
    # every coefficient is exercised on thousands of replicates
    assert min(checked.values()) >= 1000, checked


def test_intervals_are_the_percentiles_of_the_replicates(warehouse, reference) -> None:
    db, _datasets, _ = warehouse
    rows = query_dicts(
        db,
        f"select * from marts.fct_control_reliability_ci where project_id != {PUBLISHED_PROJECT}",
    )
    assert len(rows) == N_PROJECTS * 2 * len(COEFFICIENTS)
    given = 0
    for row in rows:
        key = (row["project_id"], row["control_name"])
        estimate = reference[(0, *key)][row["coefficient"]]
        values = [reference[(r, *key)][row["coefficient"]] for r in range(1, REPLICATES + 1)]
        valid = [v for v in values if v is not None]
        assert row["n_replicates"] == REPLICATES and row["ci_level"] == 0.95
        assert row["n_valid_replicates"] == (
            len(valid) if estimate is not None else row["n_valid_replicates"]
        )
        if estimate is None:
            assert row["ci_lower"] is None and row["ci_reason"].startswith("no estimate: ")
        elif row["n_units"] < VARS["concord_bootstrap_min_units"]:
            assert row["ci_lower"] is None and row["ci_reason"].startswith("too few units")
        elif REPLICATES - len(valid) > 0.01 * REPLICATES:
            assert row["ci_lower"] is None and row["ci_reason"].startswith(
                f"undefined in {REPLICATES - len(valid)} of"
            )
        else:
            lower, upper = percentile_interval(valid, 0.95)
            assert row["ci_reason"] is None
            assert (
                abs(row["ci_lower"] - lower) <= TOLERANCE
                and abs(row["ci_upper"] - upper) <= TOLERANCE
            ), row
            assert row["ci_lower"] <= row["ci_upper"]
            given += 1
    assert given >= 150, given


def _snapshot(db) -> list[tuple]:
    con = duckdb.connect(str(db))
    try:
        con.execute("set enable_progress_bar = false")
        return (
            con.execute(
                "select * from marts.fct_control_reliability_ci order by project_id, control_name, coefficient"
            ).fetchall()
            + con.execute(
                "select * from intermediate.int_reliability__bootstrap_replicates order by all"
            ).fetchall()
        )
    finally:
        con.close()


def test_rebuild_is_byte_identical(warehouse) -> None:
    db, _, root = warehouse
    before = _snapshot(db)
    run_agreement(db, root / "target2", dbt_vars=VARS, command="run")
    after = _snapshot(db)
    assert len(before) == len(after)
    # exact equality (Python float ==, struct-level): the same bytes, not merely close
    assert [repr(r) for r in before] == [repr(r) for r in after]


def _macro(con, where: str) -> list[tuple]:
    columns = [
        d[0]
        for d in con.execute("select * from marts.fct_control_reliability_ci limit 0").description
    ]
    return con.execute(
        f"select {', '.join(columns)} from reliability_for_tasks("
        f"(select list(task_id) from staging.stg_label_studio__tasks where {where})) order by all"
    ).fetchall()


def test_table_macro_on_all_tasks_equals_the_mart(warehouse) -> None:
    db, _, _ = warehouse
    con = duckdb.connect(str(db))
    try:
        con.execute("set enable_progress_bar = false")
        mart = con.execute("select * from marts.fct_control_reliability_ci order by all").fetchall()
        assert _macro(con, "true") == mart
    finally:
        con.close()


def test_table_macro_on_a_subset_equals_a_build_of_the_subset(warehouse, tmp_path) -> None:
    """The macro on the even tasks of projects 1-12 = the marts built from those tasks alone."""
    db, datasets, _ = warehouse
    subset = {}
    for project_id in range(1, 13):
        data = datasets[project_id]
        kept = {u: v for u, v in data["units"].items() if data["task_ids"][u] % 2 == 0}
        subset[project_id] = {"units": kept, "n_annotators": data["n_annotators"], "task_ids": {}}
    # rebuild with the same task ids: the weights are a function of (seed, replicate, task_id)
    # the macro reports the projects the chosen tasks belong to: a project none of whose tasks is
    # chosen is left out of the subset build too
    subset = {project_id: data for project_id, data in subset.items() if data["units"]}
    builder = Builder()
    for project_id, data in subset.items():
        builder.control(project_id, "cat", "choices")
        builder.control(project_id, "score", "rating", max_rating=5)
        for unit, values in data["units"].items():
            task_id = datasets[project_id]["task_ids"][unit]
            builder.task(project_id, task_id)
            for annotator, (cat, score) in values.items():
                results = ([choices("cat", cat)] if cat is not None else []) + (
                    [rating("score", score)] if score is not None else []
                )
                builder.annotation(project_id, task_id, 100 + annotator, results)
    sub_db = tmp_path / "subset.duckdb"
    builder.write(sub_db)
    run_agreement(sub_db, tmp_path / "target", dbt_vars=VARS)
    con = duckdb.connect(str(db))
    sub = duckdb.connect(str(sub_db))
    try:
        con.execute("set enable_progress_bar = false")
        built = sub.execute(
            "select * from marts.fct_control_reliability_ci order by all"
        ).fetchall()
        from_macro = _macro(con, "project_id <= 12 and task_id % 2 = 0")
        assert len(subset) >= 10
        assert len(built) == len(from_macro) == len(subset) * 2 * len(COEFFICIENTS)
        for got, want in zip(from_macro, built):
            for a, b in zip(got, want):
                assert a == b or (isinstance(a, float) and abs(a - b) <= TOLERANCE), (got, want)
    finally:
        con.close()
        sub.close()


def test_weights_are_independent_poisson() -> None:
    """The unit weights (the same function the SQL uses: the replicate test above fails if they
    differ) behave as independent Poisson(1) draws: mean 1, variance 1, P(0) = e^-1, and no two
    units' weights are correlated across replicates. A weak hash combination once gave units 1-10
    correlations of 0.98 (every replicate resampled nearly the same tasks)."""
    import math

    import numpy as np

    units = list(range(1, 61))
    weights = poisson_weights(SEED, units, 1000)
    matrix = np.array([[weights[(r, u)] for u in units] for r in range(1, 1001)], dtype=float)
    assert abs(matrix.mean() - 1) < 0.02 and abs(matrix.var() - 1) < 0.04
    assert abs((matrix == 0).mean() - math.exp(-1)) < 0.01
    correlations = np.corrcoef(matrix.T) - np.eye(len(units))
    # independent columns over 1000 replicates: |r| above 0.16 has probability < 1e-6 per pair
    assert np.abs(correlations).max() < 0.16, np.abs(correlations).max()
    across = np.corrcoef(matrix[:200]) - np.eye(200)  # replicates are not copies of each other
    assert np.abs(across).max() < 0.75


def test_published_example_against_irrcac_standard_errors(warehouse) -> None:
    """cont3x3abstractors: the estimates equal irrCAC's published values, and the bootstrap
    standard error (sd of the replicates) is within 25 % of irrCAC's analytic one (Gwet's
    linearisation over subjects). They estimate the same sampling variance by different routes:
    at n = 100 they should agree roughly, not exactly (the bootstrap sd itself has ~7 % noise at
    B = 120; the analytic formula is a first-order approximation). The printed table is the one in
    docs/agreement.md."""
    import statistics

    db, _, _ = warehouse
    estimates = query_dicts(
        db, f"select * from marts.fct_control_reliability where project_id = {PUBLISHED_PROJECT}"
    )[0]
    replicates = query_dicts(
        db,
        f"select * from intermediate.int_reliability__bootstrap_replicates where project_id = {PUBLISHED_PROJECT}",
    )
    intervals = {
        r["coefficient"]: r
        for r in query_dicts(
            db,
            f"select * from marts.fct_control_reliability_ci where project_id = {PUBLISHED_PROJECT}",
        )
    }
    assert len(replicates) == REPLICATES
    print()
    for name, (value, published_se) in PUBLISHED.items():
        assert abs(estimates[name] - value) < 5e-7, (name, estimates[name], value)
        bootstrap_se = statistics.stdev(r[name] for r in replicates)
        row = intervals[name]
        print(
            f"  {name:<18} {value:.4f}  irrCAC se {published_se:.4f}  bootstrap se {bootstrap_se:.4f}"
            f"  interval ({row['ci_lower']:.3f}, {row['ci_upper']:.3f})"
        )
        assert 0.75 * published_se <= bootstrap_se <= 1.25 * published_se, (
            name,
            bootstrap_se,
            published_se,
        )
