"""Start / stop a headless Label Studio server on 127.0.0.1 with a fresh data dir.

    python -m concord.devtools.ls_server start --venv .venv-ls --data-dir /tmp/ls --port 8081
    python -m concord.devtools.ls_server stop --data-dir /tmp/ls

(`python scripts/ls_server.py ...` in a checkout is the same.) `start` DELETES everything in
--data-dir first: never point it at a directory holding anything you want to keep.

`start` refuses to run when something already answers on the port (Label Studio would silently
move to the next free port), wipes and recreates the data dir, starts `label-studio start` with
the admin user and an API token pre-created from the environment (never argv: flags are visible
in the process list), waits for `/health`, and fails fast with the server log when the process
dies during startup. The token is `$LABEL_STUDIO_API_KEY` when set, else a random one written to
`<data-dir>/api_key` (mode 0600); it is never printed. The pid goes to `<data-dir>/server.pid`;
`stop` kills exactly that pid (and its process group, which the server leads).

Importable: tests/live/conftest.py uses `start_server` / `stop_server`.
See docs/labelstudio.md for the traps this avoids.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ADMIN_EMAIL = "admin@example.com"
# Local throwaway server only; the admin password is not a secret worth protecting, the token is.
ADMIN_PASSWORD = "Adm1n-pass-123"
LOG_NAME = "server.log"
PID_NAME = "server.pid"
KEY_NAME = "api_key"


class ServerError(RuntimeError):
    """The server could not be started or stopped; the message includes the log tail."""


@dataclass
class Server:
    pid: int
    url: str
    data_dir: Path
    log_path: Path
    api_key: str
    startup_seconds: float

    def log_tail(self, n_chars: int = 6000) -> str:
        return _tail(self.log_path, n_chars)


def _tail(path: Path, n_chars: int = 6000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no server log)"
    return text[-n_chars:]


def port_answers(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
            return resp.status == 200 and json.loads(resp.read() or b"{}").get("status") == "UP"
    except (urllib.error.URLError, OSError, ValueError):
        return False


def start_server(
    venv: str | os.PathLike[str],
    data_dir: str | os.PathLike[str],
    *,
    port: int = 8081,
    api_key: str | None = None,
    timeout: float = 240.0,
) -> Server:
    """Start Label Studio; return once `/health` answers. Raise ServerError with the log if not."""
    host = "127.0.0.1"
    exe = Path(venv).resolve() / "bin" / "label-studio"
    if not exe.exists():
        raise ServerError(f"{exe} not found: install label-studio==1.23.2 into {venv} first")
    if port_answers(host, port):
        raise ServerError(f"something already answers on {host}:{port}; refusing to start")
    data = Path(data_dir).resolve()
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    key = api_key or os.environ.get("LABEL_STUDIO_API_KEY") or secrets.token_hex(20)
    if len(key) <= 5:
        raise ServerError(
            "the API token must be longer than 5 characters (LS ignores it otherwise)"
        )
    key_path = data / KEY_NAME
    key_path.touch(mode=0o600)
    key_path.write_text(key)

    env = dict(os.environ)
    # LS reads bare HOST/PORT/USERNAME/PASSWORD too (get_env falls back to them): unset them.
    for name in ("HOST", "PORT", "USERNAME", "PASSWORD", "LABEL_STUDIO_HOST", "LABEL_STUDIO_PORT"):
        env.pop(name, None)
    env.update(
        LABEL_STUDIO_BASE_DATA_DIR=str(data),
        LABEL_STUDIO_USERNAME=ADMIN_EMAIL,
        LABEL_STUDIO_PASSWORD=ADMIN_PASSWORD,
        LABEL_STUDIO_USER_TOKEN=key,
        LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true",
        LABEL_STUDIO_LATEST_VERSION_CHECK="false",
        LABEL_STUDIO_COLLECT_ANALYTICS="false",
    )
    log_path = data / LOG_NAME
    started = time.monotonic()
    with open(log_path, "wb") as log, open(os.devnull, "rb") as devnull:
        proc = subprocess.Popen(
            [
                str(exe),
                "start",
                "--no-browser",
                "--internal-host",
                host,
                "--port",
                str(port),
                "--log-level",
                "WARNING",
            ],
            env=env,
            stdin=devnull,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=str(data),
            start_new_session=True,  # own process group: stop() can take its children too
        )
    (data / PID_NAME).write_text(str(proc.pid))
    url = f"http://{host}:{port}"
    deadline = started + timeout
    try:
        _wait_healthy(proc, url, log_path, deadline, timeout)
    except BaseException:
        _kill(proc.pid)  # never leave a half-started server behind (also on Ctrl-C)
        raise
    return Server(
        pid=proc.pid,
        url=url,
        data_dir=data,
        log_path=log_path,
        api_key=key,
        startup_seconds=round(time.monotonic() - started, 1),
    )


def _wait_healthy(
    proc: subprocess.Popen, url: str, log_path: Path, deadline: float, timeout: float
) -> None:
    while True:
        code = proc.poll()
        if code is not None:
            raise ServerError(
                f"label-studio exited with code {code} during startup; log {log_path}:\n"
                f"{_tail(log_path)}"
            )
        if _healthy(url):
            break
        if time.monotonic() > deadline:
            raise ServerError(
                f"label-studio did not answer {url}/health within {timeout:.0f} s; "
                f"log {log_path}:\n{_tail(log_path)}"
            )
        time.sleep(1.0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours still "exists": reap it if it is ours
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def _kill(pid: int, grace: float = 15.0) -> None:
    """SIGTERM the pid's process group (the server leads its own), then SIGKILL after `grace`."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        except PermissionError:
            os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.2)


def stop_server(pid_or_data_dir: int | str | os.PathLike[str]) -> bool:
    """Stop the server by its pid (or the pid recorded in `<data-dir>/server.pid`).

    Returns False when there was nothing to stop.
    """
    if isinstance(pid_or_data_dir, int):
        pid = pid_or_data_dir
    else:
        pid_file = Path(pid_or_data_dir) / PID_NAME
        if not pid_file.exists():
            return False
        pid = int(pid_file.read_text().strip())
    if not _alive(pid):
        return False
    _kill(pid)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="start a fresh server (wipes --data-dir)")
    start.add_argument("--venv", default=os.environ.get("LABEL_STUDIO_VENV", ".venv-ls"))
    start.add_argument("--data-dir", required=True)
    start.add_argument("--port", type=int, default=8081)
    start.add_argument("--timeout", type=float, default=240.0)
    stop = sub.add_parser("stop", help="stop the server whose pid is in --data-dir/server.pid")
    stop.add_argument("--data-dir", required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            server = start_server(args.venv, args.data_dir, port=args.port, timeout=args.timeout)
            print(
                f"label-studio up at {server.url} (pid {server.pid}, {server.startup_seconds} s); "
                f"token in {server.data_dir / KEY_NAME}, log {server.log_path}"
            )
        else:
            stopped = stop_server(args.data_dir)
            print("stopped" if stopped else "no running server recorded there")
    except ServerError as err:
        print(f"ls_server: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
