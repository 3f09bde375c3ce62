"""Where backups are kept: a local folder or an S3-compatible bucket (`BACKUP_LOCATION`).

A backup is a folder named by its id holding its data files and `manifest.json`. The manifest is
written last, so a backup without one is incomplete (an interrupted run) and is never restored.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings

MANIFEST_NAME = "manifest.json"


class BackupStorage(Protocol):
    location: str

    def upload(self, *, backup_id: str, name: str, source: Path) -> None: ...

    def download(self, *, backup_id: str, name: str, target: Path) -> None: ...

    def write_text(self, *, backup_id: str, name: str, text: str) -> None: ...

    def read_text(self, *, backup_id: str, name: str) -> str | None: ...

    def backup_ids(self) -> list[str]: ...

    def delete(self, *, backup_id: str) -> None: ...


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = str(root)

    def _folder(self, backup_id: str) -> Path:
        folder = self.root / backup_id
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return folder

    def upload(self, *, backup_id: str, name: str, source: Path) -> None:
        target = self._folder(backup_id) / name
        if source.resolve() != target.resolve():
            shutil.copyfile(source, target)

    def download(self, *, backup_id: str, name: str, target: Path) -> None:
        shutil.copyfile(self.root / backup_id / name, target)

    def write_text(self, *, backup_id: str, name: str, text: str) -> None:
        partial = self._folder(backup_id) / f".{name}.partial"
        partial.write_text(text, encoding="utf-8")
        partial.replace(self.root / backup_id / name)  # atomic: a manifest is whole or absent

    def read_text(self, *, backup_id: str, name: str) -> str | None:
        path = self.root / backup_id / name
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def backup_ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(path.name for path in self.root.iterdir() if path.is_dir())

    def delete(self, *, backup_id: str) -> None:
        shutil.rmtree(self.root / backup_id, ignore_errors=True)

    def local_path(self, *, backup_id: str, name: str) -> Path:
        """Where pg_dump may write directly, sparing a copy."""
        return self._folder(backup_id) / name


class S3Storage:
    def __init__(self, *, bucket: str, prefix: str) -> None:
        import boto3

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.location = f"s3://{bucket}/{self.prefix}".rstrip("/")
        options: dict[str, Any] = {}
        if settings.BACKUP_S3_ENDPOINT_URL:
            options["endpoint_url"] = settings.BACKUP_S3_ENDPOINT_URL
        if settings.BACKUP_S3_REGION:
            options["region_name"] = settings.BACKUP_S3_REGION
        if settings.BACKUP_S3_ACCESS_KEY_ID:
            options["aws_access_key_id"] = settings.BACKUP_S3_ACCESS_KEY_ID
            options["aws_secret_access_key"] = settings.BACKUP_S3_SECRET_ACCESS_KEY
        self.client = boto3.client("s3", **options)

    def _key(self, backup_id: str, name: str = "") -> str:
        return "/".join(part for part in (self.prefix, backup_id, name) if part)

    def upload(self, *, backup_id: str, name: str, source: Path) -> None:
        self.client.upload_file(str(source), self.bucket, self._key(backup_id, name))

    def download(self, *, backup_id: str, name: str, target: Path) -> None:
        self.client.download_file(self.bucket, self._key(backup_id, name), str(target))

    def write_text(self, *, backup_id: str, name: str, text: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self._key(backup_id, name), Body=text.encode("utf-8")
        )

    def read_text(self, *, backup_id: str, name: str) -> str | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(backup_id, name))
        except self.client.exceptions.NoSuchKey:
            return None
        return response["Body"].read().decode("utf-8")

    def backup_ids(self) -> list[str]:
        prefix = f"{self.prefix}/" if self.prefix else ""
        ids: set[str] = set()
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix, Delimiter="/"
        ):
            for common in page.get("CommonPrefixes", []):
                ids.add(common["Prefix"][len(prefix) :].rstrip("/"))
        return sorted(ids)

    def delete(self, *, backup_id: str) -> None:
        prefix = self._key(backup_id) + "/"
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        ):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys})


def backup_storage(location: str | None = None) -> LocalStorage | S3Storage:
    """The storage named by `location` (default `BACKUP_LOCATION`): a path or s3://bucket/prefix."""
    location = location or settings.BACKUP_LOCATION
    if location.startswith("s3://"):
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        return S3Storage(bucket=bucket, prefix=prefix)
    return LocalStorage(Path(location.removeprefix("file://")).expanduser())
