"""The worker grouping `make test` relies on (`-n 2 --dist loadgroup`, groups set in
tests/conftest.py) takes effect: pytest-xdist appends the group to each node id, and without it
every test is scheduled alone, so a module's tests share neither a worker nor its module-scoped
fixtures (two workers then build the same wheel in the checkout's build/ folder at once)."""

from __future__ import annotations

import pytest


def test_a_module_runs_as_one_group_under_loadgroup(request: pytest.FixtureRequest) -> None:
    if not request.config.getvalue("loadgroup"):
        pytest.skip("only under pytest-xdist --dist loadgroup (as `make test` runs)")
    assert request.node.nodeid.endswith("@tests/test_xdist_groups.py"), request.node.nodeid
