"""Fixtures for the repository tests (helpers live in `support.py`)."""

import pytest
import responses

from strato.celery import app as celery_app
from tests.repos.support import API, WEBHOOK_SECRET


@pytest.fixture
def github_api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def fast_github(settings):
    settings.GITHUB_RETRY_BACKOFF_SECONDS = 0.01
    settings.GITHUB_API_URL = API
    return settings


@pytest.fixture
def eager_celery():
    """Tasks queued on commit run in-process (through the tenant-aware task base)."""
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def webhook_secret(settings):
    settings.GITHUB_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.GITHUB_WEBHOOK_PREVIOUS_SECRET = ""
    settings.GITHUB_WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT = ""
    return WEBHOOK_SECRET
