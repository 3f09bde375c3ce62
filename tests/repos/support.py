"""GitHub stubbed at the HTTP layer (`responses`), with tarballs built in memory, for repos tests.

Nothing of ours is mocked: the client, the archive code and the services run for real against
these canned GitHub answers.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import tarfile
import time
from contextlib import contextmanager
from pathlib import Path

from django_tenants.utils import schema_context

from apps.billing.models import UsageCounter
from apps.billing.services import billing_plan_set
from apps.repos.models import Repository
from apps.repos.routing.models import RepositoryRoute
from tests.support.github import API

CODELOAD = "https://codeload.github.com"
FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "github"
SHA_1 = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
SHA_2 = "a10867b14bb761a232cd80139fbd4c0d33264240"
WEBHOOK_SECRET = "whsec-current-2026"

DJANGO_APP = {
    "requirements.txt": "django==5.2.1\npsycopg[binary]==3.2.1\ncelery==5.4.0\n",
    "manage.py": "#!/usr/bin/env python\nimport os\nimport sys\n\nprint(os, sys)\n",
    "app/models.py": "from django.db import models\n\n\nclass Item(models.Model):\n"
    "    name = models.CharField(max_length=10)\n",
}


def fixture_payload(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def build_tarball(
    files: dict[str, bytes | str],
    *,
    top: str = "octo-hello-6113728",
    symlinks: dict[str, str] | None = None,
    raw_names: bool = False,
) -> bytes:
    """A gzip tarball shaped like GitHub's: one top folder, a pax global header."""
    buffer = io.BytesIO()
    with tarfile.open(
        fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT, pax_headers={"comment": SHA_1}
    ) as tar:
        if top:
            info = tarfile.TarInfo(top)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            tar.addfile(info)
        for path, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(path if raw_names or not top else f"{top}/{path}")
            info.size = len(data)
            info.mode = 0o644
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(data))
        for path, target in (symlinks or {}).items():
            info = tarfile.TarInfo(f"{top}/{path}" if top else path)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return buffer.getvalue()


def repo_metadata(
    owner: str = "octo",
    name: str = "hello",
    *,
    default_branch: str = "main",
    repo_id: int = 1296269,
    private: bool = False,
) -> dict:
    return {
        "id": repo_id,
        "name": name,
        "full_name": f"{owner}/{name}",
        "private": private,
        "html_url": f"https://github.com/{owner}/{name}",
        "default_branch": default_branch,
    }


def stub_metadata(rsps, owner="octo", name="hello", **kwargs) -> None:
    rsps.get(f"{API}/repos/{owner}/{name}", json=repo_metadata(owner, name, **kwargs))


def stub_head(
    rsps, owner="octo", name="hello", *, ref="main", sha=SHA_1, etag='W/"head-1"'
) -> None:
    rsps.get(
        f"{API}/repos/{owner}/{name}/commits/{ref}",
        body=sha,
        headers={"ETag": etag},
        content_type="application/vnd.github.sha",
    )


def stub_tarball(rsps, owner="octo", name="hello", *, sha=SHA_1, body: bytes) -> None:
    codeload = f"{CODELOAD}/{owner}/{name}/legacy.tar.gz/{sha}"
    rsps.get(
        f"{API}/repos/{owner}/{name}/tarball/{sha}", status=302, headers={"Location": codeload}
    )
    rsps.get(codeload, body=body, content_type="application/x-gzip")


def stub_repository(
    rsps, owner="octo", name="hello", *, files=None, sha=SHA_1, default_branch="main", **kwargs
) -> None:
    """Metadata, head and tarball of a repository whose default branch is at `sha`."""
    stub_metadata(rsps, owner, name, default_branch=default_branch, **kwargs)
    stub_head(rsps, owner, name, ref=default_branch, sha=sha)
    stub_tarball(
        rsps,
        owner,
        name,
        sha=sha,
        body=build_tarball(files or DJANGO_APP, top=f"{owner}-{name}-{sha[:7]}"),
    )


USER_REPOS_EXAMPLE = Path(__file__).resolve().parent / "fixtures" / "users_repos.json"


def user_repo(
    owner: str,
    name: str,
    *,
    repo_id: int,
    pushed_at: str,
    fork: bool = False,
    archived: bool = False,
    size: int = 108,
    default_branch: str = "main",
) -> dict:
    """One item of `GET /users/{owner}/repos`: GitHub's documented example, renamed."""
    text = USER_REPOS_EXAMPLE.read_text()
    text = text.replace("octocat/Hello-World", f"{owner}/{name}").replace("octocat", owner)
    item = json.loads(text)[0]
    item.update(
        id=repo_id,
        name=name,
        fork=fork,
        archived=archived,
        size=size,
        default_branch=default_branch,
        pushed_at=pushed_at,
    )
    return item


def stub_user_repos(rsps, login: str, repos: list[dict] | None = None, **kwargs) -> None:
    """`GET /users/{login}/repos`: the list given, or any answer (`status=`, `json=`, …)."""
    if repos is not None:
        kwargs["json"] = repos
    rsps.get(f"{API}/users/{login}/repos", **kwargs)


def reset_repositories(*tenants, plan_code: str = "pro") -> None:
    """No repositories, routes or usage left from another test, and the tenants on a plan."""
    for tenant in tenants:
        billing_plan_set(tenant=tenant, plan_code=plan_code)
        with schema_context(tenant.schema_name):
            Repository.objects.all().delete()
    RepositoryRoute.objects.all().delete()
    UsageCounter.objects.all().delete()


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def calls_to(rsps, fragment: str) -> int:
    return sum(1 for call in rsps.calls if fragment in call.request.url)


@contextmanager
def committed(django_capture_on_commit_callbacks):
    """Run what the code under test queued for after commit (tasks), as a commit would."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        yield callbacks


def dumps(payload: dict) -> bytes:
    return json.dumps(payload).encode()
