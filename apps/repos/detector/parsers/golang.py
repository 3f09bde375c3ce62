"""Go modules: go.mod."""

from __future__ import annotations

import re
from pathlib import Path

from ..signals import Ecosystem, Kind, Manifest
from .common import clean_version

_MODULE = re.compile(r"^module\s+(\S+)", re.MULTILINE)
_GO_VERSION = re.compile(r"^go\s+(\S+)", re.MULTILINE)
_REQUIRE_BLOCK = re.compile(r"^require\s*\((.*?)^\)", re.MULTILINE | re.DOTALL)
_REQUIRE_LINE = re.compile(r"^require\s+(\S+)\s+(\S+)(.*)$", re.MULTILINE)
_BLOCK_LINE = re.compile(r"^\s*(\S+)\s+(\S+)(.*)$", re.MULTILINE)


def parse_go_mod(text: str, file: Path) -> Manifest:
    module = _MODULE.search(text)
    manifest = Manifest(project_name=module.group(1) if module else None)
    requirements = _REQUIRE_LINE.findall(text)
    for block in _REQUIRE_BLOCK.findall(text):
        requirements.extend(_BLOCK_LINE.findall(block))
    for path, version, comment in requirements:
        if path.startswith("//"):
            continue
        kind = Kind.LOCKFILE if "// indirect" in comment else Kind.DEPENDENCY
        manifest.add(Ecosystem.GO, path, kind, clean_version(version))
    go_version = _GO_VERSION.search(text)
    if go_version:
        manifest.add(Ecosystem.SLUG, "go", Kind.CONFIG_SECTION, clean_version(go_version.group(1)))
    return manifest
