"""Helpers shared by the manifest parsers."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from ..signals import ManifestError


class _TolerantLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loader that reads CloudFormation/serverless tags (!Ref, !GetAtt …) as plain values."""


def _construct_unknown_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> object:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]  # the one kind left


_TolerantLoader.add_multi_constructor("!", _construct_unknown_tag)


def load_data_file(path: Path) -> Any:
    """One of the detector's own YAML data files."""
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_TolerantLoader)  # noqa: S506 - a SafeLoader subclass


_PINNED_SPEC = re.compile(
    r"^\s*(?:===?|~=|~>|\^|~|=|v)?\s*(\d+(?:\.\d+){0,3}(?:[-+.][0-9A-Za-z.]+)?)"
)
_VERSION = re.compile(r"\d+(?:\.\d+){0,3}")


def clean_version(spec: object) -> str | None:
    """The version a spec pins or starts from (``^18.2.0`` → ``18.2.0``); None for ranges."""
    if not isinstance(spec, str):
        return None
    match = _PINNED_SPEC.match(spec)
    return match.group(1) if match else None


def tag_version(tag: str) -> str | None:
    """The leading version of an image tag or action ref (``16-alpine`` → ``16``)."""
    match = _VERSION.match(tag.lstrip("v"))
    return match.group(0) if match else None


def load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ManifestError(f"invalid JSON: {error}") from error


def load_toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ManifestError(f"invalid TOML: {error}") from error


def load_yaml_documents(text: str) -> list[Any]:
    try:
        return [document for document in yaml.load_all(text, Loader=_TolerantLoader) if document]
    except yaml.YAMLError as error:
        raise ManifestError(f"invalid YAML: {str(error).splitlines()[0]}") from error


def load_yaml(text: str) -> Any:
    documents = load_yaml_documents(text)
    return documents[0] if documents else None


def as_dict(value: object) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def walk_values(node: object, key: str) -> Iterator[object]:
    """Every value stored under ``key`` anywhere in a nested YAML/JSON structure.

    YAML aliases make the structure a graph: each container is visited once, so a "billion
    laughs" document costs its size, not its expansion.
    """
    stack = [node]
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, dict):
            for name, value in current.items():
                if name == key:
                    yield value
                if isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(current, list):
            stack.extend(item for item in current if isinstance(item, (dict, list)))
