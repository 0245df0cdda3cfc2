"""The dashboard's CSRF token and same-origin check, on requests built by aiohttp's test helper."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import make_mocked_request

from verifier.dashboard.sessions import csrf_token, same_origin


def test_the_csrf_token_is_per_session_and_does_not_reveal_the_session_token() -> None:
    first, second = csrf_token("token-a"), csrf_token("token-b")
    assert first == csrf_token("token-a")  # any verifier process derives the same one
    assert first != second
    assert "token-a" not in first and len(first) == 64


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({"Origin": "http://127.0.0.1:8080"}, True),
        ({"Origin": "https://127.0.0.1:8080"}, True),  # the scheme may differ behind a TLS proxy
        ({"Origin": "http://127.0.0.1:8081"}, False),
        ({"Origin": "http://evil.example"}, False),
        ({"Origin": "null"}, False),  # sandboxed frames, data: URLs
        ({"Sec-Fetch-Site": "same-origin"}, True),
        ({"Sec-Fetch-Site": "same-site"}, False),  # another port or subdomain is another site's page
        ({"Sec-Fetch-Site": "cross-site"}, False),
        ({}, True),  # not a browser: the CSRF token alone decides
    ],
)
def test_same_origin(headers: dict[str, str], allowed: bool) -> None:
    request = make_mocked_request("POST", "/logout", headers={"Host": "127.0.0.1:8080", **headers})
    assert same_origin(request) is allowed
