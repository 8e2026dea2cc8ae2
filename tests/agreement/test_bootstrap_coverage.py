"""Coverage of the bootstrap intervals (#14 item 3): projects drawn from a known generating
process (ragged designs, missing values, 2-7 annotators), built through the real SQL in ONE dbt
invocation; the share of 95% intervals (fct_control_reliability_ci) that contain the population
value of the process is measured per coefficient.

Generating process, per project: K = 2-4 categories with prevalences p; each unit has a true
category t ~ p and a true rating s ~ uniform(1..5); 2-7 annotators, each rates a unit with
probability 0.55-0.9 (ragged, missing values) and gives the truth with probability a (0.35-0.9),
otherwise a uniform draw. Population values (the large-sample limits of the coefficients):
  P(agree) = sum_t p_t sum_c P(c | t)^2,  q_c = sum_t p_t P(c | t),  P(c | t) = a [c = t] + (1 - a) / K
  alpha_nominal = 1 - (1 - P(agree)) / (1 - sum_c q_c^2);  percent_agreement = P(agree)
  gwet_ac1 = (P(agree) - pe) / (1 - pe),  pe = sum_c q_c (1 - q_c) / (K - 1)
  alpha_interval (rating) = 1 - E[(x1 - x2)^2 | same unit] / E[(x - y)^2 | different units]

The default run (CONCORD_COVERAGE_PROJECTS unset) uses 60 projects and only checks coverage is
not far off (0.85-1.0: its binomial noise is large); the reported number comes from the full run:
    CONCORD_COVERAGE_PROJECTS=240 .venv/bin/pytest -q -s tests/agreement/test_bootstrap_coverage.py
which asserts every coefficient's coverage within 0.92-0.98 and prints the table."""

from __future__ import annotations

import os
import random

import pytest

from .agreement_staging import Builder, choices, query_dicts, rating, run_agreement

N_PROJECTS = int(os.environ.get("CONCORD_COVERAGE_PROJECTS", "60"))
FULL = N_PROJECTS >= 200
TOLERANCE = (0.92, 0.98) if FULL else (0.85, 1.0)


def _population(p: list[float], accuracy: float) -> dict[str, float]:
    k = len(p)

    def given(c: int, t: int) -> float:
        return accuracy * (c == t) + (1 - accuracy) / k

    agree = sum(p[t] * sum(given(c, t) ** 2 for c in range(k)) for t in range(k))
    q = [sum(p[t] * given(c, t) for t in range(k)) for c in range(k)]
    expected_agree = sum(x * x for x in q)
    pe = sum(x * (1 - x) for x in q) / (k - 1)
    ratings = range(1, 6)

    def rating_given(x: int, s: int) -> float:
        return accuracy * (x == s) + (1 - accuracy) / 5

    within = sum(
        0.2 * rating_given(x, s) * rating_given(y, s) * (x - y) ** 2
        for s in ratings
        for x in ratings
        for y in ratings
    )
    marginal = [sum(0.2 * rating_given(x, s) for s in ratings) for x in ratings]
    between = sum(marginal[i] * marginal[j] * (i - j) ** 2 for i in range(5) for j in range(5))
    return {
        ("cat", "alpha_nominal"): 1 - (1 - agree) / (1 - expected_agree),
        ("cat", "percent_agreement"): agree,
        ("cat", "gwet_ac1"): (agree - pe) / (1 - pe),
        ("score", "alpha_interval"): 1 - within / between,
    }


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory):
    rng = random.Random(20261203)
    builder = Builder()
    truths = {}
    for project_id in range(1, N_PROJECTS + 1):
        k = rng.randint(2, 4)
        raw = [rng.random() + 0.3 for _ in range(k)]
        p = [x / sum(raw) for x in raw]
        accuracy = rng.uniform(0.35, 0.9)
        n_annotators = rng.randint(2, 7)
        presence = rng.uniform(0.55, 0.9)
        truths[project_id] = _population(p, accuracy)
        builder.control(project_id, "cat", "choices")
        builder.control(project_id, "score", "rating", max_rating=5)
        for _ in range(rng.randint(40, 120)):
            task_id = builder.task(project_id)
            t = rng.choices(range(k), weights=p)[0]
            s = rng.randint(1, 5)
            for annotator in range(n_annotators):
                if rng.random() >= presence:
                    continue
                c = t if rng.random() < accuracy else rng.randrange(k)
                x = s if rng.random() < accuracy else rng.randint(1, 5)
                builder.annotation(
                    project_id,
                    task_id,
                    100 + annotator,
                    [choices("cat", f"c{c}"), rating("score", x)],
                )
    root = tmp_path_factory.mktemp("coverage")
    db = root / "coverage.duckdb"
    builder.write(db)
    run_agreement(db, root / "target")  # the defaults: B = 1000, level 0.95
    rows = query_dicts(db, "select * from marts.fct_control_reliability_ci")
    return truths, {(r["project_id"], r["control_name"], r["coefficient"]): r for r in rows}


def _coverage(truths, rows, key) -> tuple[int, int, float]:
    covered = given = 0
    for project_id, population in truths.items():
        row = rows[(project_id, *key)]
        assert row["n_replicates"] == 1000 and row["ci_level"] == 0.95
        if row["ci_lower"] is None:
            continue
        given += 1
        covered += row["ci_lower"] <= population[key] <= row["ci_upper"]
    return covered, given, covered / given


# alpha_interval's percentile interval under-covers on this design (measured, session 5):
# 48/60 = 0.80 here, 0.871 at 240 projects. An independent numpy bootstrap of the same data
# gives the same 0.80 (the SQL is not the cause: its estimates equal krippendorff's to 2e-16 and
# its replicate spread equals a numpy Poisson bootstrap), and a BCa interval reaches only 0.85.
# Per-design simulation: 0.84-0.91 with 12-15 pairable units (2 annotators), 0.93-0.95 with 35+.
# strict: when a better interval method lands, this XPASSes and the mark must go (#14 item 3).
ALPHA_INTERVAL_SHORTFALL = pytest.mark.xfail(
    strict=True,
    reason="#14 item 3 open: percentile bootstrap under-covers alpha_interval (0.80 < 0.85)",
)


@pytest.mark.parametrize(
    "key",
    [
        ("cat", "alpha_nominal"),
        ("cat", "percent_agreement"),
        ("cat", "gwet_ac1"),
        pytest.param(("score", "alpha_interval"), marks=ALPHA_INTERVAL_SHORTFALL),
    ],
    ids=lambda key: key[1],
)
def test_coverage_of_the_95_percent_intervals(simulated, key) -> None:
    truths, rows = simulated
    assert set(next(iter(truths.values()))) >= {key}
    covered, given, share = _coverage(truths, rows, key)
    print(
        f"\ncoverage of 95% intervals, {N_PROJECTS} projects: {key}: {covered}/{given} = {share:.3f}"
    )
    assert given >= 0.9 * N_PROJECTS, (key, given)
    assert TOLERANCE[0] <= share <= TOLERANCE[1], (key, covered, given, share)
