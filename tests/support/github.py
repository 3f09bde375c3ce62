"""GitHub stubbed at the HTTP layer, for every test directory that reaches it (repos,
campaigns). Registered as a fixture plugin in tests/conftest.py."""

from __future__ import annotations

import pytest
import responses

API = "https://api.github.com"


@pytest.fixture
def github_api():
    """Every request to GitHub answered by the stubs a test adds (`responses`)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def fast_github(settings):
    """The GitHub client on the stubbed API, retrying without waiting."""
    settings.GITHUB_RETRY_BACKOFF_SECONDS = 0.01
    settings.GITHUB_API_URL = API
    return settings
