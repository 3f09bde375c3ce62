"""The technology catalogue: data files under ``data/technologies/`` loaded once into indexes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from .parsers.common import load_data_file
from .signals import Ecosystem, Kind

DATA_DIR = Path(__file__).parent / "data" / "technologies"
RESOLVED_NAMES_CACHED = 8192

CATEGORIES = frozenset(
    {
        "language", "runtime", "framework", "library", "ui", "database", "orm", "search",
        "cache", "queue", "cloud", "hosting", "deployment", "container", "iac", "ci", "tool",
        "build", "linter", "testing", "package-manager", "monitoring", "analytics", "auth",
        "payment", "email", "messaging", "storage", "cms", "ai", "security", "static-site",
        "web-server",
    }
)  # fmt: skip

# Catalogue keys holding dependency names, by the ecosystem they are looked up in.
DEPENDENCY_KEYS: dict[str, Ecosystem] = {
    "npm": Ecosystem.NPM,
    "pypi": Ecosystem.PYPI,
    "rubygems": Ecosystem.RUBYGEMS,
    "composer": Ecosystem.COMPOSER,
    "go": Ecosystem.GO,
    "cargo": Ecosystem.CARGO,
    "maven": Ecosystem.MAVEN,
    "gradle": Ecosystem.GRADLE,
    "nuget": Ecosystem.NUGET,
    "hex": Ecosystem.HEX,
    "docker": Ecosystem.DOCKER,
    "actions": Ecosystem.ACTION,
    "terraform": Ecosystem.TERRAFORM,
    "env": Ecosystem.ENV,
    "commands": Ecosystem.COMMAND,
    "sections": Ecosystem.SECTION,
}
FILE_KEYS: dict[str, Kind] = {"config": Kind.CONFIG_FILE, "files": Kind.FILE_NAME}
KNOWN_KEYS = frozenset(
    {"slug", "name", "category", "aliases", "implies", "readme"} | DEPENDENCY_KEYS.keys()
    | FILE_KEYS.keys()
)  # fmt: skip

# Names too common in prose to count as a README mention.
_README_STOPWORDS = frozenset(
    {"go", "c", "r", "d", "make", "rest", "express", "next", "render", "click", "black", "flow",
     "rich", "mix", "jest", "chef", "salt", "kong", "hugo", "gin", "echo", "fiber", "koa", "ent",
     "vite", "nx", "bun", "deno", "helm", "pulumi", "fly.io", "fly", "ruby", "rust", "java",
     "python", "swift", "dart", "elm", "lua", "perl", "scala", "shell", "bash", "sass", "less",
     "vault", "consul", "nomad", "sentry", "segment", "stripe", "twilio", "resend", "bootstrap",
     "storybook", "turbo", "ember", "svelte", "astro", "remix", "prisma", "mocha", "chai",
     "tailwind", "redux", "celery", "docker", "kubernetes", "terraform", "github-actions"}
)  # fmt: skip


# A client library's version says nothing about the service it talks to (psycopg is not
# PostgreSQL 3.1): for these categories only images and explicit settings give a version.
SERVICE_CATEGORIES = frozenset(
    {"database", "cache", "search", "cloud", "hosting", "storage", "monitoring", "auth",
     "payment", "email", "messaging", "analytics", "ai", "cms", "runtime", "language"}
)  # fmt: skip
PACKAGE_ECOSYSTEMS = frozenset(
    DEPENDENCY_KEYS[key]
    for key in (
        "npm",
        "pypi",
        "rubygems",
        "composer",
        "go",
        "cargo",
        "maven",
        "gradle",
        "nuget",
        "hex",
    )
)


_PYPI_SEPARATORS = re.compile(r"[-_.]+")  # PEP 503 normalisation


def normalise(ecosystem: Ecosystem, name: str) -> str:
    """The comparable form of a dependency name in its ecosystem."""
    if ecosystem is Ecosystem.PYPI:
        return _PYPI_SEPARATORS.sub("-", name).lower()
    if ecosystem is Ecosystem.ENV:
        return name.upper()
    return name.lower()


@dataclass(frozen=True, slots=True)
class Technology:
    slug: str
    name: str
    category: str
    aliases: tuple[str, ...]
    implies: tuple[str, ...]


class Catalogue:
    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self.technologies: dict[str, Technology] = {}
        self._exact: dict[Ecosystem, dict[str, list[str]]] = {e: {} for e in Ecosystem}
        self._prefixes: dict[Ecosystem, list[tuple[str, str]]] = {e: [] for e in Ecosystem}
        # File-name patterns with the technology and kind of evidence they stand for.
        self.file_patterns: list[tuple[str, tuple[str, Kind]]] = []
        # (ecosystem, slug) -> the package whose version is the technology's version.
        self._primary_package: dict[tuple[Ecosystem, str], str] = {}
        readme_terms: dict[str, str] = {}
        for entry in entries:
            technology = self._add(entry)
            if not entry.get("readme", True):
                continue
            for term in (technology.name, *technology.aliases):
                if len(term) >= 3 and term.lower() not in _README_STOPWORDS:
                    readme_terms[term.lower()] = technology.slug
        for ecosystem in Ecosystem:
            self._prefixes[ecosystem].sort(key=lambda item: -len(item[0]))
        self._readme_terms = readme_terms
        # Slug -> what it implies, for the technologies that imply anything (about one in five).
        self.implications = {
            slug: technology.implies
            for slug, technology in self.technologies.items()
            if technology.implies
        }
        alternatives = "|".join(re.escape(t) for t in sorted(readme_terms, key=len, reverse=True))
        self.readme_regex = re.compile(rf"(?<![\w.@/-])({alternatives})(?![\w-])", re.IGNORECASE)
        self._validate()
        # Monorepos repeat the same dependencies in every package.
        self.resolve = lru_cache(maxsize=RESOLVED_NAMES_CACHED)(self._resolve)

    def _add(self, entry: dict[str, Any]) -> Technology:
        unknown = entry.keys() - KNOWN_KEYS
        if unknown:
            raise ValueError(f"{entry.get('slug')}: unknown catalogue keys {sorted(unknown)}")
        slug = entry["slug"]
        if slug in self.technologies:
            raise ValueError(f"duplicate technology slug {slug!r}")
        technology = Technology(
            slug=slug,
            name=entry["name"],
            category=entry["category"],
            aliases=tuple(entry.get("aliases", ())),
            implies=tuple(entry.get("implies", ())),
        )
        self.technologies[slug] = technology
        self._register(Ecosystem.SLUG, slug, slug)
        for alias in technology.aliases:
            self._register(Ecosystem.SLUG, alias, slug)
        for key, ecosystem in DEPENDENCY_KEYS.items():
            names = entry.get(key, ())
            for name in names:
                self._register(ecosystem, name, slug)
            if names and ecosystem in PACKAGE_ECOSYSTEMS:
                self._primary_package[ecosystem, slug] = normalise(ecosystem, names[0])
        for key, kind in FILE_KEYS.items():
            self.file_patterns.extend((pattern, (slug, kind)) for pattern in entry.get(key, ()))
        return technology

    def _register(self, ecosystem: Ecosystem, name: str, slug: str) -> None:
        if name.endswith("*"):
            self._prefixes[ecosystem].append((normalise(ecosystem, name[:-1]), slug))
        else:
            self._exact[ecosystem].setdefault(normalise(ecosystem, name), []).append(slug)

    def _validate(self) -> None:
        for technology in self.technologies.values():
            if technology.category not in CATEGORIES:
                raise ValueError(f"{technology.slug}: unknown category {technology.category!r}")
            for implied in technology.implies:
                if implied not in self.technologies:
                    raise ValueError(f"{technology.slug} implies unknown {implied!r}")

    def lookup(self, ecosystem: Ecosystem, name: str) -> list[str]:
        """Technologies a dependency (or image, action, env var …) name stands for."""
        key = normalise(ecosystem, name)
        exact = self._exact[ecosystem].get(key)
        if exact:
            return exact
        for prefix, slug in self._prefixes[ecosystem]:
            if key.startswith(prefix):
                return [slug]
        if ecosystem is Ecosystem.GO:
            # A package path inside a known module: github.com/aws/aws-sdk-go-v2/service/s3.
            while "/" in key:
                key = key.rsplit("/", 1)[0]
                exact = self._exact[ecosystem].get(key)
                if exact:
                    return exact
        if ecosystem is Ecosystem.DOCKER and "/" in key:
            # bitnami/redis, cimg/python: the last segment names the software.
            return self._exact[ecosystem].get(key.rsplit("/", 1)[1], [])
        return []

    def _resolve(self, ecosystem: Ecosystem, name: str) -> tuple[tuple[str, bool], ...]:
        """The technologies a signal stands for, each with whether the signal's version is
        theirs; a slug that names nothing is looked up as a Docker image."""
        slugs = self.lookup(ecosystem, name)
        if not slugs and ecosystem is Ecosystem.SLUG:
            slugs = self.lookup(Ecosystem.DOCKER, name)
        return tuple((slug, self.gives_version(slug, ecosystem, name)) for slug in slugs)

    def gives_version(self, slug: str, ecosystem: Ecosystem, name: str) -> bool:
        """Whether a signal's version is the technology's own (next@14 is Next.js 14)."""
        if ecosystem in (Ecosystem.SLUG, Ecosystem.DOCKER):
            return True
        if ecosystem not in PACKAGE_ECOSYSTEMS:
            return False  # action refs, provider versions: versions of something else
        if self.technologies[slug].category in SERVICE_CATEGORIES:
            return False
        primary = self._primary_package.get((ecosystem, slug))
        if primary is None:
            return False
        key = normalise(ecosystem, name)
        return key == primary or (primary.endswith("*") and key.startswith(primary[:-1]))

    def readme_mentions(self, text: str) -> set[str]:
        return {self._readme_terms[m.lower()] for m in self.readme_regex.findall(text)}


@cache
def load_catalogue() -> Catalogue:
    entries: list[dict[str, Any]] = []
    for path in sorted(DATA_DIR.glob("*.yaml")):
        entries.extend(load_data_file(path))
    return Catalogue(entries)
