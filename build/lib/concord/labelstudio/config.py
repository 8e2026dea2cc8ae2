"""Validate a labeling config against the server (`POST /api/projects/validate/`)."""

from __future__ import annotations

from concord.labelstudio.client import Client
from concord.labelstudio.errors import LabelStudioError, SpecError


def validate_config(client: Client, xml: str, where: str = "config") -> None:
    """Raise SpecError with the server's message when it rejects `xml`.

    The SDK 2.1.2 only has the per-project `projects.validate_label_config(id)`; the
    project-less endpoint is called through the SDK's HTTP client.
    """
    try:
        client.request("POST", "api/projects/validate/", json_body={"label_config": xml})
    except LabelStudioError as err:
        if "HTTP 400" in str(err):
            detail = str(err).split("HTTP 400: ", 1)[-1]
            raise SpecError(f"{where}: the server rejects the built config: {detail}") from None
        raise
