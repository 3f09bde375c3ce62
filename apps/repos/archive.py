"""Unpack a repository tarball safely.

GitHub tarballs hold one top folder (`owner-name-sha/`). Members are read as a stream and
written one by one under these rules:

- absolute paths, `..` components and anything that would land outside the destination reject
  the whole archive (`archive_unsafe_path`): GitHub never produces them;
- symbolic and hard links, devices and FIFOs are skipped, never created (a repository's
  symlinks are not needed to detect its stack, and following them could escape the folder);
- more than `max_files` files (`archive_too_many_files`) or more than `max_unpacked_bytes`
  unpacked (`archive_too_large`) stop extraction; an unpacked/compressed ratio above `max_ratio`
  once past 10 MB is a decompression bomb (`archive_decompression_bomb`).
"""

from __future__ import annotations

import shutil
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings

BOMB_FLOOR_BYTES = 10 * 1024 * 1024


class ArchiveRejected(Exception):
    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ArchiveLimits:
    max_bytes: int
    max_unpacked_bytes: int
    max_files: int
    max_ratio: int

    @classmethod
    def from_settings(cls) -> ArchiveLimits:
        return cls(
            max_bytes=settings.REPO_ARCHIVE_MAX_BYTES,
            max_unpacked_bytes=settings.REPO_ARCHIVE_MAX_UNPACKED_BYTES,
            max_files=settings.REPO_ARCHIVE_MAX_FILES,
            max_ratio=settings.REPO_ARCHIVE_MAX_RATIO,
        )


@dataclass
class Extracted:
    root: Path
    files: int = 0
    unpacked_bytes: int = 0
    skipped_links: list[str] = field(default_factory=list)


def _safe_relative(name: str) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if (
        path.is_absolute()
        or name.startswith(("/", "\\"))
        or ".." in path.parts
        or (path.parts and ":" in path.parts[0])
    ):
        raise ArchiveRejected(
            f"The archive contains an unsafe path: {name!r}.", code="archive_unsafe_path"
        )
    return path


def extract_tarball(archive: Path, destination: Path, limits: ArchiveLimits) -> Extracted:
    """Unpack `archive` (gzip tar) into `destination`; returns the repository root folder."""
    compressed = max(1, archive.stat().st_size)
    destination.mkdir(parents=True, exist_ok=True)
    base = destination.resolve()
    result = Extracted(root=base)
    top_levels: set[str] = set()
    try:
        with archive.open("rb") as raw, tarfile.open(fileobj=raw, mode="r|*") as tar:
            for member in tar:
                relative = _safe_relative(member.name)
                if not relative.parts or relative == PurePosixPath("."):
                    continue
                top_levels.add(relative.parts[0])
                target = (base / relative).resolve()
                if not target.is_relative_to(base):
                    raise ArchiveRejected(
                        f"The archive contains an unsafe path: {member.name!r}.",
                        code="archive_unsafe_path",
                    )
                if member.issym() or member.islnk():
                    result.skipped_links.append(str(relative))
                    continue
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                if not member.isreg():
                    continue
                result.files += 1
                if result.files > limits.max_files:
                    raise ArchiveRejected(
                        f"The repository has more than {limits.max_files} files.",
                        code="archive_too_many_files",
                    )
                result.unpacked_bytes += member.size
                _check_size(result.unpacked_bytes, compressed, limits)
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                if source is None:
                    continue
                with source, target.open("wb") as out:
                    shutil.copyfileobj(source, out, 64 * 1024)
    except tarfile.TarError as exc:
        raise ArchiveRejected(
            f"The repository archive could not be read: {exc}.", code="archive_corrupt"
        ) from exc
    except (EOFError, OSError, ValueError) as exc:
        raise ArchiveRejected(
            f"The repository archive could not be read: {exc}.", code="archive_corrupt"
        ) from exc
    if len(top_levels) == 1:
        only = base / next(iter(top_levels))
        if only.is_dir():
            result.root = only
    return result


def _check_size(unpacked: int, compressed: int, limits: ArchiveLimits) -> None:
    if unpacked > limits.max_unpacked_bytes:
        raise ArchiveRejected(
            f"The repository unpacks to more than {limits.max_unpacked_bytes} bytes.",
            code="archive_too_large",
        )
    if unpacked > BOMB_FLOOR_BYTES and unpacked / compressed > limits.max_ratio:
        raise ArchiveRejected(
            "The archive expands far more than source code does "
            f"(over {limits.max_ratio} times); refusing a decompression bomb.",
            code="archive_decompression_bomb",
        )
