"""`count_tasks` (how `concord ls pull` sizes a snapshot before loading it) reads in the memory an
ingest reads in. It once asked DuckDB for a 1 GiB object limit, which buffers ~2 GiB up front:
every live pull died with "out of memory" under the default 600MB limit."""

import json

import pytest

from ingest.errors import IngestError
from ingest.exports import count_tasks


def _export(path, tasks):
    path.write_text(json.dumps(tasks), encoding="utf-8")
    return path


def test_counts_a_small_export_under_the_default_memory_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("CONCORD_MEMORY_LIMIT", "600MB")
    path = _export(tmp_path / "export.json", [{"id": i, "data": {}} for i in range(1, 4)])
    assert count_tasks(path) == 3


def test_counts_a_task_larger_than_the_first_object_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("CONCORD_MEMORY_LIMIT", "600MB")
    big = "x" * (20 * 1024 * 1024)  # over the 16 MB first limit: the reader must grow it
    path = _export(tmp_path / "big.json", [{"id": 1, "data": {"text": big}}, {"id": 2}])
    assert count_tasks(path) == 2


def test_an_empty_export_counts_zero(tmp_path):
    assert count_tasks(_export(tmp_path / "empty.json", [])) == 0


def test_malformed_json_names_the_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[{"id": 1}, {"id": ', encoding="utf-8")
    with pytest.raises(IngestError, match="broken.json"):
        count_tasks(path)
