"""Dockerfiles, compose files, Kubernetes manifests and Helm charts."""

from __future__ import annotations

import re
from pathlib import Path

from ..signals import Ecosystem, Kind, Manifest, ManifestError
from .common import as_dict, as_list, load_yaml_documents, tag_version, walk_values

_FROM = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?", re.IGNORECASE | re.MULTILINE)
_ARG = re.compile(r"^\s*ARG\s+(\w+)=(\S+)", re.IGNORECASE | re.MULTILINE)
_VARIABLE = re.compile(r"\$\{?(\w+)(?::?-[^}]*)?\}?")
_TEMPLATED_IMAGE = re.compile(r"^\s*-?\s*image:\s*[\"']?([^\s\"'{}]+)[\"']?\s*$", re.MULTILINE)
_KUBERNETES_DOCUMENT = re.compile(r"^apiVersion:\s*\S+", re.MULTILINE)
_KIND = re.compile(r"^kind:\s*(\w+)", re.MULTILINE)


def split_image(reference: str) -> tuple[str, str | None] | None:
    """(repository without registry, version from the tag) of an image reference."""
    reference = reference.strip().strip("\"'").split("@", 1)[0]
    if not reference or "$" in reference or "{" in reference:
        return None
    name, tag = reference, None
    last_slash = reference.rfind("/")
    colon = reference.rfind(":")
    if colon > last_slash:
        name, tag = reference[:colon], reference[colon + 1 :]
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    # docker.io/library/python, public.ecr.aws/docker/library/python: the official image.
    while len(parts) > 1 and parts[0] in ("docker", "library"):
        parts = parts[1:]
    return "/".join(parts).lower(), tag_version(tag) if tag else None


def add_image(manifest: Manifest, reference: object, kind: Kind = Kind.IMAGE) -> None:
    if isinstance(reference, str) and (image := split_image(reference)):
        manifest.add(Ecosystem.DOCKER, image[0], kind, image[1])


def parse_dockerfile(text: str, file: Path) -> Manifest:
    manifest = Manifest()
    arguments = dict(_ARG.findall(text))
    stages: set[str] = set()
    for reference, stage in _FROM.findall(text):
        reference = _VARIABLE.sub(lambda m: arguments.get(m.group(1), m.group(0)), reference)
        if reference.lower() not in stages and reference != "scratch":
            add_image(manifest, reference)
        if stage:
            stages.add(stage.lower())
    return manifest


def parse_compose(text: str, file: Path) -> Manifest:
    manifest = Manifest()
    for document in load_yaml_documents(text):
        for service in as_dict(as_dict(document).get("services")).values():
            add_image(manifest, as_dict(service).get("image"))
    return manifest


def images_in(document: object) -> list[str]:
    """Image references in Kubernetes objects and Helm values (``image: {repository, tag}``)."""
    found = []
    for value in walk_values(document, "image"):
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict) and isinstance(value.get("repository"), str):
            tag = value.get("tag")
            found.append(
                value["repository"] + (f":{tag}" if isinstance(tag, (str, int, float)) else "")
            )
    return found


def looks_like_kubernetes(text: str) -> bool:
    return bool(_KUBERNETES_DOCUMENT.search(text) and _KIND.search(text))


def parse_kubernetes(text: str, file: Path) -> Manifest:
    manifest = Manifest()
    try:
        documents = load_yaml_documents(text)
    except ManifestError:
        if "{{" not in text:
            raise
        # A Helm template is not YAML until rendered; read what is literal.
        for kind in _KIND.findall(text):
            manifest.add(Ecosystem.SLUG, "kubernetes", Kind.CONFIG_FILE)
            manifest.add(Ecosystem.SECTION, f"kubernetes:{kind}", Kind.CONFIG_FILE)
        for reference in _TEMPLATED_IMAGE.findall(text):
            add_image(manifest, reference)
        return manifest
    for document in documents:
        document = as_dict(document)
        if "apiVersion" in document and "kind" in document:
            manifest.add(Ecosystem.SLUG, "kubernetes", Kind.CONFIG_FILE)
            manifest.add(Ecosystem.SECTION, f"kubernetes:{document['kind']}", Kind.CONFIG_FILE)
            for reference in images_in(document):
                add_image(manifest, reference)
    return manifest


def parse_helm_chart(text: str, file: Path) -> Manifest:
    documents = load_yaml_documents(text)
    chart = as_dict(documents[0]) if documents else {}
    manifest = Manifest(project_name=chart.get("name"))
    for dependency in as_list(chart.get("dependencies")):
        manifest.add(
            Ecosystem.SLUG,
            str(as_dict(dependency).get("name", "")),
            Kind.DEPENDENCY,
            tag_version(str(as_dict(dependency).get("version", ""))),
        )
    return manifest


def parse_helm_values(text: str, file: Path) -> Manifest:
    manifest = Manifest()
    for document in load_yaml_documents(text):
        for reference in images_in(document):
            add_image(manifest, reference)
    return manifest
