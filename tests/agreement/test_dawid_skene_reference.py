"""Dawid-Skene in SQL (int_agreement__dawid_skene, fct_consensus_labels, fct_annotator_quality)
against crowd-kit's `DawidSkene` (tests only), to 1e-6, on 60 random ragged datasets (each its own
project: a single-choice control, a Rating control read as categories, a Pairwise control), all
built in ONE dbt invocation with crowd-kit's defaults (100 iterations, tol 1e-5):
  - every posterior probability (probas_), and the iteration count (len(loss_history_));
  - the weighted label (labels_: idxmax, ties to the first label) where no near-tie;
  - every confusion-matrix cell (errors_) and the estimated accuracy (sum_c prior_c * e[c|c]);
  - the majority label = the unique mode of the votes (NULL on a tie).
Plus a synthetic project with one adversarial annotator (always flips the label) beside two honest
ones (90% right): the majority of three is wrong on every task on which one honest annotator errs;
the weighted label recovers the truth on all of them (only tasks on which both honest annotators
err, ~1%, stay wrong: every vote points the wrong way), and the adversary's estimated accuracy is
near 0.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter, defaultdict

import pandas as pd
import pytest
from crowdkit.aggregation import DawidSkene

from .agreement_staging import Builder, choices, pairwise, query_dicts, rating, run_agreement

N_DATASETS = 60
TOLERANCE = 1e-6
ADVERSARIAL_PROJECT = 50_000
ADVERSARY = 903


def _random_dataset(rng: random.Random) -> dict:
    """{"classes": [...], "votes": [(task, worker, label)]}: ragged, workers of random quality."""
    n_classes = rng.randint(2, 4)
    classes = [f"k{c}" for c in range(n_classes)]
    n_workers = rng.randint(2, 8)
    n_tasks = rng.randint(4, 40)
    prior = [rng.random() + 0.2 for _ in classes]
    workers = []
    for w in range(n_workers):
        skill = rng.choice([0.95, 0.8, 0.6, 0.4, rng.random()])
        # a random confusion row per true class: mass `skill` on the truth, the rest spread
        matrix = {}
        for c in classes:
            rest = [rng.random() for _ in classes]
            rest[classes.index(c)] = 0.0
            total = sum(rest) or 1.0
            matrix[c] = [
                skill if k == c else (1 - skill) * r / total for k, r in zip(classes, rest)
            ]
        workers.append((100 + w, matrix))
    votes = []
    for t in range(n_tasks):
        truth = rng.choices(classes, weights=prior)[0]
        raters = [wk for wk in workers if rng.random() < 0.75] or [rng.choice(workers)]
        for worker_id, matrix in raters:
            votes.append((t, worker_id, rng.choices(classes, weights=matrix[truth])[0]))
    return {"classes": classes, "votes": votes}


def _adversarial_dataset(rng: random.Random) -> tuple[dict, dict]:
    """Two honest annotators (90% right) and one who always gives the other label."""
    truth = {t: rng.choice(["no", "yes"]) for t in range(300)}
    votes = []
    for t, label in truth.items():
        for worker in (901, 902):
            votes.append(
                (t, worker, label if rng.random() < 0.9 else ("yes" if label == "no" else "no"))
            )
        votes.append((t, ADVERSARY, "yes" if label == "no" else "no"))
    return {"classes": ["no", "yes"], "votes": votes}, truth


CONTROLS = (("cat", "choices"), ("stars", "rating"), ("side", "pairwise"))


def _result(control: str, label: str) -> dict:
    if control == "cat":
        return choices("cat", label)
    if control == "stars":
        return rating("stars", float(label[1:]) + 1)  # k0 -> 1 star, k1 -> 2, ...
    return pairwise("side", "left" if label == "k0" else "right")


def _label_key(control: str, label: str) -> str:
    """The value_key the warehouse gives the label (what crowd-kit sees as the label)."""
    if control == "cat":
        return label
    if control == "stars":
        return str(float(label[1:]) + 1)
    return "left" if label == "k0" else "right"


@pytest.fixture(scope="module")
def consensus(tmp_path_factory: pytest.TempPathFactory) -> dict:
    rng = random.Random(20261203)
    builder = Builder()
    datasets: dict[tuple[int, str], dict] = {}
    for index in range(N_DATASETS):
        project_id = index + 1
        # every project has a single-choice control; a third also a Rating, a third a Pairwise
        controls = [CONTROLS[0]] + [CONTROLS[1 + index % 2]] * (index % 3 != 0)
        per_control = {}
        for name, control_type in controls:
            builder.control(
                project_id, name, control_type, **({"max_rating": 5} if name == "stars" else {})
            )
            data = _random_dataset(rng)
            if name == "side":  # pairwise: two sides
                data = {
                    "classes": ["k0", "k1"],
                    "votes": [(t, w, "k0" if l == "k0" else "k1") for t, w, l in data["votes"]],
                }
            per_control[name] = data
        tasks = sorted({t for data in per_control.values() for t, _, _ in data["votes"]})
        task_ids = {t: builder.task(project_id) for t in tasks}
        for name, data in per_control.items():
            for t, worker, label in data["votes"]:
                builder.annotation(project_id, task_ids[t], worker, [_result(name, label)])
            datasets[(project_id, name)] = {
                "votes": [
                    (task_ids[t], f"annotator:{w}", _label_key(name, l))
                    for t, w, l in data["votes"]
                ]
            }
    adversarial, truth = _adversarial_dataset(rng)
    builder.control(ADVERSARIAL_PROJECT, "cat", "choices")
    task_ids = {t: builder.task(ADVERSARIAL_PROJECT) for t in truth}
    for t, worker, label in adversarial["votes"]:
        builder.annotation(ADVERSARIAL_PROJECT, task_ids[t], worker, [choices("cat", label)])
    root = tmp_path_factory.mktemp("dawid_skene")
    db = root / "ds.duckdb"
    builder.write(db)
    run_agreement(
        db, root / "target", dbt_vars={"concord_consensus_rating_as_categories": ["stars"]}
    )
    return {
        "datasets": datasets,
        "adversarial_truth": {task_ids[t]: label for t, label in truth.items()},
        "adversarial_votes": [(task_ids[t], w, label) for t, w, label in adversarial["votes"]],
        "posteriors": query_dicts(db, "select * from intermediate.int_agreement__dawid_skene"),
        "labels": query_dicts(db, "select * from marts.fct_consensus_labels"),
        "quality": query_dicts(db, "select * from marts.fct_annotator_quality"),
    }


_FITS: dict[int, DawidSkene] = {}


def _crowdkit(votes: list[tuple]) -> DawidSkene:
    """crowd-kit's fit with its defaults (100 iterations, tol 1e-5), once per dataset."""
    if id(votes) not in _FITS:
        frame = pd.DataFrame(votes, columns=["task", "worker", "label"])
        _FITS[id(votes)] = DawidSkene(n_iter=100, tol=1e-5).fit(frame)
    return _FITS[id(votes)]


