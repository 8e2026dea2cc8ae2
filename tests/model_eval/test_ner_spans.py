"""Review-queue human disagreement on the real ner_spans export (text spans: no single consensus
value, so the agreement engine's pairwise span IoU decides).

Its manifest (notes.agreement_design) lists the designed disagreements by task INDEX, e.g.
"1 chloe missed Texas, ..., 7 bob Blue Origin LOC (later fixed), ...": a fixed one is agreement.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from staging_fakes import query_dicts

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "label_studio" / "ner_spans"
MANIFEST = json.loads((FIXTURE / "manifest.json").read_text())
DESIGN = MANIFEST["notes"]["agreement_design"]
TASK_ID = {task["index"]: task["task_id"] for task in MANIFEST["tasks"]}
N_ANNOTATIONS = {task["task_id"]: len(task["annotation_ids"]) for task in MANIFEST["tasks"]}


def designed_disagreements() -> list[int]:
    match = re.search(r"disagreements: (.*)$", DESIGN)
    assert match, f"manifest agreement_design changed: {DESIGN!r}"
    items = re.findall(r"(\d+) ([^,]*(?:'[^']*'[^,]*)*)", match.group(1))
    return [TASK_ID[int(index)] for index, text in items if "later fixed" not in text]


DISAGREE = designed_disagreements()


@pytest.fixture(scope="module")
def queue(built_warehouse) -> dict[int, dict]:
    return {
        row["task_id"]: row
        for row in query_dicts(
            built_warehouse, "select * from marts.fct_review_queue where project_id = 3"
        )
    }


def test_design_note_parsed():
    assert DISAGREE == [56, 57, 59, 60, 61, 65, 69]


@pytest.mark.parametrize("task_id", DISAGREE)
def test_designed_span_disagreements_are_queued(queue, task_id):
    row = queue.get(task_id)
    assert row is not None, f"task {task_id} (designed disagreement) is not in fct_review_queue"
    assert row["has_human_disagreement"] is True
    assert row["min_region_agreement"] < 0.95


def test_agreeing_span_tasks_have_no_disagreement_reason(queue):
    agreeing = [
        task_id
        for task_id, n in N_ANNOTATIONS.items()
        if n >= 2 and task_id not in DISAGREE and task_id in range(55, 71)
    ]
    assert len(agreeing) >= 8
    for task_id in agreeing:
        assert not (task_id in queue and queue[task_id]["has_human_disagreement"]), queue[task_id]
