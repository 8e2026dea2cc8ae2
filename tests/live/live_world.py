"""Builds the live test world once per session: users, five projects pushed by `concord ls push`,
annotations made through the API as different users, a second push, pulls and one dbt build.

Everything the assertions compare against is read back from the API (`api_*` fields), never
taken from what we meant to send.
"""

from __future__ import annotations

import csv
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import live_helpers as h
from click.testing import CliRunner

from concord.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "examples" / "specs"
TASKS = ROOT / "examples" / "tasks"
CORE_TITLE = "Live BYOS review"
USERS = ("alice", "bob", "chloe")
LABELS = ("positive", "negative", "neutral")
BUILD_SELECT = (
    "models/staging",
    "+fct_control_agreement",
    "+fct_task_agreement",
    "+fct_score_deltas",
    "+fct_review_queue",
)
VARIATIONS = {
    "listwise_ranking": "listwise_ranking.json",
    "pairwise_preference": "pairwise_preference.json",
    "cv_triage": "cv_triage.json",
    "moderation": "moderation.json",
}


@dataclass(repr=False)  # no repr: it would show the API token in failure output
class World:
    url: str
    env: dict[str, str]
    tmp: Path
    db: Path
    admin: Any
    users: dict[str, Any] = field(default_factory=dict)  # name -> SDK client
    user_ids: dict[str, int] = field(default_factory=dict)
    projects: dict[str, int] = field(default_factory=dict)  # spec name -> project id
    task_ids: dict[str, dict[str, int]] = field(default_factory=dict)  # spec -> ext -> task id
    scores: dict[str, float] = field(default_factory=dict)  # core ext_id -> csv score
    first_push: str = ""
    second_push: str = ""
    pulls: dict[str, str] = field(default_factory=dict)
    sent: dict[int, list[dict]] = field(default_factory=dict)  # annotation id -> result sent
    special: dict[str, int] = field(default_factory=dict)  # name -> annotation/task id
    timings: dict[str, float] = field(default_factory=dict)
    api_tasks: dict[int, dict] = field(default_factory=dict)  # task id -> task (API)
    api_annotations: dict[int, list[dict]] = field(default_factory=dict)  # task id -> anns
    api_predictions: dict[int, list[dict]] = field(default_factory=dict)  # task id -> preds

    def cli(self, *args: str) -> Any:
        result = CliRunner().invoke(cli, list(args), env=self.env, catch_exceptions=False)
        return result


def run_cli(world: World, *args: str) -> str:
    result = world.cli(*args)
    assert result.exit_code == 0, f"concord {' '.join(args)} failed:\n{result.output}"
    return result.output


def _core_label(i: int) -> str:
    return LABELS[i % 3]


def _other(label: str) -> str:
    return LABELS[(LABELS.index(label) + 1) % 3]


def _core_result(label: str | None, rating: int | None, text: str | None, tag: str) -> list:
    result = []
    if label is not None:
        result.append(h.choice("label", "text", label))
    if rating is not None:
        result.append(h.rating("human_rating", "text", rating))
    if text is not None:
        result.append(h.textarea("rationale", "text", text))
    return h.with_ids(result, tag)


def _annotate(world: World, who: str, task_id: int, result: list, **extra: Any) -> int:
    client = world.admin if who == "admin" else world.users[who]
    ann = client.annotations.create(
        id=task_id, result=result, lead_time=extra.pop("lead_time", 12.5), **extra
    )
    world.sent[int(ann.id)] = result
    return int(ann.id)


class Batch:
    """Annotation jobs run concurrently (the dev server is threaded); `special` names map to ids."""

    def __init__(self, world: World):
        self.world = world
        self.jobs: list[tuple[str | None, str, int, list, dict]] = []

    def add(
        self, who: str, task_id: int, result: list, name: str | None = None, **extra: Any
    ) -> None:
        self.jobs.append((name, who, task_id, result, extra))

    def run(self, workers: int = 4) -> None:
        """Tasks in parallel, each task's annotations one after the other: Label Studio 1.23.2
        recomputes task.total_annotations / cancelled_annotations without a lock, so two saves
        on one task at the same moment leave the counters stale (measured: 9 of 10 tasks with
        4 concurrent saves), which staging's counter test rightly reports."""
        from concurrent.futures import ThreadPoolExecutor

        by_task: dict[int, list] = {}
        for job in self.jobs:
            by_task.setdefault(job[2], []).append(job)

        def one_task(jobs):
            out = []
            for name, who, task_id, result, extra in jobs:
                out.append((name, _annotate(self.world, who, task_id, result, **extra)))
            return out

        with ThreadPoolExecutor(max_workers=workers) as pool:
            for done in pool.map(one_task, by_task.values()):
                for name, ann_id in done:
                    if name:
                        self.world.special[name] = ann_id