def test_posteriors_and_iterations_match_crowdkit(consensus) -> None:
    posteriors = defaultdict(dict)
    iterations = {}
    for row in consensus["posteriors"]:
        key = (row["project_id"], row["control_name"])
        posteriors[key][(row["task_id"], row["class_label"])] = row["posterior"]
        iterations[key] = row["n_iterations"]
    checked = 0
    for key, data in consensus["datasets"].items():
        model = _crowdkit(data["votes"])
        expected = {
            (task, label): float(p)
            for task, row in model.probas_.iterrows()
            for label, p in row.items()
        }
        assert set(posteriors[key]) == set(expected), key
        worst = max(abs(posteriors[key][k] - v) for k, v in expected.items())
        assert worst <= TOLERANCE, (key, worst)
        assert iterations[key] == len(model.loss_history_), key
        checked += 1
    assert checked >= 50, checked


def test_labels_match_crowdkit_and_majority(consensus) -> None:
    labels = {(r["project_id"], r["control_name"], r["task_id"]): r for r in consensus["labels"]}
    compared = 0
    for (project_id, control), data in consensus["datasets"].items():
        model = _crowdkit(data["votes"])
        probas_by_task = {task: row.tolist() for task, row in model.probas_.iterrows()}
        weighted = model.labels_.to_dict()
        by_task = defaultdict(list)
        for task, _, label in data["votes"]:
            by_task[task].append(label)
        for task, task_labels in by_task.items():
            row = labels[(project_id, control, task)]
            task_probas = probas_by_task[task]
            probas = sorted(task_probas, reverse=True)
            if len(probas) < 2 or probas[0] - probas[1] > 1e-6:
                assert row["weighted_label"] == weighted[task], (project_id, control, task)
                compared += 1
            assert row["posterior_probability"] == pytest.approx(probas[0], abs=TOLERANCE)
            entropy = -sum(p * math.log(p) for p in task_probas if p > 1e-10)
            assert row["entropy"] == pytest.approx(entropy, abs=1e-6)
            counts = Counter(task_labels).most_common()
            tied = len(counts) > 1 and counts[0][1] == counts[1][1]
            assert row["majority_label"] == (None if tied else counts[0][0])
            assert row["is_majority_tied"] == tied
            assert row["majority_share"] == pytest.approx(
                counts[0][1] / len(task_labels), abs=1e-12
            )
            assert row["labels_disagree"] == (tied or counts[0][0] != row["weighted_label"])
            assert row["n_votes"] == len(task_labels)
    assert compared >= 1000, compared


