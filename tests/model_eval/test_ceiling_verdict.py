"""fct_model_ceiling_verdict (#14 item 2) recomputed independently of the SQL on the built
warehouse (real byos_text / ner_spans projects): per model version and control, the tasks the
version predicted are resampled with the Python-drawn Poisson(1) weights
(tests/agreement/bootstrap_reference.py); the model-human mean (fct_model_agreement), the human
ceiling on the same tasks (fct_pair_agreement) and their gap are recomputed per replicate; the
intervals (numpy percentiles) and the verdict must equal the mart's to 1e-9, and the estimates
fct_agreement_ceiling's."""

from __future__ import annotations

import importlib.util
from collections import defaultdict
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "bootstrap_reference",
    Path(__file__).resolve().parent.parent / "agreement" / "bootstrap_reference.py",
)
_reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_reference)
percentile_interval, poisson_weights = _reference.percentile_interval, _reference.poisson_weights

TOLERANCE = 1e-9
B = 1000  # the default var
SEED = 14
MIN_UNITS = 10


def test_ceiling_intervals_and_verdicts(built_warehouse, query) -> None:
    rows = query(built_warehouse, "select * from marts.fct_model_ceiling_verdict")
    columns = [c[0] for c in query(built_warehouse, "describe marts.fct_model_ceiling_verdict")]
    verdicts = [dict(zip(columns, r)) for r in rows]
    assert verdicts, "no model version to judge"
    model = defaultdict(lambda: [0, 0.0])
    for project_id, control, version, task_id, agreement in query(
        built_warehouse,
        "select project_id, control_name, model_version, task_id, agreement from marts.fct_model_agreement"
        " where comparison = 'annotation'",
    ):
        cell = model[(project_id, control, version, task_id)]
        cell[0] += agreement is not None
        cell[1] += agreement or 0.0
    tasks_of = defaultdict(set)
    for project_id, control, version, task_id in query(
        built_warehouse,
        "select distinct project_id, control_name, model_version, task_id from marts.fct_model_agreement",
    ):
        tasks_of[(project_id, control, version)].add(task_id)
    human = defaultdict(lambda: [0, 0.0])
    for project_id, control, task_id, agreement in query(
        built_warehouse,
        "select project_id, control_name, task_id, agreement from marts.fct_pair_agreement",
    ):
        human[(project_id, control, task_id)][0] += 1
        human[(project_id, control, task_id)][1] += agreement
    ceiling = {
        (r[0], r[1], r[2]): r[3:]
        for r in query(
            built_warehouse,
            "select project_id, control_name, model_version, model_human_agreement, human_human_agreement,"
            " agreement_gap from marts.fct_agreement_ceiling",
        )
    }
    all_tasks = sorted({t for tasks in tasks_of.values() for t in tasks})
    weights = poisson_weights(SEED, all_tasks, B)
    seen = set()
    for row in verdicts:
        key = (row["project_id"], row["control_name"], row["model_version"])
        tasks = sorted(tasks_of[key])
        assert row["n_tasks"] == len(tasks)
        for got, want in zip(
            (row["model_human_agreement"], row["human_human_agreement"], row["agreement_gap"]),
            ceiling[key],
        ):
            assert (got is None and want is None) or abs(got - want) <= TOLERANCE
        replicates = []
        for r in range(1, B + 1):
            n_m = sum(weights[(r, t)] * model[(*key, t)][0] for t in tasks)
            s_m = sum(weights[(r, t)] * model[(*key, t)][1] for t in tasks)
            n_h = sum(weights[(r, t)] * human[(key[0], key[1], t)][0] for t in tasks)
            s_h = sum(weights[(r, t)] * human[(key[0], key[1], t)][1] for t in tasks)
            if n_m and n_h:
                replicates.append((s_m / n_m, s_h / n_h, s_m / n_m - s_h / n_h))
        assert row["n_valid_replicates"] == len(replicates)
        if row["agreement_gap"] is None or len(tasks) < MIN_UNITS or B - len(replicates) > 0.01 * B:
            assert row["verdict"] == "insufficient_data" and row["ci_reason"], row
            assert row["agreement_gap_lower"] is None
            seen.add("insufficient_data")
            continue
        for index, name in enumerate(
            ("model_human_agreement", "human_human_agreement", "agreement_gap")
        ):
            lower, upper = percentile_interval([v[index] for v in replicates], 0.95)
            assert abs(row[f"{name}_lower"] - lower) <= TOLERANCE, (
                key,
                name,
                row[f"{name}_lower"],
                lower,
            )
            assert abs(row[f"{name}_upper"] - upper) <= TOLERANCE, (
                key,
                name,
                row[f"{name}_upper"],
                upper,
            )
        expected = (
            "below_human_ceiling" if row["agreement_gap_upper"] < 0 else "within_human_ceiling"
        )
        assert row["verdict"] == expected and row["ci_reason"] is None, row
        seen.add(expected)
    assert "within_human_ceiling" in seen, seen
