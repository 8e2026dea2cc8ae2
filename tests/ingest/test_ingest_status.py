"""`concord status` through the console script."""

from __future__ import annotations

import json

from ingest_test_helpers import DEMO_SCORES, FIXTURES, run_concord


def test_status_lists_projects_loads_and_score_tables(tmp_path):
    db = tmp_path / "w.duckdb"
    for args in (
        ["ingest", "export", str(FIXTURES / "byos_text" / "export_snapshot.json")],
        ["ingest", "export", str(FIXTURES / "ner_spans" / "export.json")],
        [
            "ingest",
            "config",
            str(FIXTURES / "byos_text" / "labeling_config.xml"),
            "--project-id",
            "1",
        ],
        [
            "ingest",
            "scores",
            str(DEMO_SCORES / "byos_text_scores.csv"),
            "--name",
            "demo",
            "--key",
            "data.ext_id",
        ],
    ):
        assert run_concord(*args, db=db).returncode == 0
    done = run_concord("status", db=db)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"warehouse: {db} (")
    assert lines[1] == "projects: 2"
    assert lines[2].startswith(
        "  project 1: 30 tasks, 63 annotations (3 skipped), 39 predictions, 2 drafts; "
        "config b4855d843fe2 (3 controls); last loaded "
    )
    assert lines[3].startswith(
        "  project 3: 24 tasks, 48 annotations (1 skipped), 22 predictions, 1 drafts; "
        "no config (controls inferred); last loaded "
    )
    assert lines[4] == "loads: 4 (newest first)"
    load_lines = lines[5:9]
    assert "scores/score_csv  -  30 records  byos_text_scores.csv  sha256 " in load_lines[0]
    assert (
        "export/json  project 1  30 records  export_snapshot.json  sha256 3167ec5bc328863b"
        in (load_lines[3])
    )
    assert lines[9] == "score tables: 1"
    assert lines[10].startswith(
        "  demo: 30 rows keyed by data.ext_id, scores 0 .. 0.9074, 1 model version(s); "
        "byos_text_scores.csv; loaded "
    )
    assert lines[11].startswith("last load: 2")
    as_json = json.loads(run_concord("status", "--json", db=db).stdout)
    assert [p["project_id"] for p in as_json["projects"]] == [1, 3]
    assert len(as_json["loads"]) == 4
    assert as_json["score_tables"][0]["n_rows"] == 30


def test_status_without_a_warehouse(tmp_path):
    db = tmp_path / "missing.duckdb"
    done = run_concord("status", db=db)
    assert done.returncode == 1
    assert done.stderr == (
        f"concord: error: {db}: no warehouse here (nothing loaded yet): "
        "run `concord ingest export ...`\n"
    )
    assert not db.exists()
