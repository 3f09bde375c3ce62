import gzip
import io
import tarfile

import pytest

from apps.repos.archive import ArchiveLimits, ArchiveRejected, extract_tarball
from tests.repos.support import build_tarball

LIMITS = ArchiveLimits(
    max_bytes=10_000_000, max_unpacked_bytes=50_000_000, max_files=100, max_ratio=200
)


def write(tmp_path, data: bytes):
    archive = tmp_path / "archive.tar.gz"
    archive.write_bytes(data)
    return archive


def test_a_github_tarball_unpacks_to_its_repository_root(tmp_path):
    archive = write(
        tmp_path,
        build_tarball({"a.py": "x = 1\n", "pkg/b.py": "y = 2\n"}, top="octo-hello-6113728"),
    )
    result = extract_tarball(archive, tmp_path / "out", LIMITS)
    assert result.root == (tmp_path / "out" / "octo-hello-6113728").resolve()
    assert (result.root / "pkg" / "b.py").read_text() == "y = 2\n"
    assert (result.files, result.unpacked_bytes) == (2, 12)


@pytest.mark.parametrize("name", ["../evil.py", "top/../../evil.py", "/etc/evil", "C:/evil"])
def test_path_traversal_rejects_the_whole_archive(tmp_path, name):
    archive = write(tmp_path, build_tarball({name: "boom"}, top="", raw_names=True))
    with pytest.raises(ArchiveRejected) as error:
        extract_tarball(archive, tmp_path / "out", LIMITS)
    assert error.value.code == "archive_unsafe_path"
    assert not (tmp_path / "evil.py").exists()


def test_symlinks_are_skipped_not_followed(tmp_path):
    archive = write(
        tmp_path, build_tarball({"ok.py": "x = 1\n"}, symlinks={"secrets": "/etc", "up": "../../x"})
    )
    result = extract_tarball(archive, tmp_path / "out", LIMITS)
    assert sorted(result.skipped_links) == ["octo-hello-6113728/secrets", "octo-hello-6113728/up"]
    assert not (result.root / "secrets").exists()
    assert not (result.root / "up").is_symlink()
    assert (result.root / "ok.py").exists()


def test_too_many_files(tmp_path):
    archive = write(tmp_path, build_tarball({f"f{i}.txt": "x" for i in range(101)}))
    with pytest.raises(ArchiveRejected) as error:
        extract_tarball(archive, tmp_path / "out", LIMITS)
    assert error.value.code == "archive_too_many_files"


def test_too_large_unpacked(tmp_path):
    limits = ArchiveLimits(
        max_bytes=10_000_000, max_unpacked_bytes=1000, max_files=100, max_ratio=10_000
    )
    archive = write(tmp_path, build_tarball({"big.txt": "x" * 2000}))
    with pytest.raises(ArchiveRejected) as error:
        extract_tarball(archive, tmp_path / "out", limits)
    assert error.value.code == "archive_too_large"


def test_a_decompression_bomb_is_refused_before_it_is_written(tmp_path):
    archive = write(tmp_path, build_tarball({"zeros.bin": b"\0" * (12 * 1024 * 1024)}))
    assert archive.stat().st_size < 60_000  # 12 MB of zeros compress ~1000x
    with pytest.raises(ArchiveRejected) as error:
        extract_tarball(archive, tmp_path / "out", LIMITS)
    assert error.value.code == "archive_decompression_bomb"
    assert not any((tmp_path / "out").rglob("zeros.bin"))


def test_a_corrupt_archive(tmp_path):
    archive = write(tmp_path, gzip.compress(b"this is not a tar file" * 100))
    with pytest.raises(ArchiveRejected) as error:
        extract_tarball(archive, tmp_path / "out", LIMITS)
    assert error.value.code == "archive_corrupt"


def test_devices_and_fifos_are_not_created(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        fifo = tarfile.TarInfo("top/pipe")
        fifo.type = tarfile.FIFOTYPE
        tar.addfile(fifo)
        data = b"print(1)\n"
        info = tarfile.TarInfo("top/a.py")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    result = extract_tarball(write(tmp_path, buffer.getvalue()), tmp_path / "out", LIMITS)
    assert not (result.root / "pipe").exists()
    assert result.files == 1
