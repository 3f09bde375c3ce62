"""GitHub connections, repositories and their analyses (tenant schema).

Analyses are never rewritten: each run is a new row, so the history (and the difference between
two runs) survives failures and re-analyses.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from apps.core.encryption import EncryptedTextField


class GitHubConnection(models.Model):
    """The organisation's GitHub credentials: one row per tenant schema.

    `token` is a personal access token, encrypted at rest and never returned by the API; the
    installation id links a GitHub App installation. Without either, public repositories work.
    """

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    token = EncryptedTextField(blank=True)
    token_login = models.CharField(
        max_length=100, blank=True, help_text="The GitHub account the token belongs to."
    )
    token_scopes = models.CharField(max_length=500, blank=True)
    token_validated_at = models.DateTimeField(null=True, blank=True)
    installation_id = models.BigIntegerField(null=True, blank=True)
    installation_account = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"GitHub connection ({self.token_login or 'no token'})"

    @property
    def has_token(self) -> bool:
        return bool(self.token)


class GitHubLinkState(models.Model):
    """One pending "install the GitHub App" flow, started by one user of this organisation.

    The install URL carries a signed `state` naming the tenant and this row's nonce; only the
    nonce's SHA-256 is stored. The row is consumed once (`used_at`), expires after
    `GITHUB_LINK_STATE_MAX_AGE_SECONDS` and is deleted when a later flow starts.
    """

    nonce_hash = models.CharField(max_length=64, unique=True)
    user_public_id = models.UUIDField(help_text="The user who started the flow (public schema).")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"GitHub link state (expires {self.expires_at:%Y-%m-%d %H:%M})"


class Repository(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        QUEUED = "queued", "Queued"
        ANALYSING = "analysing", "Analysing"
        READY = "ready", "Analysed"
        FAILED = "failed", "Last analysis failed"

    class Source(models.TextChoices):
        URL = "url", "Added by URL"
        INSTALLATION = "installation", "GitHub App installation"
        LEAD = "lead", "A lead's GitHub account"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.CharField(max_length=100)
    name = models.CharField(max_length=100)
    github_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    default_branch = models.CharField(max_length=255, blank=True)
    html_url = models.URLField(blank=True)
    private = models.BooleanField(default=False)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.URL)
    installation_id = models.BigIntegerField(null=True, blank=True)
    head_sha = models.CharField(
        max_length=40, blank=True, help_text="Default branch head at the last lookup."
    )
    head_etag = models.CharField(
        max_length=255, blank=True, help_text="ETag of that lookup, for If-None-Match."
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    last_analysed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "repositories"
        constraints = [
            models.UniqueConstraint(
                Lower("owner"), Lower("name"), name="repository_full_name_ci_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


class Analysis(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        API = "api", "API"
        DASHBOARD = "dashboard", "Dashboard"
        PUSH = "push", "Push webhook"
        INSTALLATION = "installation", "GitHub App installation"
        LEAD = "lead", "Lead's GitHub account"

    FINISHED = (Status.SUCCEEDED, Status.FAILED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="analyses")
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.API)
    ref = models.CharField(
        max_length=255, blank=True, help_text="Branch asked for; blank means the default branch."
    )
    commit_sha = models.CharField(max_length=40, blank=True)
    delivery_id = models.CharField(
        max_length=100, blank=True, help_text="X-GitHub-Delivery of the push that queued it."
    )
    report = models.JSONField(null=True, blank=True)
    reused_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Head unchanged: the report of this analysis.",
    )
    failure_code = models.CharField(max_length=64, blank=True)
    failure_reason = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    archive_bytes = models.BigIntegerField(null=True, blank=True)
    files_scanned = models.PositiveIntegerField(null=True, blank=True)
    download_ms = models.PositiveIntegerField(null=True, blank=True)
    detect_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "analyses"
        constraints = [
            # Requests while one is waiting join it instead of queueing duplicates.
            models.UniqueConstraint(
                fields=["repository"],
                condition=Q(status="queued"),
                name="analysis_one_queued_per_repository",
            ),
            # A push redelivered (or fanned out twice) queues one analysis.
            models.UniqueConstraint(
                fields=["repository", "delivery_id"],
                condition=~Q(delivery_id=""),
                name="analysis_once_per_delivery",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.repository} @ {self.commit_sha[:7] or '?'} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def duration_ms(self) -> int | None:
        if self.started_at and self.finished_at:
            return int((self.finished_at - self.started_at).total_seconds() * 1000)
        return None
