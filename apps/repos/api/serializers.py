from django.urls import reverse
from rest_framework import serializers

from apps.core.api.serializers import StrictSerializer
from apps.repos.models import Analysis, Repository


class AnalyzeInputSerializer(StrictSerializer):
    url = serializers.CharField(
        max_length=500,
        help_text="Any GitHub repository form: https URL (with `.git`, "
        "`/tree/<branch>/…`), `git@github.com:owner/name.git`, or `owner/name`.",
    )


class AnalysisSummarySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    repository_id = serializers.UUIDField(source="repository.public_id", read_only=True)
    status_url = serializers.SerializerMethodField()
    duration_ms = serializers.IntegerField(read_only=True, allow_null=True)
    reused_from = serializers.UUIDField(
        source="reused_from.public_id", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Analysis
        fields = [
            "id",
            "repository_id",
            "status",
            "trigger",
            "ref",
            "commit_sha",
            "failure_code",
            "failure_reason",
            "reused_from",
            "files_scanned",
            "archive_bytes",
            "download_ms",
            "detect_ms",
            "duration_ms",
            "created_at",
            "started_at",
            "finished_at",
            "status_url",
        ]

    def get_status_url(self, analysis) -> str:
        return reverse("api-analysis-detail", args=[analysis.public_id])


class AnalysisSerializer(AnalysisSummarySerializer):
    report = serializers.JSONField(
        read_only=True,
        allow_null=True,
        help_text=(
            "`languages` (bytes and share), `technologies` (slug, category, confidence, version, "
            "evidence), `components` (one per manifest root) and `warnings`."
        ),
    )

    class Meta(AnalysisSummarySerializer.Meta):
        fields = [*AnalysisSummarySerializer.Meta.fields, "report"]


class RepositorySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    full_name = serializers.CharField(read_only=True)
    latest_analysis = serializers.SerializerMethodField()

    class Meta:
        model = Repository
        fields = [
            "id",
            "full_name",
            "owner",
            "name",
            "default_branch",
            "html_url",
            "private",
            "source",
            "status",
            "head_sha",
            "last_analysed_at",
            "created_at",
            "latest_analysis",
        ]

    def get_latest_analysis(self, repository) -> dict | None:
        latest = self.context.get("latest", {}).get(repository.pk)
        return AnalysisSummarySerializer(latest).data if latest else None


class AnalyzeOutputSerializer(StrictSerializer):
    analysis = AnalysisSummarySerializer()
    repository = RepositorySerializer()
    status_url = serializers.CharField()


class TechnologyChangeSerializer(StrictSerializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    confidence = serializers.FloatField(allow_null=True)
    version = serializers.CharField(allow_null=True)


class VersionChangeSerializer(StrictSerializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    from_version = serializers.CharField(allow_null=True)
    to_version = serializers.CharField(allow_null=True)


class DiffSerializer(StrictSerializer):
    base = AnalysisSummarySerializer()
    head = AnalysisSummarySerializer()
    added = TechnologyChangeSerializer(many=True)
    removed = TechnologyChangeSerializer(many=True)
    changed = VersionChangeSerializer(many=True)


class GitHubConnectionSerializer(StrictSerializer):
    token_set = serializers.BooleanField(
        help_text="Whether a token is stored; it is never returned."
    )
    token_login = serializers.CharField(allow_blank=True)
    token_scopes = serializers.CharField(allow_blank=True)
    token_validated_at = serializers.DateTimeField(allow_null=True)
    installation_id = serializers.IntegerField(allow_null=True)
    installation_account = serializers.CharField(allow_blank=True)
    app_install_url = serializers.CharField(
        allow_blank=True,
        help_text="The App's public install page. To link an installation, start from "
        "`POST /api/github/installation/state`, whose `install_url` carries the state.",
    )


class TokenInputSerializer(StrictSerializer):
    token = serializers.CharField(max_length=255, write_only=True, trim_whitespace=True)


class InstallationInputSerializer(StrictSerializer):
    installation_id = serializers.IntegerField(
        min_value=1, help_text="`installation_id` GitHub added to the App's Setup URL."
    )
    code = serializers.CharField(
        max_length=100,
        write_only=True,
        help_text="The OAuth `code` GitHub added to the Setup URL (the App requests user "
        "authorisation during installation).",
    )
    state = serializers.CharField(
        max_length=500,
        write_only=True,
        help_text="The `state` from `POST /api/github/installation/state`, handed back by GitHub.",
    )


class InstallLinkSerializer(StrictSerializer):
    state = serializers.CharField(help_text="Signed, single use, bound to this user.")
    install_url = serializers.CharField(
        help_text="Send the person who administers the GitHub account here."
    )
    expires_at = serializers.DateTimeField()


class RepositoryListQuery(StrictSerializer):
    status = serializers.ChoiceField(
        choices=Repository.Status.choices,
        required=False,
        help_text="Only repositories in this status.",
    )
    q = serializers.CharField(required=False, max_length=200, help_text="Owner or name contains.")


class AnalysisListQuery(StrictSerializer):
    status = serializers.ChoiceField(
        choices=Analysis.Status.choices, required=False, help_text="Only analyses in this status."
    )


class DiffQuery(StrictSerializer):
    base = serializers.UUIDField(required=False, help_text="Analysis id (older); with `head`.")
    head = serializers.UUIDField(required=False, help_text="Analysis id (newer); with `base`.")
