"""Parsing the ways people write a GitHub repository or account (no network, no Django)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

GITHUB_HOSTS = {"github.com", "www.github.com"}
_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_SCP = re.compile(r"^(?:[\w.-]+@)?(?P<host>[\w.-]+):(?P<path>(?!//)[^\s]+)$")
# First path segments of github.com that are pages, not accounts.
_RESERVED_OWNERS = {
    "settings",
    "orgs",
    "organizations",
    "marketplace",
    "explore",
    "topics",
    "trending",
    "collections",
    "sponsors",
    "notifications",
    "login",
    "logout",
    "join",
    "new",
    "apps",
    "features",
    "pricing",
    "about",
    "site",
    "security",
    "enterprise",
    "search",
    "pulls",
    "issues",
    "codespaces",
    "users",
    "repos",
}


class InvalidRepositoryURL(ValueError):
    """Input that does not name a GitHub repository; `code` is stable for clients."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class RepoRef:
    owner: str
    name: str
    ref: str = ""
    path: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def parse_repository_url(value: str) -> RepoRef:
    """Any way people write a GitHub repository, as (owner, name, ref, path).

    Accepts `https://github.com/o/r`, `http://…`, `github.com/o/r`, a `.git` suffix, trailing
    slashes, `/tree/<branch>/<path>` and `/blob/<branch>/<path>` (the first segment after
    `tree` is taken as the branch), `git@github.com:o/r.git`, `ssh://git@github.com/o/r.git`,
    `git://github.com/o/r.git`, and the short `o/r`.
    """
    text = (value or "").strip()
    if not text:
        raise InvalidRepositoryURL(
            "Enter a GitHub repository URL or owner/name.", code="repository_url_required"
        )
    if len(text) > 500 or any(ch.isspace() for ch in text):
        raise InvalidRepositoryURL("This is not a repository URL.", code="github_url_invalid")

    host, path = _split_host_and_path(text)
    if host is not None and host.lower() not in GITHUB_HOSTS:
        raise InvalidRepositoryURL(
            f"Only github.com repositories can be analysed, not {host.lower()}.",
            code="not_github_url",
        )
    segments = [segment for segment in path.split("/") if segment]
    if len(segments) < 2:
        raise InvalidRepositoryURL(
            "The URL names a GitHub account but no repository; use "
            "https://github.com/<owner>/<repository>.",
            code="github_url_incomplete",
        )
    owner, name = segments[0], segments[1]
    if name.lower().endswith(".git"):
        name = name[:-4]
    if (
        owner.lower() in _RESERVED_OWNERS
        or not _OWNER.match(owner)
        or not _NAME.match(name)
        or name in {".", ".."}
    ):
        raise InvalidRepositoryURL(
            f"{owner}/{name} is not a valid GitHub repository name.", code="github_url_invalid"
        )
    ref, subpath = "", ""
    rest = segments[2:]
    if rest:
        if host is None and not text.startswith(("git@", "ssh:", "git:")) and "." not in text:
            # "owner/name/extra" without a host is not a form anyone writes.
            raise InvalidRepositoryURL(
                "Use owner/name or a full GitHub URL.", code="github_url_invalid"
            )
        if rest[0] in {"tree", "blob"} and len(rest) >= 2:
            ref, subpath = rest[1], "/".join(rest[2:])
    return RepoRef(owner=owner, name=name, ref=ref, path=subpath)


def parse_account(value: str) -> str:
    """The GitHub login a username or profile URL names.

    Accepts `octocat`, `@octocat`, `https://github.com/octocat` (with or without scheme,
    trailing slash or query) and raises `InvalidRepositoryURL` for anything else, so a login
    is safe to put in an API path.
    """
    text = (value or "").strip().removeprefix("@")
    if not text or len(text) > 500 or any(ch.isspace() for ch in text):
        raise InvalidRepositoryURL("Enter a GitHub username.", code="github_account_invalid")
    if any(ch in text for ch in "/.:"):
        host, path = _split_host_and_path(text)
        if host is None or host.lower() not in GITHUB_HOSTS:
            raise InvalidRepositoryURL(
                "This is not a GitHub profile URL.", code="github_account_invalid"
            )
        segments = [segment for segment in path.split("/") if segment]
        if len(segments) != 1:
            raise InvalidRepositoryURL(
                "This is not a GitHub profile URL.", code="github_account_invalid"
            )
        text = segments[0]
    if not _OWNER.match(text) or text.lower() in _RESERVED_OWNERS:
        raise InvalidRepositoryURL(
            f"{text} is not a valid GitHub username.", code="github_account_invalid"
        )
    return text


def parse_account_or_repository(value: str) -> RepoRef | str:
    """A repository (`RepoRef`) or, for a username or profile URL, the account's login."""
    try:
        return parse_repository_url(value)
    except InvalidRepositoryURL as exc:
        if exc.code != "github_url_incomplete":
            raise
    return parse_account(value)


def _split_host_and_path(text: str) -> tuple[str | None, str]:
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme.lower() not in {"http", "https", "ssh", "git", "git+ssh"}:
            raise InvalidRepositoryURL(
                f"Unsupported URL scheme {parts.scheme!r}.", code="github_url_invalid"
            )
        if not parts.hostname:
            raise InvalidRepositoryURL("The URL has no host.", code="github_url_invalid")
        return parts.hostname, parts.path
    scp = _SCP.match(text)
    if scp and "." in scp["host"]:
        return scp["host"], scp["path"]
    first, _, rest = text.partition("/")
    if "." in first:  # github.com/owner/name without a scheme
        return first.split("@")[-1], rest.split("?")[0].split("#")[0]
    if ":" in text:
        raise InvalidRepositoryURL("This is not a repository URL.", code="github_url_invalid")
    return None, text
