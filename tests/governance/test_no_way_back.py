"""No way back in (issue #12 item 3): every entry point refuses the rows of an erased task with a
one-line note of how many were skipped: `ingest export` in every format, `ingest scores` with
every key kind, `ls pull` (with a stand-in for the Label Studio client; it also deletes its
export file on every path, failure included)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from concord.labelstudio.pull import pull
from ingest.errors import ConcordError

from .gov_helpers import DEMO_SCORES, FIXTURES, SCORES, run_concord

BYOS = FIXTURES / "byos_text"


def _copy_changed(src: Path, dest: Path) -> Path:
    """The same export under other bytes (a load of the same bytes is skipped as a whole)."""
    dest.write_bytes(src.read_bytes() + b"\n")
    return dest


def _rows(db: Path, sql: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


@pytest.fixture
def erased_10(warehouse: Path) -> Path:
    """The warehouse with task 10 (ext id byos-0009, two predictions) erased."""
    out = run_concord("erase", "--task-id", "10", db=warehouse)
    assert out.returncode == 0, out.stderr
    return warehouse


@pytest.mark.parametrize(
    "fixture_name",
    [
        "export.json",
        "export_snapshot.json",
        "export_min.json",
        "export_snapshot_min.json",
        "export.csv",
    ],
)
def test_ingest_export_skips_erased_tasks(erased_10, tmp_path, fixture_name):
    path = _copy_changed(BYOS / fixture_name, tmp_path / f"again_{fixture_name}")
    extra = ["--project-id", "1"] if "min" in fixture_name or fixture_name.endswith(".csv") else []
    out = run_concord("ingest", "export", str(path), *extra, db=erased_10)
    assert out.returncode == 0, out.stderr
    notes = [line for line in out.stdout.splitlines() if "skipped: erased earlier" in line]
    assert notes == ["  1 task(s) skipped: erased earlier (concord_meta.erasure_log): task ids 10"]
    assert _rows(erased_10, "select count(*) from raw_label_studio.tasks where task_id = 10") == 0


@pytest.mark.parametrize(
    ("source", "key", "column", "kind"),
    [
        (SCORES / "task_scores.csv", "task_id", "task_id", "task_id"),
        (DEMO_SCORES / "byos_text_scores.csv", "data.ext_id", "ext_id", "data_field"),
        (
            DEMO_SCORES / "byos_text_prediction_calibrated.parquet",
            "prediction_id",
            "prediction_id",
            "prediction_id",
        ),
    ],
)
def test_ingest_scores_skips_rows_of_erased_tasks(warehouse, tmp_path, source, key, column, kind):
    # task 2: ext id byos-0001, predictions in the calibrated table, a row in task_scores
    con = duckdb.connect(str(warehouse), read_only=True)
    values = {
        "task_id": ["2"],
        "data.ext_id": ["byos-0001"],
        "prediction_id": [
            p
            for (p,) in con.execute(
                "select unnest(task.predictions) ->> '$.id' from raw_label_studio.tasks"
                " where task_id = 2"
            ).fetchall()
        ],
    }[key]
    con.close()
    reader = "read_parquet" if source.suffix == ".parquet" else "read_csv_auto"
    n_file = (
        duckdb.connect()
        .execute(
            f"select count(*) from {reader}(?) where cast({column} as varchar) in (select unnest(?))",
            [str(source), values],
        )
        .fetchone()[0]
    )
    assert n_file > 0  # the file does hold rows of task 2 (else the test proves nothing)
    assert run_concord("erase", "--task-id", "2", db=warehouse).returncode == 0
    path = tmp_path / f"again{source.suffix}"
    path.write_bytes(source.read_bytes())
    out = run_concord("ingest", "scores", str(path), "--name", "again", "--key", key, db=warehouse)
    assert out.returncode == 0, out.stderr
    note = f"  {n_file} score row(s) skipped: their {kind} key belongs to a task erased earlier"
    assert note in out.stdout.splitlines(), out.stdout
    assert (
        _rows_params(
            warehouse,
            "select count(*) from raw_scores.score_rows"
            " where score_table_name = 'again' and list_contains(?, trim(key_value))",
            [values],
        )
        == 0
    )
    assert (
        _rows(
            warehouse, "select count(*) from raw_scores.score_rows where score_table_name = 'again'"
        )
        > 0
    )


def _rows_params(db: Path, sql: str, params: list) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params).fetchone()[0]
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------
# ls pull, with a stand-in for the Label Studio client


class FakeClient:
    """What `pull` calls on a Label Studio client: one completed snapshot export."""

    url = "http://label-studio.invalid"

    def __init__(self, payload: bytes, *, fail_download: bool = False) -> None:
        export = SimpleNamespace(id=77, status="completed", created_at=None)

        def download(**_kwargs):
            yield payload[: len(payload) // 2]
            if fail_download:
                raise ConnectionError("connection reset")
            yield payload[len(payload) // 2 :]

        self.ls = SimpleNamespace(
            projects=SimpleNamespace(
                exports=SimpleNamespace(
                    create=lambda **_kw: export, get=lambda **_kw: export, download=download
                )
            ),
            views=SimpleNamespace(delete=lambda **_kw: None),
        )

    def get_project(self, _project_id):
        return SimpleNamespace(label_config=None)

    def call(self, _what, fn, *args, **kwargs):
        return fn(*args, **kwargs)

    def retrying(self, _what, fn):
        return fn()


def _as_pulled_from_fake_server(db: Path) -> Path:
    """Project 1 as if it had come from FakeClient's server: a pull from one server may not
    overwrite a project loaded from another (issue #11), and an erasure is scoped by source."""
    con = duckdb.connect(str(db))
    con.execute(
        "update raw_label_studio.loads set source = ? where project_id = 1", [FakeClient.url]
    )
    con.close()
    return db


@pytest.fixture
def pulled_then_erased_10(warehouse: Path) -> Path:
    db = _as_pulled_from_fake_server(warehouse)
    out = run_concord("erase", "--task-id", "10", db=db)
    assert out.returncode == 0, out.stderr
    return db


def test_ls_pull_skips_erased_tasks_and_deletes_its_export(pulled_then_erased_10, tmp_path):
    db = pulled_then_erased_10
    # other bytes than the export the warehouse was built from (same bytes: skipped whole)
    payload = (BYOS / "export_snapshot.json").read_bytes() + b"\n"
    out_dir = tmp_path / "pulled"
    result = pull(FakeClient(payload), 1, db, out_dir=out_dir, full=True)
    notes = [n for load in result.loads for n in load.notes if "erased earlier" in n]
    assert notes == ["1 task(s) skipped: erased earlier (concord_meta.erasure_log): task ids 10"]
    assert _rows(db, "select count(*) from raw_label_studio.tasks where task_id = 10") == 0
    assert _rows(db, "select count(*) from raw_label_studio.tasks where project_id = 1") > 0
    assert not any(p.name.endswith((".json", ".part")) for p in out_dir.iterdir())


@pytest.mark.parametrize("failure", ["download", "load"])
def test_ls_pull_deletes_its_export_when_it_fails(warehouse, tmp_path, failure):
    payload = (BYOS / "export_snapshot.json").read_bytes()
    if failure == "load":
        payload = payload[:-50]  # truncated JSON: the load fails
    out_dir = tmp_path / "pulled"
    client = FakeClient(payload, fail_download=failure == "download")
    with pytest.raises((ConcordError, ConnectionError, duckdb.Error)):
        pull(client, 1, _as_pulled_from_fake_server(warehouse), out_dir=out_dir, full=True)
    assert [p.name for p in out_dir.iterdir() if not p.name.endswith(".xml")] == []


def test_erasure_log_is_scoped_by_source(warehouse):
    # `raw_label_studio.loads.source` (issue #11): project 1 came from server A
    con = duckdb.connect(str(warehouse))
    con.execute("alter table raw_label_studio.loads add column if not exists source varchar")
    con.execute(
        "update raw_label_studio.loads set source = 'http://a.example' where project_id = 1"
    )
    con.close()
    assert run_concord("erase", "--task-id", "10", db=warehouse).returncode == 0
    from ingest.erased import drop_erased_tasks

    con = duckdb.connect(str(warehouse))
    con.execute(
        "create temp table staged as"
        " select 10::bigint as task_id, {'data': '{\"ext_id\": \"other-10\"}'::json} as task"
    )
    for source, dropped in (("http://b.example", 0), (None, 0), ("http://a.example", 1)):
        result = SimpleNamespace(source=source, counts={}, notes=[])
        assert drop_erased_tasks(con, "staged", result) == dropped, source
    con.close()
    # a live task 10 from server B is no residue of the erased one from server A
    con = duckdb.connect(str(warehouse))
    con.execute(
        """
        insert into raw_label_studio.loads by name
        select * replace ('ld_other' as load_id, 2 as project_id, 'http://b.example' as source)
        from raw_label_studio.loads where project_id = 1 limit 1
        """
    )
    con.execute(
        """
        insert into raw_label_studio.tasks by name
        select * replace (10 as task_id, 2 as project_id, 'ld_other' as load_id,
            struct_update(task, data := '{"text": "another server"}'::json) as task)
        from raw_label_studio.tasks where task_id = 3
        """
    )
    con.close()
    from concord.erasure import verify_erasure

    con = duckdb.connect(str(warehouse), read_only=True)
    proof = verify_erasure(con, finish_pending=False, texts=False, raw_bytes=False)
    assert [r for r in proof.residues if "raw_label_studio" in r.where] == [], proof.lines()
    con.close()