def test_confusion_matrices_and_accuracy_match_crowdkit(consensus) -> None:
    quality = {
        (r["project_id"], r["control_name"], r["labeler_id"]): r for r in consensus["quality"]
    }
    checked = 0
    for (project_id, control), data in consensus["datasets"].items():
        model = _crowdkit(data["votes"])
        errors, priors = model.errors_, model.priors_
        for worker in sorted({w for _, w, _ in data["votes"]}):
            row = quality[(project_id, control, worker)]
            matrix = json.loads(row["confusion_matrix_json"])
            worker_errors = errors.loc[worker]
            expected = {
                str(true): {
                    str(given): float(worker_errors.loc[given, true])
                    for given in worker_errors.index
                }
                for true in errors.columns
            }
            assert set(matrix) == set(expected)
            for true, cells in expected.items():
                assert set(matrix[true]) == set(cells), (project_id, control, worker, true)
                for given, value in cells.items():
                    assert abs(matrix[true][given] - value) <= TOLERANCE, (
                        project_id,
                        control,
                        worker,
                    )
            accuracy = sum(
                float(priors[c]) * float(worker_errors.loc[c, c])
                for c in errors.columns
                if c in worker_errors.index
            )
            assert abs(row["estimated_accuracy"] - accuracy) <= TOLERANCE, (
                project_id,
                control,
                worker,
            )
            n_votes = sum(1 for _, w, _ in data["votes"] if w == worker)
            assert row["n_votes"] == n_votes and row["labeler_kind"] == "human"
            checked += 1
    assert checked >= 300, checked


def test_weighted_consensus_recovers_truth_against_an_adversary(consensus) -> None:
    truth = consensus["adversarial_truth"]
    rows = {r["task_id"]: r for r in consensus["labels"] if r["project_id"] == ADVERSARIAL_PROJECT}
    assert set(rows) == set(truth)
    honest_errors = Counter(
        task for task, worker, label in consensus["adversarial_votes"]
        if worker != ADVERSARY and label != truth[task]
    )  # fmt: skip
    by_errors = defaultdict(list)
    for task in truth:
        by_errors[honest_errors.get(task, 0)].append(rows[task])
    # no honest error: both labels right
    assert all(
        r["majority_label"] == r["weighted_label"] == truth[r["task_id"]] for r in by_errors[0]
    )
    # one honest annotator errs: the adversary sides with the error, the majority of three is
    # wrong on every such task; the weighted label (the adversary read as a flip) is right on all
    one = by_errors[1]
    assert len(one) >= 30
    assert all(r["majority_label"] != truth[r["task_id"]] for r in one)
    assert all(r["weighted_label"] == truth[r["task_id"]] for r in one)
    assert all(r["labels_disagree"] for r in one)
    # both honest annotators err (~1% of tasks): all three votes point the wrong way, nothing in
    # the votes can recover the truth; the weighted label is wrong there too
    assert len(by_errors[2]) <= 0.03 * len(truth)
    weighted_right = sum(r["weighted_label"] == truth[t] for t, r in rows.items())
    majority_right = sum(r["majority_label"] == truth[t] for t, r in rows.items())
    assert weighted_right == len(truth) - len(by_errors[2]) and majority_right == len(by_errors[0])
    quality = {
        r["labeler_id"]: r for r in consensus["quality"] if r["project_id"] == ADVERSARIAL_PROJECT
    }
    assert quality[f"annotator:{ADVERSARY}"]["estimated_accuracy"] < 0.02
    assert quality["annotator:901"]["estimated_accuracy"] > 0.8
    assert quality["annotator:902"]["estimated_accuracy"] > 0.8
