"""Errors of the Label Studio round trip; the CLI prints them as one line (ConcordError)."""

from __future__ import annotations

from ingest.errors import ConcordError


class LabelStudioError(ConcordError):
    """Label Studio refused a request (4xx), kept failing (5xx / timeouts), or is misconfigured."""


class SpecError(ConcordError):
    """A labeling spec, tasks file or score table that cannot be used; names file/task/field."""
