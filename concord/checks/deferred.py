"""`concord check` in a child process that imports everything first, then waits to be told to run.

`concord demo` starts it before its dbt build. Importing Great Expectations alone takes 3-5 s,
and a dbt build keeps one of the two cores busy (its per-node work holds the GIL), so the child
imports on the other core while dbt runs, and the checks start the moment the warehouse is built.
Nothing is shared but the warehouse file, opened read-only by the child only after the go.

Protocol: the child reads one line from stdin. `go` runs every check and prints the report on
stdout (exit 0 when every check passed, 1 when one failed; 2 when the run itself failed, its
traceback on stderr). Anything else, or end of input (the parent failed before the go, or died),
exits 3 without opening the warehouse.
"""

from __future__ import annotations

import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import ConcordError

GO = "go"
CRASHED = 2
NOT_STARTED = 3


@dataclass
class DeferredChecks:
    process: subprocess.Popen

    def go(self) -> None:
        """Tell the child to run the checks, without waiting for them."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"{GO}\n")
        self.process.stdin.flush()

    def result(self) -> tuple[list[str], bool]:
        """Wait for the child. Returns the report's lines and whether every check passed."""
        out, err = self.process.communicate()
        if self.process.returncode not in (0, 1):
            tail = (err or "").strip().splitlines()[-5:]
            raise ConcordError(
                f"concord check (child process) failed with exit {self.process.returncode}: "
                + " | ".join(tail)
            )
        return out.splitlines(), self.process.returncode == 0

    def cancel(self) -> None:
        """End the child without running anything (the caller failed before the go)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()


def start(db: Path) -> DeferredChecks:
    """Start the child for the warehouse `db`; it imports, then waits for `go()`."""
    process = subprocess.Popen(
        [sys.executable, "-m", "concord.checks.deferred", str(db)],
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
    return 0 if report.ok else 1


if __name__ == "__main__":
    try:
        code = main(sys.argv[1:])
    except Exception:  # noqa: BLE001 - any failure of the checks' run itself: exit 2, not 1
        traceback.print_exc()
        code = CRASHED
    sys.exit(code)
