"""fct_control_icc and fct_annotator_bias against independent references, all in ONE dbt build:
- complete designs (every rater rates every task once; 80 random datasets, Rating and Number):
  all six ICC forms = pingouin.intraclass_corr (tests only) to 1e-9;
- ragged designs: the two-way forms are NULL with a reason; ICC1 / ICC1k = the unbalanced
  one-way random-effects ANOVA computed here with numpy (k0 = (N - sum n_i^2 / N) / (n - 1));
- no variance between tasks: NULL with a reason (pingouin gives NaN);
- per-annotator bias: mean of (own number - numpy.median of the other annotators' numbers on the
  task), and its t interval with scipy.stats.t.ppf, to 1e-9; above df 1000 the SQL expansion;
- the seed of t quantiles = scipy to 1e-12.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin
import pytest
from scipy import stats

from .agreement_staging import Builder, number, query_dicts, rating, run_agreement

TOLERANCE = 1e-9
N_COMPLETE = 80
N_RAGGED = 30
FLAT_PROJECT = 5_000
BIG_PROJECT = 5_001  # two annotators share 1,100 tasks: df 1,099 uses the expansion
FORMS = {"ICC1": "ICC(1,1)", "ICC2": "ICC(A,1)", "ICC3": "ICC(C,1)",
         "ICC1k": "ICC(1,k)", "ICC2k": "ICC(A,k)", "ICC3k": "ICC(C,k)"}  # fmt: skip
REPO = Path(__file__).resolve().parents[2]


def _ratings(rng: random.Random, complete: bool, control: str) -> list[tuple[int, int, float]]:
    """(task, rater, value) rows: task effects + rater biases + noise, on the control's scale."""
    n_tasks = rng.randint(3, 25)
    n_raters = rng.randint(2, 6)
    spread = rng.choice([0.3, 1.0, 3.0])
    biases = [rng.gauss(0, 0.7) for _ in range(n_raters)]
    rows = []
    for t in range(n_tasks):
        effect = rng.gauss(0, spread)
        raters = range(n_raters) if complete else [r for r in range(n_raters) if rng.random() < 0.6]
        for r in raters:
            raw = 3 + effect + biases[r] + rng.gauss(0, 1)
            if control == "stars":
                value = float(min(5, max(1, round(raw))))
            else:
                value = round(raw * 4) / 4  # quarters: exact in binary, ties and all
            rows.append((t, r, value))
    return rows


def _result(control: str, value: float) -> dict:
    return rating("stars", value) if control == "stars" else number("amount", value)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    rng = random.Random(20261203)
    builder = Builder()
    datasets: dict[tuple[int, str], dict] = {}

    def add(
        project_id: int, control: str, rows: list[tuple[int, int, float]], complete: bool
    ) -> None:
        if control == "stars":
            builder.control(project_id, "stars", "rating", max_rating=5)
        else:
            builder.control(project_id, "amount", "number", min_value=-10, max_value=20)
        task_ids = {t: builder.task(project_id) for t in sorted({t for t, _, _ in rows})}
        for t, r, value in rows:
            builder.annotation(project_id, task_ids[t], 100 + r, [_result(control, value)])
        datasets[(project_id, control)] = {
            "rows": [(task_ids[t], f"annotator:{100 + r}", v) for t, r, v in rows],
            "complete": complete,
        }

    for index in range(N_COMPLETE + N_RAGGED):
        complete = index < N_COMPLETE
        control = "stars" if index % 2 else "amount"
        rows = _ratings(rng, complete, control)
        if not complete and len({t for t, _, _ in rows}) < 2:
            rows = rows + [(99, 0, 3.0), (99, 1, 2.0)]
        add(index + 1, control, rows, complete)
    add(FLAT_PROJECT, "amount", [(t, r, 4.0) for t in range(4) for r in range(3)], True)
    big = [(t, r, float(rng.randint(0, 10))) for t in range(1_100) for r in range(2)]
    add(BIG_PROJECT, "amount", big, True)
    root = tmp_path_factory.mktemp("icc")
    db = root / "icc.duckdb"
    builder.write(db)
    run_agreement(db, root / "target")
    return {
        "datasets": datasets,
        "icc": {
            (r["project_id"], r["control_name"], r["icc_form"]): r
            for r in query_dicts(db, "select * from marts.fct_control_icc")
        },
        "bias": {
            (r["project_id"], r["control_name"], r["annotator_id"]): r
            for r in query_dicts(db, "select * from marts.fct_annotator_bias")
        },
    }


