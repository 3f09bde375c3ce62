"""What parsers emit, and how much each kind of observation is worth.

A parser never decides which technology it saw: it reports a ``Signal`` (an npm dependency, a
Docker image, a GitHub Action …) and the catalogue maps it to a technology. The weights encode
the evidence order the design asks for: a direct dependency outweighs a config file, which
outweighs a file name, which outweighs a README mention.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from operator import attrgetter
from typing import TypeVar

DataClass = TypeVar("DataClass", bound=type)


class Kind(StrEnum):
    DEPENDENCY = "dependency"
    DEV_DEPENDENCY = "dev-dependency"
    IMAGE = "image"
    INFRASTRUCTURE = "infrastructure"
    CI_ACTION = "ci-action"
    CONFIG_FILE = "config-file"
    CONFIG_SECTION = "config-section"
    COMMAND = "command"
    FILE_NAME = "file-name"
    SOURCE_FILES = "source-files"
    LOCKFILE = "lockfile"
    ENV_VAR = "env-var"
    README = "readme"
    IMPLIED = "implied"


WEIGHTS: dict[Kind, float] = {
    Kind.DEPENDENCY: 0.9,
    Kind.DEV_DEPENDENCY: 0.85,
    Kind.IMAGE: 0.85,
    Kind.INFRASTRUCTURE: 0.85,
    Kind.CI_ACTION: 0.8,
    Kind.CONFIG_FILE: 0.75,
    Kind.CONFIG_SECTION: 0.75,
    Kind.COMMAND: 0.6,
    Kind.FILE_NAME: 0.5,
    Kind.SOURCE_FILES: 0.5,
    Kind.LOCKFILE: 0.25,
    Kind.ENV_VAR: 0.2,
    Kind.README: 0.1,
}

# Kinds that can never prove a technology on their own, whatever their number.
WEAK_KINDS = frozenset({Kind.LOCKFILE, Kind.ENV_VAR, Kind.README})

# Evidence found in docs/ or examples/ keeps this fraction of its weight and counts as weak.
WEAK_LOCATION_FACTOR = 0.3

# Placeholder values in .env.example files are worth even less than a real-looking value.
PLACEHOLDER_FACTOR = 0.5

REPORT_THRESHOLD = 0.5
WEAK_ONLY_CAP = 0.45


class Ecosystem(StrEnum):
    NPM = "npm"
    PYPI = "pypi"
    RUBYGEMS = "rubygems"
    COMPOSER = "composer"
    GO = "go"
    CARGO = "cargo"
    MAVEN = "maven"
    GRADLE = "gradle"
    NUGET = "nuget"
    HEX = "hex"
    DOCKER = "docker"
    ACTION = "actions"
    TERRAFORM = "terraform"
    ENV = "env"
    COMMAND = "commands"
    SECTION = "sections"
    SLUG = "slug"


def pickled_as_call(cls: DataClass) -> DataClass:
    """Pickle a slots dataclass as a call of its constructor with its fields: the state methods
    dataclasses give slots classes are Python code, and the split walk pickles thousands."""
    getter = attrgetter(*(f.name for f in fields(cls)))
    single = len(fields(cls)) == 1

    def __reduce__(self: object) -> tuple[DataClass, tuple[object, ...]]:
        values = getter(self)
        return cls, (values,) if single else values

    cls.__reduce__ = __reduce__  # type: ignore[method-assign,assignment]  # replaced on purpose
    return cls


@pickled_as_call
@dataclass(slots=True)  # not frozen: made by the thousand, and frozen init is slow
class Signal:
    """One fact read from a file, still to be mapped to a technology by the catalogue."""

    ecosystem: Ecosystem
    name: str
    kind: Kind
    version: str | None = None
    weight_factor: float = 1.0


@pickled_as_call
@dataclass(slots=True)
class Manifest:
    """What a parser extracted from one file."""

    signals: list[Signal] = field(default_factory=list)
    project_name: str | None = None

    def add(
        self,
        ecosystem: Ecosystem,
        name: str,
        kind: Kind = Kind.DEPENDENCY,
        version: str | None = None,
        weight_factor: float = 1.0,
    ) -> None:
        if name:
            self.signals.append(Signal(ecosystem, name, kind, version, weight_factor))


class ManifestError(ValueError):
    """A manifest could not be parsed; the engine records it as a warning and carries on."""


def combine(weights: list[float]) -> float:
    """Independent pieces of evidence combine as 1 - Π(1 - w)."""
    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - weight
    return 1.0 - remaining
