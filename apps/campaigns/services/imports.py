"""Streaming CSV import of leads: any size within the limit, constant memory, per-row report.

The upload is stored as a file; a Celery task reads it row by row (never whole), upserts leads in
batches of 1,000 (case-insensitive dedupe against the table and within the file), skips suppressed
addresses and writes every problem to an errors CSV the user can download. Progress (bytes read)
is saved after each batch for the dashboard to poll.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import EmailValidator
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import Truncator

from apps.billing.services import entitlement_check
from apps.campaigns import tasks
from apps.core.errors import DomainError, PayloadTooLarge, ValidationFailed

from ..csv_cells import SafeWriter
from ..models import LEAD_FIELDS, Lead, LeadImport, LeadList, Suppression
from .common import current_schema, current_tenant
from .leads import GITHUB_LOGIN, lead_repositories_analyse_later

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

logger = logging.getLogger(__name__)

BATCH = 1000


class _Report(Protocol):
    """The per-row problems CSV (a `csv.writer`)."""

    def writerow(self, row: Iterable[Any], /) -> Any: ...


FIELD_ALIASES = {
    "email": {"email", "e-mail", "email address", "e-mail address", "mail"},
    "first_name": {"first_name", "first name", "firstname", "given name"},
    "last_name": {"last_name", "last name", "lastname", "surname", "family name"},
    "company": {"company", "organisation", "organization", "company name"},
    "github_username": {"github_username", "github", "github username", "github login"},
    "github_url": {"github_url", "github url", "github profile", "repository", "repo url"},
    "tags": {"tags", "tag", "labels"},
}
ROLE_LOCAL_PARTS = {
    "admin",
    "administrator",
    "info",
    "support",
    "sales",
    "contact",
    "hello",
    "help",
    "office",
    "billing",
    "noreply",
    "no-reply",
    "postmaster",
    "abuse",
    "webmaster",
    "marketing",
    "team",
    "hr",
    "jobs",
    "careers",
    "security",
}
DISPOSABLE_DOMAINS = {
    "mailinator.com",
    "guerrillamail.com",
    "10minutemail.com",
    "tempmail.com",
    "temp-mail.org",
    "yopmail.com",
    "trashmail.com",
    "sharklasers.com",
    "getnada.com",
    "dispostable.com",
    "maildrop.cc",
    "throwawaymail.com",
    "fakeinbox.com",
    "mintemail.com",
    "mohmal.com",
    "emailondeck.com",
}
_validate_email = EmailValidator()
# Lead columns a row may set, with the label the error report uses.
TEXT_FIELDS = {
    "first_name": "First name",
    "last_name": "Last name",
    "company": "Company",
    "github_username": "GitHub username",
    "github_url": "GitHub URL",
}


def files_dir() -> Path:
    path = Path(settings.CAMPAIGN_FILES_DIR) / current_schema()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _normal(header: str) -> str:
    return re.sub(r"\s+", " ", header.strip().lower().replace("_", " ")).replace(" ", "_")


def auto_mapping(headers: list[str]) -> dict[str, str]:
    """CSV header → lead field; headers that match no field become custom attributes."""
    mapping = {}
    for header in headers:
        key = header.strip().lower()
        field = next(
            (
                f
                for f, names in FIELD_ALIASES.items()
                if key in names or key.replace("_", " ") in names
            ),
            None,
        )
        mapping[header] = field or f"attributes.{_normal(header)}"
    return mapping


# What a multipart body may carry besides the file: boundaries, part headers, `mapping`, `list`.
MULTIPART_ALLOWANCE = 1024 * 1024


def import_size_check(*, size: int, allowance: int = 0) -> None:
    """413 `import_too_large` for a file over `CAMPAIGN_IMPORT_MAX_BYTES`.

    The API also calls it with the request's Content-Length (plus `MULTIPART_ALLOWANCE`) before
    the body is parsed, so a token client's oversized upload is refused without being spooled to
    disk; the exact check on the received file follows in `lead_import_create`.
    """
    limit = settings.CAMPAIGN_IMPORT_MAX_BYTES
    if size > limit + allowance:
        raise PayloadTooLarge(
            f"The file is {filesizeformat(size)}; imports take at most {filesizeformat(limit)}.",
            code="import_too_large",
            extra={"max_bytes": limit},
        )


@transaction.atomic
def lead_import_create(
    *,
    upload: UploadedFile[bytes],
    mapping: dict[str, str] | None = None,
    lead_list: LeadList | None = None,
) -> LeadImport:
    """Store the uploaded file and queue the import. Checks size and header up front."""
    import_size_check(size=upload.size or 0)
    path = files_dir() / f"import-{uuid.uuid4().hex}.csv"
    with open(path, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    headers = _read_header(path)
    mapping = mapping or auto_mapping(headers)
    unknown = [h for h in mapping if h not in headers]
    if unknown:
        path.unlink(missing_ok=True)
        raise ValidationFailed.for_field(
            "mapping",
            "Columns not in the file: " + ", ".join(unknown),
            code="import_mapping_invalid",
        )
    if "email" not in mapping.values():
        path.unlink(missing_ok=True)
        raise ValidationFailed.for_field(
            "file",
            "No email column found. Columns in the file: "
            + ", ".join(headers)
            + ". Name one 'email' or map it explicitly.",
            code="import_email_column_missing",
        )
    job = LeadImport.objects.create(
        file_path=str(path), file_size=path.stat().st_size, mapping=mapping, lead_list=lead_list
    )
    transaction.on_commit(lambda: tasks.import_leads.delay(job.pk))
    return job


def _read_header(path: Path) -> list[str]:
    with open(path, "rb") as raw:
        first = raw.readline(64 * 1024)
    if not first.strip():
        raise ValidationFailed.for_field("file", "The file is empty.", code="import_empty")
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.for_field(
            "file",
            "The file is not UTF-8 text (byte "
            f"{exc.start} of the header). Save it as 'CSV UTF-8' and upload it again.",
            code="import_encoding",
        ) from exc
    try:
        dialect = csv.Sniffer().sniff(text, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return next(csv.reader([text], dialect))


class _Counting(io.RawIOBase):
    def __init__(self, raw: io.BufferedIOBase) -> None:
        self.raw, self.count = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        n = self.raw.readinto(buffer)
        self.count += n or 0
        return n


def lead_import_run(*, import_pk: int) -> str:
    job = LeadImport.objects.get(pk=import_pk)
    if job.status in LeadImport.FINISHED:
        return job.status
    errors_path = Path(job.file_path).with_suffix(".errors.csv")
    LeadImport.objects.filter(pk=job.pk).update(
        status=LeadImport.Status.RUNNING,
        errors_path=str(errors_path),
        bytes_read=0,
        rows_total=0,
        created=0,
        updated=0,
        skipped=0,
        errors_count=0,
    )
    totals = {"rows_total": 0, "created": 0, "updated": 0, "skipped": 0, "errors_count": 0}
    try:
        return _import_rows(job, errors_path, totals)
    except Exception:
        # Rows are validated before they are written, so this is a bug or an outage; the job
        # still finishes (never `running` forever) and says where it stopped.
        logger.exception("Lead import %s stopped on an unexpected error", job.public_id)
        return _fail(
            job,
            f"The import stopped on an unexpected error near row {totals['rows_total'] + 1}; "
            "rows before it were imported. Try again, or contact support if it repeats.",
            None,
            totals,
        )


def _import_rows(job: LeadImport, errors_path: Path, totals: dict[str, int]) -> str:
    with open(job.file_path, "rb") as raw_file, open(errors_path, "w", newline="") as err_file:
        counting = _Counting(raw_file)
        text = io.TextIOWrapper(
            io.BufferedReader(counting, 256 * 1024), encoding="utf-8-sig", newline=""
        )
        report = SafeWriter(csv.writer(err_file))
        report.writerow(["row", "email", "severity", "problem"])
        header = _read_header(Path(job.file_path))
        try:
            dialect = csv.Sniffer().sniff(",".join(header), delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(text, dialect)
        seen: set[str] = set()
        batch: list[tuple[int, dict[str, Any]]] = []
        try:
            next(reader)
            row_number = 1
            for values in reader:
                row_number += 1
                totals["rows_total"] += 1
                parsed = _parse_row(values, header, job.mapping, row_number, report, seen, totals)
                if parsed:
                    batch.append((row_number, parsed))
                if len(batch) >= BATCH:
                    _flush(job, batch, report, totals)
                    batch = []
                    _progress(job, counting.count, totals)
            _flush(job, batch, report, totals)
        except UnicodeDecodeError as exc:
            return _fail(
                job,
                f"The file is not UTF-8 text near byte {counting.count}: "
                f"{exc.reason}. Save it as 'CSV UTF-8'.",
                counting.count,
                totals,
            )
        except csv.Error as exc:
            return _fail(
                job,
                f"Malformed CSV near row {totals['rows_total'] + 1}: {exc}",
                counting.count,
                totals,
            )
        except DomainError as exc:
            return _fail(job, exc.detail, counting.count, totals)
    status, reason = _outcome(totals)
    LeadImport.objects.filter(pk=job.pk).update(
        status=status,
        error=reason,
        bytes_read=job.file_size,
        finished_at=timezone.now(),
        **totals,
    )
    return status


def _outcome(totals: dict[str, int]) -> tuple[str, str]:
    """Done when every row was imported or deliberately skipped; partial when some rows were
    refused; failed when rows were refused and none imported."""
    errors = totals["errors_count"]
    if not errors:
        return LeadImport.Status.DONE, ""
    rows = "1 row was" if errors == 1 else f"{errors} rows were"
    if totals["created"] or totals["updated"]:
        return (
            LeadImport.Status.PARTIAL,
            f"{rows} not imported; the per-row report says why.",
        )
    return (
        LeadImport.Status.FAILED,
        f"No lead was imported: {rows} refused; the per-row report says why.",
    )


def _fail(job: LeadImport, message: str, position: int | None, totals: dict[str, int]) -> str:
    """Finish as failed with `message`; `position` is the bytes read, when known."""
    progress = {} if position is None else {"bytes_read": position}
    LeadImport.objects.filter(pk=job.pk).update(
        status=LeadImport.Status.FAILED,
        error=message,
        finished_at=timezone.now(),
        **progress,
        **totals,
    )
    return LeadImport.Status.FAILED


def _progress(job: LeadImport, position: int, totals: dict[str, int]) -> None:
    LeadImport.objects.filter(pk=job.pk).update(bytes_read=position, **totals)


def _parse_row(
    values: list[str],
    header: list[str],
    mapping: dict[str, str],
    row_number: int,
    report: _Report,
    seen: set[str],
    totals: dict[str, int],
) -> dict[str, Any] | None:
    if not any(v.strip() for v in values):
        return None
    if len(values) != len(header):
        report.writerow(
            [row_number, "", "error", f"Expected {len(header)} columns, found {len(values)}"]
        )
        totals["errors_count"] += 1
        return None
    row: dict[str, Any] = {"attributes": {}, "tags": []}
    for column, value in zip(header, values, strict=True):
        target = mapping.get(column)
        value = value.strip()
        if not target or not value:
            continue
        if target.startswith("attributes."):
            row["attributes"][target.split(".", 1)[1]] = value
        elif target == "tags":
            row["tags"] = [t.strip().lower() for t in re.split(r"[;,|]", value) if t.strip()]
        else:
            row[target] = value
    email = row.get("email", "")
    try:
        _validate_email(email)
    except ValidationError:
        report.writerow(
            [
                row_number,
                email,
                "error",
                "Invalid email address" if email else "Missing email address",
            ]
        )
        totals["errors_count"] += 1
        return None
    problem = _row_problem(row)
    if problem:
        report.writerow([row_number, email, "error", problem])
        totals["errors_count"] += 1
        return None
    key = email.lower()
    if key in seen:
        report.writerow([row_number, email, "skipped", "Duplicate of an earlier row"])
        totals["skipped"] += 1
        return None
    seen.add(key)
    local, _, domain = key.partition("@")
    if local in ROLE_LOCAL_PARTS:
        row["tags"].append("role-address")
        report.writerow(
            [row_number, email, "warning", "Role address (imported, tagged role-address)"]
        )
    if domain in DISPOSABLE_DOMAINS:
        row["tags"].append("disposable-address")
        report.writerow(
            [
                row_number,
                email,
                "warning",
                "Disposable address (imported, tagged disposable-address)",
            ]
        )
    return row


def _max_length(field: object) -> int:
    return int(getattr(field, "max_length", 0) or 0)


def _row_problem(row: dict[str, Any]) -> str | None:
    """Why a row cannot be stored as a lead, checked against the columns' limits, so one bad
    cell is a line in the report instead of a database error that stops the import."""
    email = row["email"]
    email_limit = _max_length(Lead._meta.get_field("email"))
    if len(email) > email_limit:
        return f"Email address is longer than {email_limit} characters"
    cells = [email, *row["tags"], *row["attributes"], *row["attributes"].values()]
    cells += [row.get(field, "") for field in TEXT_FIELDS]
    if any("\x00" in cell for cell in cells):
        return "Contains a NUL character"
    for field, label in TEXT_FIELDS.items():
        limit = _max_length(Lead._meta.get_field(field))
        if len(row.get(field, "")) > limit:
            return f"{label} is longer than {limit} characters"
    login = row.get("github_username", "")
    if login and not GITHUB_LOGIN.match(login):
        return "GitHub username has letters, digits or hyphens only"
    tag_limit = _max_length(getattr(Lead._meta.get_field("tags"), "base_field", None))
    for tag in row["tags"]:
        if len(tag) > tag_limit:
            shown = Truncator(tag).chars(20)
            return f"Tag '{shown}' is longer than {tag_limit} characters"
    return None


@transaction.atomic
def _flush(
    job: LeadImport,
    batch: list[tuple[int, dict[str, Any]]],
    report: _Report,
    totals: dict[str, int],
) -> None:
    if not batch:
        return
    emails = [row["email"].lower() for _, row in batch]
    suppressed = set(
        Suppression.objects.annotate(e=Lower("email"))
        .filter(e__in=emails)
        .values_list("e", flat=True)
    )
    existing = {
        lead.email.lower(): lead
        for lead in Lead.objects.annotate(e=Lower("email")).filter(e__in=emails)
    }
    new, changed, github_changed = [], [], []
    for row_number, row in batch:
        key = row["email"].lower()
        if key in suppressed:
            report.writerow(
                [row_number, row["email"], "skipped", "Address is on the suppression list"]
            )
            totals["skipped"] += 1
            continue
        lead = existing.get(key)
        if lead is None:
            new.append(
                Lead(
                    email=row["email"],
                    first_name=row.get("first_name", ""),
                    last_name=row.get("last_name", ""),
                    company=row.get("company", ""),
                    github_username=row.get("github_username", ""),
                    github_url=row.get("github_url", ""),
                    attributes=row["attributes"],
                    tags=sorted(set(row["tags"])),
                )
            )
        else:
            github_before = (lead.github_username, lead.github_url)
            for field in ("first_name", "last_name", "company", "github_username", "github_url"):
                if row.get(field):
                    setattr(lead, field, row[field])
            lead.attributes = {**lead.attributes, **row["attributes"]}
            lead.tags = sorted(set(lead.tags) | set(row["tags"]))
            lead.updated_at = timezone.now()
            changed.append(lead)
            if (lead.github_username, lead.github_url) != github_before:
                github_changed.append(lead)
    if new:
        entitlement_check(
            tenant=current_tenant(),
            resource="leads",
            amount=len(new),
            current=Lead.objects.count(),
        )
        Lead.objects.bulk_create(new, batch_size=BATCH)
    if changed:
        Lead.objects.bulk_update(
            changed,
            [*LEAD_FIELDS, "updated_at"],
            batch_size=BATCH,
        )
    if job.lead_list_id:
        through = Lead.lists.through
        ids = (
            Lead.objects.annotate(e=Lower("email"))
            .filter(e__in=emails)
            .values_list("id", flat=True)
        )
        through.objects.bulk_create(
            [through(lead_id=i, leadlist_id=job.lead_list_id) for i in ids], ignore_conflicts=True
        )
    # New leads and leads whose GitHub account changed get their repositories analysed.
    lead_repositories_analyse_later(leads=[*new, *github_changed])
    totals["created"] += len(new)
    totals["updated"] += len(changed)


def lead_import_files_purge(*, now: datetime | None = None) -> int:
    """Delete the uploads and error reports older than `CAMPAIGN_IMPORT_RETENTION_DAYS`.

    Finished jobs keep their row (counts, status, reason) but lose their files; a job still
    pending or running after the whole retention period was abandoned by a lost worker and is
    finished as failed. Files in the folder that no job references (an upload refused after it
    was stored) go too. Returns how many files were deleted.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.CAMPAIGN_IMPORT_RETENTION_DAYS)
    abandoned = LeadImport.objects.filter(
        status__in=[LeadImport.Status.PENDING, LeadImport.Status.RUNNING], created_at__lt=cutoff
    )
    abandoned_pks = list(abandoned.values_list("pk", flat=True))
    abandoned.update(
        status=LeadImport.Status.FAILED,
        error="The import never finished; its file was deleted after the retention period.",
        finished_at=now or timezone.now(),
    )
    deleted = 0
    expired = LeadImport.objects.filter(
        Q(status__in=LeadImport.FINISHED, finished_at__lt=cutoff) | Q(pk__in=abandoned_pks)
    ).exclude(file_path="", errors_path="")
    for job in expired:
        for name in (job.file_path, job.errors_path):
            if name and _unlink(Path(name)):
                deleted += 1
        LeadImport.objects.filter(pk=job.pk).update(file_path="", errors_path="")
    referenced = {
        name
        for pair in LeadImport.objects.values_list("file_path", "errors_path")
        for name in pair
        if name
    }
    for path in files_dir().glob("import-*"):
        if str(path) in referenced:
            continue
        modified = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        if modified < cutoff and _unlink(path):
            deleted += 1
    return deleted


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
