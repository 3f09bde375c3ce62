"""CI configuration: GitHub Actions, GitLab CI, CircleCI, Travis CI and image-based pipelines."""

from __future__ import annotations

from pathlib import Path

from ..signals import Ecosystem, Kind, Manifest
from .common import as_dict, as_list, load_yaml, tag_version, walk_values
from .containers import add_image

# A database started as a CI service proves the tests need it, a little less than production use.
CI_SERVICE_FACTOR = 0.9


def parse_github_workflow(text: str, file: Path) -> Manifest:
    """A workflow (jobs.*.steps[].uses) or a composite action (runs.steps[].uses)."""
    document = as_dict(load_yaml(text))
    manifest = Manifest()
    for uses in walk_values(document, "uses"):
        if not isinstance(uses, str) or uses.startswith("./"):
            continue
        if uses.startswith("docker://"):
            add_image(manifest, uses.removeprefix("docker://"))
            continue
        action, _, ref = uses.partition("@")
        manifest.add(Ecosystem.ACTION, action, Kind.CI_ACTION, tag_version(ref) if ref else None)
        owner_repo = "/".join(action.split("/")[:2])
        if owner_repo != action:  # github/codeql-action/init counts as github/codeql-action too
            manifest.add(Ecosystem.ACTION, owner_repo, Kind.CI_ACTION)
    for job in as_dict(document.get("jobs")).values():
        job = as_dict(job)
        container = job.get("container")
        add_image(
            manifest, as_dict(container).get("image") if isinstance(container, dict) else container
        )
        for service in as_dict(job.get("services")).values():
            image = as_dict(service).get("image")
            if isinstance(image, str):
                _add_service_image(manifest, image)
    return manifest


def _add_service_image(manifest: Manifest, reference: str) -> None:
    before = len(manifest.signals)
    add_image(manifest, reference)
    if len(manifest.signals) > before:
        signal = manifest.signals.pop()
        manifest.add(signal.ecosystem, signal.name, signal.kind, signal.version, CI_SERVICE_FACTOR)


def parse_image_pipeline(text: str, file: Path) -> Manifest:
    """GitLab CI, Bitbucket Pipelines, Drone, Woodpecker, Azure: `image:` and `services:`."""
    document = load_yaml(text)
    manifest = Manifest()
    for image in walk_values(document, "image"):
        add_image(manifest, image if isinstance(image, str) else as_dict(image).get("name"))
    for services in walk_values(document, "services"):
        for service in as_list(services):
            reference = service if isinstance(service, str) else as_dict(service).get("name")
            if isinstance(reference, str):
                _add_service_image(manifest, reference)
    return manifest


def parse_circleci(text: str, file: Path) -> Manifest:
    document = as_dict(load_yaml(text))
    manifest = Manifest()
    for executors in walk_values(document, "docker"):
        for executor in as_list(executors):
            add_image(manifest, as_dict(executor).get("image"))
    for orb in as_dict(document.get("orbs")).values():
        if isinstance(orb, str):
            name, _, version = orb.partition("@")
            manifest.add(Ecosystem.ACTION, f"orb:{name}", Kind.CI_ACTION, tag_version(version))
    return manifest


def parse_travis(text: str, file: Path) -> Manifest:
    document = as_dict(load_yaml(text))
    manifest = Manifest()
    language = document.get("language")
    if isinstance(language, str):
        manifest.add(Ecosystem.SLUG, language, Kind.CONFIG_SECTION)
    for service in as_list(document.get("services")):
        if isinstance(service, str):
            manifest.add(
                Ecosystem.SLUG, service, Kind.CONFIG_SECTION, weight_factor=CI_SERVICE_FACTOR
            )
    return manifest
