"""Members and invitations: who may manage whom, the last-owner rule, signed links."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from apps.billing.services import entitlement_check
from apps.core.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from apps.core.locks import advisory_lock
from apps.core.roles import capability_denied, role_can
from apps.tenants.models import Tenant
from apps.tenants.selectors import tenant_reverse

from ..models import ApiKey, Invitation, Membership, Role, User
from ..selectors import invitations_pending, members_of
from .login import refresh_tokens_revoke
from .validation import email_normalize, password_check

INVITATION_SALT = "strato.invitation"


def _ensure_can_manage(*, actor: Membership, target_role: str) -> None:
    """Managing members is `member.manage`; touching the owner role is `owner.manage`."""
    if not role_can(actor.role, "member.manage"):
        raise capability_denied("member.manage")
    if target_role == Role.OWNER and not role_can(actor.role, "owner.manage"):
        denied = capability_denied("owner.manage")
        raise PermissionDenied(
            "Only owners can grant or change the owner role.",
            code="owner_required",
            extra=denied.extra,
        )


def _ensure_not_last_owner(*, membership: Membership) -> None:
    owners = Membership.objects.select_for_update().filter(
        tenant_id=membership.tenant_id, role=Role.OWNER
    )
    if membership.role == Role.OWNER and [m.pk for m in owners] == [membership.pk]:
        raise Conflict(
            "An organisation needs at least one owner. Make someone else owner first.",
            code="last_owner",
        )


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, actor: Membership) -> Membership:
    if role not in Role.values:
        raise ValidationFailed.for_field("role", f"Choose one of: {', '.join(Role.values)}.")
    touches_owner = Role.OWNER in (role, membership.role)
    _ensure_can_manage(actor=actor, target_role=Role.OWNER if touches_owner else role)
    if role != Role.OWNER:
        _ensure_not_last_owner(membership=membership)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: Membership) -> None:
    if membership.user_id != actor.user_id:
        _ensure_can_manage(actor=actor, target_role=membership.role)
    _ensure_not_last_owner(membership=membership)
    ApiKey.objects.filter(tenant_id=membership.tenant_id, created_by_id=membership.user_id).update(
        revoked=True
    )
    refresh_tokens_revoke(user=membership.user, tenant=membership.tenant)
    membership.delete()


def invitation_token(*, invitation: Invitation) -> str:
    return signing.dumps(str(invitation.public_id), salt=INVITATION_SALT, compress=False)


def invitation_url(*, invitation: Invitation) -> str:
    return tenant_reverse(
        tenant=invitation.tenant,
        viewname="invitation-accept",
        args=(invitation_token(invitation=invitation),),
    )


@transaction.atomic
def invitation_create(
    *, tenant: Tenant, email: str, role: str, invited_by: Membership
) -> Invitation:
    email = email_normalize(email=email)
    if role not in Role.values:
        raise ValidationFailed.for_field("role", f"Choose one of: {', '.join(Role.values)}.")
    _ensure_can_manage(actor=invited_by, target_role=role)
    # Concurrent invitations of one address: the second waits, then replaces the first's.
    advisory_lock("invitation", tenant.pk, email.lower())
    if Membership.objects.filter(tenant=tenant, user__email__iexact=email).exists():
        raise Conflict(
            "This person is already a member.",
            code="already_member",
            errors={"email": ["This person is already a member."]},
        )
    # A new invitation replaces an expired or pending one for the same address.
    Invitation.objects.filter(
        tenant=tenant, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    # Every member and every pending invitation holds a seat of the plan.
    seats_held = members_of(tenant=tenant).count() + invitations_pending(tenant=tenant).count()
    entitlement_check(tenant=tenant, resource="seats", current=seats_held)
    invitation = Invitation.objects.create(
        tenant=tenant,
        email=email,
        role=role,
        invited_by=invited_by.user,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS),
    )
    context = {
        "invitation": invitation,
        "url": invitation_url(invitation=invitation),
        "inviter": invited_by.user,
    }
    transaction.on_commit(
        lambda: send_mail(
            subject=f"You are invited to {tenant.name} on Strato",
            message=render_to_string("accounts/email/invitation.txt", context),
            from_email=None,
            recipient_list=[email],
        )
    )
    return invitation


def invitation_from_token(*, token: str) -> Invitation:
    max_age = timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
    try:
        public_id = signing.loads(token, salt=INVITATION_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise ValidationFailed(
            "This invitation has expired. Ask for a new one.", code="invitation_expired"
        ) from exc
    except signing.BadSignature as exc:
        raise NotFound("This invitation link is not valid.", code="invitation_invalid") from exc
    invitation = Invitation.objects.select_related("tenant").filter(public_id=public_id).first()
    if invitation is None or invitation.revoked_at is not None:
        raise NotFound("This invitation was withdrawn.", code="invitation_invalid")
    if invitation.accepted_at is not None:
        raise Conflict("This invitation was already used.", code="invitation_used")
    if invitation.expires_at <= timezone.now():
        raise ValidationFailed(
            "This invitation has expired. Ask for a new one.", code="invitation_expired"
        )
    return invitation


@transaction.atomic
def invitation_accept(
    *,
    token: str,
    user: User | None = None,
    password: str = "",
    full_name: str = "",
) -> Membership:
    """Join as the signed-in user, or as a new account created with `password`."""
    invitation = invitation_from_token(token=token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise Conflict("This invitation was already used.", code="invitation_used")
    if user is None or not user.is_authenticated:
        user = User.objects.filter(email__iexact=invitation.email).first()
        if user is None:
            password_check(password=password, user=User(email=invitation.email))
            user = User.objects.create_user(
                email=invitation.email, password=password, full_name=full_name.strip()
            )
        elif not user.check_password(password):
            raise AuthenticationFailed(
                "An account with this email exists; enter its password.", code="invalid_credentials"
            )
    if not Membership.objects.filter(user=user, tenant=invitation.tenant).exists():
        # The plan may have shrunk since the invitation was sent (downgrade, dunning).
        members = Membership.objects.filter(tenant=invitation.tenant).count()
        entitlement_check(tenant=invitation.tenant, resource="seats", current=members)
    membership, _created = Membership.objects.get_or_create(
        user=user, tenant=invitation.tenant, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: Membership) -> None:
    _ensure_can_manage(actor=actor, target_role=invitation.role)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
