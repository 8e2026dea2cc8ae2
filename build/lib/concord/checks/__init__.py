"""Data-quality checks (Great Expectations) over the raw, staging and mart layers.

`concord check` runs them: see docs/checks.md for the registry API (concord.checks.registry).
"""
