"""Composer: composer.json and composer.lock."""

from __future__ import annotations

from pathlib import Path

from ..signals import Ecosystem, Kind, Manifest
from .common import as_dict, as_list, clean_version, load_json


def parse_composer_json(text: str, file: Path) -> Manifest:
    data = as_dict(load_json(text))
    manifest = Manifest(project_name=data.get("name"))
    for field, kind in (("require", Kind.DEPENDENCY), ("require-dev", Kind.DEV_DEPENDENCY)):
        for name, spec in as_dict(data.get(field)).items():
            if name == "php":
                manifest.add(
                    Ecosystem.SLUG,
                    "php",
                    Kind.CONFIG_SECTION,
                    clean_version(str(spec).lstrip(">=")),
                )
            elif "/" in name:  # ext-* and lib-* are platform packages
                manifest.add(Ecosystem.COMPOSER, name, kind, clean_version(spec))
    return manifest


def parse_composer_lock(text: str, file: Path) -> Manifest:
    data = as_dict(load_json(text))
    manifest = Manifest()
    for section in ("packages", "packages-dev"):
        for package in as_list(data.get(section)):
            package = as_dict(package)
            manifest.add(
                Ecosystem.COMPOSER,
                str(package.get("name", "")),
                Kind.LOCKFILE,
                clean_version(package.get("version")),
            )
    return manifest
