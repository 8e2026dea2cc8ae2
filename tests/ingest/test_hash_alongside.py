"""Large export files are hashed (sha256) on a thread while DuckDB reads them, when no earlier
load has their size: the load id, the idempotency of a re-run and the "given twice" rule must be
exactly those of hashing first. The size threshold is lowered so the real fixtures take that path."""

from __future__ import annotations

import hashlib
import shutil
import threading

import duckdb
import pytest
from ingest_test_helpers import FIXTURES

from ingest.errors import IngestError
from ingest.exports import load as exports  # the module that reads and hashes the files
from ingest.loading import make_load_id

EXPORT = FIXTURES / "byos_text" / "export.json"


@pytest.fixture
def hash_alongside(monkeypatch):
    monkeypatch.setattr(exports, "HASH_ALONGSIDE_MIN_BYTES", 0)
    calls = []
    real = exports.file_sha256

    def spy(path):
        calls.append(threading.current_thread().name)
        return real(path)

    monkeypatch.setattr(exports, "file_sha256", spy)
    return calls


def _loads(db):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "select load_id, file_sha256, file_bytes from raw_label_studio.loads "
            "where command = 'export' order by loaded_at"
        ).fetchall()


def test_first_load_is_hashed_on_a_thread_with_the_same_load_id(tmp_path, hash_alongside):
    db = tmp_path / "w.duckdb"
    [result] = exports.ingest_exports(db, [EXPORT])
    sha = hashlib.sha256(EXPORT.read_bytes()).hexdigest()
    assert result.file_sha256 == sha
    assert result.load_id == make_load_id(sha, "export")
    assert _loads(db) == [(make_load_id(sha, "export"), sha, EXPORT.stat().st_size)]
    assert hash_alongside[0].startswith("concord-sha256")  # the first load: hashed alongside
    assert not [t for t in threading.enumerate() if t.name.startswith("concord-sha256")]

    # the same bytes again: an earlier load has this size, so it is hashed first and skipped
    [again] = exports.ingest_exports(db, [EXPORT])
    assert again.skipped and again.skipped_reason.startswith("already loaded (ld_")
    assert not hash_alongside[1].startswith("concord-sha256")
    assert len(_loads(db)) == 1


def test_the_same_file_twice_in_one_command_is_loaded_once(tmp_path, hash_alongside):
    db = tmp_path / "w.duckdb"
    copy = tmp_path / "copy.json"
    shutil.copyfile(EXPORT, copy)
    first, second = exports.ingest_exports(db, [EXPORT, copy])
    assert not first.skipped
    assert second.skipped and second.skipped_reason == "given twice in this command: loaded once"
    assert len(_loads(db)) == 1


def test_a_bad_file_hashed_alongside_writes_nothing_and_leaves_no_thread(tmp_path, hash_alongside):
    db = tmp_path / "w.duckdb"
    exports.ingest_exports(db, [EXPORT])
    before = _loads(db)
    bad = tmp_path / "bad.json"
    bad.write_text('[{"id": 1, "data": {}}, {"id": 2, "data": ', encoding="utf-8")
    with pytest.raises(IngestError, match="bad.json"):
        exports.ingest_exports(db, [bad])
    assert _loads(db) == before
    assert not [t for t in threading.enumerate() if t.name.startswith("concord-sha256")]
