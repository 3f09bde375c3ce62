"""One pass over the repository: prune excluded folders, count code, read what is evidence.

Directory listings and the sizes of code files are the bulk of the work. Most files take a fast
path: a programming language's extension and a name no pattern can match (one regex per
extension screens the names) means the file is only counted. The others are matched against a
single index holding both the parsers' and the catalogue's patterns; manifests are read and
parsed here, and YAML files sniffed for Kubernetes objects, so a walk split between two
processes shares that work too. A code file is opened only when it has no extension (to read a
shebang line).
"""

from __future__ import annotations

import os
import pickle
from collections import deque
from collections.abc import Callable, MutableSequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .catalogue import Catalogue
from .languages import PROGRAMMING, Language, LanguageTable, LanguageTally
from .parsers import RULES, YAML_SUFFIXES, ParserRule
from .paths import (
    DOCUMENTATION_STEMS,
    GENERATED_SUFFIXES,
    WEAK_DIRS,
    is_excluded_dir,
    is_generated,
)
from .patterns import PatternIndex
from .reading import MAX_MANIFEST_BYTES, parse, read_text
from .signals import Kind, Manifest

HEADER_EXTENSION = ".h"
SHEBANG_BYTES = 256
MAX_KUBERNETES_CANDIDATE_BYTES = 512 * 1024
KUBERNETES_SNIFF_BYTES = 4096
# Directories holding several requirement files belong to the project above them.
REQUIREMENTS_DIRS = frozenset({"requirements", "reqs", "requirements.d"})

# A large tree is shared between this process and one forked child once this many directories
# wait to be walked: listing and stat() calls dominate, and the kernel serves two processes
# at once. Below it, forking costs more than it saves.
SPLIT_MIN_PENDING_DIRECTORIES = 128
# Work queue entries: 4-byte sub-tree numbers, all written before the fork, so the queue must
# fit in a pipe's buffer (64 KiB on Linux, 4 KiB guaranteed by POSIX as PIPE_BUF).
CLAIM_BYTES = 4
MAX_CLAIMS = 1024

FileTarget = ParserRule | tuple[str, Kind]
# (absolute directory, path relative to the root, component it belongs to, weak location)
Task = tuple[str, str, str, bool]


@dataclass(frozen=True, slots=True)
class Located:
    """A file of interest with the component it belongs to."""

    relpath: str  # the path on disk is the root's joined with it (not carried: less to pickle)
    component: str
    weak: bool


@dataclass(frozen=True, slots=True)
class ManifestFile:
    """A manifest read and parsed during the walk (so the split walk shares that work too)."""

    file: Located
    rule: ParserRule
    read: bool  # False when too large or unreadable: the file proves nothing either way
    manifest: Manifest | None  # None after a parse error (then ``warning`` says why)
    warning: str | None


@dataclass(frozen=True, slots=True)
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
def _plain_extensions(
    index: PatternIndex[FileTarget], languages: LanguageTable
) -> dict[str, tuple[str, tuple[str, ...], Callable[[str], object] | None]]:
    """Extensions whose files usually need no more than counting: a programming language's,
    with no extension pattern. Each maps to (language, generated-file suffixes ending with it
    such as ``.pb.go``, the screen for the name patterns such a file could still match)."""
    plain = {}
    for extension, language in languages.by_extension.items():
        if (
            language.type == PROGRAMMING
            and extension not in index.by_extension
            and extension not in YAML_SUFFIXES
            and extension != HEADER_EXTENSION
        ):
            suffixes = tuple(suffix for suffix in GENERATED_SUFFIXES if suffix.endswith(extension))
            plain[extension] = (language.name, suffixes, index.screen_for_extension(extension))
    return plain


def scan(root: Path, catalogue: Catalogue, languages: LanguageTable, *, split: bool = True) -> Scan:
    """Walk breadth-first; on a large tree, share the pending sub-trees with a forked child."""
    result = Scan(component_roots=["."])
    result.tallies["."] = LanguageTally()
    pending: deque[Task] = deque([(str(root), "", ".", False)])
    walker = _DirectoryWalker(root, _file_index(catalogue), languages, result)
    while pending:
        if split and len(pending) >= SPLIT_MIN_PENDING_DIRECTORIES:
            _walk_split(list(pending), walker)
            break
        walker.visit(*pending.popleft(), pending)
    result.sort()
    return result


def _walk_all(tasks: list[Task], walker: _DirectoryWalker) -> None:
    stack = list(reversed(tasks))
    while stack:
        walker.visit(*stack.pop(), stack)


