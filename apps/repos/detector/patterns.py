"""Fast matching of many file-name patterns against every file of a repository.

Patterns are exact names (``next.config.js``), extensions (``*.tf``), other name globs
(``.eslintrc*``) or path globs containing a slash (``.github/workflows/*.yml``, matched against
the path tail). Exact names and extensions are dictionary look-ups; the other name globs share
one compiled regular expression. ``screen_for_extension`` gives, per extension, one regex of just
the names and globs a file with that extension could match, so most source files are cleared by
a single failed ``re.match``, usually on their first character. Path globs are split into a
directory part, checked once per directory through its last folder name, and a name part.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

Value = TypeVar("Value")

_GLOB_CHARS = frozenset("*?")


def glob_regex(pattern: str) -> str:
    """A regex for a glob with ``*`` and ``?`` that never crosses a newline."""
    return "".join(
        "[^\n]*" if char == "*" else "[^\n]" if char == "?" else re.escape(char) for char in pattern
    )


class PatternIndex(Generic[Value]):
    def __init__(self) -> None:
        self.by_extension: dict[str, list[Value]] = defaultdict(list)
        self._exact: dict[str, list[Value]] = defaultdict(list)
        self._name_globs: list[tuple[re.Pattern[str], Value]] = []
        self._name_glob_sources: list[str] = []
        self._path_globs: list[tuple[re.Pattern[str], re.Pattern[str], Value]] = []
        # Last folder names of the path globs; None once one of them is itself a glob. Only a
        # directory with one of these names can have directory rules.
        self.rule_folders: set[str] | None = set()
        self._names_any: re.Pattern[str] | None = None
        self._directory_any: re.Pattern[str] | None = None
        self._compiled = False

    def add(self, pattern: str, value: Value) -> None:
        self._compiled = False
        if "/" in pattern:
            directory, name = pattern.rsplit("/", 1)
            tail = directory.rsplit("/", 1)[-1]
            if self.rule_folders is not None:
                self.rule_folders = None if _GLOB_CHARS & set(tail) else self.rule_folders | {tail}
            directory_regex = re.compile(f"(?:.*/)?{glob_regex(directory)}$")
            name_regex = re.compile(f"{glob_regex(name)}$")
            self._path_globs.append((directory_regex, name_regex, value))
        elif not _GLOB_CHARS & set(pattern):
            self._exact[pattern].append(value)
        elif pattern.startswith("*.") and not (_GLOB_CHARS | {"."}) & set(pattern[2:]):
            self.by_extension[pattern[1:]].append(value)
        else:
            self._name_globs.append((re.compile(f"{glob_regex(pattern)}$"), value))
            self._name_glob_sources.append(pattern)

    def add_all(self, patterns: Iterable[str], value: Value) -> None:
        for pattern in patterns:
            self.add(pattern, value)

    def _compile(self) -> None:
        if self._name_globs:
            union = "|".join(regex.pattern[:-1] for regex, _ in self._name_globs)
            self._names_any = re.compile(f"(?:{union})$")
        if self._path_globs:
            union = "|".join(f"(?:{regex.pattern})" for regex, _, _ in self._path_globs)
            self._directory_any = re.compile(union)
        self._compiled = True

    def directory_rules(self, directory: str) -> list[tuple[re.Pattern[str], Value]]:
        """Name patterns of the path globs whose directory part matches ``directory``."""
        if not self._compiled:
            self._compile()
        if not directory or self._directory_any is None:
            return []
        folders = self.rule_folders
        if folders is not None and directory[directory.rfind("/") + 1 :] not in folders:
            return []
        if not self._directory_any.match(directory):
            return []
        return [
            (name, value) for folder, name, value in self._path_globs if folder.match(directory)
        ]

    def screen_for_extension(
        self, extension: str, extra_names: Iterable[str] = (), any_case_stems: Iterable[str] = ()
    ) -> Callable[[str], object] | None:
        """A test that is true for every name ending in ``extension`` that an exact name, one of
        ``extra_names``, a name glob (``match`` then says which) or one of ``any_case_stems``
        followed by the extension matches; None when nothing could match such a name."""
        literals = [name for name in (*self._exact, *extra_names) if name.endswith(extension)]
        globs = []
        for glob in self._name_glob_sources:
            # The name ends with both the extension and the glob's literal tail (the text after
            # its last wildcard), so one of the two ends with the other.
            tail = re.split(r"[*?]", glob)[-1]
            if tail.endswith(extension) or extension.endswith(tail):
                globs.append(glob)
        stems = sorted(any_case_stems)
        if not literals and not globs and not stems:
            return None
        branches = [re.escape(name) for name in literals] + [glob_regex(g) for g in globs]
        if stems:
            branches.append(f"(?i:{'|'.join(map(re.escape, stems))}){re.escape(extension)}")
        # Most names start with none of the patterns' first characters: a one-character look
        # ahead rejects them before the alternatives are tried one by one.
        firsts = {pattern[0] for pattern in literals + globs}
        firsts |= {case(stem[0]) for stem in stems for case in (str.lower, str.upper)}
        look_ahead = "" if _GLOB_CHARS & firsts else f"(?=[{re.escape(''.join(sorted(firsts)))}])"
        return re.compile(f"{look_ahead}(?:{'|'.join(branches)})$").match

    def match(self, name: str, directory_rules: list[tuple[re.Pattern[str], Value]]) -> list[Value]:
        """Values of the exact-name, name-glob and path-glob patterns ``name`` matches.

        Extension patterns are left to the caller, which looks the extension up anyway
        (``by_extension``).
        """
        if not self._compiled:
            self._compile()
        found = self._exact.get(name)
        found = list(found) if found else []
        if self._names_any is not None and self._names_any.match(name):
            found += [value for regex, value in self._name_globs if regex.match(name)]
        for regex, value in directory_rules:
            if regex.match(name):
                found.append(value)
        return found