def annotate_core(world: World) -> None:
    """The designed cases on the core project (indices are 0-based positions in the tasks file)."""
    ids = world.task_ids["byos_review"]
    ext = sorted(ids)
    tid = [ids[e] for e in ext]
    preds = {
        p.task: p
        for p in world.admin.predictions.list(project=world.projects["byos_review"])
        if p.model_version == "sentiment-v1"
    }
    batch = Batch(world)
    for i in range(6):  # full agreement
        for n, who in enumerate(USERS):
            batch.add(
                who, tid[i], _core_result(_core_label(i), 4 + (n == 2), None, f"a{i}{who[0]}")
            )
    for i in range(6, 10):  # 2 vs 1
        for who, lab in (
            ("alice", _core_label(i)),
            ("bob", _core_label(i)),
            ("chloe", _other(_core_label(i))),
        ):
            batch.add(
                who,
                tid[i],
                _core_result(lab, 3, "close call" if who == "chloe" else None, f"b{i}{who[0]}"),
            )
    for i in (10, 11):  # all three differ
        for who, lab in zip(USERS, LABELS):
            batch.add(who, tid[i], _core_result(lab, 2, None, f"c{i}{who[0]}"))
    # 12: alice skips, bob and chloe agree
    batch.add("alice", tid[12], [], name="skip", was_cancelled=True)
    world.special["skip_task"] = tid[12]
    for who in ("bob", "chloe"):
        batch.add(who, tid[12], _core_result(_core_label(12), 4, None, f"d{who[0]}"))
    # 13: admin ground truth, alice agrees, bob does not
    batch.add(
        "admin",
        tid[13],
        _core_result(_core_label(13), 5, "reference", "gt"),
        name="ground_truth",
        ground_truth=True,
    )
    world.special["ground_truth_task"] = tid[13]
    batch.add("alice", tid[13], _core_result(_core_label(13), 4, None, "e1"))
    batch.add("bob", tid[13], _core_result(_other(_core_label(13)), 2, None, "e2"))
    # 14: alice accepts the prediction as is (same region id, origin prediction)
    pred = preds[tid[14]]
    accepted = [
        {**r, "origin": "prediction"}
        for r in [
            json.loads(json.dumps(x if isinstance(x, dict) else x.dict())) for x in pred.result
        ]
    ]
    accepted.append({**h.rating("human_rating", "text", 4), "id": "f14rating0", "origin": "manual"})
    batch.add("alice", tid[14], accepted, name="from_prediction", parent_prediction=pred.id)
    world.special["from_prediction_task"] = tid[14]
    world.special["from_prediction_pred"] = int(pred.id)
    batch.add("bob", tid[14], _core_result(_core_label(14), 3, None, "f2"))
    # 15: chloe starts from the prediction and changes the label (prediction-changed)
    pred = preds[tid[15]]
    first = pred.result[0] if isinstance(pred.result[0], dict) else pred.result[0].dict()
    changed_label = _other(first["value"]["choices"][0])
    changed = [{**first, "value": {"choices": [changed_label]}, "origin": "prediction-changed"}]
    batch.add("chloe", tid[15], changed, name="prediction_changed", parent_prediction=pred.id)
    batch.add("alice", tid[15], _core_result(changed_label, 3, None, "g1"))
    for i in range(16, 24):  # one annotator only
        batch.add("alice", tid[i], _core_result(_core_label(i), 3, None, f"h{i}"))
    # 24: an empty (non-skipped) submission by bob next to alice's label
    batch.add("bob", tid[24], [], name="empty")
    batch.add("alice", tid[24], _core_result(_core_label(24), 3, None, "i1"))
    # 25..35: no annotations (prediction only)
    batch.run()


