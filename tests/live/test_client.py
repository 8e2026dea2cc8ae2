"""The Label Studio client and push logic without a server: retries, 4xx errors, credentials,
idempotency after a timed-out (but committed) import, spec and input errors.

An in-memory fake of the few endpoints push uses is plugged into the SDK through
httpx.MockTransport, so the real SDK request/response code runs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from concord.cli import cli
from concord.labelstudio.client import Client, RetryPolicy, connect
from concord.labelstudio.errors import LabelStudioError, SpecError
from concord.labelstudio.push import push, read_scores, read_tasks
from concord.labelstudio.spec import build_config, build_prediction, load_spec, parse_spec

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "examples" / "specs"
TOKEN = "secret-token-0123456789abcdef"


class FakeLabelStudio:
    """Projects, tasks and predictions in memory; `fail` injects failures per route."""

    def __init__(self):
        self.projects: dict[int, dict] = {}
        self.tasks: dict[int, dict] = {}
        self.predictions: dict[int, dict] = {}
        self.next_id = 1
        self.fail: dict[str, list] = {}  # route -> list of actions ("timeout"|"commit-timeout"|int)
        self.calls: list[str] = []

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def handler(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"].endswith(TOKEN)
        path = request.url.path.strip("/")
        route = request.method + " " + re.sub(r"/\d+", "/N", path)
        self.calls.append(route)
        action = self.fail.get(route, []).pop(0) if self.fail.get(route) else None
        if action == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if isinstance(action, int):
            return httpx.Response(action, json={"detail": f"injected {action}"})
        response = self.route(request, path)
        if action == "commit-timeout":  # the server did the work, the client never heard back
            raise httpx.ReadTimeout("timed out", request=request)
        return response

    def route(self, request: httpx.Request, path: str) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        params = request.url.params
        m = re.fullmatch(r"api/projects/(\d+)", path)
        if path == "api/projects" and request.method == "GET":
            items = [
                p
                for p in self.projects.values()
                if "title" not in params or p["title"] == params["title"]
            ]
            if int(params.get("page", 1)) > 1:  # one page only; the SDK pager asks for more
                items = []
            return httpx.Response(
                200, json={"count": len(items), "next": None, "previous": None, "results": items}
            )
        if path == "api/projects" and request.method == "POST":
            pid = self._id()
            self.projects[pid] = {"id": pid, **body}
            return httpx.Response(201, json=self.projects[pid])
        if m and request.method == "GET":
            return httpx.Response(200, json=self.projects[int(m.group(1))])
        if m and request.method == "PATCH":
            self.projects[int(m.group(1))].update(body)
            return httpx.Response(200, json=self.projects[int(m.group(1))])
        if path == "api/tasks" and request.method == "GET":
            items = [t for t in self.tasks.values() if t["project"] == int(params["project"])]
            page, size = int(params.get("page", 1)), int(params.get("page_size", 100))
            return httpx.Response(
                200, json={"tasks": items[(page - 1) * size : page * size], "total": len(items)}
            )
        m2 = re.fullmatch(r"api/tasks/(\d+)", path)
        if m2 and request.method == "PATCH":
            self.tasks[int(m2.group(1))]["data"] = body["data"]
            return httpx.Response(200, json=self.tasks[int(m2.group(1))])
        m3 = re.fullmatch(r"api/projects/(\d+)/import", path)
        if m3:
            ids = []
            for item in body:
                tid = self._id()
                self.tasks[tid] = {"id": tid, "project": int(m3.group(1)), "data": item["data"]}
                for pred in item.get("predictions", []):
                    self._add_prediction({**pred, "task": tid})
                ids.append(tid)
            return httpx.Response(201, json={"task_count": len(ids), "task_ids": ids})
        if path == "api/predictions" and request.method == "GET":
            items = [
                p
                for p in self.predictions.values()
                if self.tasks[p["task"]]["project"] == int(params["project"])
            ]
            return httpx.Response(200, json=items)
        m4 = re.fullmatch(r"api/projects/(\d+)/import/predictions", path)
        if m4:
            for pred in body:
                self._add_prediction(pred)
            return httpx.Response(201, json={"created": len(body)})
        m5 = re.fullmatch(r"api/predictions/(\d+)", path)
        if m5 and request.method == "PATCH":
            self.predictions[int(m5.group(1))].update(body)
            return httpx.Response(200, json=self.predictions[int(m5.group(1))])
        return httpx.Response(404, json={"detail": f"no route {request.method} {path}"})

    def _add_prediction(self, pred: dict) -> None:
        pid = self._id()
        self.predictions[pid] = {
            "id": pid,
            "task": pred["task"],
            "result": pred["result"],
            "score": pred.get("score"),
            "model_version": pred.get("model_version"),
        }


@pytest.fixture
def fake():
    return FakeLabelStudio()


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client(fake, sleeps):
    return Client(
        "http://ls.test",
        TOKEN,
        retry=RetryPolicy(attempts=4, base_delay=0.5),
        sleep=sleeps.append,
        httpx_client=httpx.Client(transport=httpx.MockTransport(fake.handler)),
    )


@pytest.fixture
def spec():
    return load_spec(SPECS / "byos_review.yaml")


@pytest.fixture
def tasks(spec):
    return read_tasks(ROOT / "examples" / "tasks" / "byos_review.jsonl", spec)


# --- retries and errors ------------------------------------------------------------------------
def test_5xx_is_retried_with_backoff(client, fake, sleeps):
    fake.fail["GET api/projects"] = [503, 502]
    assert client.find_projects("x") == []
    assert fake.calls.count("GET api/projects") == 3
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0] * 1.1  # exponential, jittered +-25 %


def test_timeouts_give_up_with_a_clear_message(client, fake, sleeps):
    fake.fail["GET api/projects"] = ["timeout"] * 10
    with pytest.raises(
        LabelStudioError,
        match=r"list projects: timed out \(gave up after 4 "
        r"attempts\)",
    ):
        client.find_projects("x")
    assert len(sleeps) == 3


def test_4xx_is_not_retried_and_names_the_request(client, fake, sleeps):
    fake.fail["GET api/projects/N"] = [400]
    with pytest.raises(LabelStudioError) as err:
        client.get_project(7)
    assert str(err.value) == (
        'get project 7: Label Studio rejected the request: HTTP 400: {"detail": "injected 400"}'
    )
    assert sleeps == [] and TOKEN not in str(err.value)


def test_401_hints_at_the_token_without_showing_it(client, fake):
    fake.fail["GET api/projects"] = [401]
    with pytest.raises(
        LabelStudioError, match="HTTP 401 unauthorized: check LABEL_STUDIO_API_KEY"
    ) as err:
        client.find_projects("x")
    assert TOKEN not in str(err.value)


def test_missing_credentials(monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    with pytest.raises(
        LabelStudioError, match="set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY in the environment"
    ):
        connect()
    result = CliRunner().invoke(
        cli,
        [
            "ls",
            "push",
            str(SPECS / "byos_review.yaml"),
            str(ROOT / "examples/tasks/byos_review.jsonl"),
        ],
        env={"LABEL_STUDIO_URL": "", "LABEL_STUDIO_API_KEY": ""},
    )
    assert result.exit_code == 1
    assert result.output.startswith("concord: error: set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY")


def test_no_command_takes_a_token_option():
    ls_commands = cli.commands["ls"].commands
    assert set(ls_commands) == {"config", "push", "pull", "push-flags"}
    for name, command in ls_commands.items():
        result = CliRunner().invoke(cli, ["ls", name, "--help"])
        assert result.exit_code == 0
        assert result.output.startswith(f"Usage: cli ls {name} ") and "--help" in result.output
        assert not re.search(r"--(token|api-key|key|url)\b", result.output), name
        # the options themselves, not only their help text
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        assert not {o for o in options if re.fullmatch(r"--(token|api-key|key|url)", o)}, name


# --- push idempotency --------------------------------------------------------------------------
def test_push_twice_creates_nothing_the_second_time(client, fake, spec, tasks):
    first = push(client, spec, tasks, title="T")
    assert (first.project_created, first.tasks_created, first.predictions_created) == (True, 36, 36)
    second = push(client, spec, tasks, title="T")
    assert (
        second.project_created,
        second.tasks_created,
        second.tasks_unchanged,
        second.predictions_created,
        second.predictions_unchanged,
    ) == (False, 0, 36, 0, 36)
    assert len(fake.projects) == 1 and len(fake.tasks) == 36 and len(fake.predictions) == 36


def test_timed_out_but_committed_import_is_not_duplicated(client, fake, spec, tasks, sleeps):
    fake.fail["POST api/projects"] = ["commit-timeout"]
    fake.fail["POST api/projects/N/import"] = ["commit-timeout"]
    fake.fail["POST api/projects/N/import/predictions"] = ["commit-timeout"]
    first = push(client, spec, tasks, title="T")
    assert len(fake.projects) == 1 and len(fake.tasks) == 36 and len(fake.predictions) == 36
    # project creation and the task import time out once each and are retried once each
    assert first.tasks_created == 36 and len(sleeps) == 2
    # a prediction lost in between is recreated, exactly once
    victim = next(iter(fake.predictions))
    del fake.predictions[victim]
    again = push(client, spec, tasks, title="T")
    assert again.predictions_created == 1 and len(fake.predictions) == 36
    # the prediction import (first used here: the first push sends predictions with the tasks)
    # timed out after committing, was retried once, and every planted failure was met
    assert len(sleeps) == 3
    assert all(not left for left in fake.fail.values()), fake.fail


def test_changed_scores_update_in_place(client, fake, spec, tasks, tmp_path):
    push(client, spec, tasks, title="T")
    table = tmp_path / "scores.csv"
    table.write_text(
        "ext_id,score,model_version\nrev-0001,0.2,sentiment-v1\nrev-0001,0.9,sentiment-v2\n"
    )
    from concord.labelstudio.push import apply_scores

    scores = apply_scores(spec, tasks, read_scores(table, "ext_id"), str(table))
    result = push(client, spec, tasks, title="T", scores=scores)
    assert (result.tasks_updated, result.predictions_updated, result.predictions_created) == (
        1,
        1,
        1,
    )
    task = next(t for t in fake.tasks.values() if t["data"]["ext_id"] == "rev-0001")
    assert task["data"]["score"] == 0.2
    preds = {p["model_version"]: p for p in fake.predictions.values() if p["task"] == task["id"]}
    assert preds["sentiment-v1"]["score"] == 0.2
    assert preds["sentiment-v1"]["result"][0]["value"] == {"choices": ["negative"]}
    assert preds["sentiment-v2"]["result"][0]["value"] == {"choices": ["positive"]}
    assert len(fake.tasks) == 36


def test_two_projects_with_the_title_is_an_error(client, fake, spec, tasks):
    fake.projects[100] = {"id": 100, "title": "T", "label_config": ""}
    fake.projects[101] = {"id": 101, "title": "T", "label_config": ""}
    with pytest.raises(
        LabelStudioError,
        match=r"several projects are titled 'T' \(ids 100, "
        r"101\)",
    ):
        push(client, spec, tasks, title="T")


# --- specs and input files ---------------------------------------------------------------------
def test_every_example_spec_builds():
    for path in sorted(SPECS.glob("*.yaml")):
        xml = build_config(load_spec(path))
        assert xml.startswith("<View>") and "score_banner" in xml, path


def test_core_config_shape(spec):
    xml = build_config(spec)
    assert '<Header name="score_banner" value="Model score: $score"/>' in xml
    assert '<Choices name="label" toName="text" choice="single">' in xml
    assert '<Rating name="human_rating" toName="text" maxRating="5"/>' in xml


def test_prediction_from_threshold_and_fields():
    cv = load_spec(SPECS / "cv_triage.yaml")
    pred = build_prediction(
        cv,
        {
            "max_confidence": 0.7,
            "model_boxes": [
                {"x": 1, "y": 2, "width": 3, "height": 4, "label": "dent", "score": 0.7}
            ],
        },
        "img-1",
    )
    box, verdict = pred["result"]
    assert box["value"] == {
        "x": 1.0,
        "y": 2.0,
        "width": 3.0,
        "height": 4.0,
        "rotation": 0.0,
        "rectanglelabels": ["dent"],
    }
    assert box["score"] == 0.7 and verdict["value"] == {"choices": ["fail"]}
    assert pred["score"] == 0.7 and pred["model_version"] == "detector-v2"
    pairwise = load_spec(SPECS / "pairwise_preference.yaml")
    (item,) = build_prediction(pairwise, {"rm_score": 0.3}, "p")["result"]
    assert item["value"] == {"selected": "right"} and item["to_name"] == "pref"


@pytest.mark.parametrize(
    "raw,message",
    [
        (
            {"controls": [{"name": "x", "type": "polygon"}]},
            "controls[0]: type 'polygon' is not one",
        ),
        (
            {"controls": [{"name": "c", "type": "choices"}]},
            ("controls[0]: a choices control needs 'values'"),
        ),
        (
            {"media": "image", "controls": [{"name": "s", "type": "labels", "values": ["a"]}]},
            "controls[0]: no object this labels control can label",
        ),
        (
            {"controls": [{"name": "c", "type": "choices", "values": ["a"], "to": "nope"}]},
            "'to' names unknown object 'nope'",
        ),
        (
            {
                "controls": [{"name": "r", "type": "rating"}],
                "prediction": {
                    "model_version": "v",
                    "results": [{"control": "r", "threshold": 0.5, "above": 1, "below": 0}],
                },
            },
            "'threshold' only builds choices, pairwise or taxonomy results",
        ),
        ({"controls": [], "title": "t"}, "'controls' must be a non-empty list"),
        (
            {"colour": "red", "controls": [{"name": "t", "type": "textarea"}]},
            ("unknown field(s) colour"),
        ),
    ],
)
def test_spec_errors_name_the_field(raw, message):
    with pytest.raises(SpecError) as err:
        parse_spec(raw, "s.yaml")
    assert message in str(err.value) and str(err.value).startswith("s.yaml: ")


def test_tasks_file_errors(tmp_path, spec):
    bad = tmp_path / "t.jsonl"
    bad.write_text(
        '{"data": {"ext_id": "a", "text": "x"}}\n{"data": {"ext_id": "a", "text": "y"}}\n'
    )
    with pytest.raises(SpecError, match=r"t.jsonl: task 2: ext_id 'a' repeats task 1"):
        read_tasks(bad, spec)
    bad.write_text('{"data": {"text": "x"}}\n')
    with pytest.raises(SpecError, match=r"task 1: field 'ext_id' \(the external id\) is missing"):
        read_tasks(bad, spec)
    bad.write_text('{"data": {"ext_id": "a"}}\n')
    with pytest.raises(
        SpecError,
        match=r"task 1 \(a\): field 'text' shown by the config is "
        r"missing",
    ):
        read_tasks(bad, spec)
    bad.write_text('{"data": \n')
    with pytest.raises(SpecError, match=r"t.jsonl: line 1: not valid JSON"):
        read_tasks(bad, spec)


def test_score_table_errors(tmp_path):
    table = tmp_path / "s.csv"
    table.write_text("ext_id,score\na,0.5\nb,high\n")
    with pytest.raises(SpecError, match=r"s.csv: row 2: field 'score' is not a number: 'high'"):
        read_scores(table, "ext_id")
    table.write_text("id,score\na,0.5\n")
    with pytest.raises(SpecError, match=r"s.csv: score table has no 'ext_id' column"):
        read_scores(table, "ext_id")
    table.write_text("ext_id,score\na,0.5\na,0.6\n")
    with pytest.raises(SpecError, match=r"row 2: ext_id 'a' model_version None repeats"):
        read_scores(table, "ext_id")


def test_cli_reports_spec_errors_in_one_line(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("controls:\n  - {name: c, type: choices}\n")
    result = CliRunner().invoke(cli, ["ls", "config", "--no-validate", str(spec)])
    assert result.exit_code == 1
    assert result.output == (
        f"concord: error: {spec}: controls[0]: a choices control needs 'values'\n"
    )
