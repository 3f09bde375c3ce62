"""Account services called directly: the rules every surface (API, dashboard) relies on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_exists

from apps.accounts import services
from apps.accounts.models import ApiKey, Invitation, Membership, Role, User
from apps.core.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from apps.tenants.models import Tenant
from apps.tenants.services import tenant_slug_from_name
from tests.accounts.factories import PASSWORD, add_member

pytestmark = pytest.mark.django_db


def membership(user, tenant) -> Membership:
    return Membership.objects.get(user=user, tenant=tenant)


# --- Registration -------------------------------------------------------------------------------


def test_register_is_all_or_nothing_when_the_slug_is_taken(tenant):
    with pytest.raises(Conflict) as caught:
        services.account_register(
            email="new@example.com", password="correct-horse-battery", organisation_name="Acme"
        )

    assert caught.value.code == "slug_taken"
    assert not User.objects.filter(email="new@example.com").exists()


def test_register_normalises_email_and_derives_slug():
    user, tenant = services.account_register(
        email="  Ada.Lovelace@Example.COM ",
        password="correct-horse-battery",
        organisation_name="Analytical Engines Ltd.",
    )

    assert user.email == "ada.lovelace@example.com"
    assert tenant.slug == "analytical-engines-ltd"
    assert tenant.billing_email == "ada.lovelace@example.com"
    assert membership(user, tenant).role == Role.OWNER
    assert schema_exists("t_analytical_engines_ltd")


def test_register_blank_organisation_name():
    with pytest.raises(ValidationFailed) as caught:
        services.account_register(
            email="x@example.com", password="correct-horse-battery", organisation_name="   "
        )

    assert caught.value.errors == {"organisation_name": ["This field may not be blank."]}
    assert not User.objects.filter(email="x@example.com").exists()


def test_password_similar_to_the_email_is_weak():
    with pytest.raises(ValidationFailed) as caught:
        services.account_register(
            email="margaret.hamilton@example.com",
            password="margaret.hamilton",
            organisation_name="Apollo",
        )

    assert caught.value.code == "weak_password"
    assert not Tenant.objects.filter(slug="apollo").exists()


def test_slug_from_short_names_gets_a_suffix():
    assert tenant_slug_from_name(name="Acme Analytics!") == "acme-analytics"
    short = tenant_slug_from_name(name="X")
    assert short.startswith("x-")
    assert len(short) == 8


# --- Login --------------------------------------------------------------------------------------


def test_lockout_is_per_account_from_every_address(tenant, owner, admin_user):
    for _ in range(settings.LOGIN_MAX_FAILURES):
        with pytest.raises(AuthenticationFailed):
            services.login_authenticate(
                email=owner.email, password="x", tenant=tenant, ip="10.0.0.1"
            )

    with pytest.raises(RateLimited) as caught:
        services.login_authenticate(
            email=owner.email, password=PASSWORD, tenant=tenant, ip="10.0.0.1"
        )
    assert caught.value.headers == {"Retry-After": str(settings.LOGIN_LOCKOUT_SECONDS)}
    # The account is locked from another address too (behind a proxy, addresses are shared or
    # spread at will); other accounts at the first address are not.
    with pytest.raises(RateLimited):
        services.login_authenticate(
            email=owner.email, password=PASSWORD, tenant=tenant, ip="10.0.0.2"
        )
    assert (
        services.login_authenticate(
            email=admin_user.email, password=PASSWORD, tenant=tenant, ip="10.0.0.1"
        )
        == admin_user
    )


def test_lockout_cannot_be_dodged_by_spelling_the_email_differently(tenant, owner):
    spellings = [
        "owner@acme.test",
        " owner@acme.test",
        "OWNER@acme.test ",
        "\towner@Acme.test",
        "owner@acme.test  ",
    ]
    for email in spellings[: settings.LOGIN_MAX_FAILURES]:
        with pytest.raises(AuthenticationFailed):
            services.login_authenticate(email=email, password="x", tenant=tenant, ip="10.0.0.9")

    with pytest.raises(RateLimited):
        services.login_authenticate(
            email="  Owner@ACME.test", password=PASSWORD, tenant=tenant, ip="10.0.0.9"
        )


def test_login_records_last_login(tenant, owner):
    before = timezone.now()

    services.login_authenticate(email=owner.email, password=PASSWORD, tenant=tenant, ip="1.2.3.4")

    owner.refresh_from_db()
    assert owner.last_login >= before


def test_refresh_for_an_inactive_user(tenant, owner):
    pair = services.tokens_issue(user=owner, tenant=tenant)
    User.objects.filter(pk=owner.pk).update(is_active=False)

    with pytest.raises(AuthenticationFailed) as caught:
        services.tokens_refresh(refresh=pair["refresh"], tenant=tenant)

    assert caught.value.code == "membership_revoked"


# --- Members ------------------------------------------------------------------------------------


def test_admin_cannot_demote_an_owner(tenant, owner, admin_user):
    with pytest.raises(PermissionDenied) as caught:
        services.membership_change_role(
            membership=membership(owner, tenant),
            role=Role.ADMIN,
            actor=membership(admin_user, tenant),
        )

    assert caught.value.code == "owner_required"
    assert membership(owner, tenant).role == Role.OWNER


def test_member_cannot_manage(tenant, member, admin_user):
    with pytest.raises(PermissionDenied) as caught:
        services.membership_remove(
            membership=membership(admin_user, tenant), actor=membership(member, tenant)
        )

    assert caught.value.code == "permission_denied"


def test_last_owner_rule_counts_owners_of_this_tenant_only(tenant, other_tenant, owner):
    add_member(other_tenant, "owner@globex.test", Role.OWNER)

    with pytest.raises(Conflict) as caught:
        services.membership_change_role(
            membership=membership(owner, tenant), role=Role.MEMBER, actor=membership(owner, tenant)
        )

    assert caught.value.code == "last_owner"


def test_removing_a_member_revokes_their_keys_in_that_tenant_only(
    tenant, other_tenant, owner, admin_user
):
    add_member(other_tenant, admin_user.email, Role.ADMIN)
    here, _ = ApiKey.objects.create_key(tenant=tenant, created_by=admin_user, name="here")
    there, _ = ApiKey.objects.create_key(tenant=other_tenant, created_by=admin_user, name="there")

    services.membership_remove(
        membership=membership(admin_user, tenant), actor=membership(owner, tenant)
    )

    here.refresh_from_db()
    there.refresh_from_db()
    assert (here.revoked, there.revoked) == (True, False)


# --- Invitations --------------------------------------------------------------------------------


def test_signed_in_user_accepts_without_a_password(tenant, admin_user, other_owner):
    invitation = services.invitation_create(
        tenant=tenant,
        email=other_owner.email,
        role=Role.ADMIN,
        invited_by=membership(admin_user, tenant),
    )
    token = services.invitation_token(invitation=invitation)

    joined = services.invitation_accept(token=token, user=other_owner)

    assert (joined.user, joined.tenant, joined.role) == (other_owner, tenant, Role.ADMIN)


def test_new_invitation_revokes_the_pending_one(tenant, admin_user):
    first = services.invitation_create(
        tenant=tenant,
        email="g@example.com",
        role=Role.MEMBER,
        invited_by=membership(admin_user, tenant),
    )
    second = services.invitation_create(
        tenant=tenant,
        email="G@example.com",
        role=Role.MEMBER,
        invited_by=membership(admin_user, tenant),
    )

    first.refresh_from_db()
    assert first.revoked_at is not None
    assert second.revoked_at is None
    assert Invitation.objects.filter(tenant=tenant, revoked_at__isnull=True).count() == 1


def test_invitation_url_points_at_the_tenant_host(tenant, admin_user):
    invitation = services.invitation_create(
        tenant=tenant,
        email="g@example.com",
        role=Role.MEMBER,
        invited_by=membership(admin_user, tenant),
    )

    url = services.invitation_url(invitation=invitation)

    assert url == (
        f"http://acme.localhost/invitations/{services.invitation_token(invitation=invitation)}/"
    )


def test_tampered_invitation_token(tenant, admin_user):
    invitation = services.invitation_create(
        tenant=tenant,
        email="g@example.com",
        role=Role.MEMBER,
        invited_by=membership(admin_user, tenant),
    )
    token = services.invitation_token(invitation=invitation)

    with pytest.raises(NotFound) as caught:
        services.invitation_from_token(token=token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))

    assert caught.value.code == "invitation_invalid"


# --- API keys -----------------------------------------------------------------------------------


def test_api_key_touch_writes_at_most_once_a_minute(tenant, owner):
    api_key, _ = ApiKey.objects.create_key(tenant=tenant, created_by=owner, name="k")

    services.api_key_touch(api_key=api_key)
    first = ApiKey.objects.get(pk=api_key.pk).last_used_at
    services.api_key_touch(api_key=ApiKey.objects.get(pk=api_key.pk))
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == first

    stale = timezone.now() - timedelta(minutes=2)
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=stale)
    services.api_key_touch(api_key=ApiKey.objects.get(pk=api_key.pk))
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at > stale + timedelta(minutes=1)


# --- Sign-in handoff ----------------------------------------------------------------------------


def test_handoff_is_single_use_and_tenant_bound(tenant, other_tenant, owner):
    token = services.login_handoff_token(user=owner, tenant=tenant)

    with pytest.raises(AuthenticationFailed) as wrong_tenant:
        services.login_handoff_consume(token=token, tenant=other_tenant)
    assert wrong_tenant.value.code == "handoff_invalid"

    assert services.login_handoff_consume(token=token, tenant=tenant) == owner
    with pytest.raises(AuthenticationFailed) as reused:
        services.login_handoff_consume(token=token, tenant=tenant)
    assert reused.value.code == "handoff_used"


def test_handoff_with_a_bad_signature(tenant):
    with pytest.raises(AuthenticationFailed) as caught:
        services.login_handoff_consume(token="forged:token", tenant=tenant)

    assert caught.value.code == "handoff_invalid"
