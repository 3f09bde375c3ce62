"""Example environment files (.env.example): weak evidence, placeholders weaker still."""

from __future__ import annotations

import re
from pathlib import Path

from ..signals import PLACEHOLDER_FACTOR, Ecosystem, Kind, Manifest

_ASSIGNMENT = re.compile(
    r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$", re.MULTILINE
)
_PLACEHOLDER = re.compile(
    r"^$|^<.*>$|^\$\{?\w*\}?$|^\[.*\]$|^(x+|\*+|\.\.\.|-+|#+|0+|todo|tbd|none|null|nil|empty|"
    r"changeme|change[-_ ]?me|replace[-_ ]?me|secret|password|token|key|example|dummy|fake|"
    r"placeholder|test|sample|foo|bar)$|your|xxx|change[-_]?me|replace|placeholder|example\.com|"
    r"<[^>]*>|\.\.\.",
    re.IGNORECASE,
)
_URL_SCHEME = re.compile(r"^([a-z][a-z0-9+]*)://", re.IGNORECASE)


def is_placeholder(value: str) -> bool:
    return bool(_PLACEHOLDER.search(value.strip().strip("\"'")))


def parse_env_file(text: str, file: Path) -> Manifest:
    manifest = Manifest()
    for key, value in _ASSIGNMENT.findall(text):
        value = value.split(" #", 1)[0].strip().strip("\"'")
        factor = PLACEHOLDER_FACTOR if is_placeholder(value) else 1.0
        manifest.add(Ecosystem.ENV, key, Kind.ENV_VAR, weight_factor=factor)
        scheme = _URL_SCHEME.match(value)
        if scheme:  # postgres://…, redis://…: a real-looking connection string names its server
            manifest.add(
                Ecosystem.SLUG, scheme.group(1).split("+")[0], Kind.ENV_VAR, weight_factor=factor
            )
    return manifest
