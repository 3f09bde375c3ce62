"""Reading and parsing one file of the checkout: untrusted input never stops the analysis.

``read_text`` and ``parse`` return what they got and, instead of raising, the warning to report.
Files are read with bare descriptor calls, relative to their directory's descriptor during the
walk: the walk opens hundreds of files, and ``open()`` costs a few more system calls each.
"""

from __future__ import annotations

import os
from pathlib import Path

from .parsers import ParserRule
from .signals import Manifest

MAX_MANIFEST_BYTES = 8 * 1024 * 1024
READ_CHUNK_BYTES = 64 * 1024
OPEN_FLAGS = os.O_RDONLY | os.O_CLOEXEC


def read_head(path: str, size: int, dir_fd: int | None = None) -> bytes:
    """The first ``size`` bytes of a file; empty when it cannot be read."""
    try:
        descriptor = os.open(path, OPEN_FLAGS, dir_fd=dir_fd)
    except OSError:
        return b""
    try:
        return os.read(descriptor, size)
    except OSError:
        return b""
    finally:
        os.close(descriptor)


def read_bytes(path: str, limit: int, dir_fd: int | None = None) -> bytes | None:
    """The whole file, or None when it holds more than ``limit`` bytes. Raises OSError."""
    descriptor = os.open(path, OPEN_FLAGS, dir_fd=dir_fd)
    try:
        size = os.fstat(descriptor).st_size
        if size > limit:
            return None
        data = os.read(descriptor, size + 1)
        if len(data) <= size:  # the usual case: all of it in one call
            return data
        parts, total = [data], len(data)  # the file grew since fstat()
        while total <= limit and (chunk := os.read(descriptor, READ_CHUNK_BYTES)):
            parts.append(chunk)
            total += len(chunk)
        return b"".join(parts) if total <= limit else None
    finally:
        os.close(descriptor)


def read_text(
    path: str, relpath: str, limit: int, dir_fd: int | None = None
) -> tuple[str | None, str | None]:
    """UTF-8 text with universal newlines (as ``open()`` reads it); bad bytes are replaced."""
    try:
        data = read_bytes(path, limit, dir_fd)
    except OSError as error:
        return None, f"{relpath}: cannot read ({error.strerror})"
    if data is None:
        return None, f"{relpath}: skipped, larger than {limit} bytes"
    text = data.decode("utf-8", errors="replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, None


def parse(
    rule: ParserRule, text: str, abspath: str, relpath: str, root: Path
) -> tuple[Manifest | None, str | None]:
    try:
        if rule.needs_root:
            return rule.parse(text, Path(abspath), root=root), None  # type: ignore[call-arg]
        return rule.parse(text, Path(abspath)), None
    except Exception as error:  # a malformed manifest is a finding, not a failure
        return None, f"{relpath}: {error}"
