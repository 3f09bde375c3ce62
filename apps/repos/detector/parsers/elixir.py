"""Hex: the deps list of mix.exs."""

from __future__ import annotations

import re
from pathlib import Path

from ..signals import Ecosystem, Kind, Manifest
from .common import clean_version

_DEPENDENCY = re.compile(r"\{\s*:(\w+)\s*,\s*(?:\"([^\"]*)\")?([^}]*)\}")
_APP = re.compile(r"\bapp:\s*:(\w+)")


def parse_mix_exs(text: str, file: Path) -> Manifest:
    app = _APP.search(text)
    manifest = Manifest(project_name=app.group(1) if app else None)
    for name, version, options in _DEPENDENCY.findall(text):
        kind = Kind.DEV_DEPENDENCY if "only:" in options else Kind.DEPENDENCY
        manifest.add(Ecosystem.HEX, name, kind, clean_version(version))
    return manifest