def _region(from_name: str, to_name: str, rtype: str, value: dict, rid: str, **extra) -> dict:
    return {
        "id": rid,
        "from_name": from_name,
        "to_name": to_name,
        "type": rtype,
        "value": value,
        "origin": "manual",
        **extra,
    }


def variation_result(spec: str, k: int, who: str) -> list[dict]:
    """A full result for task k of a variation project; alice and bob agree on k in (0, 1)."""
    agree = k in (0, 1) or who == "alice"
    tag = f"{spec[:3]}{k}{who[0]}"
    if spec == "listwise_ranking":
        order = ["o1", "o2", "o3"] if agree else ["o3", "o1", "o2"]
        issues = ["hallucination", "off_topic"] if agree else ["none"]
        return [
            _region("rank", "outputs", "ranker", {"ranker": {"rank": order}}, tag + "rk"),
            _region("issues", "prompt", "choices", {"choices": issues}, tag + "is"),
            _region("overall", "prompt", "rating", {"rating": 4 if agree else 2}, tag + "ov"),
        ]
    if spec == "pairwise_preference":
        return [
            _region(
                "pref", "pref", "pairwise", {"selected": "left" if agree else "right"}, tag + "pf"
            ),
            _region("margin", "prompt", "number", {"number": 7 if agree else 2.5}, tag + "mg"),
            _region("rationale", "prompt", "textarea", {"text": ["A is clearer"]}, tag + "ra"),
        ]
    if spec == "cv_triage":
        x = 10.0 if agree else 55.5
        return [
            _region(
                "boxes",
                "image",
                "rectanglelabels",
                {
                    "x": x,
                    "y": 20.25,
                    "width": 15.0,
                    "height": 12.5,
                    "rotation": 0,
                    "rectanglelabels": ["scratch" if agree else "dent"],
                },
                tag + "bx",
                original_width=1280,
                original_height=720,
                image_rotation=0,
            ),
            _region(
                "verdict",
                "image",
                "choices",
                {"choices": ["fail" if agree else "pass"]},
                tag + "vd",
            ),
        ]
    if spec == "moderation":
        return [
            _region(
                "decision",
                "text",
                "choices",
                {"choices": ["remove" if agree else "escalate"]},
                tag + "dc",
            ),
            _region(
                "policy",
                "text",
                "taxonomy",
                {
                    "taxonomy": [["Safety", "Violence"], ["Integrity", "Spam"]]
                    if agree
                    else [["Privacy", "PII"]]
                },
                tag + "po",
            ),
            _region(
                "spans",
                "text",
                "labels",
                {"start": 0, "end": 3, "text": None, "labels": ["insult" if agree else "threat"]},
                tag + "sp",
            ),
            _region("severity", "text", "number", {"number": 8 if agree else 3}, tag + "sv"),
        ]
    raise AssertionError(spec)


def annotate_variations(world: World) -> None:
    for spec in VARIATIONS:
        ids = world.task_ids[spec]
        ordered = [ids[e] for e in sorted(ids)]
        texts = {}
        if spec == "moderation":
            texts = {t: world.admin.tasks.get(id=t).data["text"] for t in ordered}
        batch = Batch(world)
        for k, task_id in enumerate(ordered[:5]):
            for who in ("alice", "bob") if k < 4 else ("alice",):
                result = variation_result(spec, k, who)
                for item in result:
                    if item["type"] == "labels":
                        item["value"]["text"] = texts[task_id][
                            item["value"]["start"] : item["value"]["end"]
                        ]
                batch.add(who, task_id, result)
        batch.run()


def write_scores(world: World, path: Path) -> None:
    """The core score table: a different score than the tasks file, to prove --scores joins."""
    rows = [
        json.loads(line)["data"]
        for line in (TASKS / "byos_review.jsonl").read_text().splitlines()
        if line.strip()
    ]
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ext_id", "score", "model_version"])
        for n, row in enumerate(rows):
            score = round((n * 37 % 100) / 100 + 0.005, 3)
            world.scores[row["ext_id"]] = score
            writer.writerow([row["ext_id"], score, "sentiment-v1"])


def project_tasks(world: World, project_id: int) -> dict[str, int]:
    out = {}
    for task in world.admin.tasks.list(project=project_id, fields="task_only"):
        out[str(task.data["ext_id"])] = int(task.id)
    return out


