"""Tenant API for repositories, analyses and the GitHub connection."""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.core.api.query import query_params
from apps.core.api.schema import problem_response, problem_responses
from apps.core.api.views import TenantAPIView
from apps.core.errors import ValidationFailed
from apps.repos import selectors, services
from apps.repos.models import Analysis, Repository

from . import serializers as s

REPOSITORY_EXAMPLE = {
    "id": "0b6f7c1e-4d7a-4d1c-9a55-1f4f0c6c3e21",
    "full_name": "octocat/Hello-World",
    "owner": "octocat",
    "name": "Hello-World",
    "default_branch": "main",
    "html_url": "https://github.com/octocat/Hello-World",
    "private": False,
    "source": "url",
    "status": "ready",
    "head_sha": "7fd1a60b01f91b314f59955a4e4d4e80d8edf11d",
    "last_analysed_at": "2026-03-02T10:15:04Z",
    "created_at": "2026-03-01T09:00:00Z",
    "latest_analysis": None,
}
ANALYSIS_EXAMPLE = {
    "id": "5c1d2b9e-2f0e-4a51-8d1c-6a0e6f1b7a10",
    "repository_id": REPOSITORY_EXAMPLE["id"],
    "status": "queued",
    "trigger": "api",
    "ref": "",
    "commit_sha": "",
    "failure_code": "",
    "failure_reason": "",
    "reused_from": None,
    "files_scanned": None,
    "archive_bytes": None,
    "download_ms": None,
    "detect_ms": None,
    "duration_ms": None,
    "created_at": "2026-03-02T10:15:00Z",
    "started_at": None,
    "finished_at": None,
    "status_url": "/api/analyses/5c1d2b9e-2f0e-4a51-8d1c-6a0e6f1b7a10",
}
REPORT_EXAMPLE = {
    "languages": [{"name": "Python", "bytes": 48213, "files": 61, "share": 0.91}],
    "technologies": [
        {
            "slug": "django",
            "name": "Django",
            "category": "framework",
            "confidence": 0.99,
            "version": "5.2",
            "components": ["."],
            "evidence": [
                {
                    "file": "requirements.txt",
                    "kind": "dependency",
                    "match": "django@5.2",
                    "weight": 0.9,
                    "weak": False,
                }
            ],
        }
    ],
    "components": [
        {
            "path": ".",
            "name": "Hello-World",
            "manifests": ["requirements.txt"],
            "languages": [],
            "technologies": [],
        }
    ],
    "warnings": [],
    "files_scanned": 74,
}


class AnalyzeView(TenantAPIView):
    required_capability = "repository.analyze"

    @extend_schema(
        tags=["repositories"],
        operation_id="repositories_analyze",
        summary="Analyse a GitHub repository",
        description=(
            "Accepts any form of GitHub repository URL. The repository is looked up on GitHub "
            "(404 `github_repository_not_found` when it does not exist or is private without "
            "access), tracked (a new one counts against the plan's repositories), and an "
            "analysis is queued (one of the month's analyses). Answers 202 at once with the "
            "analysis' `status_url`; poll it until `status` is `succeeded` or `failed`. A "
            "request while an analysis is already waiting joins it. Errors: 400 "
            "`not_github_url`, `github_url_invalid`, `github_url_incomplete`; 402 "
            "`plan_limit_exceeded`."
        ),
        request=s.AnalyzeInputSerializer,
        responses={
            202: s.AnalyzeOutputSerializer,
            **problem_responses(401, 402, 403, 415),
            **problem_response(
                400,
                "not_github_url",
                title="Not a GitHub repository URL",
                detail="url: Only github.com repositories can be analysed, not gitlab.com.",
            ),
            **problem_response(
                404,
                "github_repository_not_found",
                title="Repository not found",
                detail="Repository octocat/nope was not found on GitHub, or it is private "
                "and this organisation has no access to it.",
            ),
        },
        examples=[
            OpenApiExample(
                "HTTPS URL",
                request_only=True,
                value={"url": "https://github.com/octocat/Hello-World"},
            ),
            OpenApiExample(
                "SSH remote",
                request_only=True,
                value={"url": "git@github.com:octocat/Hello-World.git"},
            ),
            OpenApiExample("Short form", request_only=True, value={"url": "octocat/Hello-World"}),
            OpenApiExample(
                "Queued",
                response_only=True,
                status_codes=["202"],
                value={
                    "analysis": ANALYSIS_EXAMPLE,
                    "repository": REPOSITORY_EXAMPLE,
                    "status_url": ANALYSIS_EXAMPLE["status_url"],
                },
            ),
        ],
    )
    def post(self, request):
        data = s.AnalyzeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        analysis = services.analysis_request(
            tenant=self.tenant, url=data.validated_data["url"], trigger=Analysis.Trigger.API
        )
        repository = analysis.repository
        status_url = reverse("api-analysis-detail", args=[analysis.public_id])
        body = {"analysis": analysis, "repository": repository, "status_url": status_url}
        return Response(
            s.AnalyzeOutputSerializer(body, context={"latest": {repository.pk: analysis}}).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": status_url},
        )


