"""One pass over the repository: prune excluded folders, count code, read what is evidence.

Directory listings and the sizes of code files are the bulk of the work. Most files take a fast
path: a programming language's extension and a name no pattern can match (one regex per
extension screens the names) means the file is only counted. The others are matched against a
single index holding both the parsers' and the catalogue's patterns; manifests are read and
parsed here, and YAML files sniffed for Kubernetes objects, so a walk shared with the helper
process (sharing.py) shares that work too. A code file is opened only when it has no extension
(to read a shebang line).
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable, MutableSequence
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path

from . import sharing
from .catalogue import Catalogue
from .languages import HEADERS, PROGRAMMING, Language, LanguageTable, LanguageTally
from .parsers import RULES, YAML_SUFFIXES, ParserRule
from .paths import (
    DOCUMENTATION_STEMS,
    GENERATED_NAMES,
    GENERATED_SUFFIXES,
    WEAK_DIRS,
    is_excluded_dir,
    is_generated,
)
from .patterns import PatternIndex
from .reading import MAX_MANIFEST_BYTES, parse, read_head, read_text
from .signals import Kind, Manifest, pickled_as_call

DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
HEADER_EXTENSION = ".h"
SHEBANG_BYTES = 256
MAX_KUBERNETES_CANDIDATE_BYTES = 512 * 1024
KUBERNETES_SNIFF_BYTES = 4096
# Directories holding several requirement files belong to the project above them.
REQUIREMENTS_DIRS = frozenset({"requirements", "reqs", "requirements.d"})

# A large tree is shared with a helper process (see sharing.py) once this many directories wait
# to be walked. A generated repository of 500 files takes no longer split at this threshold than
# walked alone, one of 2,000 files a sixth less.
SPLIT_MIN_PENDING_DIRECTORIES = 32

FileTarget = ParserRule | tuple[str, Kind]
DirectoryRules = list[tuple[re.Pattern[str], FileTarget]]
# (absolute directory, path relative to the root, component it belongs to, weak location)
Task = tuple[str, str, str, bool]


@pickled_as_call
@dataclass(slots=True)  # not frozen: made by the thousand, and frozen init is slow
class Located:
    """A file of interest with the component it belongs to."""

    relpath: str  # the path on disk is the root's joined with it (not carried: less to pickle)
    component: str
    weak: bool


@pickled_as_call
@dataclass(slots=True)  # not frozen: made by the thousand, and frozen init is slow
class ManifestFile:
    """A manifest read and parsed during the walk (so the split walk shares that work too)."""

    file: Located
    rule: ParserRule
    read: bool  # False when too large or unreadable: the file proves nothing either way
    manifest: Manifest | None  # None after a parse error (then ``warning`` says why)
    warning: str | None


@pickled_as_call
@dataclass(slots=True)  # not frozen: made by the thousand, and frozen init is slow
class FileHit:
    file: Located
    slug: str
    kind: Kind


@dataclass(slots=True)
class Scan:
    manifests: list[ManifestFile] = field(default_factory=list)
    file_hits: list[FileHit] = field(default_factory=list)
    # YAML files that start like a Kubernetes object (sniffed here, in the split walk).
    kubernetes_candidates: list[Located] = field(default_factory=list)
    readmes: list[Located] = field(default_factory=list)
    tallies: dict[str, LanguageTally] = field(default_factory=dict)
    component_roots: list[str] = field(default_factory=list)
    files_scanned: int = 0
    warnings: list[str] = field(default_factory=list)

    def tally(self, component: str) -> LanguageTally:
        tally = self.tallies.get(component)
        if tally is None:
            tally = self.tallies[component] = LanguageTally()
        return tally

    def merge(self, other: Scan) -> None:
        self.manifests += other.manifests
        self.file_hits += other.file_hits
        self.kubernetes_candidates += other.kubernetes_candidates
        self.readmes += other.readmes
        self.component_roots += other.component_roots
        self.files_scanned += other.files_scanned
        self.warnings += other.warnings
        for component, tally in other.tallies.items():
            self.tally(component).merge(tally)

    def sort(self) -> None:
        """Path order, so the report does not depend on listing order or on the split."""
        self.manifests.sort(key=lambda manifest: manifest.file.relpath)
        self.file_hits.sort(key=lambda hit: (hit.file.relpath, hit.slug))
        self.kubernetes_candidates.sort(key=lambda located: located.relpath)
        self.readmes.sort(key=lambda located: located.relpath)
        self.component_roots.sort(key=lambda root: (root != ".", root))


@cache
def _file_index(catalogue: Catalogue) -> PatternIndex[FileTarget]:
    index: PatternIndex[FileTarget] = PatternIndex()
    for pattern, rule in RULES.items():
        index.add(pattern, rule)
    for pattern, target in catalogue.file_patterns:
        index.add(pattern, target)
    return index


@cache
def _known_extensions(
    index: PatternIndex[FileTarget], languages: LanguageTable
) -> dict[str, tuple[str | None, Callable[[str], object] | None, tuple[str, ...]]]:
    """Extensions whose files usually need no more than counting (code) or nothing at all (data,
    prose, binaries): a known language's, with no extension pattern. Each maps to (the language
    to count, None when it is not counted; the screen for the names that need a closer look:
    patterns, languages and generated files known by name and, outside programming languages,
    documentation such as README.md; generated-file suffixes ending with it such as ``.pb.go``).
    """
    known: dict[str, tuple[str | None, Callable[[str], object] | None, tuple[str, ...]]] = {}
    special_names = (*languages.by_filename, *GENERATED_NAMES)
    for extension, language in languages.by_extension.items():
        if (
            extension in index.by_extension
            or extension in YAML_SUFFIXES  # sniffed for Kubernetes objects
            or extension == HEADER_EXTENSION
        ):
            continue
        stems = () if language.type == PROGRAMMING else DOCUMENTATION_STEMS
        screen = index.screen_for_extension(extension, special_names, stems)
        if language.counted:
            suffixes = tuple(suffix for suffix in GENERATED_SUFFIXES if suffix.endswith(extension))
            known[extension] = (language.name, screen, suffixes)
        else:
            known[extension] = (None, screen, ())
    return known


def scan(root: Path, catalogue: Catalogue, languages: LanguageTable, *, split: bool = True) -> Scan:
    """Walk breadth-first; on a large tree, share the pending sub-trees with a helper process."""
    result = Scan(component_roots=["."])
    result.tallies["."] = LanguageTally()
    pending: deque[Task] = deque([(str(root), "", ".", False)])
    walker = _DirectoryWalker(root, _file_index(catalogue), languages, result)
    while pending:
        if split and len(pending) >= SPLIT_MIN_PENDING_DIRECTORIES:
            _walk_shared(list(pending), walker)
            break
        walker.visit(*pending.popleft(), pending)
    result.sort()
    return result


def _walk_shared(tasks: list[Task], walker: _DirectoryWalker) -> None:
    """Walk the pending sub-trees with the helper process, in shares claimed one at a time."""
    limit = sharing.MAX_CLAIMS
    shares = [tasks[start::limit] for start in range(min(len(tasks), limit))]
    sharing.share(
        job=(str(walker.root), shares),
        pieces=len(shares),
        key=(walker.index, walker.languages),
        work=partial(_walk_share, walker.index, walker.languages),
        work_here=lambda number: _walk_all(shares[number], walker),
        merge=walker.result.merge,
    )


def _walk_share(
    index: PatternIndex[FileTarget],
    languages: LanguageTable,
    job: tuple[str, list[list[Task]]],
    number: int,
) -> Scan:
    """One share of the pending sub-trees, walked in the helper process."""
    root, shares = job
    walker = _DirectoryWalker(Path(root), index, languages, Scan())
    _walk_all(shares[number], walker)
    return walker.result


def _walk_all(tasks: list[Task], walker: _DirectoryWalker) -> None:
    stack = list(reversed(tasks))
    while stack:
        walker.visit(*stack.pop(), stack)


class _DirectoryWalker:
    """The per-directory loop, written for speed: it runs once for every file of the checkout."""

    def __init__(
        self, root: Path, index: PatternIndex[FileTarget], languages: LanguageTable, result: Scan
    ):
        self.root = root
        self.index = index
        self.languages = languages
        self.result = result
        self.known_extensions = _known_extensions(index, languages)

    def visit(
        self, directory: str, rel: str, component: str, weak: bool, stack: MutableSequence[Task]
    ) -> None:
        """Queue the sub-directories, count the plain code files and pass over the plain data,
        prose and binary files (most files, in one loop); look closer at the others."""
        # Through a descriptor, each stat() and open() in the directory is relative to it,
        # instead of a lookup of the whole path from the root.
        try:
            descriptor = os.open(directory, DIRECTORY_FLAGS)
        except OSError as error:
            self.result.warnings.append(f"{rel or '.'}: cannot list directory ({error.strerror})")
            return
        try:
            first_child = len(stack)
            folders = self.index.rule_folders
            if folders is None or rel[rel.rfind("/") + 1 :] in folders:
                directory_rules = self.index.directory_rules(rel)
            else:
                directory_rules = []  # the common case, without the call
            # Path patterns (.github/workflows/*.yml …) may match any file of this directory.
            known_extensions = {} if directory_rules else self.known_extensions
            sizes: dict[str, int] = {}
            counts: dict[str, int] = {}
            others = []
            files = 0
            with os.scandir(descriptor) as entries:
                for entry in entries:
                    name = entry.name
                    # With follow_symlinks=False a symlink is neither file nor directory: links
                    # out of the checkout are never followed (Linguist ignores them too).
                    if not entry.is_file(follow_symlinks=False):
                        if entry.is_dir(follow_symlinks=False) and not is_excluded_dir(name):
                            stack.append(
                                (
                                    f"{directory}/{name}",
                                    f"{rel}/{name}" if rel else name,
                                    component,
                                    weak or name.lower() in WEAK_DIRS,
                                )
                            )
                        continue
                    files += 1
                    dot = name.rfind(".")
                    known = known_extensions.get(name[dot:]) if dot > 0 else None
                    if known is not None:
                        language, screen, generated_suffixes = known
                        if (
                            (screen is None or not screen(name))
                            and not (generated_suffixes and name.endswith(generated_suffixes))
                            and ".generated." not in name
                        ):
                            if language is not None and not weak:
                                size = entry.stat(follow_symlinks=False).st_size
                                sizes[language] = sizes.get(language, 0) + size
                                counts[language] = counts.get(language, 0) + 1
                            continue
                    others.append(entry)
            self.result.files_scanned += files
            if others:
                component = self._visit_others(
                    others, descriptor, directory, rel, component, weak, directory_rules,
                    stack, first_child, sizes, counts,
                )  # fmt: skip
        finally:
            os.close(descriptor)
        if sizes:
            tally = self.result.tally(component)
            for language_name, size in sizes.items():
                tally.add(language_name, size, counts[language_name])

    def _visit_others(
        self,
        others: list[os.DirEntry[str]],
        descriptor: int,
        directory: str,
        rel: str,
        component: str,
        weak: bool,
        directory_rules: DirectoryRules,
        stack: MutableSequence[Task],
        first_child: int,
        sizes: dict[str, int],
        counts: dict[str, int],
    ) -> str:
        """Count and record the files that need a closer look; return the component the
        directory belongs to (itself when one of them is a package manifest)."""
        readmes: list[str] = []
        targeted = self._classify(others, descriptor, weak, directory_rules, sizes, counts, readmes)
        if targeted and rel and not weak and self._is_component_root(rel, targeted):
            component = rel
            self.result.component_roots.append(rel)
            for position in range(first_child, len(stack)):  # its sub-directories
                path, child_rel, _, child_weak = stack[position]
                stack[position] = (path, child_rel, rel, child_weak)
        for entry, targets in targeted:
            self._record_targets(entry, targets, descriptor, directory, rel, component, weak)
        if readmes and (rel or ".") == component:
            for name in readmes:
                relpath = f"{rel}/{name}" if rel else name
                self.result.readmes.append(Located(relpath, component, weak))
        return component

    def _classify(
        self,
        files: list[os.DirEntry[str]],
        descriptor: int,
        weak: bool,
        directory_rules: DirectoryRules,
        sizes: dict[str, int],
        counts: dict[str, int],
        readmes: list[str],
    ) -> list[tuple[os.DirEntry[str], list[FileTarget]]]:
        """Count what is code among the other files and note the READMEs; return the files that
        are evidence."""
        index = self.index
        languages = self.languages
        targeted: list[tuple[os.DirEntry[str], list[FileTarget]]] = []
        for entry in files:
            name = entry.name
            dot = name.rfind(".")
            extension = name[dot:] if dot > 0 else ""
            targets = index.match(name, directory_rules)
            if extension in index.by_extension:
                targets += index.by_extension[extension]
            if targets or extension in YAML_SUFFIXES:
                targeted.append((entry, targets))
                if any(
                    type(target) is tuple and target[1] is Kind.CONFIG_FILE for target in targets
                ):
                    continue  # tool configuration (next.config.js …) is not the project's code
            language = languages.by_filename.get(name) or languages.by_extension.get(extension)
            if _is_documentation(name, dot, language):
                if name[:6].lower() == "readme":
                    readmes.append(name)
                continue
            if weak or is_generated(name):
                continue
            if language is None and extension != HEADER_EXTENSION:
                language = self._special_language(name, descriptor)
            if language is None:
                key = HEADERS if extension == HEADER_EXTENSION else None
            else:
                key = language.name if language.counted else None
            if key is not None:
                sizes[key] = sizes.get(key, 0) + entry.stat(follow_symlinks=False).st_size
                counts[key] = counts.get(key, 0) + 1
        return targeted

    @staticmethod
    def _is_component_root(
        rel: str, targeted: list[tuple[os.DirEntry[str], list[FileTarget]]]
    ) -> bool:
        return (
            any(
                type(target) is ParserRule and target.component_root
                for _, targets in targeted
                for target in targets
            )
            and os.path.basename(rel) not in REQUIREMENTS_DIRS
        )

    def _special_language(self, name: str, descriptor: int) -> Language | None:
        """Language by an odd-case extension, or by shebang when there is no extension."""
        dot = name.rfind(".")
        if dot > 0:
            return self.languages.by_extension.get(name[dot:].lower())
        head = read_head(name, SHEBANG_BYTES, dir_fd=descriptor)
        if not head.startswith(b"#!") or b"\0" in head:
            return None
        return self.languages.for_shebang(head)

    def _record_targets(
        self,
        entry: os.DirEntry[str],
        targets: list[FileTarget],
        descriptor: int,
        directory: str,
        rel: str,
        component: str,
        weak: bool,
    ) -> None:
        """Read the manifests and record the file-name evidence of one file."""
        result = self.result
        name = entry.name
        located = Located(f"{rel}/{name}" if rel else name, component, weak)
        has_parser = False
        for target in targets:
            if isinstance(target, ParserRule):
                result.manifests.append(
                    self._read_manifest(located, target, descriptor, f"{directory}/{name}")
                )
                has_parser = True
            else:
                result.file_hits.append(FileHit(located, *target))
        if (
            not has_parser
            and not weak
            and name.endswith(YAML_SUFFIXES)
            and _starts_like_kubernetes(read_head(name, KUBERNETES_SNIFF_BYTES, descriptor))
            and entry.stat(follow_symlinks=False).st_size <= MAX_KUBERNETES_CANDIDATE_BYTES
        ):
            result.kubernetes_candidates.append(located)

    def _read_manifest(
        self, file: Located, rule: ParserRule, descriptor: int, path: str
    ) -> ManifestFile:
        name = file.relpath.rsplit("/", 1)[-1]
        text, warning = read_text(name, file.relpath, MAX_MANIFEST_BYTES, dir_fd=descriptor)
        if text is None:
            return ManifestFile(file, rule, read=False, manifest=None, warning=warning)
        manifest, warning = parse(rule, text, path, file.relpath, self.root)
        return ManifestFile(file, rule, read=True, manifest=manifest, warning=warning)


def _is_documentation(name: str, dot: int, language: Language | None) -> bool:
    """README.md and LICENSE are prose; security.py and history.ts are code."""
    return (name[:dot] if dot > 0 else name).lower() in DOCUMENTATION_STEMS and (
        language is None or language.type != PROGRAMMING
    )


def _starts_like_kubernetes(head: bytes) -> bool:
    """Cheap first look: apiVersion and kind sit near the top of a Kubernetes object."""
    return b"apiVersion:" in head and b"kind:" in head