def read_back(world: World) -> None:
    """What the server holds, straight from the API, for the independent expectations."""
    for spec, project_id in world.projects.items():
        for pred in world.admin.predictions.list(project=project_id):
            world.api_predictions.setdefault(int(pred.task), []).append(json.loads(pred.json()))
        http = world.admin._client_wrapper.httpx_client
        for task_id in world.task_ids[spec].values():
            # GET /api/tasks/{id}: annotations.list() hides skipped (cancelled) annotations
            task = http.request(f"api/tasks/{task_id}", method="GET").json()
            world.api_tasks[task_id] = {
                "id": task_id,
                "project": project_id,
                "data": task["data"],
                "spec": spec,
            }
            world.api_annotations[task_id] = task["annotations"]


def _failed_nodes(target: Path) -> str:
    """The dbt nodes that did not pass, with their messages (dbt ran with --quiet)."""
    try:
        results = json.loads((target / "run_results.json").read_text())["results"]
    except (OSError, ValueError, KeyError):
        return "(no run_results.json)"
    bad = [
        f"  {r['unique_id']}: {r['status']}: {(r.get('message') or '').strip()[:500]}"
        for r in results
        if r["status"] not in ("success", "pass")
    ]
    return "dbt nodes that did not pass:\n" + "\n".join(bad)


def build_world(url: str, api_key: str, tmp: Path) -> World:
    from concord.dbt import DbtError, run_dbt

    env = {"LABEL_STUDIO_URL": url, "LABEL_STUDIO_API_KEY": api_key}
    world = World(url=url, env=env, tmp=tmp, db=tmp / "live.duckdb", admin=h.client(url, api_key))
    t0 = time.monotonic()
    for name in USERS:
        token = h.signup(url, f"{name}@example.com", f"{name.title()}-pass-123")
        world.users[name] = h.client(url, token)
        world.user_ids[name] = int(world.users[name].users.whoami().id)
    world.user_ids["admin"] = int(world.admin.users.whoami().id)
    world.timings["users"] = time.monotonic() - t0

    t0 = time.monotonic()
    scores = tmp / "core_scores.csv"
    write_scores(world, scores)
    world.first_push = run_cli(
        world,
        "ls",
        "push",
        "--project",
        CORE_TITLE,
        str(SPECS / "byos_review.yaml"),
        str(TASKS / "byos_review.jsonl"),
        "--scores",
        str(scores),
    )
    core = world.admin.projects.list(title=CORE_TITLE)
    world.projects["byos_review"] = int(next(p for p in core if p.title == CORE_TITLE).id)
    for spec, tasks_file in VARIATIONS.items():
        out = run_cli(world, "ls", "push", str(SPECS / f"{spec}.yaml"), str(TASKS / tasks_file))
        world.projects[spec] = int(out.split()[1])
    for spec, project_id in world.projects.items():
        world.task_ids[spec] = project_tasks(world, project_id)
    world.timings["push"] = time.monotonic() - t0

    t0 = time.monotonic()
    annotate_core(world)
    annotate_variations(world)
    world.timings["annotate"] = time.monotonic() - t0

    t0 = time.monotonic()
    world.second_push = run_cli(
        world,
        "ls",
        "push",
        "--project",
        CORE_TITLE,
        str(SPECS / "byos_review.yaml"),
        str(TASKS / "byos_review.jsonl"),
        "--scores",
        str(scores),
    )
    world.timings["second_push"] = time.monotonic() - t0

    t0 = time.monotonic()
    for spec, project_id in world.projects.items():
        world.pulls[spec] = run_cli(
            world,
            "ls",
            "pull",
            "--db",
            str(world.db),
            "--project",
            str(project_id),
            "--out",
            str(tmp / "exports"),
        )
    world.timings["pull"] = time.monotonic() - t0
    read_back(world)

    t0 = time.monotonic()
    # staging for every project, and the marts the assertions read with everything upstream
    try:
        run_dbt(
            ["build", "--select", *BUILD_SELECT], world.db, target_path=tmp / "target", quiet=True
        )
    except DbtError as err:
        raise AssertionError(f"{err}\n{_failed_nodes(tmp / 'target')}") from None
    world.timings["dbt_build"] = time.monotonic() - t0
    return world
