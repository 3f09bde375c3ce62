"""The development outbox shows a tenant's members only the mail of its own campaigns and the
mail addressed to its own members, never mail to other people sent on its host; the public
site's mail (signup links) is for staff, or a developer's DEBUG machine."""

from __future__ import annotations

import pytest
from django.core.mail import EmailMessage
from django.test import Client
from django_tenants.utils import schema_context

from tests.helpers import signed_in, staff_signed_in

pytestmark = pytest.mark.django_db


def send(*, tenant, to, subject, headers=None):
    with schema_context(tenant.schema_name):
        EmailMessage(subject=subject, body=subject, to=to, headers=headers or {}).send()


def test_outbox_shows_own_campaigns_and_members_mail_only(
    settings, tenant, other_tenant, owner, member, other_owner
):
    settings.EMAIL_BACKEND = "apps.core.mail.OutboxEmailBackend"
    send(tenant=tenant, to=[member.email], subject="To a member")
    send(
        tenant=tenant,
        to=["lead0@example.com"],
        subject="Campaign mail",
        headers={"X-Strato-Message": "6f1c2b9e-0000-4000-8000-000000000000"},
    )
    # Sent on acme's host to someone who is not an acme member (another tenant's owner).
    send(tenant=tenant, to=[other_owner.email], subject="Reset link for someone else")
    send(tenant=tenant, to=[member.email, other_owner.email], subject="Member and outsider")
    send(tenant=other_tenant, to=[other_owner.email], subject="Globex mail")

    html = signed_in(tenant, owner).get("/outbox/").content.decode()

    assert "To a member" in html
    assert "Campaign mail" in html
    assert "Reset link for someone else" not in html
    assert "Member and outsider" not in html
    assert "Globex mail" not in html


def test_public_outbox_shows_signup_mail_to_staff_only(settings, staff):
    settings.EMAIL_BACKEND = "apps.core.mail.OutboxEmailBackend"
    settings.DEBUG = False
    signup = {
        "email": "grace@example.com",
        "password": "correct-horse-battery",  # pragma: allowlist secret
        "organisation_name": "Hopper Labs",
    }
    assert Client(HTTP_HOST="localhost").post("/signup/", signup).status_code == 202

    assert Client(HTTP_HOST="localhost").get("/outbox/").status_code == 404
    page = staff_signed_in("localhost").get("/outbox/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Confirm your Strato signup" in html
    assert "/signup/confirm/" in html


def test_public_outbox_is_open_on_a_debug_machine(settings):
    settings.EMAIL_BACKEND = "apps.core.mail.OutboxEmailBackend"
    settings.DEBUG = True

    assert Client(HTTP_HOST="localhost").get("/outbox/").status_code == 200
