"""The benchmark's pipeline line (issue #16 item 5): the sum of the steps from the export file to
every mart built, tested and checked, recorded only when every one of them ran and passed."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from conftest import REPO_ROOT


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("benchmark", REPO_ROOT / "scripts/benchmark.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _measured(bench, wall: float, peak: float, rc: int = 0):
    return bench.Measured(wall, peak, wall * 1.5, 1.0, rc, "")


def test_pipeline_is_the_sum_of_its_steps(bench):
    measured = {name: _measured(bench, i + 1.0, 100.0 * (i + 1)) for i, name in
                enumerate(bench.PIPELINE_STEPS)}  # fmt: skip
    measured["publish"] = _measured(bench, 1000.0, 9999.0)  # timed apart: not in the sum
    recorded = []
    bench.pipeline_step(measured, lambda step, m, note: recorded.append((step, m)))
    n = len(bench.PIPELINE_STEPS)
    assert [step for step, _ in recorded] == ["pipeline"]
    total = recorded[0][1]
    assert total.wall_s == pytest.approx(n * (n + 1) / 2)
    assert total.cpu_s == pytest.approx(1.5 * n * (n + 1) / 2)
    assert total.peak_mb == 100.0 * n
    assert total.rc == 0


@pytest.mark.parametrize("broken", ["missing", "failed"])
def test_no_pipeline_line_when_a_step_did_not_pass(bench, broken):
    measured = {name: _measured(bench, 1.0, 1.0) for name in bench.PIPELINE_STEPS}
    if broken == "missing":
        del measured["reliability intervals"]
    else:
        measured["check"] = _measured(bench, 1.0, 1.0, rc=1)
    recorded = []
    bench.pipeline_step(measured, lambda step, m, note: recorded.append(step))
    assert recorded == []


def test_dbt_cost_splits_an_invocation(bench):
    """Hand-worked: 10 s wall, dbt's own elapsed 7 s -> 3 s outside the nodes; compile and
    execute summed over the nodes' timings (a node without timings counts as a node)."""

    def node(compile_s: float, execute_s: float) -> dict:
        start = "2026-12-06T01:00:00.000000Z"
        return {
            "timing": [
                {
                    "name": "compile",
                    "started_at": start,
                    "completed_at": f"2026-12-06T01:00:{compile_s:09.6f}Z",
                },
                {
                    "name": "execute",
                    "started_at": start,
                    "completed_at": f"2026-12-06T01:00:{execute_s:09.6f}Z",
                },
            ]
        }

    run_results = {"elapsed_time": 7.0, "results": [node(0.25, 2.0), node(0.5, 1.25), {}]}
    assert bench.dbt_cost(run_results, 10.0) == (
        "start-up + parse 3.0 s, compile 0.8 s, execute 3.2 s over 3 nodes"
    )
