"""Small assertion helpers shared by the foundation tests."""

from __future__ import annotations

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def assert_problem(response, status: int, code: str) -> dict:
    """`response` is an application/problem+json answer with `status` and the stable `code`."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["type"] == f"https://docs.strato.dev/errors/{code}"
    assert body["title"]
    assert body["detail"]
    return body
