"""Fast matching of many file-name patterns against every file of a repository.

Patterns are exact names (``next.config.js``), basename globs (``.eslintrc*``, ``*.tf``) or path
globs containing a slash (``.github/workflows/*.yml``), matched against the path tail. Exact
names and plain ``*.ext`` patterns are dictionary look-ups and the other basename globs share
one compiled regular expression, so a file that matches nothing costs a single ``re.match``.
Path globs are split into a directory part, checked once per directory, and a name part.
"""

from __future__ import annotations

import fnmatch
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Generic, TypeVar

Value = TypeVar("Value")

_GLOB_CHARS = frozenset("*?[")
_NO_RULES: list = []


class PatternIndex(Generic[Value]):
    def __init__(self) -> None:
        self._exact: dict[str, list[Value]] = defaultdict(list)
        self._extension: dict[str, list[Value]] = defaultdict(list)
        self._name_globs: list[tuple[re.Pattern[str], Value]] = []
        self._path_globs: list[tuple[re.Pattern[str], re.Pattern[str], Value]] = []
        self._name_any: re.Pattern[str] | None = None
        self._directory_any: re.Pattern[str] | None = None
        self._compiled = False

    def add(self, pattern: str, value: Value) -> None:
        self._compiled = False
        if "/" in pattern:
            directory, name = pattern.rsplit("/", 1)
            directory_regex = re.compile("(?:.*/)?" + fnmatch.translate(directory))
            self._path_globs.append((directory_regex, re.compile(fnmatch.translate(name)), value))
        elif not _GLOB_CHARS & set(pattern):
            self._exact[pattern].append(value)
        elif pattern.startswith("*.") and not (_GLOB_CHARS | {"."}) & set(pattern[2:]):
            self._extension[pattern[1:]].append(value)
        else:
            self._name_globs.append((re.compile(fnmatch.translate(pattern)), value))

    def add_all(self, patterns: Iterable[str], value: Value) -> None:
        for pattern in patterns:
            self.add(pattern, value)

    def _compile(self) -> None:
        if self._name_globs:
            union = "|".join(f"(?:{regex.pattern})" for regex, _ in self._name_globs)
            self._name_any = re.compile(union)
        if self._path_globs:
            union = "|".join(f"(?:{regex.pattern})" for regex, _, _ in self._path_globs)
            self._directory_any = re.compile(union)
        self._compiled = True

    def directory_rules(self, directory: str) -> list[tuple[re.Pattern[str], Value]]:
        """Name patterns of the path globs whose directory part matches ``directory``."""
        if not self._compiled:
            self._compile()
        if not directory or self._directory_any is None or not self._directory_any.match(directory):
            return []
        return [
            (name_regex, value)
            for directory_regex, name_regex, value in self._path_globs
            if directory_regex.match(directory)
        ]

    def match(
        self, name: str, directory_rules: list[tuple[re.Pattern[str], Value]] = _NO_RULES
    ) -> list[Value]:
        """Values of every pattern ``name`` matches (path globs via ``directory_rules``)."""
        if not self._compiled:
            self._compile()
        found: list[Value] = []
        exact = self._exact.get(name)
        if exact:
            found.extend(exact)
        dot = name.rfind(".")
        if dot > 0:
            by_extension = self._extension.get(name[dot:])
            if by_extension:
                found.extend(by_extension)
        if self._name_any is not None and self._name_any.match(name):
            found.extend(value for regex, value in self._name_globs if regex.match(name))
        for regex, value in directory_rules:
            if regex.match(name):
                found.append(value)
        return found