class RepositoryListView(TenantAPIView):
    required_capability = "workspace.view"
    queryset = Repository.objects.none()

    @extend_schema(
        tags=["repositories"],
        operation_id="repositories_list",
        summary="List repositories",
        description="Newest first, cursor-paginated, each with its latest analysis.",
        parameters=[s.RepositoryListQuery],
        responses={200: s.RepositorySerializer(many=True), **problem_responses(400, 401, 403)},
        examples=[
            OpenApiExample(
                "Page",
                response_only=True,
                value={"next": None, "previous": None, "results": [REPOSITORY_EXAMPLE]},
            )
        ],
    )
    def get(self, request):
        params = query_params(s.RepositoryListQuery, request)
        repositories = selectors.repository_list(status=params.get("status"), query=params.get("q"))
        page = self.paginate_queryset(repositories)
        latest = selectors.latest_analyses_for(page or [])
        return self.get_paginated_response(
            s.RepositorySerializer(page, many=True, context={"latest": latest}).data
        )


class RepositoryDetailView(TenantAPIView):
    required_capability = {"GET": "workspace.view", "DELETE": "repository.delete"}

    @extend_schema(
        tags=["repositories"],
        operation_id="repositories_get",
        summary="A repository",
        responses={200: s.RepositorySerializer, **problem_responses(401, 403, 404)},
        examples=[OpenApiExample("Repository", response_only=True, value=REPOSITORY_EXAMPLE)],
    )
    def get(self, request, repository_id):
        repository = selectors.repository_get(public_id=repository_id)
        latest = selectors.latest_analysis(repository=repository)
        return Response(
            s.RepositorySerializer(
                repository, context={"latest": {repository.pk: latest} if latest else {}}
            ).data
        )

    @extend_schema(
        tags=["repositories"],
        operation_id="repositories_delete",
        summary="Stop tracking a repository",
        description="Deletes the repository and its analysis history (admins).",
        responses={204: None, **problem_responses(401, 403, 404)},
    )
    def delete(self, request, repository_id):
        repository = selectors.repository_get(public_id=repository_id)
        services.repository_delete(tenant=self.tenant, repository=repository)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RepositoryAnalysesView(TenantAPIView):
    required_capability = "workspace.view"
    queryset = Analysis.objects.none()

    @extend_schema(
        tags=["repositories"],
        operation_id="repositories_analyses",
        summary="Analysis history of a repository",
        description="Newest first, cursor-paginated; failed analyses keep their reason.",
        parameters=[s.AnalysisListQuery],
        responses={
            200: s.AnalysisSummarySerializer(many=True),
            **problem_responses(400, 401, 403, 404),
        },
        examples=[
            OpenApiExample(
                "Page",
                response_only=True,
                value={
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            **ANALYSIS_EXAMPLE,
                            "status": "failed",
                            "failure_code": "archive_too_large",
                            "failure_reason": "The repository archive is larger than the limit.",
                        }
                    ],
                },
            )
        ],
    )
    def get(self, request, repository_id):
        repository = selectors.repository_get(public_id=repository_id)
        analyses = selectors.analyses_of(repository=repository).select_related("reused_from")
        wanted = query_params(s.AnalysisListQuery, request).get("status")
        if wanted:
            analyses = analyses.filter(status=wanted)
        return self.paginated_response(analyses, s.AnalysisSummarySerializer)


