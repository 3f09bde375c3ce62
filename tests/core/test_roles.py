"""The role policy: README's table is `apps.core.roles`, every endpoint states its capability, and
every tenant API operation and dashboard form answers each role as the policy says.

The expected roles below are written out by hand, not read from `roles.py`: a change of policy
has to change both, and an endpoint added without a row here fails
`test_every_*_has_a_row`.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, path
from drf_spectacular.generators import SchemaGenerator
from rest_framework.response import Response

from apps.accounts.models import Membership, Role
from apps.core.api.views import TenantAPIView
from apps.core.checks import check_tenant_api_capabilities, undeclared_capabilities, url_views
from apps.core.permissions import HANDLER_METHODS
from apps.core.roles import CAPABILITIES, capability_for_test_send, role_can
from tests.helpers import assert_problem, signed_in

ROLES = ["member", "admin", "owner"]

# Every operation of the tenant API (Django route, method) and the least role it allows; None for
# the endpoints that authenticate by themselves (login, token refresh, invitation acceptance).
API_OPERATIONS: dict[tuple[str, str], str | None] = {
    ("GET", "/api/auth/profile"): "member",
    ("PUT", "/api/auth/profile"): "member",
    ("POST", "/api/auth/login"): None,
    ("POST", "/api/auth/refresh"): None,
    ("POST", "/api/auth/logout"): None,
    ("GET", "/api/keys"): "admin",
    ("POST", "/api/keys"): "admin",
    ("DELETE", "/api/keys/<uuid:key_id>"): "admin",
    ("GET", "/api/sending-domains"): "admin",
    ("POST", "/api/sending-domains"): "admin",
    ("GET", "/api/sending-domains/<uuid:domain_id>"): "admin",
    ("DELETE", "/api/sending-domains/<uuid:domain_id>"): "admin",
    ("POST", "/api/sending-domains/<uuid:domain_id>/verify"): "admin",
    ("GET", "/api/members"): "member",
    ("PATCH", "/api/members/<uuid:member_id>"): "admin",
    ("DELETE", "/api/members/<uuid:member_id>"): "member",  # leaving; others: see below
    ("GET", "/api/invitations"): "admin",
    ("POST", "/api/invitations"): "admin",
    ("POST", "/api/invitations/accept"): None,
    ("DELETE", "/api/invitations/<uuid:invitation_id>"): "admin",
    ("GET", "/api/tenant"): "member",
    ("PUT", "/api/tenant"): "admin",
    ("GET", "/api/campaigns"): "member",
    ("POST", "/api/campaigns"): "member",
    ("GET", "/api/campaigns/<uuid:campaign_id>"): "member",
    ("PUT", "/api/campaigns/<uuid:campaign_id>"): "member",
    ("DELETE", "/api/campaigns/<uuid:campaign_id>"): "member",
    ("POST", "/api/campaigns/<uuid:campaign_id>/schedule"): "admin",
    ("POST", "/api/campaigns/<uuid:campaign_id>/send-now"): "admin",
    ("POST", "/api/campaigns/<uuid:campaign_id>/test-send"): "member",
    ("POST", "/api/campaigns/<uuid:campaign_id>/pause"): "member",
    ("POST", "/api/campaigns/<uuid:campaign_id>/resume"): "admin",
    ("POST", "/api/campaigns/<uuid:campaign_id>/cancel"): "admin",
    ("POST", "/api/campaigns/<uuid:campaign_id>/duplicate"): "member",
    ("POST", "/api/campaigns/<uuid:campaign_id>/restore"): "member",
    ("GET", "/api/campaigns/<uuid:campaign_id>/spam-check"): "member",
    ("GET", "/api/campaigns/<uuid:campaign_id>/stats"): "member",
    ("GET", "/api/leads"): "member",
    ("POST", "/api/leads"): "member",
    ("GET", "/api/leads/export"): "admin",
    ("POST", "/api/leads/imports"): "member",
    ("GET", "/api/leads/imports/<uuid:import_id>"): "member",
    ("GET", "/api/leads/imports/<uuid:import_id>/errors"): "member",
    ("GET", "/api/leads/<uuid:lead_id>"): "member",
    ("PUT", "/api/leads/<uuid:lead_id>"): "member",
    ("DELETE", "/api/leads/<uuid:lead_id>"): "member",
    ("GET", "/api/leads/<uuid:lead_id>/data"): "admin",
    ("GET", "/api/leads/<uuid:lead_id>/messages"): "member",
    ("GET", "/api/lists"): "member",
    ("POST", "/api/lists"): "member",
    ("GET", "/api/lists/<uuid:list_id>"): "member",
    ("PUT", "/api/lists/<uuid:list_id>"): "member",
    ("PATCH", "/api/lists/<uuid:list_id>"): "member",
    ("DELETE", "/api/lists/<uuid:list_id>"): "member",
    ("POST", "/api/lists/<uuid:list_id>/leads"): "member",
    ("DELETE", "/api/lists/<uuid:list_id>/leads"): "member",
    ("GET", "/api/segments"): "member",
    ("POST", "/api/segments"): "member",
    ("GET", "/api/segments/<uuid:segment_id>"): "member",
    ("PUT", "/api/segments/<uuid:segment_id>"): "member",
    ("PATCH", "/api/segments/<uuid:segment_id>"): "member",
    ("DELETE", "/api/segments/<uuid:segment_id>"): "member",
    ("GET", "/api/segments/<uuid:segment_id>/leads"): "member",
    ("GET", "/api/suppressions"): "member",
    ("POST", "/api/suppressions"): "member",
    ("DELETE", "/api/suppressions"): "admin",
    ("GET", "/api/templates"): "member",
    ("POST", "/api/templates"): "member",
    ("POST", "/api/templates/preview"): "member",
    ("GET", "/api/templates/<uuid:template_id>"): "member",
    ("PUT", "/api/templates/<uuid:template_id>"): "member",
    ("DELETE", "/api/templates/<uuid:template_id>"): "member",
    ("GET", "/api/billing/plans"): None,
    ("GET", "/api/billing"): "admin",
    ("POST", "/api/billing/checkout"): "owner",
    ("POST", "/api/billing/portal"): "owner",
    ("POST", "/api/billing/plan/preview"): "admin",
    ("POST", "/api/billing/plan"): "owner",
    ("POST", "/api/billing/cancel"): "owner",
    ("POST", "/api/billing/resume"): "owner",
    ("POST", "/api/repositories/analyze"): "member",
    ("GET", "/api/repositories"): "member",
    ("GET", "/api/repositories/<uuid:repository_id>"): "member",
    ("DELETE", "/api/repositories/<uuid:repository_id>"): "admin",
    ("GET", "/api/repositories/<uuid:repository_id>/analyses"): "member",
    ("GET", "/api/repositories/<uuid:repository_id>/diff"): "member",
    ("GET", "/api/analyses/<uuid:analysis_id>"): "member",
    ("GET", "/api/github/connection"): "member",
    ("PUT", "/api/github/token"): "admin",
    ("DELETE", "/api/github/token"): "admin",
    ("PUT", "/api/github/installation"): "admin",
    ("DELETE", "/api/github/installation"): "admin",
    ("POST", "/api/github/installation/state"): "admin",
    ("GET", "/api/health"): None,
    ("GET", "/api/schema/"): None,
    ("GET", "/api/docs/"): None,
}

# Every dashboard form (route, posted `action`) and the least role it allows.
DASHBOARD_FORMS: dict[tuple[str, str], str] = {
    ("/campaigns/new/", ""): "member",
    ("/campaigns/new/", "schedule"): "admin",
    ("/campaigns/new/", "send-now"): "admin",
    ("/campaigns/<uuid:campaign_id>/edit/<slug:step>/", ""): "member",
    ("/campaigns/<uuid:campaign_id>/edit/<slug:step>/", "schedule"): "admin",
    ("/campaigns/<uuid:campaign_id>/edit/<slug:step>/", "send-now"): "admin",
    ("/campaigns/<uuid:campaign_id>/action/", "test-send"): "member",
    ("/campaigns/<uuid:campaign_id>/action/", "schedule"): "admin",
    ("/campaigns/<uuid:campaign_id>/action/", "send-now"): "admin",
    ("/campaigns/<uuid:campaign_id>/action/", "resume"): "admin",
    ("/campaigns/<uuid:campaign_id>/action/", "cancel"): "admin",
    ("/campaigns/<uuid:campaign_id>/action/", "pause"): "member",
    ("/campaigns/<uuid:campaign_id>/action/", "duplicate"): "member",
    ("/campaigns/<uuid:campaign_id>/action/", "delete"): "member",
    ("/campaigns/<uuid:campaign_id>/action/", "restore"): "member",
    ("/leads/", ""): "member",
    ("/templates/new/", ""): "member",
    ("/templates/<uuid:template_id>/", ""): "member",
    ("/templates/preview/", ""): "member",
    ("/repositories/", ""): "member",
    ("/repositories/github/", ""): "admin",
    ("/repositories/<uuid:repository_id>/analyse/", ""): "member",
    ("/repositories/<uuid:repository_id>/delete/", ""): "admin",
    ("/billing/checkout/", ""): "owner",
    ("/billing/portal/", ""): "owner",
    ("/billing/change/", ""): "owner",
    ("/billing/cancel/", ""): "owner",
    ("/billing/resume/", ""): "owner",
    ("/settings/profile/", ""): "member",
    ("/settings/organisation/", ""): "admin",
    ("/settings/members/", ""): "admin",
    ("/settings/members/<uuid:member_id>/", ""): "admin",
    ("/settings/members/<uuid:member_id>/", "remove"): "member",  # leaving; others: the service
    ("/settings/invitations/<uuid:invitation_id>/revoke/", ""): "admin",
    ("/settings/api-keys/", ""): "admin",
    ("/settings/api-keys/<uuid:key_id>/revoke/", ""): "admin",
    ("/settings/sending-domains/", ""): "admin",
    ("/settings/sending-domains/<uuid:domain_id>/", "verify"): "admin",
    ("/settings/sending-domains/<uuid:domain_id>/", "remove"): "admin",
}
# Dashboard pages without a form, and the least role that may open them.
DASHBOARD_PAGES: dict[str, str] = {
    "/": "member",
    "/campaigns/": "member",
    "/campaigns/<uuid:campaign_id>/": "member",
    "/leads/imports/<uuid:import_id>/": "member",
    "/templates/": "member",
    "/repositories/<uuid:repository_id>/": "member",
    "/repositories/<uuid:repository_id>/analyses/<uuid:analysis_id>/": "member",
    "/billing/": "admin",
    "/repositories/github/link/": "admin",
    "/outbox/": "member",
}
# Pages for people who are not signed in yet.
SIGNED_OUT_PAGES = {
    "/login/",
    "/logout/",
    "/handoff/<str:token>/",
    "/invitations/<str:token>/",
    "/password-reset/",
    "/password-reset/sent/",
    "/password-reset/<uidb64>/<token>/",
    "/password-reset/done/",
}


def _api_operations() -> set[tuple[str, str]]:
    operations = set()
    for route, view_class in url_views(get_resolver(settings.ROOT_URLCONF).url_patterns):
        if not route.startswith("api/"):
            continue
        for method in HANDLER_METHODS:
            if hasattr(view_class, method):
                operations.add((method.upper(), "/" + route))
    return operations


def _dashboard_routes(patterns=None, prefix: str = "") -> set[str]:
    routes = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            routes |= _dashboard_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            routes.add("/" + prefix + str(pattern.pattern))
    return {route for route in routes if not route.startswith(("/api/", "/admin/"))}


def _concrete(route: str) -> str:
    """The route with every converter replaced by a value it accepts (an id nothing has)."""
    return re.sub(
        r"<(\w+):(\w+)>",
        lambda m: str(uuid.uuid4()) if m.group(1) == "uuid" else "review",
        route,
    )


def _role_user(role: str, owner, admin_user, member):
    return {"owner": owner, "admin": admin_user, "member": member}[role]


# --- The table and where it is written down -------------------------------------------------


def test_readme_roles_table_is_the_capability_table():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    section = readme.split("## Roles", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_.]+)` \| (\w+) \| (.+?) \|$", section, re.M)
    assert rows == [(c.name, c.role, c.description) for c in CAPABILITIES.values()]


def test_each_role_holds_the_capabilities_of_the_roles_below_it():
    assert role_can("member", "campaign.draft")
    assert not role_can("member", "campaign.send")
    assert role_can("admin", "campaign.send")
    assert not role_can("admin", "billing.manage")
    assert role_can("owner", "organisation.delete")
    assert not role_can(None, "workspace.view")
    assert {c.role for c in CAPABILITIES.values()} == set(ROLES)


def test_a_test_send_beyond_your_own_address_needs_the_admin_capability():
    own = "me@acme.test"
    assert capability_for_test_send(own_email=own, emails=["ME@acme.test"]) == "campaign.test_send"
    assert (
        capability_for_test_send(own_email=own, emails=[own, "lead@x.example"])
        == "campaign.test_send_any"
    )
    assert (
        capability_for_test_send(own_email="", emails=["a@x.example"]) == "campaign.test_send_any"
    )


# --- Declarations ---------------------------------------------------------------------------


class UndeclaredView(TenantAPIView):
    def post(self, request):
        return Response({})


class MisspelledView(TenantAPIView):
    required_capability = {"GET": "lead.mange"}

    def get(self, request):
        return Response({})


urlpatterns = [
    path("api/undeclared", UndeclaredView.as_view()),
    path("api/misspelled", MisspelledView.as_view()),
]


def test_the_project_declares_a_capability_for_every_tenant_api_method():
    assert check_tenant_api_capabilities() == []


def test_a_view_without_a_capability_is_a_configuration_error():
    problems = undeclared_capabilities(__name__)
    assert problems == [
        "/api/undeclared POST: UndeclaredView declares no required_capability for POST.",
        "/api/misspelled GET: Unknown capability 'lead.mange'; add it to apps.core.roles.",
    ]


def test_every_tenant_api_operation_has_a_row():
    assert _api_operations() == set(API_OPERATIONS)


def test_every_dashboard_page_has_a_row():
    declared = {route for route, _action in DASHBOARD_FORMS} | set(DASHBOARD_PAGES)
    assert _dashboard_routes() == declared | SIGNED_OUT_PAGES


def test_the_openapi_document_states_every_tenant_operations_role():
    schema = SchemaGenerator(urlconf="strato.urls_tenant_api").get_schema(public=True)
    stated = {}
    for route, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "x-required-role" in operation:
                role = operation["x-required-role"]
                assert operation["description"].endswith(
                    f"Requires the {role} role (capability `{operation['x-capability']}`)."
                )
                assert CAPABILITIES[operation["x-capability"]].role == role
                stated[(method.upper(), route)] = role
    expected = {
        (method, re.sub(r"<\w+:(\w+)>", r"{\1}", route)): role
        for (method, route), role in API_OPERATIONS.items()
        if role is not None
    }
    assert stated == expected
    send_now = schema["paths"]["/api/campaigns/{campaign_id}/send-now"]["post"]
    denied = send_now["responses"]["403"]["content"]["application/problem+json"]["examples"]
    assert next(iter(denied.values()))["value"]["capability"] == "campaign.send"


# --- The matrix -----------------------------------------------------------------------------

API_CASES = [
    pytest.param(method, route, role, needed, id=f"{role}-{method}-{route}")
    for (method, route), needed in sorted(API_OPERATIONS.items(), key=lambda item: item[0][1])
    if needed is not None
    for role in ROLES
]


@pytest.mark.parametrize(("method", "route", "role", "needed"), API_CASES)
def test_api_answers_each_role_as_the_policy_says(
    api_client_for, tenant, owner, admin_user, member, method, route, role, needed
):
    client = api_client_for(tenant, _role_user(role, owner, admin_user, member))
    response = getattr(client, method.lower())(_concrete(route), {}, format="json")
    if ROLES.index(role) >= ROLES.index(needed):
        assert response.status_code != 403, response.content[:300]
    else:
        body = assert_problem(response, 403, "permission_denied")
        assert body["required_role"] == needed
        assert CAPABILITIES[body["capability"]].role == needed
        assert f"needs the {needed} role" in body["detail"]


DASHBOARD_CASES = [
    pytest.param(route, action, role, needed, id=f"{role}-{route}-{action or 'post'}")
    for (route, action), needed in DASHBOARD_FORMS.items()
    for role in ROLES
] + [
    pytest.param(route, None, role, needed, id=f"{role}-{route}-get")
    for route, needed in DASHBOARD_PAGES.items()
    for role in ROLES
]


@pytest.mark.parametrize(("route", "action", "role", "needed"), DASHBOARD_CASES)
def test_dashboard_answers_each_role_as_the_policy_says(
    tenant, owner, admin_user, member, route, action, role, needed
):
    client = signed_in(tenant, _role_user(role, owner, admin_user, member))
    url = _concrete(route)
    if action is None:
        response = client.get(url)
    else:
        response = client.post(url, {"action": action} if action else {})
    if ROLES.index(role) >= ROLES.index(needed):
        assert response.status_code != 403, response.content[:300]
    else:
        assert response.status_code == 403
        assert f"needs the {needed} role" in response.content.decode()


def test_membership_roles_are_the_policy_roles():
    assert sorted(Role.values) == sorted(ROLES)


def test_members_leave_but_only_admins_remove_others_and_only_owners_touch_owners(
    api_client_for, tenant, owner, admin_user, member
):
    def member_url(user) -> str:
        return f"/api/members/{Membership.objects.get(user=user, tenant=tenant).public_id}"

    as_member = api_client_for(tenant, member)
    refused = assert_problem(as_member.delete(member_url(admin_user)), 403, "permission_denied")
    assert (refused["capability"], refused["required_role"]) == ("member.manage", "admin")

    as_admin = api_client_for(tenant, admin_user)
    owner_refused = assert_problem(
        as_admin.patch(member_url(owner), {"role": "member"}, format="json"), 403, "owner_required"
    )
    assert (owner_refused["capability"], owner_refused["required_role"]) == (
        "owner.manage",
        "owner",
    )
    assert Membership.objects.get(user=owner, tenant=tenant).role == "owner"

    assert as_member.delete(member_url(member)).status_code == 204
    assert not Membership.objects.filter(user=member, tenant=tenant).exists()