def test_complete_designs_match_pingouin(built) -> None:
    checked = 0
    for (project_id, control), data in built["datasets"].items():
        if not data["complete"] or project_id == FLAT_PROJECT:
            continue
        frame = pd.DataFrame(data["rows"], columns=["task", "rater", "value"])
        reference = pingouin.intraclass_corr(frame, targets="task", raters="rater", ratings="value")
        by_type = dict(zip(reference["Type"], reference["ICC"], strict=True))
        for form, type_name in FORMS.items():
            row = built["icc"][(project_id, control, form)]
            assert row["icc_type"] == type_name
            assert row["is_complete_design"] and row["null_reason"] is None, (project_id, form)
            assert abs(row["icc"] - float(by_type[type_name])) <= TOLERANCE, (
                project_id,
                form,
                row["icc"],
                by_type[type_name],
            )
            checked += 1
    assert checked >= 6 * N_COMPLETE


def _one_way(rows: list[tuple]) -> tuple[float, float]:
    """Unbalanced one-way random-effects ANOVA: (ICC1, ICC1k) with k0 raters per task."""
    groups = defaultdict(list)
    for task, _, value in rows:
        groups[task].append(value)
    values = np.array([v for _, _, v in rows])
    sizes = np.array([len(g) for g in groups.values()])
    means = np.array([np.mean(g) for g in groups.values()])
    n, total = len(groups), len(values)
    ms_between = float(np.sum(sizes * (means - values.mean()) ** 2) / (n - 1))
    ms_within = float(
        sum(np.sum((np.array(g) - np.mean(g)) ** 2) for g in groups.values()) / (total - n)
    )
    k0 = (total - np.sum(sizes**2) / total) / (n - 1)
    return (
        (ms_between - ms_within) / (ms_between + (k0 - 1) * ms_within),
        (ms_between - ms_within) / ms_between,
    )


def test_ragged_designs_one_way_only(built) -> None:
    checked = 0
    for (project_id, control), data in built["datasets"].items():
        if data["complete"]:
            continue
        cells = {(t, r) for t, r, _ in data["rows"]}
        tasks = {t for t, _, _ in data["rows"]}
        raters = {r for _, r, _ in data["rows"]}
        if len(cells) == len(tasks) * len(raters):
            continue  # happened to be complete
        icc1, icc1k = _one_way(data["rows"])
        assert abs(built["icc"][(project_id, control, "ICC1")]["icc"] - icc1) <= TOLERANCE
        assert abs(built["icc"][(project_id, control, "ICC1k")]["icc"] - icc1k) <= TOLERANCE
        for form in ("ICC2", "ICC3", "ICC2k", "ICC3k"):
            row = built["icc"][(project_id, control, form)]
            assert row["icc"] is None and row["null_reason"].startswith(
                "two-way forms need a complete design"
            )
        checked += 1
    assert checked >= 20, checked


def test_no_variance_is_null_with_reason(built) -> None:
    for form in FORMS:
        row = built["icc"][(FLAT_PROJECT, "amount", form)]
        assert (
            row["icc"] is None
            and row["null_reason"] == "no variance between tasks (zero denominator)"
        )


def test_bias_and_t_interval_match_numpy_scipy(built) -> None:
    checked = 0
    for (project_id, control), data in built["datasets"].items():
        by_task = defaultdict(list)
        for task, rater, value in data["rows"]:
            by_task[task].append((rater, value))
        differences = defaultdict(list)
        for entries in by_task.values():
            for rater, value in entries:
                others = [v for r, v in entries if r != rater]
                if others:
                    differences[rater].append(value - float(np.median(others)))
        for rater in {r for _, r, _ in data["rows"]}:
            row = built["bias"][(project_id, control, rater)]
            diffs = differences.get(rater, [])
            assert row["n_compared"] == len(diffs)
            if not diffs:
                assert row["mean_bias"] is None and row["ci_null_reason"]
                continue
            assert abs(row["mean_bias"] - float(np.mean(diffs))) <= TOLERANCE
            if len(diffs) < 2:
                assert row["bias_ci_lower"] is None and row["ci_null_reason"]
                continue
            half = stats.t.ppf(0.975, len(diffs) - 1) * np.std(diffs, ddof=1) / np.sqrt(len(diffs))
            assert abs(row["bias_ci_lower"] - (np.mean(diffs) - half)) <= TOLERANCE, (
                project_id,
                rater,
            )
            assert abs(row["bias_ci_upper"] - (np.mean(diffs) + half)) <= TOLERANCE, (
                project_id,
                rater,
            )
            assert row["ci_level"] == 0.95
            checked += 1
    assert checked >= 300, checked
    assert built["bias"][(BIG_PROJECT, "amount", "annotator:100")]["n_compared"] == 1_100


def test_t_quantile_seed_matches_scipy() -> None:
    with open(REPO / "seeds" / "student_t_quantiles.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4 * 1001
    for row in rows:
        level, df, value = float(row["level"]), int(row["df"]), float(row["t_quantile"])
        q = 1 - (1 - level) / 2
        expected = stats.norm.ppf(q) if df == 0 else stats.t.ppf(q, df)
        assert abs(value - expected) <= 1e-12, row
