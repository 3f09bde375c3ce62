"""Deployment descriptors: Procfile, app.json, render.yaml, fly.toml, serverless.yml."""

from __future__ import annotations

import re
from pathlib import Path

from ..signals import Ecosystem, Kind, Manifest
from .common import as_dict, as_list, load_json, load_toml, load_yaml
from .containers import add_image

_PROCESS = re.compile(r"^([\w-]+):\s*(.+)$", re.MULTILINE)
_WORD = re.compile(r"[A-Za-z][\w.-]*")
_RUNTIME = re.compile(r"^([a-z]+?)(?:js)?[\d.x]*$")


def parse_procfile(text: str, file: Path) -> Manifest:
    manifest = Manifest()
    for _process, command in _PROCESS.findall(text):
        for word in set(_WORD.findall(command)):
            manifest.add(Ecosystem.COMMAND, word, Kind.COMMAND)
    return manifest


def parse_app_json(text: str, file: Path) -> Manifest:
    data = as_dict(load_json(text))
    manifest = Manifest(project_name=data.get("name"))
    for addon in as_list(data.get("addons")):
        plan = addon if isinstance(addon, str) else as_dict(addon).get("plan", "")
        manifest.add(Ecosystem.SLUG, str(plan).split(":", 1)[0], Kind.CONFIG_SECTION)
    for buildpack in as_list(data.get("buildpacks")):
        url = str(as_dict(buildpack).get("url", ""))
        manifest.add(
            Ecosystem.SLUG,
            url.rsplit("/", 1)[-1].removeprefix("heroku-buildpack-"),
            Kind.CONFIG_SECTION,
        )
    return manifest


def _add_runtime(manifest: Manifest, runtime: object) -> None:
    if isinstance(runtime, str) and (match := _RUNTIME.match(runtime.lower())):
        manifest.add(Ecosystem.SLUG, match.group(1), Kind.CONFIG_SECTION)


def parse_render_yaml(text: str, file: Path) -> Manifest:
    data = as_dict(load_yaml(text))
    manifest = Manifest()
    for service in as_list(data.get("services")):
        service = as_dict(service)
        _add_runtime(manifest, service.get("runtime") or service.get("env"))
        if service.get("type") in ("redis", "keyvalue"):
            manifest.add(Ecosystem.SLUG, "redis", Kind.CONFIG_SECTION)
        add_image(manifest, as_dict(service.get("image")).get("url"))
    if as_list(data.get("databases")):
        manifest.add(Ecosystem.SLUG, "postgresql", Kind.CONFIG_SECTION)
    return manifest


def parse_fly_toml(text: str, file: Path) -> Manifest:
    data = load_toml(text)
    manifest = Manifest(project_name=data.get("app"))
    add_image(manifest, as_dict(data.get("build")).get("image"))
    return manifest


def parse_serverless(text: str, file: Path) -> Manifest:
    data = as_dict(load_yaml(text))
    manifest = Manifest(
        project_name=data.get("service") if isinstance(data.get("service"), str) else None
    )
    provider = as_dict(data.get("provider"))
    if isinstance(provider.get("name"), str):
        manifest.add(Ecosystem.SLUG, provider["name"], Kind.CONFIG_SECTION)
    _add_runtime(manifest, provider.get("runtime"))
    for plugin in as_list(data.get("plugins")):
        if isinstance(plugin, str):
            manifest.add(Ecosystem.NPM, plugin, Kind.DEV_DEPENDENCY)
    return manifest
