"""Language of a file by name, extension or shebang, and byte totals per language."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from .parsers.common import load_data_file
from .report import LanguageShare

DATA_FILE = Path(__file__).parent / "data" / "languages.yaml"
PROGRAMMING = "programming"
COUNTED_TYPES = frozenset({PROGRAMMING, "markup"})
# Tallied like a language: C/C++ headers (.h), attributed once the rest of the code is known.
HEADERS = "C/C++/Objective-C header"
SHEBANG = re.compile(rb"^#!\s*(\S+)(?:\s+(?:-\S+\s+)*(\S+))?")


@dataclass(frozen=True, slots=True)
class Language:
    name: str
    type: str
    slug: str | None
    counted: bool = field(init=False)  # an attribute, not a property: read once per file

    def __post_init__(self) -> None:
        object.__setattr__(self, "counted", self.type in COUNTED_TYPES)


class LanguageTable:
    def __init__(self, data: dict[str, dict[str, Any]]) -> None:
        self.by_extension: dict[str, Language] = {}
        self.by_filename: dict[str, Language] = {}
        self.by_interpreter: dict[str, Language] = {}
        self.by_name: dict[str, Language] = {}
        for name, spec in data.items():
            language = Language(name=name, type=spec["type"], slug=spec.get("slug"))
            self.by_name[name] = language
            for extension in spec.get("extensions", ()):
                self.by_extension[extension] = language
            for filename in spec.get("filenames", ()):
                self.by_filename[filename] = language
            for interpreter in spec.get("interpreters", ()):
                self.by_interpreter[interpreter] = language

    def for_name(self, name: str) -> Language | None:
        """Language by file name or extension; None when only the content could tell."""
        language = self.by_filename.get(name)
        if language is not None:
            return language
        dot = name.rfind(".")
        if dot <= 0:
            return None
        return self.by_extension.get(name[dot:].lower())

    def for_shebang(self, head: bytes) -> Language | None:
        match = SHEBANG.match(head)
        if match is None:
            return None
        program, argument = match.groups()
        interpreter = program.rsplit(b"/", 1)[-1]
        if interpreter == b"env" and argument:
            interpreter = argument
        name = re.sub(r"[\d.]+$", "", interpreter.decode("ascii", "replace"))
        return self.by_interpreter.get(name) or self.by_interpreter.get(name.lower())


@cache
def load_language_table() -> LanguageTable:
    return LanguageTable(load_data_file(DATA_FILE))


class LanguageTally:
    """Bytes and file counts per counted language."""

    def __init__(self) -> None:
        self.bytes: dict[str, int] = {}
        self.files: dict[str, int] = {}

    def add(self, language_name: str, size: int, files: int = 1) -> None:
        self.bytes[language_name] = self.bytes.get(language_name, 0) + size
        self.files[language_name] = self.files.get(language_name, 0) + files

    def merge(self, other: LanguageTally) -> None:
        for name, size in other.bytes.items():
            self.add(name, size, other.files[name])

    def shares(self) -> list[LanguageShare]:
        totals = dict(self.bytes)
        files = dict(self.files)
        if HEADERS in totals:
            # Linguist needs heuristics for .h; the language the rest of the code is in decides.
            header_bytes, header_files = totals.pop(HEADERS), files.pop(HEADERS)
            owner = max(
                ("C++", "Objective-C", "C"), key=lambda name: (totals.get(name, 0), name == "C")
            )
            totals[owner] = totals.get(owner, 0) + header_bytes
            files[owner] = files.get(owner, 0) + header_files
        grand_total = sum(totals.values())
        if not grand_total:
            return []
        ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
        return [
            LanguageShare(name, size, files[name], round(size / grand_total, 4))
            for name, size in ranked
            if size
        ]
