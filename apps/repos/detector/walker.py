"""One pass over the repository: prune excluded folders, sort files into what needs reading.

Only directory listings and the sizes of code files are touched here; manifests are read later,
and a code file is opened only when it has no extension (to read a shebang line). Every file
name is matched once against a single index holding both the parsers' and the catalogue's
patterns, so the cost per uninteresting file is a few dictionary look-ups and one regex match.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections import deque
from collections.abc import MutableSequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .catalogue import Catalogue
from .languages import Language, LanguageTable, LanguageTally
from .parsers import RULES, YAML_SUFFIXES, ParserRule
from .paths import GENERATED_NAMES, WEAK_DIRS, is_documentation, is_excluded_dir, is_generated
from .patterns import PatternIndex
from .signals import Kind

HEADER_EXTENSION = ".h"
SHEBANG_BYTES = 256
# Directories holding several requirement files belong to the project above them.
REQUIREMENTS_DIRS = frozenset({"requirements", "reqs", "requirements.d"})

# Below this many queued directories the tree is walked in this process alone: forking a
# worker costs more than it saves on a small repository.
PARALLEL_MIN_PENDING_DIRECTORIES = 48

FileTarget = ParserRule | tuple[str, Kind]
# (absolute directory, path relative to the root, component it belongs to, weak location)
Task = tuple[str, str, str, bool]


@dataclass(frozen=True, slots=True)
class Located:
    """A file of interest with the component it belongs to."""

    relpath: str
    abspath: str
    component: str
    weak: bool


@dataclass(frozen=True, slots=True)
class ManifestFile:
    file: Located
    rule: ParserRule


@dataclass(frozen=True, slots=True)
class FileHit:
    file: Located
    slug: str
    kind: Kind


@dataclass(slots=True)
class Scan:
    manifests: list[ManifestFile] = field(default_factory=list)
    file_hits: list[FileHit] = field(default_factory=list)
    yaml_files: list[tuple[Located, int]] = field(default_factory=list)
    readmes: list[Located] = field(default_factory=list)
    tallies: dict[str, LanguageTally] = field(default_factory=dict)
    component_roots: list[str] = field(default_factory=list)
    files_scanned: int = 0
    warnings: list[str] = field(default_factory=list)

    def tally(self, component: str) -> LanguageTally:
        return self.tallies.setdefault(component, LanguageTally())

    def merge(self, other: Scan) -> None:
        self.manifests += other.manifests
        self.file_hits += other.file_hits
        self.yaml_files += other.yaml_files
        self.readmes += other.readmes
        self.component_roots += other.component_roots
        self.files_scanned += other.files_scanned
        self.warnings += other.warnings
        for component, tally in other.tallies.items():
            self.tally(component).merge(tally)


@cache
def _file_index(catalogue: Catalogue) -> PatternIndex[FileTarget]:
    index: PatternIndex[FileTarget] = PatternIndex()
    for pattern, rule in RULES.items():
        index.add(pattern, rule)
    for pattern, target in catalogue.file_patterns:
        index.add(pattern, target)
    return index


def scan(root: Path, catalogue: Catalogue, languages: LanguageTable, workers: int = 1) -> Scan:
    """Walk breadth-first; on a large tree, hand the pending sub-trees to worker processes."""
    result = Scan(component_roots=["."])
    result.tallies["."] = LanguageTally()
    pending: deque[Task] = deque([(str(root), "", ".", False)])
    walker = _DirectoryWalker(_file_index(catalogue), languages, result)
    while pending:
        if workers > 1 and len(pending) >= PARALLEL_MIN_PENDING_DIRECTORIES:
            _scan_in_parallel(list(pending), workers, walker)
            break
        walker.visit(*pending.popleft(), pending)
    return result


def _scan_in_parallel(tasks: list[Task], workers: int, walker: _DirectoryWalker) -> None:
    shares = [tasks[offset::workers] for offset in range(workers)]
    try:
        pool = ProcessPoolExecutor(workers - 1, mp_context=multiprocessing.get_context("fork"))
    except (OSError, ValueError, AssertionError):
        shares = [tasks]  # no fork here (daemonic worker, no /dev/shm …): walk alone
        pool = None
    with pool or contextlib.nullcontext():
        futures = [
            pool.submit(_scan_share, share, walker.index, walker.languages) for share in shares[1:]
        ] if pool else []  # fmt: skip
        _walk_all(shares[0], walker)
        for future in futures:
            walker.result.merge(future.result())


def _scan_share(
    tasks: list[Task], index: PatternIndex[FileTarget], languages: LanguageTable
) -> Scan:
    """Worker process: walk some sub-trees into a fresh Scan."""
    result = Scan()
    _walk_all(tasks, _DirectoryWalker(index, languages, result))
    return result


def _walk_all(tasks: list[Task], walker: _DirectoryWalker) -> None:
    stack: list[Task] = list(reversed(tasks))
    while stack:
        walker.visit(*stack.pop(), stack)


class _DirectoryWalker:
    """The per-directory loop, written for speed: it runs once for every file of the checkout."""

    def __init__(self, index: PatternIndex[FileTarget], languages: LanguageTable, result: Scan):
        self.index = index
        self.languages = languages
        self.result = result

    def visit(
        self, directory: str, rel: str, component: str, weak: bool, stack: MutableSequence[Task]
    ) -> None:
        result = self.result
        try:
            with os.scandir(directory) as iterator:
                entries = list(iterator)
        except OSError as error:
            result.warnings.append(f"{rel or '.'}: cannot list directory ({error.strerror})")
            return
        match = self.index.match
        directory_rules = self.index.directory_rules(rel)
        by_filename = self.languages.by_filename
        by_extension = self.languages.by_extension
        sizes: dict[str, int] = {}
        counts: dict[str, int] = {}
        header_bytes = header_files = file_count = 0
        targeted: list[tuple[os.DirEntry, list[FileTarget]]] = []
        readmes: list[os.DirEntry] = []
        for entry in entries:
            # With follow_symlinks=False a symlink is neither file nor directory: links out of
            # the checkout are never followed (Linguist ignores them too).
            if not entry.is_file(follow_symlinks=False):
                if entry.is_dir(follow_symlinks=False) and not is_excluded_dir(entry.name):
                    child_rel = f"{rel}/{entry.name}" if rel else entry.name
                    child_weak = weak or entry.name.lower() in WEAK_DIRS
                    stack.append((entry.path, child_rel, component, child_weak))
                continue
            file_count += 1
            name = entry.name
            targets = match(name, directory_rules)
            if targets or name.endswith(YAML_SUFFIXES):
                targeted.append((entry, targets))
                if any(
                    type(target) is tuple and target[1] is Kind.CONFIG_FILE for target in targets
                ):
                    continue  # tool configuration (next.config.js …) is not the project's code
            dot = name.rfind(".")
            if is_documentation(name if dot <= 0 else name[:dot]):
                if name[:6].lower() == "readme":
                    readmes.append(entry)
                continue
            if weak:
                continue
            language = by_filename.get(name)
            if language is None and dot > 0:
                language = by_extension.get(name[dot:].lower())
            if language is None:
                if dot <= 0 and name not in GENERATED_NAMES:
                    language = self._shebang_language(entry)
                elif name.endswith(HEADER_EXTENSION):
                    header_bytes += entry.stat(follow_symlinks=False).st_size
                    header_files += 1
                    continue
            if language is None or not language.counted or is_generated(name):
                continue
            key = language.name
            sizes[key] = sizes.get(key, 0) + entry.stat(follow_symlinks=False).st_size
            counts[key] = counts.get(key, 0) + 1
        result.files_scanned += file_count

        if (
            rel
            and not weak
            and any(
                type(target) is ParserRule and target.component_root
                for _, targets in targeted
                for target in targets
            )
            and os.path.basename(rel) not in REQUIREMENTS_DIRS
        ):
            component = rel
            result.component_roots.append(rel)
            for position in range(len(stack) - 1, -1, -1):  # sub-directories queued above
                path, child_rel, _, child_weak = stack[position]
                if not child_rel.startswith(rel + "/"):
                    break
                stack[position] = (path, child_rel, rel, child_weak)
        tally = result.tally(component)
        for language_name, size in sizes.items():
            tally.add(language_name, size, counts[language_name])
        if header_files:
            tally.add_header(header_bytes, header_files)
        for entry, targets in targeted:
            _record_targets(entry, targets, rel, component, weak, result)
        if (rel or ".") == component:
            for entry in readmes:
                relpath = f"{rel}/{entry.name}" if rel else entry.name
                result.readmes.append(Located(relpath, entry.path, component, weak))

    def _shebang_language(self, entry: os.DirEntry) -> Language | None:
        try:
            with open(entry.path, "rb") as handle:
                head = handle.read(SHEBANG_BYTES)
        except OSError:
            return None
        if not head.startswith(b"#!") or b"\0" in head:
            return None
        return self.languages.for_shebang(head)


def _record_targets(
    entry: os.DirEntry,
    targets: list[FileTarget],
    rel: str,
    component: str,
    weak: bool,
    result: Scan,
) -> None:
    """Queue the manifests and the file-name evidence of one file."""
    located = Located(f"{rel}/{entry.name}" if rel else entry.name, entry.path, component, weak)
    has_parser = False
    for target in targets:
        if isinstance(target, ParserRule):
            result.manifests.append(ManifestFile(located, target))
            has_parser = True
        else:
            result.file_hits.append(FileHit(located, *target))
    if not has_parser and not weak and entry.name.endswith(YAML_SUFFIXES):
        # Possibly a Kubernetes manifest: the engine reads it if it is small enough.
        result.yaml_files.append((located, entry.stat(follow_symlinks=False).st_size))
