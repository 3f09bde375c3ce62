"""Tracking repositories, and keeping the public-schema route that lets webhooks find them."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.billing.services import entitlement_check
from apps.core.locks import advisory_lock
from apps.tenants.models import Tenant

from .. import github, selectors
from ..models import Repository
from ..routing.models import RepositoryRoute


def apply_metadata(repository: Repository, metadata: dict[str, Any]) -> None:
    """Copy GitHub's repository metadata (REST shape) onto `repository`, without saving."""
    repository.github_id = metadata.get("id") or repository.github_id
    repository.default_branch = metadata.get("default_branch") or repository.default_branch
    repository.html_url = metadata.get("html_url") or repository.html_url
    repository.private = bool(metadata.get("private", repository.private))
    full_name = metadata.get("full_name", "")
    if "/" in full_name:
        repository.owner, repository.name = full_name.split("/", 1)


def route_sync(*, tenant: Tenant, repository: Repository) -> None:
    RepositoryRoute.objects.update_or_create(
        tenant=tenant,
        repository_public_id=repository.public_id,
        defaults={"github_id": repository.github_id, "full_name": repository.full_name},
    )


@transaction.atomic
def repository_track(
    *,
    tenant: Tenant,
    ref: github.RepoRef,
    metadata: dict[str, Any] | None = None,
    source: str = Repository.Source.URL,
    installation_id: int | None = None,
) -> tuple[Repository, bool]:
    """The repository `ref`, created (within the plan's repository allowance) if new."""
    # Concurrent requests for the same repository: the second waits, then finds the first's row.
    advisory_lock("repository", ref.owner.lower(), ref.name.lower())
    existing = selectors.repository_by_full_name(owner=ref.owner, name=ref.name)
    if existing is None and metadata and metadata.get("id"):
        existing = selectors.repository_by_github_id(github_id=metadata["id"])
    if existing is not None:
        changed = False
        if metadata:
            apply_metadata(existing, metadata)
            changed = True
        if installation_id and existing.installation_id != installation_id:
            existing.installation_id = installation_id
            changed = True
        if changed:
            existing.save()
            route_sync(tenant=tenant, repository=existing)
        return existing, False
    entitlement_check(tenant=tenant, resource="repositories", current=selectors.repository_count())
    repository = Repository(
        owner=ref.owner,
        name=ref.name,
        source=source,
        installation_id=installation_id,
        html_url=f"https://github.com/{ref.owner}/{ref.name}",
    )
    if metadata:
        apply_metadata(repository, metadata)
    repository.save()
    route_sync(tenant=tenant, repository=repository)
    return repository, True


@transaction.atomic
def repository_delete(*, tenant: Tenant, repository: Repository) -> None:
    """Stop tracking: the repository and its analyses go; pushes no longer reach it."""
    RepositoryRoute.objects.filter(
        tenant=tenant, repository_public_id=repository.public_id
    ).delete()
    repository.delete()
