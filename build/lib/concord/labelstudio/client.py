"""A thin wrapper over the SDK 2.x `LabelStudio` client: credentials from the environment only,
retries with exponential backoff on 5xx and timeouts, and one clear line on 4xx.

The SDK's own blind retries are switched off (`max_retries=0`): a retried POST after a timeout
could create a second copy. Reads and idempotent writes are retried here; creating calls are made
idempotent one level up (push re-lists what exists before creating what is missing).

The token is never printed, logged or put into an error message.
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from concord.labelstudio.errors import LabelStudioError

log = logging.getLogger("concord.labelstudio")

URL_ENV = "LABEL_STUDIO_URL"
KEY_ENV = "LABEL_STUDIO_API_KEY"
T = TypeVar("T")


class TransientError(LabelStudioError):
    """A 5xx answer or a timeout / dropped connection: worth retrying."""


@dataclass
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0

    def delay(self, attempt: int) -> float:
        """Exponential backoff with jitter: 0.5, 1, 2, 4, 8 s (+-25 %)."""
        raw = min(self.base_delay * (2**attempt), self.max_delay)
        return raw * random.uniform(0.75, 1.25)


def _body_text(body: Any) -> str:
    if isinstance(body, (dict, list)):
        text = json.dumps(body, ensure_ascii=False, sort_keys=True)
    else:
        text = str(body)
    text = " ".join(text.split())
    return text[:400] + ("..." if len(text) > 400 else "")


def classify(err: BaseException, what: str) -> LabelStudioError | None:
    """Map an SDK / httpx exception to our errors; None when it is not a network/API error."""
    from label_studio_sdk.core.api_error import ApiError

    if isinstance(err, ApiError):
        code = err.status_code or 0
        if code >= 500 or code in (408, 429):
            return TransientError(f"{what}: Label Studio answered HTTP {code}")
        if code == 401:
            return LabelStudioError(
                f"{what}: HTTP 401 unauthorized: check {KEY_ENV} (a legacy token needs "
                f"LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true at the server's first start)"
            )
        return LabelStudioError(
            f"{what}: Label Studio rejected the request: HTTP {code}: {_body_text(err.body)}"
        )
    if isinstance(err, httpx.TimeoutException):
        return TransientError(f"{what}: timed out")
    if isinstance(err, (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError)):
        return TransientError(f"{what}: connection failed ({type(err).__name__})")
    return None


class Client:
    """One Label Studio server. Build with `connect()`."""

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        httpx_client: httpx.Client | None = None,
    ):
        from label_studio_sdk import LabelStudio

        self.url = url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self.ls = LabelStudio(
            base_url=self.url,
            api_key=api_key,
            timeout=timeout,
            max_retries=0,
            httpx_client=httpx_client,
        )

    # -- retries ---------------------------------------------------------------------------
    def call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn(*args, **kwargs)`, retrying transient failures; raise LabelStudioError."""
        return self.retrying(what, lambda: fn(*args, **kwargs))

    def retrying(self, what: str, fn: Callable[[], T]) -> T:
        last: LabelStudioError | None = None
        for attempt in range(self.retry.attempts):
            try:
                return fn()
            except TransientError as err:
                last = err
            except Exception as err:
                mapped = classify(err, what)
                if mapped is None:
                    raise
                if not isinstance(mapped, TransientError):
                    raise mapped from None
                last = mapped
            if attempt + 1 < self.retry.attempts:
                delay = self.retry.delay(attempt)
                log.warning(
                    "%s; retrying in %.1f s (attempt %d of %d)",
                    last,
                    delay,
                    attempt + 2,
                    self.retry.attempts,
                )
                self._sleep(delay)
        assert last is not None
        raise LabelStudioError(f"{last} (gave up after {self.retry.attempts} attempts)")

    def once(self, what: str, fn: Callable[[], T]) -> T:
        """Run `fn` once; map failures to LabelStudioError / TransientError (no retry here)."""
        try:
            return fn()
        except LabelStudioError:
            raise
        except Exception as err:
            mapped = classify(err, what)
            if mapped is None:
                raise
            raise mapped from None

    # -- raw requests through the SDK's HTTP client (endpoints without an SDK method) -------
    def request(
        self, method: str, path: str, *, json_body: Any = None, params: dict | None = None
    ) -> Any:
        from label_studio_sdk.core.api_error import ApiError

        def once() -> Any:
            resp = self.ls._client_wrapper.httpx_client.request(
                path,
                method=method,
                json=json_body,
                params=params,
                request_options={"max_retries": 0},
            )
            if resp.status_code >= 300:
                try:
                    body = resp.json()
                except ValueError:
                    body = resp.text
                raise ApiError(status_code=resp.status_code, body=body)
            if not resp.content:
                return None
            return resp.json()

        return self.retrying(f"{method} /{path}", once)

    # -- helpers used by push / pull / flags ----------------------------------------------
    def find_projects(self, title: str) -> list[Any]:
        projects = self.call("list projects", lambda: list(self.ls.projects.list(title=title)))
        return [p for p in projects if p.title == title]

    def get_project(self, project_id: int) -> Any:
        return self.call(f"get project {project_id}", self.ls.projects.get, id=project_id)

    def iter_tasks(self, project_id: int, page_size: int = 100) -> Iterator[dict]:
        """Every task of the project as a dict (id, data, meta), paging through the API."""
        page = 1
        while True:
            body = self.request(
                "GET",
                "api/tasks/",
                params={
                    "project": project_id,
                    "page": page,
                    "page_size": page_size,
                    "fields": "task_only",
                },
            )
            tasks = body.get("tasks", []) if isinstance(body, dict) else body
            yield from tasks
            total = body.get("total") if isinstance(body, dict) else None
            if not tasks or total is None or page * page_size >= total:
                return
            page += 1

    def list_predictions(self, project_id: int) -> list[Any]:
        return self.call(
            f"list predictions of project {project_id}",
            self.ls.predictions.list,
            project=project_id,
        )


def connect(*, timeout: float = 60.0, retry: RetryPolicy | None = None) -> Client:
    """A Client from LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY; raise if either is missing."""
    url = os.environ.get(URL_ENV, "").strip()
    key = os.environ.get(KEY_ENV, "").strip()
    missing = [name for name, value in ((URL_ENV, url), (KEY_ENV, key)) if not value]
    if missing:
        raise LabelStudioError(
            f"set {' and '.join(missing)} in the environment (the token is never taken from "
            f"the command line)"
        )
    if not url.startswith(("http://", "https://")):
        raise LabelStudioError(f"{URL_ENV} must start with http:// or https://")
    return Client(url, key, timeout=timeout, retry=retry)
