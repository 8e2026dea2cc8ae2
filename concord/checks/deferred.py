"""`concord check` in a child process that imports everything first, then waits to be told to run.

`concord demo` starts it before its dbt build. Importing Great Expectations alone takes 3-5 s,
and a dbt build keeps one of the two cores busy (its per-node work holds the GIL), so the child
imports on the other core while dbt runs, and the checks start the moment the warehouse is built.
Nothing is shared but the warehouse file, opened read-only by the child only after the go.

Protocol: the child reads one line from stdin. `go` runs every check and prints the report on
stdout (exit 0 when every check passed, 10 when one failed; 2 when the run itself failed, its
traceback on stderr). Anything else, or end of input (the parent failed before the go, or died),
exits 3 without opening the warehouse. "A check failed" has a code of its own so that Python's
own exit 1 (an import that fails before `main` runs) is never taken for it. The child runs with
`-P`: a `concord.py` or `ingest.py` in the user's working folder must not hide the packages.
"""

from __future__ import annotations

import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import ConcordError

GO = "go"
PASSED = 0
CHECK_FAILED = 10
CRASHED = 2
NOT_STARTED = 3


@dataclass
class DeferredChecks:
    process: subprocess.Popen

    def go(self) -> None:
        """Tell the child to run the checks, without waiting for them. A child that already died
        (killed, or failed at start-up) raises ConcordError with its exit code and stderr."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(f"{GO}\n")
            self.process.stdin.flush()
        except OSError:  # a broken pipe: the child is gone
            self.process.kill()
            _, err = self.process.communicate()
            raise self._failure(err) from None

    def result(self) -> tuple[list[str], bool]:
        """Wait for the child. Returns the report's lines and whether every check passed."""
        out, err = self.process.communicate()
        if self.process.returncode not in (PASSED, CHECK_FAILED):
            raise self._failure(err)
        return out.splitlines(), self.process.returncode == PASSED

    def _failure(self, err: str | None) -> ConcordError:
        tail = (err or "").strip().splitlines()[-5:]
        return ConcordError(
            f"concord check (child process) failed with exit {self.process.returncode}"
            + (": " + " | ".join(tail) if tail else "")
        )

    def cancel(self) -> None:
        """End the child without running anything (the caller failed before the go)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()


def start(db: Path) -> DeferredChecks:
    """Start the child for the warehouse `db`; it imports, then waits for `go()`."""
    process = subprocess.Popen(
        [sys.executable, "-P", "-m", "concord.checks.deferred", str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return DeferredChecks(process)


def main(argv: list[str]) -> int:
    from concord.checks.gx_duckdb import make_context
    from concord.checks.runner import format_report, load_checks, run_checks

    load_checks()
    make_context()  # the slow part: imports Great Expectations and builds its context once
    if sys.stdin.readline().strip() != GO:
        return NOT_STARTED
    report = run_checks(Path(argv[0]))
    for line in format_report(report):
        print(line)
    return PASSED if report.ok else CHECK_FAILED


if __name__ == "__main__":
    try:
        code = main(sys.argv[1:])
    except Exception:  # noqa: BLE001 - any failure of the checks' run itself: exit 2, not 1
        traceback.print_exc()
        code = CRASHED
    sys.exit(code)
