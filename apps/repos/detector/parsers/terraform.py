"""Terraform: providers, resources, data sources, modules and backends in *.tf files."""

from __future__ import annotations

import re
from pathlib import Path

from ..signals import Ecosystem, Kind, Manifest
from .common import clean_version

_REQUIRED_PROVIDER = re.compile(
    r"^\s*([\w-]+)\s*=\s*\{[^}]*?source\s*=\s*\"([^\"]+)\"(?:[^}]*?version\s*=\s*\"([^\"]+)\")?",
    re.MULTILINE | re.DOTALL,
)
_PROVIDER_BLOCK = re.compile(r"^\s*provider\s+\"([\w-]+)\"", re.MULTILINE)
_RESOURCE = re.compile(r"^\s*(?:resource|data)\s+\"([a-z0-9]+)_([\w]+)\"", re.MULTILINE)
_MODULE_SOURCE = re.compile(r"^\s*source\s*=\s*\"([^\"]+)\"", re.MULTILINE)
_BACKEND = re.compile(r"^\s*backend\s+\"([\w-]+)\"", re.MULTILINE)
_CLOUD_BLOCK = re.compile(r"^\s*cloud\s*\{", re.MULTILINE)
_REGISTRY_MODULE = re.compile(r"^[\w-]+/[\w-]+/([\w-]+)$")


def parse_terraform(text: str, file: Path) -> Manifest:
    manifest = Manifest()
    for _local_name, source, version in _REQUIRED_PROVIDER.findall(text):
        provider = source.rsplit("/", 1)[-1]
        manifest.add(Ecosystem.TERRAFORM, provider, Kind.INFRASTRUCTURE, clean_version(version))
    for provider in _PROVIDER_BLOCK.findall(text):
        manifest.add(Ecosystem.TERRAFORM, provider, Kind.INFRASTRUCTURE)
    for provider, resource in _RESOURCE.findall(text):
        manifest.add(Ecosystem.TERRAFORM, provider, Kind.INFRASTRUCTURE)
        manifest.add(Ecosystem.TERRAFORM, f"{provider}_{resource}", Kind.INFRASTRUCTURE)
    for source in _MODULE_SOURCE.findall(text):
        registry_module = _REGISTRY_MODULE.match(source)
        if registry_module:  # terraform-aws-modules/vpc/aws: the last part is the provider
            manifest.add(Ecosystem.TERRAFORM, registry_module.group(1), Kind.INFRASTRUCTURE)
    for backend in _BACKEND.findall(text):
        manifest.add(Ecosystem.TERRAFORM, f"backend:{backend}", Kind.INFRASTRUCTURE)
    if _CLOUD_BLOCK.search(text):
        manifest.add(Ecosystem.TERRAFORM, "backend:remote", Kind.INFRASTRUCTURE)
    return manifest