class RepositoryDiffView(TenantAPIView):
    required_capability = "workspace.view"

    @extend_schema(
        tags=["repositories"],
        operation_id="repositories_diff",
        summary="Technologies added and removed between two analyses",
        description="Defaults to the two newest succeeded analyses (`base` older, `head` "
        "newer). 404 `analysis_diff_unavailable` with fewer than two.",
        parameters=[s.DiffQuery],
        responses={200: s.DiffSerializer, **problem_responses(400, 401, 403, 404)},
        examples=[
            OpenApiExample(
                "Diff",
                response_only=True,
                value={
                    "base": {**ANALYSIS_EXAMPLE, "status": "succeeded"},
                    "head": {**ANALYSIS_EXAMPLE, "status": "succeeded"},
                    "added": [
                        {
                            "slug": "redis",
                            "name": "Redis",
                            "category": "database",
                            "confidence": 0.95,
                            "version": "5.0",
                        }
                    ],
                    "removed": [
                        {
                            "slug": "mysql",
                            "name": "MySQL",
                            "category": "database",
                            "confidence": 0.9,
                            "version": None,
                        }
                    ],
                    "changed": [
                        {
                            "slug": "django",
                            "name": "Django",
                            "from_version": "4.2",
                            "to_version": "5.2",
                        }
                    ],
                },
            )
        ],
    )
    def get(self, request, repository_id):
        repository = selectors.repository_get(public_id=repository_id)
        params = query_params(s.DiffQuery, request)
        base_id, head_id = params.get("base"), params.get("head")
        if bool(base_id) != bool(head_id):
            raise ValidationFailed(
                "Give both `base` and `head`, or neither.", code="analysis_diff_invalid"
            )
        if base_id and head_id:
            try:
                base = selectors.analysis_get(public_id=base_id, repository=repository)
                head = selectors.analysis_get(public_id=head_id, repository=repository)
            except ValueError as exc:
                raise ValidationFailed(
                    "`base` and `head` must be analysis ids.", code="analysis_diff_invalid"
                ) from exc
            for analysis in (base, head):
                if analysis.status != Analysis.Status.SUCCEEDED:
                    raise ValidationFailed(
                        f"Analysis {analysis.public_id} has no report ({analysis.status}).",
                        code="analysis_not_succeeded",
                    )
        else:
            base, head = selectors.analysis_diff_default(repository=repository)
        return Response(s.DiffSerializer(selectors.analysis_diff(base=base, head=head)).data)


class AnalysisDetailView(TenantAPIView):
    required_capability = "workspace.view"

    @extend_schema(
        tags=["repositories"],
        operation_id="analyses_get",
        summary="An analysis (the status URL)",
        description="`status` moves queued → running → succeeded or failed; `report` is set "
        "once succeeded, `failure_code` and `failure_reason` once failed.",
        responses={200: s.AnalysisSerializer, **problem_responses(401, 403, 404)},
        examples=[
            OpenApiExample(
                "Succeeded",
                response_only=True,
                value={
                    **ANALYSIS_EXAMPLE,
                    "status": "succeeded",
                    "commit_sha": "7fd1a60b01f91b314f59955a4e4d4e80d8edf11d",
                    "files_scanned": 74,
                    "report": REPORT_EXAMPLE,
                },
            )
        ],
    )
    def get(self, request, analysis_id):
        return Response(s.AnalysisSerializer(selectors.analysis_get(public_id=analysis_id)).data)


def _connection_body() -> dict:
    row = selectors.github_connection()
    slug = settings.GITHUB_APP_SLUG
    return {
        "token_set": bool(row and row.has_token),
        "token_login": row.token_login if row else "",
        "token_scopes": row.token_scopes if row else "",
        "token_validated_at": row.token_validated_at if row else None,
        "installation_id": row.installation_id if row else None,
        "installation_account": row.installation_account if row else "",
        "app_install_url": f"https://github.com/apps/{slug}/installations/new" if slug else "",
    }


CONNECTION_EXAMPLE = {
    "token_set": True,
    "token_login": "octocat",
    "token_scopes": "repo",
    "token_validated_at": "2026-03-02T10:00:00Z",
    "installation_id": None,
    "installation_account": "",
    "app_install_url": "https://github.com/apps/strato/installations/new",
}


class GitHubConnectionView(TenantAPIView):
    required_capability = "workspace.view"

    @extend_schema(
        tags=["github"],
        operation_id="github_connection_get",
        summary="The organisation's GitHub connection",
        description="Says whether a token is stored and for which account; the "
        "token itself is never returned.",
        responses={200: s.GitHubConnectionSerializer, **problem_responses(401, 403)},
        examples=[OpenApiExample("Connection", response_only=True, value=CONNECTION_EXAMPLE)],
    )
    def get(self, request):
        return Response(s.GitHubConnectionSerializer(_connection_body()).data)


