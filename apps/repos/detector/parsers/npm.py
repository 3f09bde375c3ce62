"""npm: package.json and the npm, Yarn and pnpm lockfiles."""

from __future__ import annotations

import re
from pathlib import Path

from ..signals import Ecosystem, Kind, Manifest, ManifestError
from .common import as_dict, clean_version, load_json

DEPENDENCY_FIELDS = {
    "dependencies": Kind.DEPENDENCY,
    "devDependencies": Kind.DEV_DEPENDENCY,
    "peerDependencies": Kind.DEV_DEPENDENCY,
    "optionalDependencies": Kind.DEV_DEPENDENCY,
}
# Top-level package.json keys that configure a tool, matched as "package.json:<key>".
CONFIG_KEYS = ("jest", "eslintConfig", "prettier", "babel", "stylelint", "browserslist",
               "lint-staged", "husky", "ava", "mocha", "c8", "nyc", "xo", "release")  # fmt: skip


def parse_package_json(text: str, file: Path) -> Manifest:
    data = load_json(text)
    if not isinstance(data, dict):
        raise ManifestError("package.json is not an object")
    manifest = Manifest(
        project_name=data.get("name") if isinstance(data.get("name"), str) else None
    )
    for field, kind in DEPENDENCY_FIELDS.items():
        for name, spec in as_dict(data.get(field)).items():
            if isinstance(spec, str) and spec.startswith(("workspace:", "file:", "link:")):
                continue  # a package of the same monorepo, not a third-party dependency
            manifest.add(Ecosystem.NPM, name, kind, clean_version(spec))
    for key in CONFIG_KEYS:
        if key in data:
            manifest.add(Ecosystem.SECTION, f"package.json:{key}", Kind.CONFIG_SECTION)
    if data.get("workspaces"):
        manifest.add(Ecosystem.SECTION, "package.json:workspaces", Kind.CONFIG_SECTION)
    package_manager = data.get("packageManager")
    if isinstance(package_manager, str) and "@" in package_manager:
        name, _, version = package_manager.partition("@")
        manifest.add(Ecosystem.SLUG, name, Kind.CONFIG_SECTION, clean_version(version))
    engines = as_dict(data.get("engines"))
    for engine in ("node", "bun", "deno"):
        if engine in engines:
            manifest.add(
                Ecosystem.SLUG,
                engine,
                Kind.CONFIG_SECTION,
                clean_version(str(engines[engine]).lstrip(">=< ")),
            )
    return manifest


def parse_package_lock(text: str, file: Path) -> Manifest:
    data = as_dict(load_json(text))
    manifest = Manifest()
    for key, entry in as_dict(data.get("packages")).items():
        if "node_modules/" in key:
            name = key.rsplit("node_modules/", 1)[1]
            manifest.add(Ecosystem.NPM, name, Kind.LOCKFILE, as_dict(entry).get("version"))
    for name, entry in as_dict(data.get("dependencies")).items():
        manifest.add(Ecosystem.NPM, name, Kind.LOCKFILE, as_dict(entry).get("version"))
    return manifest


_YARN_ENTRY = re.compile(r'^"?(@?[^@"\s,]+)@[^\n]*:\n\s+version:?\s+"?([^"\s]+)', re.MULTILINE)
_PNPM_ENTRY = re.compile(r"^\s{2}['\"]?/?(@?[^@\s'\"(]+)@(\d[^:(\s'\"]*)", re.MULTILINE)


def parse_yarn_lock(text: str, file: Path) -> Manifest:
    manifest = Manifest()
    for name, version in _YARN_ENTRY.findall(text):
        manifest.add(Ecosystem.NPM, name, Kind.LOCKFILE, version)
    return manifest


def parse_pnpm_lock(text: str, file: Path) -> Manifest:
    manifest = Manifest()
    for name, version in _PNPM_ENTRY.findall(text):
        manifest.add(Ecosystem.NPM, name, Kind.LOCKFILE, version)
    return manifest
