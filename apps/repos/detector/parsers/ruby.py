"""RubyGems: Gemfile (every quoting style), *.gemspec and Gemfile.lock."""

from __future__ import annotations

import re
from pathlib import Path

from ..signals import Ecosystem, Kind, Manifest
from .common import clean_version

# A Ruby string literal: "x", 'x', %q(x), %Q{x}, %(x), %q[x], %q<x>, %q|x|.
_STRING = r"""(?:"([^"\n]*)"|'([^'\n]*)'|%[qQ]?\(([^)\n]*)\)|%[qQ]?\{([^}\n]*)\}|%[qQ]?\[([^\]\n]*)\]|%[qQ]?<([^>\n]*)>|%[qQ]?\|([^|\n]*)\|)"""  # noqa: E501
_STRING_GROUPS = re.compile(_STRING).groups
_GEM = re.compile(rf"^[ \t]*gem[ \t]*\(?[ \t]*{_STRING}[ \t]*(?:,[ \t]*{_STRING})?", re.MULTILINE)
_GEMSPEC_DEPENDENCY = re.compile(
    rf"\.add_(runtime_|development_)?dependency\s*\(?\s*{_STRING}\s*(?:,\s*{_STRING})?"
)
_RUBY_VERSION = re.compile(rf"^\s*ruby\s*\(?\s*{_STRING}", re.MULTILINE)
_GROUP = re.compile(r"^\s*group\s+(.+?)\s+do\b", re.MULTILINE)
_LOCK_SPEC = re.compile(r"^    ([A-Za-z0-9_.-]+) \(([^)\s]+)", re.MULTILINE)
_LOCK_RUBY = re.compile(r"^RUBY VERSION\n\s+ruby (\S+)", re.MULTILINE)


def _first(groups: tuple[str | None, ...]) -> str | None:
    return next((group for group in groups if group is not None), None)


def _dev_ranges(text: str) -> list[tuple[int, int]]:
    """Character ranges of `group :development, :test do … end` blocks."""
    ranges = []
    for match in _GROUP.finditer(text):
        if ":development" in match.group(1) or ":test" in match.group(1):
            end = re.compile(r"^\s*end\b", re.MULTILINE).search(text, match.end())
            ranges.append((match.start(), end.end() if end else len(text)))
    return ranges


def parse_gemfile(text: str, file: Path) -> Manifest:
    manifest = Manifest()
    dev_ranges = _dev_ranges(text)
    for match in _GEM.finditer(text):
        name = _first(match.groups()[:_STRING_GROUPS])
        version = _first(match.groups()[_STRING_GROUPS:])
        dev = any(start <= match.start() < end for start, end in dev_ranges)
        manifest.add(
            Ecosystem.RUBYGEMS,
            name or "",
            Kind.DEV_DEPENDENCY if dev else Kind.DEPENDENCY,
            clean_version(version),
        )
    ruby = _RUBY_VERSION.search(text)
    if ruby:
        manifest.add(
            Ecosystem.SLUG, "ruby", Kind.CONFIG_SECTION, clean_version(_first(ruby.groups()))
        )
    return manifest


def parse_gemspec(text: str, file: Path) -> Manifest:
    manifest = Manifest()
    for match in _GEMSPEC_DEPENDENCY.finditer(text):
        kind = Kind.DEV_DEPENDENCY if match.group(1) == "development_" else Kind.DEPENDENCY
        name = _first(match.groups()[1 : 1 + _STRING_GROUPS])
        version = _first(match.groups()[1 + _STRING_GROUPS :])
        manifest.add(Ecosystem.RUBYGEMS, name or "", kind, clean_version(version))
    return manifest


def parse_gemfile_lock(text: str, file: Path) -> Manifest:
    manifest = Manifest()
    for name, version in _LOCK_SPEC.findall(text):
        manifest.add(Ecosystem.RUBYGEMS, name, Kind.LOCKFILE, version)
    ruby = _LOCK_RUBY.search(text)
    if ruby:
        manifest.add(Ecosystem.SLUG, "ruby", Kind.LOCKFILE, clean_version(ruby.group(1)))
    return manifest