def _walk_split(tasks: list[Task], walker: _DirectoryWalker) -> None:
    """Share the pending sub-trees with a forked child and merge what it found.

    Both processes claim sub-trees from one pipe holding their numbers: a read of a few bytes
    from a pipe is atomic, so each number goes to exactly one of them, and whoever is free takes
    the next (one huge sub-tree does not leave the other process idle). The child inherits the
    indexes and returns one pickled Scan. If it cannot be started or fails, this process walks
    every sub-tree it did not claim itself.
    """
    shares = [tasks[start::MAX_CLAIMS] for start in range(min(len(tasks), MAX_CLAIMS))]
    descriptors: list[int] = []
    try:
        queue_read, queue_write = os.pipe()
        descriptors += (queue_read, queue_write)
        os.write(
            queue_write, b"".join(n.to_bytes(CLAIM_BYTES, "little") for n in range(len(shares)))
        )
        os.close(descriptors.pop())
        result_read, result_write = os.pipe()
        descriptors += (result_read, result_write)
        pid = os.fork()
    except OSError:  # no more processes or descriptors: walk alone
        for descriptor in descriptors:
            os.close(descriptor)
        _walk_all(tasks, walker)
        return
    if pid == 0:  # child: never returns into the caller's code
        status = 1
        try:
            os.close(result_read)
            child = _DirectoryWalker(walker.root, walker.index, walker.languages, Scan())
            _walk_claimed(queue_read, shares, child)
            with os.fdopen(result_write, "wb") as pipe:
                pickle.dump(child.result, pipe, protocol=pickle.HIGHEST_PROTOCOL)
            status = 0
        finally:
            os._exit(status)
    os.close(result_write)
    mine = _walk_claimed(queue_read, shares, walker)
    os.close(queue_read)
    with os.fdopen(result_read, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status == 0 and payload:
        walker.result.merge(pickle.loads(payload))  # noqa: S301 - our own child's output
    else:
        for number, share in enumerate(shares):
            if number not in mine:
                _walk_all(share, walker)


def _walk_claimed(queue: int, shares: list[list[Task]], walker: _DirectoryWalker) -> set[int]:
    claimed = set()
    while claim := os.read(queue, CLAIM_BYTES):
        number = int.from_bytes(claim, "little")
        claimed.add(number)
        _walk_all(shares[number], walker)
    return claimed


class _DirectoryWalker:
    """The per-directory loop, written for speed: it runs once for every file of the checkout."""

    def __init__(
        self, root: Path, index: PatternIndex[FileTarget], languages: LanguageTable, result: Scan
    ):
        self.root = root
        self.index = index
        self.languages = languages
        self.result = result
        self.plain_extensions = _plain_extensions(index, languages)

    def visit(
        self, directory: str, rel: str, component: str, weak: bool, stack: MutableSequence[Task]
    ) -> None:
        # Listing through a descriptor makes each entry's stat() one fstatat() relative to it,
        # instead of a lookup of the whole path from the root.
        try:
            descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as error:
            self.result.warnings.append(f"{rel or '.'}: cannot list directory ({error.strerror})")
            return
        try:
            with os.scandir(descriptor) as iterator:
                entries = list(iterator)
            self._visit_listing(entries, directory, rel, component, weak, stack)
        finally:
            os.close(descriptor)

    def _visit_listing(
        self,
        entries: list[os.DirEntry],
        directory: str,
        rel: str,
        component: str,
        weak: bool,
        stack: MutableSequence[Task],
    ) -> None:
        result = self.result
        files = []
        for entry in entries:
            # With follow_symlinks=False a symlink is neither file nor directory: links out of
            # the checkout are never followed (Linguist ignores them too).
            if entry.is_file(follow_symlinks=False):
                files.append(entry)
            elif entry.is_dir(follow_symlinks=False) and not is_excluded_dir(entry.name):
                child_rel = f"{rel}/{entry.name}" if rel else entry.name
                stack.append(
                    (
                        f"{directory}/{entry.name}",
                        child_rel,
                        component,
                        weak or entry.name.lower() in WEAK_DIRS,
                    )
                )
        if not files:
            return
        result.files_scanned += len(files)
        match = self.index.match
        directory_rules = self.index.directory_rules(rel)
        by_extension = self.index.by_extension
        languages_by_extension = self.languages.by_extension
        languages_by_filename = self.languages.by_filename
        targeted: list[tuple[os.DirEntry, list[FileTarget]]] = []
        readmes: list[str] = []
        sizes: dict[str, int] = {}
        counts: dict[str, int] = {}
        header_bytes = header_files = 0
        plain_extensions = self.plain_extensions
        for entry in files:
            name = entry.name
            dot = name.rfind(".")
            extension = name[dot:] if dot > 0 else ""
            # Fast path, most files: source code that matches no pattern is only counted.
            plain = plain_extensions.get(extension)
            if (
                plain is not None
                and not directory_rules
                and (plain[2] is None or not plain[2](name))
                and name not in languages_by_filename
            ):
                key, generated_suffixes, _ = plain
                if weak or (generated_suffixes and name.endswith(generated_suffixes)):
                    continue
                if ".generated." not in name:
                    sizes[key] = sizes.get(key, 0) + entry.stat(follow_symlinks=False).st_size
                    counts[key] = counts.get(key, 0) + 1
                continue
            targets = match(name, directory_rules)
            if extension in by_extension:
                targets += by_extension[extension]
            if targets or extension in YAML_SUFFIXES:
                targeted.append((entry, targets))
                if any(
                    type(target) is tuple and target[1] is Kind.CONFIG_FILE for target in targets
                ):
                    continue  # tool configuration (next.config.js …) is not the project's code
            language = languages_by_filename.get(name) or languages_by_extension.get(extension)
            if (name[:dot] if dot > 0 else name).lower() in DOCUMENTATION_STEMS and (
                language is None or language.type != PROGRAMMING
            ):  # README.md and LICENSE are prose; security.py and history.ts are code
                if name[:6].lower() == "readme":
                    readmes.append(name)
                continue
            if weak or is_generated(name):
                continue
            if language is None:
                if extension == HEADER_EXTENSION:
                    header_bytes += entry.stat(follow_symlinks=False).st_size
                    header_files += 1
                    continue
                language = self._special_language(name, directory)
            if language is not None and language.counted:
                key = language.name
                sizes[key] = sizes.get(key, 0) + entry.stat(follow_symlinks=False).st_size
                counts[key] = counts.get(key, 0) + 1

        if targeted and rel and not weak and self._is_component_root(rel, targeted):
            component = rel
            result.component_roots.append(rel)
            for position in range(len(stack) - 1, -1, -1):  # sub-directories queued above
                path, child_rel, _, child_weak = stack[position]
                if not child_rel.startswith(rel + "/"):
                    break
                stack[position] = (path, child_rel, rel, child_weak)
        if sizes or header_files:
            tally = result.tally(component)
            for language_name, size in sizes.items():
                tally.add(language_name, size, counts[language_name])
            if header_files:
                tally.add_header(header_bytes, header_files)
        for entry, targets in targeted:
            self._record_targets(entry, targets, directory, rel, component, weak)
        if readmes and (rel or ".") == component:
            for name in readmes:
                relpath = f"{rel}/{name}" if rel else name
                result.readmes.append(Located(relpath, component, weak))

    @staticmethod
    def _is_component_root(rel: str, targeted: list[tuple[os.DirEntry, list[FileTarget]]]) -> bool:
        return (
            any(
                type(target) is ParserRule and target.component_root
                for _, targets in targeted
                for target in targets
            )
            and os.path.basename(rel) not in REQUIREMENTS_DIRS
        )

    def _special_language(self, name: str, directory: str) -> Language | None:
        """Language by an odd-case extension, or by shebang when there is no extension."""
        dot = name.rfind(".")
        if dot > 0:
            return self.languages.by_extension.get(name[dot:].lower())
        return self._shebang_language(f"{directory}/{name}")

    def _shebang_language(self, path: str) -> Language | None:
        try:
            with open(path, "rb") as handle:
                head = handle.read(SHEBANG_BYTES)
        except OSError:
            return None
        if not head.startswith(b"#!") or b"\0" in head:
            return None
        return self.languages.for_shebang(head)

    def _record_targets(
        self,
        entry: os.DirEntry,
        targets: list[FileTarget],
        directory: str,
        rel: str,
        component: str,
        weak: bool,
    ) -> None:
        """Read the manifests and record the file-name evidence of one file."""
        result = self.result
        name = entry.name
        located = Located(f"{rel}/{name}" if rel else name, component, weak)
        path = f"{directory}/{name}"
        has_parser = False
        for target in targets:
            if isinstance(target, ParserRule):
                result.manifests.append(self._read_manifest(located, path, target))
                has_parser = True
            else:
                result.file_hits.append(FileHit(located, *target))
        if (
            not has_parser
            and not weak
            and entry.name.endswith(YAML_SUFFIXES)
            and entry.stat(follow_symlinks=False).st_size <= MAX_KUBERNETES_CANDIDATE_BYTES
            and _starts_like_kubernetes(path)
        ):
            result.kubernetes_candidates.append(located)

    def _read_manifest(self, file: Located, path: str, rule: ParserRule) -> ManifestFile:
        text, warning = read_text(path, file.relpath, MAX_MANIFEST_BYTES)
        if text is None:
            return ManifestFile(file, rule, read=False, manifest=None, warning=warning)
        manifest, warning = parse(rule, text, path, file.relpath, self.root)
        return ManifestFile(file, rule, read=True, manifest=manifest, warning=warning)


def _starts_like_kubernetes(path: str) -> bool:
    """Cheap first look: apiVersion and kind sit near the top of a Kubernetes object."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(KUBERNETES_SNIFF_BYTES)
    except OSError:
        return False
    return b"apiVersion:" in head and b"kind:" in head
