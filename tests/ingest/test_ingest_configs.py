"""`concord ingest config`: labeling configs parsed safely into raw_label_studio.config_tags."""

from __future__ import annotations

import json
from pathlib import Path

from ingest_test_helpers import FIXTURES, rows, run_concord, snapshot

HERE = Path(__file__).resolve().parent
ALL_CONTROLS = HERE / "fixtures" / "all_controls.xml"

COLUMNS = (
    "tag_name, tag_type, tag_role, to_name, value_field, choices, labels, is_multiple, "
    "max_rating, min_value, max_value, choice_paths, buckets, tag_position"
)


def tags(db: Path, project_id: int) -> dict[str, dict]:
    names = [c.strip() for c in COLUMNS.split(",")]
    out = {}
    for row in rows(
        db,
        f"select {COLUMNS} from raw_label_studio.config_tags where project_id = ? "
        "order by tag_position",
        [project_id],
    ):
        record = dict(zip(names, row, strict=True))
        for key in ("choices", "labels", "choice_paths", "buckets"):
            if record[key] is not None:
                record[key] = json.loads(record[key])
        out[record["tag_name"]] = record
    return out


def test_real_byos_config(tmp_path):
    db = tmp_path / "w.duckdb"
    path = FIXTURES / "byos_text" / "labeling_config.xml"
    done = run_concord("ingest", "config", str(path), "--project-id", "1", db=db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        (
            "labeling_config.xml: xml, project 1: 3 controls, 1 objects, 1 headers "
            "(load ld_a1aeaa7d201b70ef)"
        ),
        "  controls: label (choices), human_rating (rating), rationale (textarea)",
        "  header fields: $score",
    ]
    got = tags(db, 1)
    assert list(got) == ["score_banner", "text_data", "label", "human_rating", "rationale"]
    assert got["score_banner"]["tag_role"] == "visual"
    assert got["score_banner"]["value_field"] == "score"
    assert got["text_data"]["tag_role"] == "object" and got["text_data"]["value_field"] == "text"
    assert got["label"]["choices"] == ["positive", "negative", "neutral"]
    assert got["label"]["is_multiple"] is False
    assert got["label"]["to_name"] == "text_data"
    assert got["human_rating"]["max_rating"] == 5
    assert got["rationale"]["tag_type"] == "textarea"
    ((xml, sha),) = rows(
        db, "select config_xml, config_sha256 from raw_label_studio.labeling_configs"
    )
    assert xml == path.read_text(encoding="utf-8")
    manifest = json.loads((FIXTURES / "byos_text" / "manifest.json").read_text())
    assert sha == manifest["files"]["labeling_config.xml"]["sha256"]


def test_header_without_name_and_labels(tmp_path):
    db = tmp_path / "w.duckdb"
    path = FIXTURES / "ner_spans" / "labeling_config.xml"
    assert run_concord("ingest", "config", str(path), "--project-id", "3", db=db).returncode == 0
    got = tags(db, 3)
    assert got["header_1"]["value_field"] == "score"
    assert got["ner"]["labels"] == ["PER", "ORG", "LOC"]
    assert got["ner"]["tag_type"] == "labels" and got["ner"]["to_name"] == "text"


def test_every_control_type(tmp_path):
    db = tmp_path / "w.duckdb"
    done = run_concord("ingest", "config", str(ALL_CONTROLS), "--project-id", "99", db=db)
    assert done.returncode == 0, done.stderr
    assert (
        "  control types without typed staging columns (results kept as raw value_json): "
        "brushlabels, mycustomtag"
    ) in done.stdout.splitlines()
    got = tags(db, 99)
    assert got["header_1"]["value_field"] == "score"
    assert got["results"]["tag_type"] == "list" and got["results"]["value_field"] == "items"
    assert got["c"]["choices"] == ["a", "B"]  # alias replaces the value in results
    assert got["c"]["is_multiple"] is True
    assert got["r"]["max_rating"] == 5  # default
    assert got["box"]["labels"] == ["defect", "scratch"] and got["box"]["is_multiple"] is False
    assert got["pref"]["tag_type"] == "pairwise" and got["pref"]["to_name"] == "left,right"
    assert got["rank"]["buckets"] == ["relevant", "bad"] and got["rank"]["to_name"] == "results"
    assert (got["n"]["min_value"], got["n"]["max_value"]) == (0.0, 10.0)
    assert got["tax"]["choice_paths"] == [
        ["Safety"],
        ["Safety", "Violence"],
        ["Safety", "Violence", "Threat"],
        ["Integrity"],
        ["Integrity", "Spam"],
    ]
    assert got["tax"]["is_multiple"] is True
    assert got["brush"]["tag_role"] == "control" and got["custom"]["tag_type"] == "mycustomtag"
    roles = {name: t["tag_role"] for name, t in got.items()}
    assert sorted(n for n, r in roles.items() if r == "object") == [
        "img",
        "left",
        "results",
        "right",
    ]


def test_same_config_is_a_no_op_and_a_new_one_replaces(tmp_path):
    db = tmp_path / "w.duckdb"
    byos = FIXTURES / "byos_text" / "labeling_config.xml"
    assert run_concord("ingest", "config", str(byos), "--project-id", "1", db=db).returncode == 0
    before = snapshot(db)
    again = run_concord("ingest", "config", str(byos), "--project-id", "1", db=db)
    assert again.returncode == 0
    assert again.stdout == (
        "labeling_config.xml: already the config of project 1 (ld_a1aeaa7d201b70ef): "
        "nothing to do\n"
    )
    assert snapshot(db) == before
    other = run_concord("ingest", "config", str(ALL_CONTROLS), "--project-id", "1", db=db)
    assert other.returncode == 0
    assert "label" not in tags(db, 1) and "tax" in tags(db, 1)
    back = run_concord("ingest", "config", str(byos), "--project-id", "1", db=db)
    assert back.returncode == 0, back.stderr
    assert "(load ld_a1aeaa7d201b70ef_2)" in back.stdout  # re-applied: a new load row
    assert list(tags(db, 1)) == ["score_banner", "text_data", "label", "human_rating", "rationale"]
    assert rows(db, "select count(*) from raw_label_studio.loads where command = 'config'") == [
        (3,)
    ]


def test_project_id_is_required(tmp_path):
    done = run_concord("ingest", "config", str(ALL_CONTROLS), db=tmp_path / "w.duckdb")
    assert done.returncode == 2  # click usage error
    assert "Missing option '--project-id'" in done.stderr
