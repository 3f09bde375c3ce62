"""Database settings that name the server: Prisma schemas and Rails database.yml."""

from __future__ import annotations

import re
from pathlib import Path

from ..signals import Ecosystem, Kind, Manifest
from .common import as_dict, load_yaml

_PRISMA_DATASOURCE = re.compile(r"datasource\s+\w+\s*\{[^}]*?provider\s*=\s*\"(\w+)\"", re.DOTALL)
# Adapter and provider names as written, where they differ from a catalogue slug or alias.
_ADAPTERS = {"mysql2": "mysql", "trilogy": "mysql", "sqlite3": "sqlite", "sqlserver": "sql-server",
             "postgis": "postgresql"}  # fmt: skip


def parse_prisma_schema(text: str, file: Path) -> Manifest:
    manifest = Manifest()
    for provider in _PRISMA_DATASOURCE.findall(text):
        manifest.add(Ecosystem.SLUG, _ADAPTERS.get(provider, provider), Kind.CONFIG_SECTION)
    return manifest


def parse_rails_database_yml(text: str, file: Path) -> Manifest:
    # ERB tags (<%= ENV[...] %>) are not YAML; blank them so the adapters can still be read.
    document = as_dict(load_yaml(re.sub(r"<%.*?%>", "", text)))
    manifest = Manifest()
    for environment in document.values():
        adapter = as_dict(environment).get("adapter")
        if isinstance(adapter, str):
            manifest.add(Ecosystem.SLUG, _ADAPTERS.get(adapter, adapter), Kind.CONFIG_SECTION)
    return manifest
