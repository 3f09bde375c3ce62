"""The role policy: one table of capabilities, each with the least role that holds it.

Roles are ranked member < admin < owner; a role holds every capability of the roles below it.
API views name a capability (`required_capability`), dashboard views use
`capability_required(...)`, templates ask `request|can:"campaign.send"`; all of them resolve
here, so the policy is read in one place. README's "Roles" table mirrors `CAPABILITIES` (a test
keeps them equal).

Repository analysis is a member capability: analyses only read code, their number is bounded by
the plan's quota, and members need fresh stacks to personalise the drafts they write. Deleting a
repository (and its analysis history) is an admin's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apps.core.errors import PermissionDenied

ROLE_RANK = {"member": 1, "admin": 2, "owner": 3}


@dataclass(frozen=True)
class Capability:
    name: str
    role: str
    description: str


_TABLE: list[tuple[str, str, str]] = [
    ("workspace.view", "member", "Read the organisation's data: leads, campaigns, repositories."),
    ("profile.manage", "member", "Change your own name and password, or leave the organisation."),
    ("campaign.draft", "member", "Create, edit, duplicate, delete and restore campaign drafts."),
    ("campaign.test_send", "member", "Send a test of a campaign to your own address."),
    ("campaign.pause", "member", "Pause a sending campaign (queued messages wait)."),
    ("template.manage", "member", "Create, edit, preview and delete email templates."),
    ("lead.manage", "member", "Add, edit, import and delete leads, lists and segments."),
    ("suppression.add", "member", "Suppress an address so it is never emailed."),
    ("repository.analyze", "member", "Add repositories and (re-)analyse them."),
    ("campaign.send", "admin", "Schedule, send, resume and cancel campaigns to the audience."),
    ("campaign.test_send_any", "admin", "Send a test of a campaign to any address."),
    ("lead.export", "admin", "Export every lead as CSV, or one lead's personal data."),
    ("suppression.remove", "admin", "Lift a suppression so the address can be emailed again."),
    ("repository.delete", "admin", "Delete a repository and its analyses."),
    ("api_key.manage", "admin", "List, create and revoke API keys."),
    ("integration.manage", "admin", "Connect and disconnect GitHub."),
    ("sending_domain.manage", "admin", "Add, verify and remove sending domains."),
    ("member.manage", "admin", "Invite, remove and change the role of members and admins."),
    ("organisation.manage", "admin", "Change the organisation's name, address and settings."),
    ("billing.view", "admin", "See the plan, usage and the price of a plan change."),
    ("billing.manage", "owner", "Subscribe, change or cancel the plan, open the billing portal."),
    ("owner.manage", "owner", "Grant, change or remove the owner role."),
    ("organisation.delete", "owner", "Delete the organisation and all its data."),
]

CAPABILITIES: dict[str, Capability] = {
    name: Capability(name=name, role=role, description=description)
    for name, role, description in _TABLE
}


def capability(name: str) -> Capability:
    try:
        return CAPABILITIES[name]
    except KeyError:
        raise LookupError(f"Unknown capability {name!r}; add it to apps.core.roles.") from None


def role_satisfies(role: str | None, required: str) -> bool:
    return ROLE_RANK.get(role or "", 0) >= ROLE_RANK[required]


def role_can(role: str | None, name: str) -> bool:
    """Whether `role` (None for a non-member) holds the capability `name`."""
    return role_satisfies(role, capability(name).role)


def request_role(request: Any) -> str | None:
    """The role of the request's membership in this host's tenant; None for non-members."""
    membership = getattr(request, "membership", None)
    # A lazy object wrapping None is falsy, not None.
    return membership.role if membership else None


def denial_message(name: str) -> str:
    needed = capability(name)
    return f"This action needs the {needed.role} role (capability `{name}`)."


def capability_denied(name: str) -> PermissionDenied:
    """The 403 problem for a missing capability, naming it and the role that holds it."""
    needed = capability(name)
    return PermissionDenied(
        denial_message(name),
        extra={"capability": name, "required_role": needed.role},
    )


def ensure_capability(*, role: str | None, name: str) -> None:
    """For rules decided inside a handler (whom a test goes to): raise the 403 problem."""
    if not role_can(role, name):
        raise capability_denied(name)


def capability_for_test_send(*, own_email: str, emails: list[str]) -> str:
    """A test to your own address only needs `campaign.test_send`; any other address needs
    `campaign.test_send_any`, so a member cannot mail the audience through test sends."""
    own = own_email.strip().lower()
    if own and all(email.strip().lower() == own for email in emails):
        return "campaign.test_send"
    return "campaign.test_send_any"
