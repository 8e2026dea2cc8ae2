"""Deterministic generator of synthetic Label Studio JSON exports, at any size.

The output has exactly the shape Label Studio 1.23 writes (see docs/architecture.md and the real
exports in tests/fixtures/label_studio/):

- `--form sync` (default): the sync export (`exportType=JSON`): `predictions` is a list of ids,
  `annotations[].completed_by` an integer, every annotation embeds a full copy of the task's
  prediction of the project's model version in `annotation.prediction` (or `{}`), drafts are full
  objects. Written compactly (`[{"id":1,...}`), non-ASCII kept as UTF-8, like the server does.
- `--form snapshot`: an export snapshot with predictions, drafts and `completed_by` expanded to
  objects. Written with `", "` / `": "` separators, like the server does.

Each task carries `data.text`, `data.score` (the bring-your-own model score), `data.ext_id`,
`data.source`, `data.lang`; 1-4 annotations (plus a few tasks with none) from a pool of annotators
who agree with a hidden "true" label at their own accuracy, with `choices` (single), `rating` and
`textarea` results, skips (`was_cancelled`, `result: []`), at most one ground-truth annotation per
task, empty submissions, edited annotations, annotations started from a prediction (same region
id, `origin: prediction` / `prediction-changed`); predictions of two model versions; drafts; and
with `--ner`, `labels` spans over the text with code-point offsets (`text[start:end] == value.text`)
and per-region prediction scores.

Determinism: the same arguments give a byte-identical file (only `random.Random(seed)` is used;
timestamps are derived from a fixed epoch, never the clock). Memory: tasks are generated and
written one at a time, so 1M tasks use as little memory as 10.

Counts: `generate()` returns (and `--counts-out` writes) what the file holds, including what the
staging layer should show (e.g. the sync form only carries predictions as `annotation.prediction`
copies, so `staging_predictions` differs between forms).

    .venv/bin/python -m concord.devtools.generate_export --tasks 100000 --seed 7 --out /tmp/x.json \
        --config-out /tmp/x.xml --counts-out /tmp/x.counts.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

# Bump when the output for a given (seed, size, options) changes: benchmark caches key on it.
GENERATOR_VERSION = 1

EPOCH = dt.datetime(2026, 1, 5, 8, 0, 0, tzinfo=dt.UTC)
ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

SENTIMENTS = ("positive", "negative", "neutral")
TOPICS = ("battery", "screen", "price", "delivery", "support", "camera", "sound", "software")
SOURCES = ("web_reviews", "app_store", "support_tickets", "social")
MODEL_V1 = "sentiment-v1"
MODEL_V2 = "sentiment-v2"

FIRST_NAMES = (
    "Alice",
    "Bob",
    "Chloé",
    "Dan",
    "Eve",
    "Farid",
    "Gita",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemal",
    "Lena",
    "Mateo",
    "Noor",
    "Olga",
    "Pavel",
    "Qiu",
    "Rosa",
    "Sven",
    "Tariq",
)
LAST_NAMES = ("Annotator", "Reviewer", "Дмитриева", "O'Brien", "Nakamura", "García", "Kowalski")

PHRASES = {
    "positive": (
        "the {t} is excellent",
        "really happy with the {t}",
        "the {t} easily beats my old one",
        "great {t}, would buy again",
        "the {t} works perfectly 👍",
        "love the {t}",
    ),
    "negative": (
        "the {t} stopped working after a week",
        "very disappointed with the {t}",
        "the {t} is a complete letdown",
        "awful {t}, asked for a refund",
        "the {t} broke on day two 😞",
        "never again, the {t} is terrible",
    ),
    "neutral": (
        "the {t} is fine I guess",
        "the {t} does what it says",
        "nothing special about the {t}",
        "the {t} is ok for the money",
        "average {t}, no complaints",
        "the {t} is as described",
    ),
}
ENTITIES = {
    "PER": (
        "Barack Obama",
        "Angela Merkel",
        "Marie Curie",
        "Chloé Dubois",
        "Kenji Sato",
        "Amara Okafor",
        "José Martí",
    ),
    "ORG": ("Nestlé", "Acme Corp", "the United Nations", "Siemens", "Mozilla", "Tata Motors"),
    "LOC": ("Berlin", "São Paulo", "Lagos", "Osaka", "Lake Geneva", "Reykjavík", "Toronto"),
}
NER_TEMPLATES = (
    "{PER} praised {ORG} during a visit to {LOC}.",
    "According to {PER}, the {ORG} office in {LOC} will close.",
    "{ORG} shipped it from {LOC}.",
    "{PER} wrote this review in {LOC}.",
    "Support at {ORG} was contacted by {PER}.",
)


def labeling_config(ner: bool) -> str:
    """The labeling config XML of the generated project (same controls as byos_text)."""
    ner_tag = (
        '  <Labels name="ner" toName="text_data">\n'
        '    <Label value="PER"/>\n    <Label value="ORG"/>\n    <Label value="LOC"/>\n'
        "  </Labels>\n"
        if ner
        else ""
    )
    return (
        "<View>\n"
        '  <Header name="score_banner" value="Model score: $score"/>\n'
        + ner_tag
        + '  <Text name="text_data" value="$text"/>\n'
        '  <Choices name="label" toName="text_data" choice="single">\n'
        '    <Choice value="positive"/>\n    <Choice value="negative"/>\n'
        '    <Choice value="neutral"/>\n'
        "  </Choices>\n"
        '  <Rating name="human_rating" toName="text_data" maxRating="5"/>\n'
        '  <TextArea name="rationale" toName="text_data"/>\n'
        "</View>"
    )


def _ts(seconds: float) -> str:
    """ISO-8601 UTC with microseconds and Z, like Label Studio."""
    return (EPOCH + dt.timedelta(microseconds=round(seconds * 1e6))).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ"
    )


class _Generator:
    """Holds the id counters and the annotator pool; `task()` builds one task dict."""

    def __init__(
        self,
        seed: int,
        *,
        project_id: int,
        first_task_id: int,
        n_annotators: int,
        ner: bool,
        form: str,
    ) -> None:
        self.rng = random.Random(seed)
        self.project_id = project_id
        self.next_task_id = first_task_id
        # ids are global per Label Studio server: offset them by the first task id so two
        # generated projects (different first ids) do not collide
        self.next_annotation_id = first_task_id * 5
        self.next_prediction_id = first_task_id * 3
        self.next_draft_id = first_task_id
        self.ner = ner
        self.form = form
        rng = self.rng
        self.annotators = []
        for i in range(n_annotators):
            uid = 2 + i
            first = FIRST_NAMES[i % len(FIRST_NAMES)]
            last = LAST_NAMES[i % len(LAST_NAMES)]
            self.annotators.append(
                {
                    "id": uid,
                    "email": f"annotator{uid}@example.com",
                    "first_name": first,
                    "last_name": last,
                    # probability of giving the true label; a few careless annotators
                    "accuracy": round(rng.uniform(0.55, 0.97), 3),
                }
            )
        self.counts: Counter[str] = Counter()

    # -- small pieces -------------------------------------------------------------------------

    def _region_id(self) -> str:
        return "".join(self.rng.choices(ID_CHARS, k=10))

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _text(self, truth: str) -> tuple[str, list[tuple[int, int, str, str]]]:
        """A review text and its true entities as (start, end, text, label), code points."""
        rng = self.rng
        parts = []
        for _ in range(rng.randint(1, 3)):
            phrase = rng.choice(PHRASES[truth]).format(t=rng.choice(TOPICS))
            parts.append(phrase[0].upper() + phrase[1:] + ".")
        text = " ".join(parts)
        entities: list[tuple[int, int, str, str]] = []
        if self.ner:
            template = rng.choice(NER_TEMPLATES)
            text += " "
            pos = 0
            while pos < len(template):
                brace = template.find("{", pos)
                if brace < 0:
                    text += template[pos:]
                    break
                text += template[pos:brace]
                close = template.index("}", brace)
                label = template[brace + 1 : close]
                name = rng.choice(ENTITIES[label])
                start = len(text)
                text += name
                entities.append((start, len(text), name, label))
                pos = close + 1
        return text, entities

    def _prediction(self, task_id: int, model_version: str, truth: str, entities, created: float):
        rng = self.rng
        pid = self.next_prediction_id
        self.next_prediction_id += 1
        correct = rng.random() < (0.8 if model_version == MODEL_V1 else 0.86)
        label = truth if correct else rng.choice([s for s in SENTIMENTS if s != truth])
        score = round(rng.uniform(0.5, 0.99) if correct else rng.uniform(0.3, 0.8), 4)
        result = [
            {
                "id": self._region_id(),
                "type": "choices",
                "value": {"choices": [label]},
                "to_name": "text_data",
                "from_name": "label",
                "score": score,
            }
        ]
        for start, end, name, ent_label in entities:
            if rng.random() < 0.9:
                result.append(
                    {
                        "id": self._region_id(),
                        "type": "labels",
                        "value": {"start": start, "end": end, "text": name, "labels": [ent_label]},
                        "to_name": "text_data",
                        "from_name": "ner",
                        "score": round(rng.uniform(0.4, 0.99), 4),
                    }
                )
        return {
            "id": pid,
            "result": result,
            "model_version": model_version,
            "created_ago": "0\u00a0minutes",
            "score": score,
            "cluster": None,
            "neighbors": None,
            "mislabeling": 0.0,
            "created_at": _ts(created),
            "updated_at": _ts(created + 0.000021),
            "model": None,
            "model_run": None,
            "task": task_id,
            "project": self.project_id,
        }

    def _results(self, annotator, truth, true_rating, entities, text, prediction):
        """The result list of one (non-skipped, non-empty) annotation."""
        rng = self.rng
        result = []
        from_prediction = prediction is not None and rng.random() < 0.2
        if rng.random() < annotator["accuracy"]:
            label = truth
        else:
            label = rng.choice([s for s in SENTIMENTS if s != truth])
        if from_prediction:
            pred_label = prediction["result"][0]["value"]["choices"][0]
            origin = "prediction" if pred_label == label else "prediction-changed"
            region = prediction["result"][0]["id"]
        else:
            origin = "manual"
            region = self._region_id()
        result.append(
            {
                "id": region,
                "type": "choices",
                "value": {"choices": [label]},
                "origin": origin,
                "to_name": "text_data",
                "from_name": "label",
            }
        )
        if rng.random() < 0.9:
            rating = min(5, max(1, true_rating + rng.choice((-1, 0, 0, 0, 1))))
            result.append(
                {
                    "id": self._region_id(),
                    "type": "rating",
                    "value": {"rating": rating},
                    "origin": "manual",
                    "to_name": "text_data",
                    "from_name": "human_rating",
                }
            )
        if rng.random() < 0.4:
            lines = [f"Sounds {label}: mentions {rng.choice(TOPICS)}."]
            if rng.random() < 0.2:
                lines.append(f"Also {rng.choice(TOPICS)}.")
            result.append(
                {
                    "id": self._region_id(),
                    "type": "textarea",
                    "value": {"text": ["\n".join(lines)]},
                    "origin": "manual",
                    "to_name": "text_data",
                    "from_name": "rationale",
                }
            )
        for start, end, name, ent_label in entities:
            if rng.random() > 0.85:
                continue  # missed entity
            if rng.random() < 0.1 and end - start > 3:
                end -= rng.randint(1, 2)  # boundary error, still a real substring
            if rng.random() < 0.05:
                ent_label = rng.choice([lab for lab in ENTITIES if lab != ent_label])
            result.append(
                {
                    "id": self._region_id(),
                    "type": "labels",
                    "value": {
                        "start": start,
                        "end": end,
                        "text": text[start:end],
                        "labels": [ent_label],
                    },
                    "origin": "manual",
                    "to_name": "text_data",
                    "from_name": "ner",
                }
            )
        return result

    # -- one task -----------------------------------------------------------------------------

    def task(self, index: int) -> dict[str, Any]:
        rng = self.rng
        c = self.counts
        task_id = self.next_task_id
        self.next_task_id += 1
        created = index * 7.0 + rng.random()
        truth = rng.choices(SENTIMENTS, weights=(0.45, 0.35, 0.2))[0]
        true_rating = {"positive": 4, "negative": 2, "neutral": 3}[truth] + rng.choice((-1, 0, 1))
        text, entities = self._text(truth)
        data = {
            "text": text,
            "score": round(rng.random(), 4),
            "ext_id": f"syn-{task_id:09d}",
            "source": rng.choice(SOURCES),
            "lang": "en",
        }

        predictions = []
        if rng.random() < 0.6:
            predictions.append(self._prediction(task_id, MODEL_V1, truth, entities, created + 0.5))
            if rng.random() < 0.3:
                predictions.append(
                    self._prediction(task_id, MODEL_V2, truth, entities, created + 0.9)
                )
        v1 = predictions[0] if predictions else None

        n_ann = 0 if rng.random() < 0.02 else rng.choices((1, 2, 3, 4), weights=(15, 40, 30, 15))[0]
        pool = rng.sample(self.annotators, n_ann)
        annotations = []
        ground_truth_index = rng.randrange(n_ann) if n_ann and rng.random() < 0.03 else -1
        t = created + 60.0
        for k, annotator in enumerate(pool):
            aid = self.next_annotation_id
            self.next_annotation_id += 1
            t += rng.uniform(5.0, 300.0)
            skipped = rng.random() < 0.04
            if skipped:
                result = []
                lead_time = round(rng.uniform(0.3, 5.0), 3)
            elif rng.random() < 0.01:
                result = []  # an empty, non-skipped submission
                lead_time = round(rng.uniform(0.3, 5.0), 3)
            else:
                result = self._results(annotator, truth, true_rating, entities, text, v1)
                lead_time = round(rng.uniform(3.0, 240.0), 3)
            ground_truth = k == ground_truth_index and not skipped
            edited = rng.random() < 0.05
            updated = t + (rng.uniform(1.2, 3000.0) if edited else rng.uniform(0.00003, 0.00015))
            completed_by: Any = annotator["id"]
            if self.form == "snapshot":
                completed_by = {
                    key: annotator[key] for key in ("id", "email", "first_name", "last_name")
                }
            annotations.append(
                {
                    "id": aid,
                    "completed_by": completed_by,
                    "result": result,
                    "was_cancelled": skipped,
                    "ground_truth": ground_truth,
                    "created_at": _ts(t),
                    "updated_at": _ts(updated),
                    "draft_created_at": None,
                    "lead_time": lead_time,
                    "prediction": v1 if v1 is not None else {},
                    "result_count": len(result),
                    "unique_id": self._uuid(),
                    "import_id": None,
                    "last_action": None,
                    "bulk_created": False,
                    "task": task_id,
                    "project": self.project_id,
                    "updated_by": annotator["id"],
                    "parent_prediction": None,
                    "parent_annotation": None,
                    "last_created_by": None,
                }
            )
            c["annotations"] += 1
            c["annotations_cancelled"] += skipped
            c["annotations_ground_truth"] += ground_truth
            c["annotations_empty"] += (not skipped) and not result
            c["annotations_edited"] += edited
            c["annotations_with_embedded_prediction"] += v1 is not None
            if not skipped:
                c["annotation_results"] += len(result)
                for item in result:
                    c[f"annotation_results_{item['type']}"] += 1
                    c["annotation_results_from_prediction"] += item["origin"] != "manual"

        drafts = []
        if n_ann and rng.random() < 0.01:
            annotator = pool[0]
            drafts.append(
                {
                    "id": self.next_draft_id,
                    "user": annotator["email"],
                    "created_username": (
                        f"{annotator['first_name']} {annotator['last_name']} "
                        f"{annotator['email']}, {annotator['id']}"
                    ),
                    "created_ago": "0\u00a0minutes",
                    "result": self._results(annotator, truth, true_rating, entities, text, None),
                    "lead_time": round(rng.uniform(1.0, 30.0), 3),
                    "was_postponed": rng.random() < 0.3,
                    "import_id": None,
                    "created_at": _ts(t + 30.0),
                    "updated_at": _ts(t + 30.00004),
                    "task": task_id,
                    "annotation": annotations[0]["id"],
                }
            )
            self.next_draft_id += 1
            c["drafts"] += 1

        n_cancelled = sum(a["was_cancelled"] for a in annotations)
        c["tasks"] += 1
        c["tasks_without_annotations"] += n_ann == 0
        c["predictions"] += len(predictions)
        c["prediction_results"] += sum(len(p["result"]) for p in predictions)
        if v1 is not None and annotations:
            c["embedded_predictions"] += 1
            c["embedded_prediction_results"] += len(v1["result"])
        return {
            "id": task_id,
            "annotations": annotations,
            "drafts": drafts,
            "predictions": (
                predictions if self.form == "snapshot" else [p["id"] for p in predictions]
            ),
            "data": data,
            "meta": {},
            "created_at": _ts(created),
            "updated_at": _ts(t + 0.5 if annotations else created + 1.0),
            "allow_skip": True,
            "inner_id": index + 1,
            "total_annotations": n_ann - n_cancelled,
            "cancelled_annotations": n_cancelled,
            "total_predictions": len(predictions),
            "comment_count": 0,
            "unresolved_comment_count": 0,
            "last_comment_updated_at": None,
            "project": self.project_id,
            "updated_by": pool[-1]["id"] if pool else None,
            "comment_authors": [],
        }


def is_changed(task_id: int, changed_share: float, change_seed: int) -> bool:
    """Is this task edited in a re-export with `changed_share` of the tasks changed? Decided per
    task id by its own generator, so the main stream (every other task) stays byte-identical."""
    return changed_share > 0 and random.Random(f"{change_seed}:{task_id}").random() < changed_share


def edit_task(task: dict[str, Any]) -> None:
    """What a re-export shows of a task someone touched: the first submitted annotation's label
    moved to the next sentiment, updated a day later; a task without one gets a new data score."""
    for annotation in task["annotations"]:
        for result in annotation["result"]:
            if result["from_name"] == "label" and not annotation["was_cancelled"]:
                (choice,) = result["value"]["choices"]
                result["value"]["choices"] = [SENTIMENTS[(SENTIMENTS.index(choice) + 1) % 3]]
                updated = dt.datetime.fromisoformat(annotation["updated_at"])
                annotation["updated_at"] = _ts_of(updated + dt.timedelta(days=1))
                return
    task["data"]["score"] = round(1 - task["data"]["score"], 4)


def _ts_of(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def generate(
    out: TextIO | str | Path,
    n_tasks: int,
    *,
    seed: int = 0,
    form: str = "sync",
    ner: bool = False,
    project_id: int = 1,
    first_task_id: int = 1,
    n_annotators: int = 25,
    changed_share: float = 0.0,
    change_seed: int = 1,
) -> dict[str, Any]:
    """Write an export of `n_tasks` tasks to `out` (a path or text stream); return its counts.

    `changed_share` > 0 makes the re-export of the same tasks (same seed and options) in which
    about that share of them was edited since (`is_changed`, `edit_task`; issue #16: the
    benchmark's 1% refresh); `changed_tasks` in the counts says how many.

    The counts describe the file: tasks, annotations (all, cancelled, ground truth, empty),
    annotation results of non-cancelled annotations (total and per type), predictions and their
    results, the distinct predictions embedded in annotations, drafts; plus `staging_*` keys: what
    the staging models should show for this form.
    """
    if form not in ("sync", "snapshot"):
        raise ValueError(f"form must be 'sync' or 'snapshot', not {form!r}")
    if n_tasks < 0:
        raise ValueError("n_tasks must be >= 0")
    if n_annotators < 4:
        raise ValueError("n_annotators must be >= 4 (tasks get up to 4 annotations)")
    if isinstance(out, (str, Path)):
        with open(out, "w", encoding="utf-8", newline="\n") as handle:
            return generate(
                handle,
                n_tasks,
                seed=seed,
                form=form,
                ner=ner,
                project_id=project_id,
                first_task_id=first_task_id,
                n_annotators=n_annotators,
                changed_share=changed_share,
                change_seed=change_seed,
            )
    if not 0 <= changed_share <= 1:
        raise ValueError("changed_share must be between 0 and 1")
    gen = _Generator(
        seed,
        project_id=project_id,
        first_task_id=first_task_id,
        n_annotators=n_annotators,
        ner=ner,
        form=form,
    )
    if form == "sync":
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        sep = ","
    else:
        dumps = json.JSONEncoder(ensure_ascii=False).encode
        sep = ", "
    out.write("[")
    buffer: list[str] = []
    n_changed = 0
    for index in range(n_tasks):
        if index:
            buffer.append(sep)
        task = gen.task(index)
        if is_changed(task["id"], changed_share, change_seed):
            edit_task(task)
            n_changed += 1
        buffer.append(dumps(task))
        if len(buffer) >= 512:
            out.write("".join(buffer))
            buffer.clear()
    out.write("".join(buffer))
    out.write("]")

    counts: dict[str, Any] = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "form": form,
        "ner": ner,
        "project_id": project_id,
        "first_task_id": first_task_id,
        "annotators": n_annotators,
        "changed_share": changed_share,
        "changed_tasks": n_changed,
    }
    keys = (
        "tasks",
        "tasks_without_annotations",
        "annotations",
        "annotations_cancelled",
        "annotations_ground_truth",
        "annotations_empty",
        "annotations_edited",
        "annotations_with_embedded_prediction",
        "annotation_results",
        "annotation_results_choices",
        "annotation_results_rating",
        "annotation_results_textarea",
        "annotation_results_labels",
        "annotation_results_from_prediction",
        "predictions",
        "prediction_results",
        "embedded_predictions",
        "embedded_prediction_results",
        "drafts",
    )
    counts.update({key: gen.counts[key] for key in keys})
    # staging: results only of non-cancelled annotations; predictions from task.predictions
    # (snapshot) or from annotation.prediction copies (sync), deduplicated by id
    counts["staging_tasks"] = counts["tasks"]
    counts["staging_annotations"] = counts["annotations"]
    counts["staging_annotation_results"] = counts["annotation_results"]
    counts["staging_drafts"] = counts["drafts"]
    if form == "snapshot":
        counts["staging_predictions"] = counts["predictions"]
        counts["staging_prediction_results"] = counts["prediction_results"]
    else:
        counts["staging_predictions"] = counts["embedded_predictions"]
        counts["staging_prediction_results"] = counts["embedded_prediction_results"]
    return counts


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, required=True, help="number of tasks")
    parser.add_argument("--out", required=True, help="output JSON file ('-' for stdout)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--form", choices=("sync", "snapshot"), default="sync")
    parser.add_argument("--ner", action="store_true", help="add a Labels control with spans")
    parser.add_argument("--project-id", type=int, default=1)
    parser.add_argument("--first-task-id", type=int, default=1)
    parser.add_argument("--annotators", type=int, default=25, help="annotator pool size")
    parser.add_argument("--config-out", help="also write the project's labeling config XML")
    parser.add_argument("--counts-out", help="also write the counts as JSON")
    parser.add_argument(
        "--changed-share",
        type=float,
        default=0.0,
        help="a re-export of the same tasks with this share of them edited (e.g. 0.01)",
    )
    parser.add_argument(
        "--change-seed", type=int, default=1, help="which tasks --changed-share edits"
    )
    args = parser.parse_args(argv)
    options = {
        "seed": args.seed,
        "form": args.form,
        "ner": args.ner,
        "project_id": args.project_id,
        "first_task_id": args.first_task_id,
        "n_annotators": args.annotators,
        "changed_share": args.changed_share,
        "change_seed": args.change_seed,
    }
    try:
        if args.out == "-":
            counts = generate(sys.stdout, args.tasks, **options)
        else:
            counts = generate(args.out, args.tasks, **options)
    except ValueError as err:
        print(f"generate_export: error: {err}", file=sys.stderr)
        return 2
    if args.config_out:
        Path(args.config_out).write_text(labeling_config(args.ner), encoding="utf-8")
    if args.counts_out:
        Path(args.counts_out).write_text(json.dumps(counts, indent=2) + "\n", encoding="utf-8")
    if args.out != "-":
        print(json.dumps(counts), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
