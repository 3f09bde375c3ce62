"""NuGet: SDK-style project files, packages.config and central package management."""

from __future__ import annotations

import re
from pathlib import Path

from ..signals import Ecosystem, Kind, Manifest
from .common import clean_version
from .jvm import parse_xml

_TARGET_FRAMEWORK = re.compile(r"net(?:coreapp)?(\d+(?:\.\d+)?)")


def parse_project_file(text: str, file: Path) -> Manifest:
    """*.csproj, *.fsproj, *.vbproj, Directory.Packages.props and packages.config."""
    root = parse_xml(text)
    manifest = Manifest(project_name=file.stem if file.suffix.endswith("proj") else None)
    sdk = root.get("Sdk")
    if sdk:
        manifest.add(Ecosystem.NUGET, sdk, Kind.DEPENDENCY)
    for tag in ("PackageReference", "PackageVersion", "package"):
        for reference in root.iter(tag):
            name = reference.get("Include") or reference.get("Update") or reference.get("id")
            version = (
                reference.get("Version")
                or reference.get("version")
                or reference.findtext("Version")
            )
            manifest.add(Ecosystem.NUGET, name or "", Kind.DEPENDENCY, clean_version(version))
    framework = root.findtext(".//TargetFramework") or root.findtext(".//TargetFrameworks") or ""
    target = _TARGET_FRAMEWORK.match(framework.strip())
    if target:
        manifest.add(Ecosystem.SLUG, ".net", Kind.CONFIG_SECTION, target.group(1))
    return manifest
