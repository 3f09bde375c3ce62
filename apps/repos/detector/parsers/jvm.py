"""Maven (pom.xml) and Gradle (Groovy DSL, Kotlin DSL, version catalogues)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

from ..signals import Ecosystem, Kind, Manifest, ManifestError
from .common import as_dict, clean_version, load_toml

_PROPERTY = re.compile(r"\$\{([^}]+)\}")


def parse_xml(text: str) -> ElementTree.Element:
    """Parse untrusted XML with namespaces stripped; DTDs (entity expansion) are refused."""
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ManifestError("XML with a DTD is not parsed")
    try:
        root = ElementTree.fromstring(text)  # noqa: S314 - DTDs refused above, no entities left
    except ElementTree.ParseError as error:
        raise ManifestError(f"invalid XML: {error}") from error
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.rsplit("}", 1)[1]
    return root


def parse_pom(text: str, file: Path) -> Manifest:
    root = parse_xml(text)
    properties = {child.tag: (child.text or "").strip() for child in root.findall("properties/*")}

    def resolve(value: str | None) -> str | None:
        if value is None:
            return None
        return _PROPERTY.sub(lambda m: properties.get(m.group(1), m.group(0)), value.strip())

    manifest = Manifest(project_name=resolve(root.findtext("artifactId")))
    parent = root.find("parent")
    if parent is not None:
        coordinates = f"{parent.findtext('groupId')}:{parent.findtext('artifactId')}"
        manifest.add(
            Ecosystem.MAVEN,
            coordinates,
            Kind.DEPENDENCY,
            clean_version(resolve(parent.findtext("version"))),
        )
    for path, kind in (
        (".//dependencies/dependency", Kind.DEPENDENCY),
        (".//plugins/plugin", Kind.DEV_DEPENDENCY),
        (".//extensions/extension", Kind.DEV_DEPENDENCY),
    ):
        for dependency in root.findall(path):
            group = resolve(dependency.findtext("groupId")) or "org.apache.maven.plugins"
            artifact = resolve(dependency.findtext("artifactId"))
            if not artifact:
                continue
            scope = dependency.findtext("scope")
            dependency_kind = Kind.DEV_DEPENDENCY if scope == "test" else kind
            manifest.add(
                Ecosystem.MAVEN,
                f"{group}:{artifact}",
                dependency_kind,
                clean_version(resolve(dependency.findtext("version"))),
            )
    java = properties.get("java.version") or properties.get("maven.compiler.source")
    if java:
        manifest.add(Ecosystem.SLUG, "java", Kind.CONFIG_SECTION, clean_version(java))
    return manifest


_CONFIGURATIONS = (
    r"(?:implementation|api|compile|compileOnly|runtimeOnly|annotationProcessor|kapt|ksp"
    r"|testImplementation|testRuntimeOnly|testCompileOnly|androidTestImplementation"
    r"|developmentOnly|classpath|platform|enforcedPlatform)"
)
_GRADLE_STRING_DEPENDENCY = re.compile(
    rf"\b({_CONFIGURATIONS})\s*\(?\s*(?:platform\s*\(\s*)?[\"']([\w.\-]+):([\w.\-]+)(?::([^\"'@:]+))?"
)
_GRADLE_MAP_DEPENDENCY = re.compile(
    rf"\b({_CONFIGURATIONS})\s*\(?\s*group\s*[:=]\s*[\"']([\w.\-]+)[\"']\s*,\s*name\s*[:=]\s*"
    r"[\"']([\w.\-]+)[\"'](?:\s*,\s*version\s*[:=]\s*[\"']([^\"']+)[\"'])?"
)
_GRADLE_PLUGIN = re.compile(
    r"""\bid\s*\(?\s*["']([\w.\-]+)["']\s*\)?(?:\s*version\s*\(?\s*["']([^"']+)["'])?"""
)
_GRADLE_KOTLIN_PLUGIN = re.compile(r"""\bkotlin\s*\(\s*["']([\w.\-]+)["']\s*\)""")
_GRADLE_APPLY_PLUGIN = re.compile(r"""\bapply\s+plugin\s*:\s*["']([\w.\-]+)["']""")
_GRADLE_CATALOGUE_ALIAS = re.compile(r"\b(?:alias|id)\s*\(\s*libs\.plugins\.([\w.]+)\s*\)")


def parse_gradle(text: str, file: Path) -> Manifest:
    manifest = Manifest()
    for regex in (_GRADLE_STRING_DEPENDENCY, _GRADLE_MAP_DEPENDENCY):
        for configuration, group, artifact, version in regex.findall(text):
            kind = (
                Kind.DEV_DEPENDENCY
                if configuration.startswith(("test", "android"))
                else (Kind.DEPENDENCY)
            )
            manifest.add(Ecosystem.MAVEN, f"{group}:{artifact}", kind, clean_version(version))
    for plugin, version in _GRADLE_PLUGIN.findall(text):
        manifest.add(Ecosystem.GRADLE, plugin, Kind.DEPENDENCY, clean_version(version))
    for plugin in _GRADLE_KOTLIN_PLUGIN.findall(text):
        manifest.add(Ecosystem.GRADLE, f"org.jetbrains.kotlin.{plugin}", Kind.DEPENDENCY)
    for plugin in _GRADLE_APPLY_PLUGIN.findall(text):
        manifest.add(Ecosystem.GRADLE, plugin, Kind.DEPENDENCY)
    return manifest


def parse_version_catalogue(text: str, file: Path) -> Manifest:
    """gradle/libs.versions.toml: [libraries] and [plugins] with version references."""
    data = load_toml(text)
    versions = {key: value for key, value in as_dict(data.get("versions")).items()
                if isinstance(value, str)}  # fmt: skip
    manifest = Manifest()

    def version_of(entry: dict[str, Any]) -> str | None:
        version = entry.get("version")
        if isinstance(version, dict):
            version = versions.get(version.get("ref", ""))
        return clean_version(version)

    for entry in as_dict(data.get("libraries")).values():
        if isinstance(entry, str):
            group, _, rest = entry.partition(":")
            artifact, _, version = rest.partition(":")
            manifest.add(
                Ecosystem.MAVEN, f"{group}:{artifact}", Kind.DEPENDENCY, clean_version(version)
            )
            continue
        entry = as_dict(entry)
        module = entry.get("module") or f"{entry.get('group')}:{entry.get('name')}"
        manifest.add(Ecosystem.MAVEN, module, Kind.DEPENDENCY, version_of(entry))
    for entry in as_dict(data.get("plugins")).values():
        if isinstance(entry, str):
            plugin, _, version = entry.partition(":")
            manifest.add(Ecosystem.GRADLE, plugin, Kind.DEPENDENCY, clean_version(version))
        else:
            entry = as_dict(entry)
            manifest.add(Ecosystem.GRADLE, entry.get("id", ""), Kind.DEPENDENCY, version_of(entry))
    return manifest
