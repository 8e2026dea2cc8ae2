"""Helpers for the live tests: users through the signup form, annotations as those users."""

from __future__ import annotations

import httpx
from label_studio_sdk import LabelStudio


def signup(url: str, email: str, password: str) -> str:
    """Create a user through the public signup form; return their legacy API token.

    (The admin API creates users without a password, so their token cannot be fetched;
    see docs/labelstudio.md.)
    """
    with httpx.Client(base_url=url, follow_redirects=False, timeout=60) as http:
        http.get("/user/signup/")
        csrf = http.cookies.get("csrftoken")
        assert csrf, "no csrftoken cookie from GET /user/signup/"
        resp = http.post(
            "/user/signup/",
            data={"email": email, "password": password, "csrfmiddlewaretoken": csrf},
            headers={"Referer": f"{url}/user/signup/"},
        )
        if resp.status_code != 302:  # 200 = the form again: e.g. the user exists -> log in
            http.get("/user/login/")
            resp = http.post(
                "/user/login/",
                data={
                    "email": email,
                    "password": password,
                    "csrfmiddlewaretoken": http.cookies.get("csrftoken"),
                },
                headers={"Referer": f"{url}/user/login/"},
            )
            assert resp.status_code == 302, f"cannot sign up or log in {email}: {resp.status_code}"
        token = http.get("/api/current-user/token").json()["token"]
    return token


def client(url: str, token: str) -> LabelStudio:
    return LabelStudio(base_url=url, api_key=token, timeout=60)


def choice(control: str, to_name: str, *values: str) -> dict:
    return {
        "from_name": control,
        "to_name": to_name,
        "type": "choices",
        "value": {"choices": list(values)},
    }


def rating(control: str, to_name: str, value: int) -> dict:
    return {"from_name": control, "to_name": to_name, "type": "rating", "value": {"rating": value}}


def textarea(control: str, to_name: str, text: str) -> dict:
    return {"from_name": control, "to_name": to_name, "type": "textarea", "value": {"text": [text]}}


def with_ids(result: list[dict], prefix: str) -> list[dict]:
    """Give every result item a 10-character region id, as the frontend does."""
    out = []
    for i, item in enumerate(result):
        item = dict(item)
        item.setdefault("id", f"{prefix}{i}".ljust(10, "x")[:10])
        item.setdefault("origin", "manual")
        out.append(item)
    return out
