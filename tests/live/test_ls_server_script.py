"""scripts/ls_server.py without Label Studio: refuses a busy port, fails fast with the log when
the process dies, times out with the log, stops by pid. A stand-in `label-studio` executable plays
the server."""

from __future__ import annotations

import os
import socket
import stat
import sys
import textwrap

import pytest

from concord.devtools import ls_server


def _fake_venv(tmp_path, body: str):
    exe = tmp_path / "venv" / "bin" / "label-studio"
    exe.parent.mkdir(parents=True)
    exe.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return tmp_path / "venv"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_refuses_a_port_that_answers(tmp_path):
    venv = _fake_venv(tmp_path, "raise SystemExit(0)\n")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ls_server.ServerError, match=f"already answers on 127.0.0.1:{port}"):
            ls_server.start_server(venv, tmp_path / "data", port=port)


def test_process_death_fails_fast_with_the_log(tmp_path):
    venv = _fake_venv(
        tmp_path,
        """
        import os, sys
        print("migrating... boom: no such table django_migrations", flush=True)
        # the environment the server sees: token from env, bare names unset
        print("HOST" in os.environ, os.environ.get("LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN"),
              "--user-token" in sys.argv, flush=True)
        raise SystemExit(3)
        """,
    )
    os.environ["HOST"] = "leak.example"
    try:
        with pytest.raises(ls_server.ServerError) as err:
            ls_server.start_server(venv, tmp_path / "data", port=_free_port(), api_key="k" * 40)
    finally:
        del os.environ["HOST"]
    message = str(err.value)
    assert "label-studio exited with code 3 during startup" in message
    assert "boom: no such table django_migrations" in message
    assert "False true False" in message  # HOST unset, legacy tokens on, no token in argv
    assert "k" * 40 not in message


def test_timeout_kills_the_process_and_shows_the_log(tmp_path):
    venv = _fake_venv(
        tmp_path,
        """
        import time
        print("still migrating", flush=True)
        time.sleep(600)
        """,
    )
    data = tmp_path / "data"
    with pytest.raises(ls_server.ServerError, match="did not answer .* within 2 s") as err:
        ls_server.start_server(venv, data, port=_free_port(), timeout=2)
    assert "still migrating" in str(err.value)
    pid = int((data / "server.pid").read_text())
    assert not ls_server._alive(pid)  # killed, not left behind
    assert ls_server.stop_server(data) is False  # nothing left to stop


def test_missing_venv_is_a_clear_error(tmp_path):
    with pytest.raises(ls_server.ServerError, match="install label-studio==1.23.2 into"):
        ls_server.start_server(tmp_path / "nope", tmp_path / "data", port=_free_port())
