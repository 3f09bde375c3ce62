"""Issue 12, item 9: a CSV import always finishes (done, partial or failed, with a reason),
validates every cell before it reaches the database, deletes its files after the retention
period, and the dashboard refuses an oversized upload before writing it to disk."""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from apps.campaigns import tasks
from apps.campaigns.models import Lead, LeadImport
from apps.campaigns.services import imports, lead_import_files_purge, lead_import_run
from tests.campaigns.factories import LeadFactory
from tests.helpers import assert_problem, signed_in

pytestmark = pytest.mark.django_db


def upload_csv(api, content: str) -> LeadImport:
    upload = io.BytesIO(content.encode())
    upload.name = "leads.csv"
    response = api.post("/api/leads/imports", {"file": upload}, format="multipart")
    assert response.status_code == 202, response.content
    return LeadImport.objects.get(public_id=response.json()["id"])


def report_of(api, job: LeadImport) -> list[str]:
    return b"".join(api.get(f"/api/leads/imports/{job.public_id}/errors")).decode().splitlines()


def test_overlong_tag_and_name_on_update_go_to_the_report_and_the_job_is_partial(api):
    LeadFactory(email="known@example.com", first_name="Known")
    long_tag = "t" * 65
    job = upload_csv(
        api,
        "email,first_name,tags\n"
        f"tagged@example.com,Ada,{long_tag}\n"
        f"known@example.com,{'n' * 151},\n"
        "fine@example.com,Grace,python\n",
    )

    assert lead_import_run(import_pk=job.pk) == "partial"

    job.refresh_from_db()
    assert (job.status, job.created, job.updated, job.errors_count) == ("partial", 1, 0, 2)
    assert job.error == "2 rows were not imported; the per-row report says why."
    assert job.finished_at is not None
    assert report_of(api, job) == [
        "row,email,severity,problem",
        "2,tagged@example.com,error,Tag 'ttttttttttttttttttt…' is longer than 64 characters",
        "3,known@example.com,error,First name is longer than 150 characters",
    ]
    assert Lead.objects.get(email="known@example.com").first_name == "Known"
    assert Lead.objects.get(email="fine@example.com").tags == ["python"]


def test_nul_bytes_and_invalid_github_logins_are_row_errors(api):
    job = upload_csv(
        api,
        "email,company,github_username,notes\n"
        "nul@example.com,Ac\x00me,,\n"
        "attr@example.com,,,x\x00y\n"
        "gh@example.com,,not a login!,\n",
    )

    assert lead_import_run(import_pk=job.pk) == "failed"

    job.refresh_from_db()
    assert job.error == "No lead was imported: 3 rows were refused; the per-row report says why."
    assert report_of(api, job)[1:] == [
        "2,nul@example.com,error,Contains a NUL character",
        "3,attr@example.com,error,Contains a NUL character",
        '4,gh@example.com,error,"GitHub username has letters, digits or hyphens only"',
    ]
    assert not Lead.objects.exists()


def test_an_unexpected_error_finishes_the_job_as_failed_with_a_reason(api, settings):
    job = upload_csv(api, "email\nada@example.com\n")
    # The upload vanished from under the worker (a disk that web and worker do not share).
    Path(job.file_path).unlink()

    assert lead_import_run(import_pk=job.pk) == "failed"

    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error.startswith("The import stopped on an unexpected error near row 1;")
    assert job.finished_at is not None


def test_files_are_deleted_after_the_retention_period(api, settings):
    settings.CAMPAIGN_IMPORT_RETENTION_DAYS = 7
    old = upload_csv(api, "email\nold@example.com\nbad\n")
    lead_import_run(import_pk=old.pk)
    recent = upload_csv(api, "email\nnew@example.com\n")
    lead_import_run(import_pk=recent.pk)
    old.refresh_from_db()
    recent.refresh_from_db()
    old_files = [Path(old.file_path), Path(old.errors_path)]
    LeadImport.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=8))
    stray = imports.files_dir() / "import-stray.csv"
    stray.write_text("email\n")
    eight_days_ago = time.time() - 8 * 86400
    os.utime(stray, (eight_days_ago, eight_days_ago))
    abandoned = upload_csv(api, "email\nlost@example.com\n")
    LeadImport.objects.filter(pk=abandoned.pk).update(
        status="running", created_at=timezone.now() - timedelta(days=8)
    )

    deleted = tasks.purge_import_files()

    assert deleted == 4  # the old upload and report, the stray upload, the abandoned upload
    assert not any(path.exists() for path in [*old_files, stray, Path(abandoned.file_path)])
    assert Path(recent.file_path).exists()
    assert Path(recent.errors_path).exists()
    old.refresh_from_db()
    assert (old.status, old.file_path, old.errors_path, old.created) == ("partial", "", "", 1)
    abandoned.refresh_from_db()
    assert abandoned.status == "failed"
    assert abandoned.error.startswith("The import never finished")
    assert_problem(
        api.get(f"/api/leads/imports/{old.public_id}/errors"), 404, "import_report_deleted"
    )
    assert lead_import_files_purge() == 0


def test_dashboard_refuses_an_oversized_upload_before_it_reaches_the_disk(
    shop, owner, settings, tmp_path
):
    settings.CAMPAIGN_IMPORT_MAX_BYTES = 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 512  # bigger files would spool to FILE_UPLOAD_TEMP_DIR
    # A folder that does not exist: spooling even the first byte of the file would fail.
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "absent")
    client = signed_in(shop, owner)
    files = imports.files_dir()
    before = set(files.iterdir())
    upload = io.BytesIO(b"email\n" + b"a@example.com\n" * 100_000)  # 1.4 MB
    upload.name = "huge.csv"

    response = client.post("/leads/", {"file": upload}, follow=True)

    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    assert shown == ["The file is 1.3\xa0MB; imports take at most 1.0\xa0KB."]
    assert set(files.iterdir()) == before
    assert not LeadImport.objects.exists()


def test_dashboard_upload_growing_past_the_limit_is_stopped(shop, owner, settings, tmp_path):
    """A body within the announced allowance still stops once the file passes the limit."""
    settings.CAMPAIGN_IMPORT_MAX_BYTES = 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 512
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    client = signed_in(shop, owner)
    upload = io.BytesIO(b"email\n" + b"a@example.com\n" * 200)  # 2.8 KB, under the allowance
    upload.name = "big.csv"

    response = client.post("/leads/", {"file": upload}, follow=True)

    shown = [str(message) for message in response.context["messages"]]
    assert len(shown) == 1
    assert shown[0].endswith("imports take at most 1.0\xa0KB.")
    assert list(tmp_path.iterdir()) == []
    assert not LeadImport.objects.exists()


def test_dashboard_import_within_the_limit_still_works(shop, owner):
    client = signed_in(shop, owner)
    upload = io.BytesIO(b"email\nada@example.com\n")
    upload.name = "small.csv"

    response = client.post("/leads/", {"file": upload})

    job = LeadImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/leads/imports/{job.public_id}/"


def test_dashboard_lead_form_with_a_nul_character_is_refused_not_a_server_error(shop, owner):
    client = signed_in(shop, owner)

    response = client.post(
        "/leads/", {"email": "nul@example.com", "first_name": "Ad\x00a"}, follow=True
    )

    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    assert shown == ["This field may not contain a NUL character."]
    assert not Lead.objects.filter(email="nul@example.com").exists()
