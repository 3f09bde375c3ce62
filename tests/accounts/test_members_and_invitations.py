"""Members and invitations over HTTP: who may manage whom, the last-owner rule, signed and
expiring invitation links bound to their tenant."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from apps.accounts import services
from apps.accounts.models import Invitation, Membership, Role, User
from tests.accounts.factories import PASSWORD, add_member
from tests.helpers import assert_problem, race

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://acme\.localhost/invitations/(?P<token>[^/\s]+)/")


def membership_id(user, tenant) -> str:
    return str(Membership.objects.get(user=user, tenant=tenant).public_id)


def role_of(user, tenant) -> str | None:
    return (
        Membership.objects.filter(user=user, tenant=tenant).values_list("role", flat=True).first()
    )


def patch_role(client, user, tenant, role):
    return client.patch(
        f"/api/members/{membership_id(user, tenant)}", {"role": role}, format="json"
    )


# --- Members ------------------------------------------------------------------------------------


def test_members_list(tenant, owner, admin_user, member, api_client_for):
    response = api_client_for(tenant, member).get("/api/members")

    assert response.status_code == 200
    assert [(m["email"], m["role"]) for m in response.json()["results"]] == [
        ("owner@acme.test", "owner"),
        ("admin@acme.test", "admin"),
        ("member@acme.test", "member"),
    ]


def test_members_of_another_tenant_are_not_listed(
    tenant, other_tenant, owner, other_owner, api_client_for
):
    emails = [
        m["email"]
        for m in api_client_for(other_tenant, other_owner).get("/api/members").json()["results"]
    ]

    assert emails == ["owner@globex.test"]


def test_owner_promotes_member_to_admin(tenant, owner, member, api_client_for):
    response = patch_role(api_client_for(tenant, owner), member, tenant, "admin")

    assert response.status_code == 200
    assert response.json()["role"] == "admin"
    assert role_of(member, tenant) == Role.ADMIN


def test_admin_changes_member_roles_but_cannot_grant_owner(
    tenant, owner, admin_user, member, api_client_for
):
    client = api_client_for(tenant, admin_user)

    assert patch_role(client, member, tenant, "admin").status_code == 200
    assert_problem(patch_role(client, member, tenant, "owner"), 403, "owner_required")
    assert_problem(patch_role(client, owner, tenant, "member"), 403, "owner_required")
    assert role_of(member, tenant) == Role.ADMIN
    assert role_of(owner, tenant) == Role.OWNER


def test_member_cannot_change_roles_or_remove_others(
    tenant, owner, admin_user, member, api_client_for
):
    client = api_client_for(tenant, member)

    assert_problem(patch_role(client, admin_user, tenant, "member"), 403, "permission_denied")
    assert_problem(patch_role(client, member, tenant, "admin"), 403, "permission_denied")
    assert_problem(
        client.delete(f"/api/members/{membership_id(admin_user, tenant)}"), 403, "permission_denied"
    )
    assert role_of(admin_user, tenant) == Role.ADMIN
    assert role_of(member, tenant) == Role.MEMBER


def test_admin_removes_a_member(tenant, admin_user, member, api_client_for):
    response = api_client_for(tenant, admin_user).delete(
        f"/api/members/{membership_id(member, tenant)}"
    )

    assert response.status_code == 204
    assert role_of(member, tenant) is None
    assert User.objects.filter(pk=member.pk).exists()


def test_admin_cannot_remove_an_owner(tenant, owner, admin_user, api_client_for):
    response = api_client_for(tenant, admin_user).delete(
        f"/api/members/{membership_id(owner, tenant)}"
    )

    assert_problem(response, 403, "owner_required")
    assert role_of(owner, tenant) == Role.OWNER


def test_member_may_leave(tenant, owner, member, api_client_for):
    response = api_client_for(tenant, member).delete(
        f"/api/members/{membership_id(member, tenant)}"
    )

    assert response.status_code == 204
    assert role_of(member, tenant) is None


def test_last_owner_can_neither_be_demoted_nor_removed(tenant, owner, api_client_for):
    client = api_client_for(tenant, owner)

    assert_problem(patch_role(client, owner, tenant, "admin"), 409, "last_owner")
    assert_problem(client.delete(f"/api/members/{membership_id(owner, tenant)}"), 409, "last_owner")
    assert role_of(owner, tenant) == Role.OWNER


def test_owner_can_step_down_once_another_owner_exists(tenant, owner, admin_user, api_client_for):
    client = api_client_for(tenant, owner)
    assert patch_role(client, admin_user, tenant, "owner").status_code == 200

    demoted = patch_role(client, owner, tenant, "member")

    assert demoted.status_code == 200
    assert role_of(owner, tenant) == Role.MEMBER
    # The new owner is now the last one.
    assert_problem(
        patch_role(api_client_for(tenant, admin_user), admin_user, tenant, "admin"),
        409,
        "last_owner",
    )


def test_owner_can_leave_once_another_owner_exists(tenant, owner, api_client_for):
    add_member(tenant, "co-owner@acme.test", Role.OWNER)

    response = api_client_for(tenant, owner).delete(f"/api/members/{membership_id(owner, tenant)}")

    assert response.status_code == 204
    assert role_of(owner, tenant) is None


def test_member_of_another_tenant_is_not_found(
    tenant, other_tenant, owner, other_owner, api_client_for
):
    response = patch_role(api_client_for(tenant, owner), other_owner, other_tenant, "member")

    assert_problem(response, 404, "not_found")
    assert role_of(other_owner, other_tenant) == Role.OWNER


def test_unknown_role_is_a_validation_error(tenant, owner, member, api_client_for):
    body = assert_problem(
        patch_role(api_client_for(tenant, owner), member, tenant, "god"), 400, "validation_error"
    )
    assert list(body["errors"]) == ["role"]


def test_roles_are_per_tenant(tenant, other_tenant, api_client_for):
    user = add_member(tenant, "both@example.com", Role.OWNER)
    add_member(other_tenant, "both@example.com", Role.MEMBER)
    add_member(other_tenant, "owner@globex.test", Role.OWNER)

    # Owner of acme, but only a member of globex: no key management there.
    assert api_client_for(tenant, user).get("/api/keys").status_code == 200
    assert_problem(api_client_for(other_tenant, user).get("/api/keys"), 403, "permission_denied")


# --- Invitations --------------------------------------------------------------------------------


@pytest.fixture
def invite(api_client_for, django_capture_on_commit_callbacks):
    """POST an invitation; the mail is sent on commit, so run the callbacks."""

    def send(tenant, actor, email="grace@example.com", role="member"):
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client_for(tenant, actor).post(
                "/api/invitations", {"email": email, "role": role}, format="json"
            )
        return response

    return send


def token_from_outbox() -> str:
    assert len(mail.outbox) == 1
    match = LINK.search(mail.outbox[0].body)
    assert match, mail.outbox[0].body
    return match["token"]


def accept(client, token, **extra):
    return client.post("/api/invitations/accept", {"token": token, **extra}, format="json")


def test_invitation_sends_an_email_with_a_link(tenant, admin_user, invite):
    response = invite(tenant, admin_user, email="Grace@Example.com", role="admin")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["email"], body["role"], body["invited_by"]) == (
        "grace@example.com",
        "admin",
        "admin@acme.test",
    )
    message = mail.outbox[0]
    assert message.to == ["grace@example.com"]
    assert message.subject == "You are invited to Acme Analytics on Strato"
    assert "as Admin" in message.body
    token_from_outbox()


def test_new_person_accepts_with_a_password(tenant, admin_user, invite, api_client_for):
    invite(tenant, admin_user, role="admin")
    token = token_from_outbox()

    response = accept(
        api_client_for(tenant), token, password="Brand-New-Passphrase-9", full_name="Grace Hopper"
    )

    assert response.status_code == 200, response.content
    user = User.objects.get(email="grace@example.com")
    assert user.full_name == "Grace Hopper"
    assert user.check_password("Brand-New-Passphrase-9")
    assert role_of(user, tenant) == Role.ADMIN
    assert Invitation.objects.get(email="grace@example.com").accepted_at is not None
    client = api_client_for(tenant)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert client.get("/api/auth/profile").json()["role"] == "admin"


def test_new_person_needs_a_strong_password(tenant, admin_user, invite, api_client_for):
    invite(tenant, admin_user)

    response = accept(api_client_for(tenant), token_from_outbox(), password="short")

    assert_problem(response, 400, "weak_password")
    assert not User.objects.filter(email="grace@example.com").exists()
    assert Invitation.objects.get(email="grace@example.com").accepted_at is None


def test_existing_user_must_give_the_right_password(
    tenant, other_owner, admin_user, invite, api_client_for
):
    invite(tenant, admin_user, email=other_owner.email)
    token = token_from_outbox()

    wrong = accept(api_client_for(tenant), token, password="not-my-password")

    assert_problem(wrong, 401, "invalid_credentials")
    assert role_of(other_owner, tenant) is None
    right = accept(api_client_for(tenant), token, password=PASSWORD)
    assert right.status_code == 200
    assert role_of(other_owner, tenant) == Role.MEMBER
    other_owner.refresh_from_db()
    assert other_owner.check_password(PASSWORD)


def test_invitation_cannot_be_used_twice(tenant, admin_user, invite, api_client_for):
    invite(tenant, admin_user)
    token = token_from_outbox()
    assert (
        accept(api_client_for(tenant), token, password="Brand-New-Passphrase-9").status_code == 200
    )

    again = accept(api_client_for(tenant), token, password="Brand-New-Passphrase-9")

    assert_problem(again, 409, "invitation_used")
    assert Membership.objects.filter(tenant=tenant, user__email="grace@example.com").count() == 1


def test_expired_invitation(tenant, admin_user, invite, api_client_for):
    invite(tenant, admin_user)
    token = token_from_outbox()
    Invitation.objects.filter(email="grace@example.com").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = accept(api_client_for(tenant), token, password="Brand-New-Passphrase-9")

    assert_problem(response, 400, "invitation_expired")
    assert not User.objects.filter(email="grace@example.com").exists()


def test_invitation_link_older_than_its_signing_max_age(tenant, admin_user, invite, api_client_for):
    invite(tenant, admin_user)
    token = token_from_outbox()

    with override_settings(INVITATION_MAX_AGE_DAYS=-1):
        response = accept(api_client_for(tenant), token, password="Brand-New-Passphrase-9")

    assert_problem(response, 400, "invitation_expired")
    assert not User.objects.filter(email="grace@example.com").exists()


def test_withdrawn_invitation(tenant, admin_user, invite, api_client_for):
    invitation_id = invite(tenant, admin_user).json()["id"]
    token = token_from_outbox()

    withdrawn = api_client_for(tenant, admin_user).delete(f"/api/invitations/{invitation_id}")

    assert withdrawn.status_code == 204
    assert api_client_for(tenant, admin_user).get("/api/invitations").json()["results"] == []
    response = accept(api_client_for(tenant), token, password="Brand-New-Passphrase-9")
    assert_problem(response, 404, "invitation_invalid")
    assert not User.objects.filter(email="grace@example.com").exists()


def test_a_new_invitation_replaces_the_pending_one(tenant, admin_user, invite, api_client_for):
    invite(tenant, admin_user)
    first = token_from_outbox()
    mail.outbox.clear()
    invite(tenant, admin_user)
    second = token_from_outbox()

    assert_problem(
        accept(api_client_for(tenant), first, password="Brand-New-Passphrase-9"),
        404,
        "invitation_invalid",
    )
    assert (
        accept(api_client_for(tenant), second, password="Brand-New-Passphrase-9").status_code == 200
    )


def test_forged_token(tenant, api_client_for):
    response = accept(api_client_for(tenant), "not-a-signed-token", password="whatever-123-X")

    assert_problem(response, 404, "invitation_invalid")


def test_invitation_of_tenant_a_is_worthless_on_tenant_b(
    tenant, other_tenant, admin_user, invite, api_client_for
):
    invite(tenant, admin_user)
    token = token_from_outbox()

    response = accept(api_client_for(other_tenant), token, password="Brand-New-Passphrase-9")

    assert_problem(response, 404, "invitation_invalid")
    assert not User.objects.filter(email="grace@example.com").exists()
    assert Invitation.objects.get(email="grace@example.com").accepted_at is None


def test_members_cannot_invite_or_list_invitations(tenant, member, invite, api_client_for):
    assert_problem(invite(tenant, member), 403, "permission_denied")
    assert_problem(api_client_for(tenant, member).get("/api/invitations"), 403, "permission_denied")
    assert mail.outbox == []
    assert not Invitation.objects.exists()


def test_admin_cannot_invite_an_owner(tenant, admin_user, owner, invite):
    assert_problem(invite(tenant, admin_user, role="owner"), 403, "owner_required")
    assert mail.outbox == []


def test_owner_can_invite_an_owner(tenant, owner, invite):
    assert invite(tenant, owner, role="owner").status_code == 201


def test_inviting_a_member_again_is_a_conflict(tenant, admin_user, member, invite):
    body = assert_problem(
        invite(tenant, admin_user, email="MEMBER@acme.test"), 409, "already_member"
    )
    assert list(body["errors"]) == ["email"]
    assert mail.outbox == []


def test_invitation_with_invalid_email(tenant, admin_user, invite):
    body = assert_problem(invite(tenant, admin_user, email="nope"), 400, "invalid_email")
    assert body["errors"] == {"email": ["Enter a valid email address."]}


def test_invitations_list_shows_pending_only(tenant, admin_user, invite, api_client_for):
    invite(tenant, admin_user, email="one@example.com")
    invite(tenant, admin_user, email="two@example.com")
    Invitation.objects.filter(email="one@example.com").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    listed = api_client_for(tenant, admin_user).get("/api/invitations").json()["results"]

    assert [i["email"] for i in listed] == ["two@example.com"]


def test_other_tenant_cannot_withdraw_an_invitation(
    tenant, other_tenant, admin_user, other_owner, invite, api_client_for
):
    invitation_id = invite(tenant, admin_user).json()["id"]

    response = api_client_for(other_tenant, other_owner).delete(f"/api/invitations/{invitation_id}")

    assert_problem(response, 404, "not_found")
    assert Invitation.objects.get(public_id=invitation_id).revoked_at is None


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_invitations_of_one_address_leave_one_pending(tenant, owner):
    """Both requests find no pending invitation; without a lock the second insert broke the
    one-pending-invitation constraint (an IntegrityError, a 500). Now it waits and replaces."""
    inviter = Membership.objects.get(tenant=tenant, user=owner)

    def invite() -> None:
        services.invitation_create(
            tenant=tenant, email="grace@example.com", role=Role.MEMBER, invited_by=inviter
        )

    assert race(invite, invite, schema="public") == []
    invitations = Invitation.objects.filter(tenant=tenant, email="grace@example.com")
    assert invitations.count() == 2
    assert invitations.filter(revoked_at__isnull=True).count() == 1
