"""Every write about GitHub connections, repositories and analyses, one module per concern.

Services run in the tenant schema of the caller (request or tenant-aware task); the GitHub
webhook services (public host) switch to each tenant that tracks a repository. Callers use
`services.<name>`; the names below are the package's interface.
"""

from __future__ import annotations

from .accounts import github_account_analyse, github_account_analyse_later
from .analyses import (
    analyses_sweep,
    analysis_execute,
    analysis_fail,
    analysis_queue,
    analysis_request,
)
from .connections import (
    InstallLink,
    github_installation_link,
    github_installation_unlink,
    github_link_state_create,
    github_link_state_tenant,
    github_token_delete,
    github_token_set,
)
from .repositories import repository_delete, repository_track
from .webhooks import (
    github_installation_apply,
    github_installation_repositories_apply,
    github_push_apply,
    webhook_secrets,
)

__all__ = [
    "InstallLink",
    "analyses_sweep",
    "analysis_execute",
    "analysis_fail",
    "analysis_queue",
    "analysis_request",
    "github_account_analyse",
    "github_account_analyse_later",
    "github_installation_apply",
    "github_installation_link",
    "github_installation_repositories_apply",
    "github_installation_unlink",
    "github_link_state_create",
    "github_link_state_tenant",
    "github_push_apply",
    "github_token_delete",
    "github_token_set",
    "repository_delete",
    "repository_track",
    "webhook_secrets",
]