class GitHubTokenView(TenantAPIView):
    required_capability = "integration.manage"

    @extend_schema(
        tags=["github"],
        operation_id="github_token_set",
        summary="Set the access token",
        description="Checks the personal access token with GitHub (400 `github_token_invalid` "
        "when GitHub rejects it), then stores it encrypted. Admins only.",
        request=s.TokenInputSerializer,
        responses={
            200: s.GitHubConnectionSerializer,
            **problem_responses(400, 401, 403, 415),
            **problem_response(
                503,
                "github_unavailable",
                title="GitHub unavailable",
                detail="GitHub could not check the token.",
            ),
        },
        examples=[
            OpenApiExample("Token", request_only=True, value={"token": "github_pat_11AAAA…"}),
            OpenApiExample("Connection", response_only=True, value=CONNECTION_EXAMPLE),
        ],
    )
    def put(self, request):
        data = s.TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.github_token_set(token=data.validated_data["token"])
        return Response(s.GitHubConnectionSerializer(_connection_body()).data)

    @extend_schema(
        tags=["github"],
        operation_id="github_token_delete",
        summary="Forget the access token",
        responses={204: None, **problem_responses(401, 403)},
    )
    def delete(self, request):
        services.github_token_delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class GitHubInstallationView(TenantAPIView):
    required_capability = "integration.manage"

    @extend_schema(
        tags=["github"],
        operation_id="github_installation_link",
        summary="Link a GitHub App installation",
        description="Links the installation GitHub handed to the App's Setup URL, with the "
        "`code` and `state` that came with it: the state must come from "
        "`POST /api/github/installation/state` by this same user (400 `github_state_invalid`, "
        "`github_state_expired`, `github_state_used`), the code is exchanged for a user token "
        "(400 `github_code_invalid`), and the installation must be one GitHub lists for that "
        "user in `GET /user/installations`, i.e. one they own or administer (403 "
        "`github_installation_forbidden`). An installation linked to another organisation is "
        "409 `github_installation_taken`. A bare installation id is never enough. Its "
        "`installation_repositories` webhooks then add repositories here. Admins only.",
        request=s.InstallationInputSerializer,
        responses={
            200: s.GitHubConnectionSerializer,
            **problem_responses(400, 401, 403, 415),
            **problem_response(
                409,
                "github_installation_taken",
                title="Conflict",
                detail="This GitHub App installation is linked to another organisation.",
            ),
            **problem_response(
                503,
                "github_unavailable",
                title="GitHub unavailable",
                detail="GitHub could not be reached.",
            ),
        },
        examples=[
            OpenApiExample(
                "Link",
                request_only=True,
                value={
                    "installation_id": 957387,
                    "code": "0f3c9a1b2d4e5f60718a",
                    "state": "eyJ0ZW5hbnQiOiIuLi4ifQ:1tL0aB:Zm9v…",
                },
            ),
            OpenApiExample("Connection", response_only=True, value=CONNECTION_EXAMPLE),
        ],
    )
    def put(self, request):
        data = s.InstallationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.github_installation_link(
            tenant=self.tenant,
            user=request.user,
            installation_id=data.validated_data["installation_id"],
            code=data.validated_data["code"],
            state=data.validated_data["state"],
        )
        return Response(s.GitHubConnectionSerializer(_connection_body()).data)

    @extend_schema(
        tags=["github"],
        operation_id="github_installation_unlink",
        summary="Unlink the GitHub App installation",
        responses={204: None, **problem_responses(401, 403)},
    )
    def delete(self, request):
        services.github_installation_unlink(tenant=self.tenant)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GitHubInstallationStateView(TenantAPIView):
    required_capability = "integration.manage"

    @extend_schema(
        tags=["github"],
        operation_id="github_installation_state_create",
        summary="Start linking the GitHub App",
        description="A signed, single-use state bound to this organisation and user, valid "
        "`GITHUB_LINK_STATE_MAX_AGE_SECONDS`, and the App's install URL carrying it. GitHub "
        "sends the installer to the App's Setup URL (`/github/callback/` on the public host) "
        "with `installation_id`, `setup_action`, `code` and this `state`; the dashboard then "
        "links it, or an API client sends them to `PUT /api/github/installation`. 400 "
        "`github_app_not_configured` when the App or its OAuth client is not configured. "
        "Admins only.",
        request=None,
        responses={201: s.InstallLinkSerializer, **problem_responses(400, 401, 403)},
        examples=[
            OpenApiExample(
                "Install link",
                response_only=True,
                value={
                    "state": "eyJ0ZW5hbnQiOiIuLi4ifQ:1tL0aB:Zm9v…",
                    "install_url": "https://github.com/apps/strato/installations/new?state=eyJ0…",
                    "expires_at": "2026-03-02T10:30:00Z",
                },
            )
        ],
    )
    def post(self, request):
        link = services.github_link_state_create(tenant=self.tenant, user=request.user)
        return Response(s.InstallLinkSerializer(link).data, status=status.HTTP_201_CREATED)
