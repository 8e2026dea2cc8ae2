"""Live Label Studio tests: one real server for the whole session.

The server is label-studio from `$LABEL_STUDIO_VENV` (the Makefile sets it to .venv-ls), started
headless on 127.0.0.1 with a fresh data dir by concord.devtools.ls_server and stopped by its pid in the
fixture's teardown, which pytest runs also when tests fail. If the server cannot start, every live
test fails with the server log. Without LABEL_STUDIO_VENV the live tests are skipped with a
reason, except under CI=true, where that is a failure: CI never skips them silently.
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# tests/live is a package (so this conftest is `live.conftest`, not a second top-level `conftest`
# shadowing tests/conftest.py); its helper modules are imported by plain name
if str(Path(__file__).parent) not in sys.path:
    sys.path.append(str(Path(__file__).parent))


from concord.devtools import ls_server


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pytest_collection_modifyitems(config, items):
    # every test that needs the server is `live` (select with -m live, deselect with -m "not live")
    for item in items:
        if "label_studio" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.live)


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory):
    """A running Label Studio 1.23.2: yields concord.devtools.ls_server.Server (url, api_key, pid, ...)."""
    venv = os.environ.get("LABEL_STUDIO_VENV", "").strip()
    if not venv:
        reason = (
            "LABEL_STUDIO_VENV is not set: the live tests need a Label Studio venv "
            "(`make test` installs label-studio==1.23.2 into .venv-ls and sets it)"
        )
        if _in_ci():
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    data_dir = tmp_path_factory.mktemp("label_studio_data")
    started = time.monotonic()
    try:
        server = ls_server.start_server(
            venv, data_dir, port=_free_port(), api_key=secrets.token_hex(20), timeout=300
        )
    except ls_server.ServerError as err:
        pytest.fail(f"Label Studio did not start: {err}", pytrace=False)
    print(f"\n[live] label-studio up in {time.monotonic() - started:.1f} s (pid {server.pid})")
    try:
        yield server
    finally:
        ls_server.stop_server(server.pid)
        print(f"\n[live] label-studio pid {server.pid} stopped")
