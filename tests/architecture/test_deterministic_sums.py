"""Two builds of the same data give the same bits: averages of doubles use favg and sums of
doubles fsum (DuckDB's compensated summation, which does not depend on the order the threads
add in). With avg, two 100k builds of the same code differed in the last bits of 3,308
training label objects, and a `< 0.95` review flag flipped for 8 tasks (docs/architecture.md,
"Deterministic numbers"). This guard fails on a plain avg( in any model or macro."""

from __future__ import annotations

import re

from concord.paths import DBT_PROJECT_DIR

PLAIN_AVG = re.compile(r"(?<![A-Za-z_])avg\(")


def test_no_plain_avg_in_the_sql() -> None:
    offenders = []
    for folder in ("models", "macros"):
        for path in sorted((DBT_PROJECT_DIR / folder).rglob("*.sql")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("--", 1)[0]
                if PLAIN_AVG.search(code):
                    offenders.append(
                        f"{path.relative_to(DBT_PROJECT_DIR)}:{number}: {line.strip()}"
                    )
    assert not offenders, "use favg (deterministic):\n" + "\n".join(offenders)
