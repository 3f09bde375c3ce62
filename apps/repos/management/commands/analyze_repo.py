"""`manage.py analyze_repo <path-or-github-url> [--json]`.

A local path is analysed in place: no network, no database. A GitHub URL is downloaded through
the same client and limits as the service (token from `--token` or `GITHUB_TOKEN`), without
touching the database either.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.repos import github
from apps.repos.archive import ArchiveLimits, ArchiveRejected, extract_tarball
from apps.repos.detector import analyse


class Command(BaseCommand):
    help = "Detect the technology stack of a local folder or a GitHub repository."
    requires_system_checks: list = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("target", help="A folder, or any form of GitHub repository URL.")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument(
            "--token",
            default=os.environ.get("GITHUB_TOKEN", ""),
            help="GitHub token for private repositories (default $GITHUB_TOKEN).",
        )

    def handle(self, *args, target: str, json: bool, token: str, **options):
        path = Path(target).expanduser()
        if path.is_dir():
            report = analyse(path).to_dict()
            label = str(path)
        elif path.exists():
            raise CommandError(f"{target} is a file; give a folder or a GitHub URL.")
        else:
            report, label = self._remote(target, token)
        report.pop("path", None)
        if json:
            self.stdout.write(_dumps(report))
        else:
            self._print(label, report)

    def _remote(self, target: str, token: str) -> tuple[dict, str]:
        try:
            ref = github.parse_repository_url(target)
        except github.InvalidRepositoryURL as exc:
            raise CommandError(
                f"{target} is neither a folder nor a GitHub repository: {exc} ({exc.code})"
            ) from exc
        client = github.GitHubClient(token=token)
        limits = ArchiveLimits.from_settings()
        try:
            metadata = client.repository(ref.owner, ref.name)
            head = client.head(ref.owner, ref.name, ref.ref or metadata["default_branch"])
            with tempfile.TemporaryDirectory(prefix="strato-cli-") as workdir:
                archive = Path(workdir) / "archive.tar.gz"
                client.download_tarball(
                    ref.owner, ref.name, head.sha, archive, max_bytes=limits.max_bytes
                )
                extracted = extract_tarball(archive, Path(workdir) / "src", limits)
                report = analyse(extracted.root).to_dict()
        except (github.GitHubError, ArchiveRejected) as exc:
            raise CommandError(f"{exc} ({exc.code})") from exc
        except github.GitHubTransientError as exc:
            raise CommandError(f"GitHub is unavailable: {exc}") from exc
        return report, f"{ref.full_name}@{head.sha[:7]}"

    def _print(self, label: str, report: dict) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING(label))
        self.stdout.write("Languages:")
        for language in report["languages"]:
            self.stdout.write(
                f"  {language['name']:<20} {language['share'] * 100:5.1f}%  "
                f"{language['files']} files"
            )
        self.stdout.write("Technologies:")
        for item in sorted(
            report["technologies"], key=lambda item: (item["category"], -item["confidence"])
        ):
            version = f" {item['version']}" if item.get("version") else ""
            self.stdout.write(
                f"  {item['category']:<16} {item['name']}{version} ({item['confidence']:.2f})"
            )
        if len(report["components"]) > 1:
            self.stdout.write("Components:")
            for component in report["components"]:
                self.stdout.write(f"  {component['path']}  {component['name']}")
        for warning in report.get("warnings", []):
            self.stdout.write(self.style.WARNING(f"warning: {warning}"))


def _dumps(report: dict) -> str:
    return json.dumps(report, indent=2, sort_keys=False)
