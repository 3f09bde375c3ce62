"""One pass over the repository: prune excluded folders, sort files into what needs reading.

Only the directory listing and the size of code files are touched here; manifests are read
later, and a code file is opened only when it has no extension (to read a shebang line).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .catalogue import Catalogue
from .languages import LanguageTable, LanguageTally
from .parsers import YAML_SUFFIXES, ParserRule, parser_for
from .paths import DOCUMENTATION_FILE, GENERATED_FILE, WEAK_DIRS, is_excluded_dir
from .signals import Kind

HEADER_EXTENSION = ".h"
SHEBANG_BYTES = 256


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


def _is_component_root(rel: str, files: list[os.DirEntry], weak: bool) -> bool:
    if weak or os.path.basename(rel) == "requirements":
        return False
    for entry in files:
        rule = parser_for(entry.name, entry.name)
        if rule is not None and rule.component_root:
            return True
    return False


def scan(root: Path, catalogue: Catalogue, languages: LanguageTable) -> Scan:
    result = Scan(component_roots=["."])
    result.tallies["."] = LanguageTally()
    stack: list[tuple[str, str, str, bool]] = [(str(root), "", ".", False)]
    while stack:
        directory, rel, component, weak = stack.pop()
        try:
            with os.scandir(directory) as iterator:
                entries = list(iterator)
        except OSError as error:
            result.warnings.append(f"{rel or '.'}: cannot list directory ({error.strerror})")
            continue
        files: list[os.DirEntry] = []
        subdirectories: list[os.DirEntry] = []
        for entry in entries:
            if entry.is_symlink():
                continue  # never follow links out of the checkout; Linguist ignores them too
            if entry.is_dir(follow_symlinks=False):
                if not is_excluded_dir(entry.name):
                    subdirectories.append(entry)
            elif entry.is_file(follow_symlinks=False):
                files.append(entry)
        if rel and _is_component_root(rel, files, weak):
            component = rel
            result.component_roots.append(rel)
            result.tallies[rel] = LanguageTally()
        for entry in subdirectories:
            child_rel = f"{rel}/{entry.name}" if rel else entry.name
            child_weak = weak or entry.name.lower() in WEAK_DIRS
            stack.append((entry.path, child_rel, component, child_weak))
        _classify_files(files, rel, component, weak, result, catalogue, languages)
    return result


def _classify_files(
    files: list[os.DirEntry],
    rel: str,
    component: str,
    weak: bool,
    result: Scan,
    catalogue: Catalogue,
    languages: LanguageTable,
) -> None:
    tally = result.tallies[component]
    at_component_root = (rel or ".") == component
    for entry in files:
        name = entry.name
        relpath = f"{rel}/{name}" if rel else name
        result.files_scanned += 1
        located: Located | None = None
        rule = parser_for(name, relpath)
        if rule is not None:
            located = Located(relpath, entry.path, component, weak)
            result.manifests.append(ManifestFile(located, rule))
        elif name.endswith(YAML_SUFFIXES) and not weak:
            located = Located(relpath, entry.path, component, weak)
            result.yaml_files.append((located, entry.stat(follow_symlinks=False).st_size))
        is_tool_config = False
        for slug, kind in catalogue.files.match(name, relpath):
            located = located or Located(relpath, entry.path, component, weak)
            result.file_hits.append(FileHit(located, slug, kind))
            is_tool_config = is_tool_config or kind is Kind.CONFIG_FILE
        if DOCUMENTATION_FILE.match(name):
            if at_component_root and name[:6].lower() == "readme":
                result.readmes.append(located or Located(relpath, entry.path, component, weak))
            continue
        # Tool configuration (next.config.js, setup.py …) is not the project's own code.
        if weak or is_tool_config or GENERATED_FILE.search(name):
            continue
        language = languages.for_name(name)
        if language is None:
            if name.endswith(HEADER_EXTENSION):
                tally.add_header(entry.stat(follow_symlinks=False).st_size)
            elif "." not in name[1:]:
                _tally_by_shebang(entry, tally, languages)
        elif language.counted:
            tally.add(language, entry.stat(follow_symlinks=False).st_size)


def _tally_by_shebang(entry: os.DirEntry, tally: LanguageTally, languages: LanguageTable) -> None:
    try:
        with open(entry.path, "rb") as handle:
            head = handle.read(SHEBANG_BYTES)
    except OSError:
        return
    if not head.startswith(b"#!") or b"\0" in head:
        return
    language = languages.for_shebang(head)
    if language is not None and language.counted:
        tally.add(language, entry.stat(follow_symlinks=False).st_size)
