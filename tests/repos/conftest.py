"""Fixtures for the repository tests (helpers live in `support.py`; the GitHub stubs and eager
Celery fixtures, shared with the campaign tests, in tests/support)."""

import pytest

from tests.repos.support import WEBHOOK_SECRET


@pytest.fixture
def webhook_secret(settings):
    settings.GITHUB_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.GITHUB_WEBHOOK_PREVIOUS_SECRET = ""
    settings.GITHUB_WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT = ""
    return WEBHOOK_SECRET
