from django.core.management.base import BaseCommand, CommandError

from apps.tenants import backups


class Command(BaseCommand):
    help = (
        "Back up the whole database (pg_dump custom format) or one tenant (--tenant), with a "
        "manifest, to BACKUP_LOCATION; --list shows backups, --prune applies retention."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", metavar="SLUG", help="back up this tenant only")
        parser.add_argument("--location", help="folder or s3://bucket/prefix (BACKUP_LOCATION)")
        parser.add_argument("--trigger", default="manual", help="recorded on the run: manual…")
        parser.add_argument("--list", action="store_true", help="list complete backups and exit")
        parser.add_argument(
            "--prune",
            action="store_true",
            help="after backing up, delete backups of the same scope beyond BACKUP_KEEP_LAST "
            "or older than BACKUP_MAX_AGE_DAYS",
        )

    def handle(self, *args, tenant=None, location=None, trigger="manual", **options):
        scope = f"tenant-{tenant}" if tenant else backups.DATABASE_SCOPE
        if options["list"]:
            for backup_id in backups.backup_list(location=location, scope=scope):
                self.stdout.write(backup_id)
            return
        try:
            result = backups.backup_create(tenant_slug=tenant, location=location, trigger=trigger)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Backup {result.backup_id} written to {result.location} "
            f"({result.size_bytes / 2**20:.1f} MiB)."
        )
        if options["prune"]:
            for backup_id in backups.backups_prune(scope=scope, location=location):
                self.stdout.write(f"Deleted {backup_id} (retention).")
        # The id alone on the last line, for scripts (scripts/release.sh).
        self.stdout.write(result.backup_id)
