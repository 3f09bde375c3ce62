from django.contrib import admin

from .models import Analysis, GitHubConnection, Repository


@admin.register(Repository)
class RepositoryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "default_branch", "source", "last_analysed_at"]
    list_filter = ["status", "source"]
    search_fields = ["owner", "name"]
    readonly_fields = ["public_id", "github_id", "head_sha", "head_etag", "created_at"]


@admin.register(Analysis)
class AnalysisAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "trigger", "failure_code", "created_at", "finished_at"]
    list_filter = ["status", "trigger", "failure_code"]
    readonly_fields = [field.name for field in Analysis._meta.fields]


@admin.register(GitHubConnection)
class GitHubConnectionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "token_login", "installation_id", "updated_at"]
    # The token never appears in the admin, even encrypted.
    exclude = ["token"]
    readonly_fields = [
        "token_login",
        "token_scopes",
        "token_validated_at",
        "installation_id",
        "installation_account",
    ]
