"""Model-eval metrics against reference implementations on randomized data.

One seeded random dataset with many groups (each group = one project) is written as staging tables,
the model-eval models are built once, and every group's numbers are compared with:
  - numpy / scipy.stats.pearsonr / scipy.stats.spearmanr: n, MAE, RMSE, bias, Pearson, Spearman
    (annotation level and task level with the median consensus); model scores are rounded to two
    decimals so ties occur;
  - sklearn.metrics.cohen_kappa_score and confusion_matrix: model label vs majority human label;
  - sklearn.calibration.calibration_curve (per-bin accuracy and mean score) and a numpy ECE;
  - a direct Python transcription of the anchoring index definition (docs/model_eval.md).
All to 1e-9.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict

import numpy as np
import pytest
from scipy import stats
from sklearn.calibration import calibration_curve
from sklearn.metrics import cohen_kappa_score, confusion_matrix
from staging_fakes import query_dicts, run_model_eval
from test_handworked import LABELS, Staging

SEED = 20261128
TOL = 1e-9
N_DELTA_PROJECTS = 80
N_KAPPA_PROJECTS = 60
N_ANCHOR_PROJECTS = 40
LABEL_VALUES = {"positive": 1.0, "negative": 0.0, "neutral": 0.5}


def build_random(rng: random.Random) -> tuple[Staging, dict]:
    s = Staging()
    truth: dict = {"deltas": {}, "kappa": {}, "anchoring": {}}
    next_id = iter(range(1_000_000, 10_000_000))

    # ---- score deltas: rating control vs data score
    for p in range(N_DELTA_PROJECTS):
        project_id = 10_000 + p
        max_rating = rng.choice([2, 3, 5, 7, 10])
        s.add("stg_label_studio__projects", project_id=project_id, score_field="score")
        s.add(
            "stg_label_studio__controls",
            project_id=project_id,
            control_name="stars",
            control_type="rating",
            max_rating=max_rating,
        )
        constant = rng.random() < 0.1  # some groups without variation in x
        annotation_pairs, task_pairs = [], []
        for _ in range(rng.randint(1, 20)):
            task_id = next(next_id)
            score = 0.5 if constant else round(rng.random(), 2)
            s.task(task_id, project_id, {"score": score})
            values = []
            for _ in range(rng.randint(1, 4)):
                ann_id = next(next_id)
                rating = rng.randint(1, max_rating)
                s.annotation(ann_id, task_id, project_id, rng.randint(1, 6))
                s.result(ann_id, task_id, project_id, "stars", "rating", rating=float(rating))
                value = (rating - 1) / (max_rating - 1)
                values.append(value)
                annotation_pairs.append((score, value))
            task_pairs.append((score, float(np.median(values))))
        truth["deltas"][project_id] = {"annotation": annotation_pairs, "task": task_pairs}

    # ---- kappa and calibration: model label + confidence vs majority human label
    for p in range(N_KAPPA_PROJECTS):
        project_id = 20_000 + p
        s.add("stg_label_studio__projects", project_id=project_id, score_field="score")
        s.add(
            "stg_label_studio__controls",
            project_id=project_id,
            control_name="label",
            control_type="choices",
            choices=LABELS,
        )
        labels = LABELS if rng.random() < 0.8 else LABELS[:2]
        units = defaultdict(list)  # model_version -> [(model label, human label, confidence)]
        for _ in range(rng.randint(2, 40)):
            task_id = next(next_id)
            s.task(task_id, project_id, {"text": "x"})
            human = [rng.choice(labels) for _ in range(rng.randint(1, 3))]
            for label in human:
                ann_id = next(next_id)
                s.annotation(ann_id, task_id, project_id, rng.randint(1, 6))
                s.result(ann_id, task_id, project_id, "label", "choices", choices=[label])
            counts = Counter(human).most_common()
            majority = counts[0][0] if len(counts) == 1 or counts[0][1] > counts[1][1] else None
            for version in rng.sample(["m-a", "m-b"], rng.randint(1, 2)):
                model_label = rng.choice(labels)
                confidence = rng.random()
                s.prediction(
                    next(next_id),
                    task_id,
                    project_id,
                    version,
                    confidence,
                    [{"control_name": "label", "result_type": "choices", "choices": [model_label]}],
                )
                if majority is not None:
                    units[version].append((model_label, majority, confidence))
        truth["kappa"][project_id] = units

    # ---- anchoring: several annotators, random overlap
    for p in range(N_ANCHOR_PROJECTS):
        project_id = 30_000 + p
        s.add("stg_label_studio__projects", project_id=project_id, score_field="score")
        s.add(
            "stg_label_studio__controls",
            project_id=project_id,
            control_name="stars",
            control_type="rating",
            max_rating=5,
        )
        annotators = list(range(1, rng.randint(3, 6)))
        per_task = {}  # task -> {annotator: [abs deltas]}
        for _ in range(rng.randint(2, 15)):
            task_id = next(next_id)
            score = round(rng.random(), 3)
            s.task(task_id, project_id, {"score": score})
            who = rng.sample(annotators, rng.randint(1, len(annotators)))
            deltas = defaultdict(list)
            for annotator in who:
                for _ in range(1 if rng.random() < 0.9 else 2):  # sometimes twice on one task
                    ann_id = next(next_id)
                    rating = rng.randint(1, 5)
                    s.annotation(ann_id, task_id, project_id, annotator)
                    s.result(ann_id, task_id, project_id, "stars", "rating", rating=float(rating))
                    deltas[annotator].append(abs(score - (rating - 1) / 4))
            per_task[task_id] = deltas
        truth["anchoring"][project_id] = per_task
    return s, truth


@pytest.fixture(scope="module")
def random_warehouse(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("model_eval_random")
    db = tmp / "random.duckdb"
    staging, truth = build_random(random.Random(SEED))
    staging.write(db)
    run_model_eval(db, tmp / "target")
    return db, truth


def close(actual, expected) -> bool:
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return actual is None
    return actual is not None and abs(actual - expected) <= TOL


def test_deltas_and_correlations_match_scipy(random_warehouse):
    db, truth = random_warehouse
    rows = query_dicts(
        db,
        """
        select * from marts.fct_score_delta_summary
        where project_id between 10000 and 19999 and score_source = 'data_field'""",
    )
    got = {(r["project_id"], r["comparison_level"]): r for r in rows}
    checked = 0
    for project_id, levels in truth["deltas"].items():
        for level, pairs in levels.items():
            row = got[(project_id, level)]
            x = np.array([p[0] for p in pairs])
            y = np.array([p[1] for p in pairs])
            d = x - y
            assert row["n"] == len(pairs)
            assert close(row["mae"], float(np.mean(np.abs(d))))
            assert close(row["rmse"], float(np.sqrt(np.mean(d * d))))
            assert close(row["mean_signed_bias"], float(np.mean(d)))
            varied = len(pairs) >= 2 and np.ptp(x) > 0 and np.ptp(y) > 0
            pearson = float(stats.pearsonr(x, y)[0]) if varied else None
            spearman = float(stats.spearmanr(x, y)[0]) if varied else None
            assert close(row["pearson"], pearson), (project_id, level, row["pearson"], pearson)
            assert close(row["spearman"], spearman), (project_id, level, row["spearman"], spearman)
            checked += 1
    assert len(got) == checked == 2 * N_DELTA_PROJECTS


def test_kappa_and_confusion_match_sklearn(random_warehouse):
    db, truth = random_warehouse
    kappas = {
        (r["project_id"], r["model_version"]): r
        for r in query_dicts(
            db, "select * from marts.fct_model_label_kappa where project_id between 20000 and 29999"
        )
    }
    cells = defaultdict(dict)
    for r in query_dicts(
        db, "select * from marts.fct_model_label_confusion where project_id between 20000 and 29999"
    ):
        cells[(r["project_id"], r["model_version"])][(r["model_label"], r["human_label"])] = r[
            "n_units"
        ]
    n_checked = n_undefined = 0
    for project_id, units in truth["kappa"].items():
        for version, rows in units.items():
            if not rows:
                assert (project_id, version) not in kappas
                continue
            model = [u[0] for u in rows]
            human = [u[1] for u in rows]
            row = kappas[(project_id, version)]
            assert row["n_units"] == len(rows)
            with np.errstate(all="ignore"):
                expected = float(cohen_kappa_score(model, human))
            if math.isnan(expected):
                n_undefined += 1
            assert close(row["cohen_kappa"], expected), (project_id, version, row, expected)
            labels = sorted(set(model) | set(human))
            matrix = confusion_matrix(model, human, labels=labels)
            assert len(cells[(project_id, version)]) == len(labels) ** 2
            for i, ml in enumerate(labels):
                for j, hl in enumerate(labels):
                    assert cells[(project_id, version)][(ml, hl)] == matrix[i, j]
            n_checked += 1
    assert n_checked >= 80
    assert n_checked - n_undefined >= 60


def test_calibration_matches_sklearn_and_numpy_ece(random_warehouse):
    db, truth = random_warehouse
    summaries = {
        (r["project_id"], r["model_version"]): r
        for r in query_dicts(
            db, "select * from marts.fct_model_calibration where project_id between 20000 and 29999"
        )
    }
    bins = defaultdict(dict)
    for r in query_dicts(
        db,
        "select * from marts.fct_model_calibration_bins where project_id between 20000 and 29999",
    ):
        bins[(r["project_id"], r["model_version"])][r["bin_index"]] = r
    n_checked = 0
    for project_id, units in truth["kappa"].items():
        for version, rows in units.items():
            key = (project_id, version)
            correct = np.array([1.0 if u[0] == u[1] else 0.0 for u in rows])
            conf = np.array([u[2] for u in rows])
            if not rows:
                assert summaries[key]["n_units"] == 0 and summaries[key]["ece"] is None
                continue
            index = np.minimum(np.floor(conf * 10), 9).astype(int)
            ece = sum(
                (index == b).sum()
                / len(rows)
                * abs(correct[index == b].mean() - conf[index == b].mean())
                for b in range(10)
                if (index == b).any()
            )
            assert close(summaries[key]["ece"], float(ece))
            prob_true, prob_pred = calibration_curve(
                correct, conf, n_bins=10, strategy="uniform", pos_label=1.0
            )
            nonempty = [bins[key][b] for b in range(10) if bins[key][b]["n_units"] > 0]
            assert len(nonempty) == len(prob_true)
            for row, acc, mean in zip(nonempty, prob_true, prob_pred):
                assert close(row["accuracy"], float(acc))
                assert close(row["mean_score"], float(mean))
            n_checked += 1
    assert n_checked >= 80


def test_anchoring_index_matches_definition(random_warehouse):
    db, truth = random_warehouse
    rows = {
        (r["project_id"], r["annotator_id"]): r
        for r in query_dicts(
            db,
            """
            select * from marts.fct_anchoring_index
            where project_id between 30000 and 39999 and score_source = 'data_field'""",
        )
    }
    n_defined = 0
    for project_id, per_task in truth["anchoring"].items():
        per_annotator = defaultdict(list)  # annotator -> [(own - peers)]
        annotators = {a for deltas in per_task.values() for a in deltas}
        for deltas in per_task.values():
            means = {a: float(np.mean(v)) for a, v in deltas.items()}
            if len(means) < 2:
                continue
            for a, own in means.items():
                peers = float(np.mean([m for b, m in means.items() if b != a]))
                per_annotator[a].append(own - peers)
        for a in annotators:
            row = rows[(project_id, a)]
            diffs = per_annotator.get(a, [])
            assert row["n_shared_tasks"] == len(diffs)
            expected = float(np.mean(diffs)) if len(diffs) >= 3 else None
            assert close(row["anchoring_index"], expected), (project_id, a, row, expected)
            assert row["is_anchoring_flagged"] == (expected is not None and expected <= -0.15)
            n_defined += expected is not None
    assert n_defined >= 40
