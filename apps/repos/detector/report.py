"""The analysis result: plain dataclasses that serialise to JSON with ``to_dict()``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)  # not frozen: made by the thousand, and frozen init is slow
class Evidence:
    """One observation supporting a detection: where it was seen and what matched."""

    file: str
    kind: str
    match: str
    weight: float
    weak: bool = False


@dataclass(slots=True)
class Detection:
    slug: str
    name: str
    category: str
    confidence: float
    version: str | None = None
    components: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LanguageShare:
    name: str
    bytes: int
    files: int
    share: float


@dataclass(slots=True)
class Component:
    """A manifest root (workspace package, service folder); ``.`` is the repository root."""

    path: str
    name: str
    manifests: list[str] = field(default_factory=list)
    languages: list[LanguageShare] = field(default_factory=list)
    technologies: list[Detection] = field(default_factory=list)


@dataclass(slots=True)
class Report:
    path: str
    languages: list[LanguageShare] = field(default_factory=list)
    technologies: list[Detection] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files_scanned: int = 0

    @property
    def primary_language(self) -> str | None:
        return self.languages[0].name if self.languages else None

    def slugs(self) -> set[str]:
        return {detection.slug for detection in self.technologies}

    def get(self, slug: str) -> Detection | None:
        return next((d for d in self.technologies if d.slug == slug), None)

    def component(self, path: str) -> Component | None:
        return next((c for c in self.components if c.path == path), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "languages": [asdict(language) for language in self.languages],
            "technologies": [asdict(detection) for detection in self.technologies],
            "components": [asdict(component) for component in self.components],
            "warnings": list(self.warnings),
            "files_scanned": self.files_scanned,
        }
