"""Fast matching of many file-name patterns against every file of a repository.

Patterns are exact names (``next.config.js``), basename globs (``.eslintrc*``, ``*.tf``) or path
globs containing a slash (``.github/workflows/*.yml``), matched against the path tail. Exact
names and plain ``*.ext`` patterns are dictionary look-ups; the remaining globs share one
compiled regular expression so a file that matches nothing costs a single ``re.match``.
"""

from __future__ import annotations

import fnmatch
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Generic, TypeVar

Value = TypeVar("Value")

_GLOB_CHARS = frozenset("*?[")


def _glob_regex(pattern: str) -> str:
    # fnmatch.translate gives "(?s:...)\Z"; keep it as is, it is anchored at the end.
    return fnmatch.translate(pattern)


class PatternIndex(Generic[Value]):
    def __init__(self) -> None:
        self._exact: dict[str, list[Value]] = defaultdict(list)
        self._extension: dict[str, list[Value]] = defaultdict(list)
        self._name_globs: list[tuple[re.Pattern[str], Value]] = []
        self._path_globs: list[tuple[re.Pattern[str], Value]] = []
        self._name_any: re.Pattern[str] | None = None
        self._path_any: re.Pattern[str] | None = None
        self._compiled = False

    def add(self, pattern: str, value: Value) -> None:
        if "/" in pattern:
            regex = "(?:.*/)?" + _glob_regex(pattern)
            self._path_globs.append((re.compile(regex), value))
        elif not _GLOB_CHARS & set(pattern):
            self._exact[pattern].append(value)
        elif pattern.startswith("*.") and not (_GLOB_CHARS | {"."}) & set(pattern[2:]):
            self._extension[pattern[1:]].append(value)
        else:
            self._name_globs.append((re.compile(_glob_regex(pattern)), value))
        self._compiled = False

    def add_all(self, patterns: Iterable[str], value: Value) -> None:
        for pattern in patterns:
            self.add(pattern, value)

    @staticmethod
    def _union(globs: list[tuple[re.Pattern[str], Value]]) -> re.Pattern[str] | None:
        if not globs:
            return None
        return re.compile("|".join(f"(?:{regex.pattern})" for regex, _ in globs))

    def match(self, name: str, relpath: str) -> list[Value]:
        if not self._compiled:
            self._name_any = self._union(self._name_globs)
            self._path_any = self._union(self._path_globs)
            self._compiled = True
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
        if self._path_any is not None and "/" in relpath and self._path_any.match(relpath):
            found.extend(value for regex, value in self._path_globs if regex.match(relpath))
        return found
