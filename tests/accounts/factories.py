"""Users and their memberships (public schema).

Every user can log in with `PASSWORD` (dashboard form, API, admin).
"""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory, Password

from apps.accounts.models import Membership, Role, User
from apps.tenants.models import Tenant
from tests.tenants.factories import TenantFactory

PASSWORD = "Sturdy-Passphrase-2026"


class UserFactory(DjangoModelFactory):
    """A user with a usable `PASSWORD`; an existing user with the same email is reused."""

    class Meta:
        model = User
        django_get_or_create = ("email",)

    class Params:
        superuser = factory.Trait(is_staff=True, is_superuser=True)

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.LazyAttribute(lambda user: user.email.split("@")[0].title())
    password = Password(PASSWORD)

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        # As `User.objects.create_user` stores it.
        kwargs["email"] = kwargs["email"].lower()
        return kwargs


class MembershipFactory(DjangoModelFactory):
    """`user` in `tenant` with `role`; an existing membership is kept as it is."""

    class Meta:
        model = Membership
        django_get_or_create = ("user", "tenant")

    user = factory.SubFactory(UserFactory)
    tenant = factory.SubFactory(TenantFactory)
    role = Role.MEMBER


def add_member(tenant: Tenant, email: str, role: str = Role.MEMBER) -> User:
    """The user `email` (made if new) as a `role` of `tenant` (unless already a member)."""
    return MembershipFactory(tenant=tenant, user__email=email, role=role).user
