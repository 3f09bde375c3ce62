"""Cargo: Cargo.toml and Cargo.lock."""

from __future__ import annotations

from pathlib import Path

from ..signals import Ecosystem, Kind, Manifest
from .common import as_dict, as_list, clean_version, load_toml

DEPENDENCY_TABLES = {
    "dependencies": Kind.DEPENDENCY,
    "dev-dependencies": Kind.DEV_DEPENDENCY,
    "build-dependencies": Kind.DEV_DEPENDENCY,
}


def _add_table(manifest: Manifest, table: object, kind: Kind) -> None:
    for name, spec in as_dict(table).items():
        spec_table = as_dict(spec)
        real_name = spec_table.get("package", name)  # renamed dependency
        version = spec if isinstance(spec, str) else spec_table.get("version")
        manifest.add(Ecosystem.CARGO, real_name, kind, clean_version(version))


def parse_cargo_toml(text: str, file: Path) -> Manifest:
    data = load_toml(text)
    manifest = Manifest(project_name=as_dict(data.get("package")).get("name"))
    for table, kind in DEPENDENCY_TABLES.items():
        _add_table(manifest, data.get(table), kind)
    for target in as_dict(data.get("target")).values():
        for table, kind in DEPENDENCY_TABLES.items():
            _add_table(manifest, as_dict(target).get(table), kind)
    _add_table(manifest, as_dict(data.get("workspace")).get("dependencies"), Kind.DEPENDENCY)
    return manifest


def parse_cargo_lock(text: str, file: Path) -> Manifest:
    manifest = Manifest()
    for package in as_list(load_toml(text).get("package")):
        package = as_dict(package)
        manifest.add(
            Ecosystem.CARGO, str(package.get("name", "")), Kind.LOCKFILE, package.get("version")
        )
    return manifest
