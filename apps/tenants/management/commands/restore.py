from django.core.management.base import BaseCommand, CommandError

from apps.tenants import backups


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup`. A tenant backup replaces that tenant only "
        "(loaded into a temporary schema, then swapped in one transaction). A whole-database "
        "backup is restored with pg_restore --clean in one transaction, into --database."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup_id")
        parser.add_argument("--location", help="folder or s3://bucket/prefix (BACKUP_LOCATION)")
        parser.add_argument(
            "--database", help="whole-database backups: target database (default: the live one)"
        )
        parser.add_argument(
            "--create-database", action="store_true", help="create --database first"
        )
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, backup_id, location=None, database=None, **options):
        if not options["yes"] and options.get("interactive", True):
            answer = input(f"Restore {backup_id}? Data written since it was made is lost. [y/N] ")
            if answer.strip().lower() != "y":
                raise CommandError("Restore cancelled.")
        try:
            manifest = backups.backup_restore(
                backup_id=backup_id,
                location=location,
                target_database=database,
                create_database=options["create_database"],
            )
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        what = (
            f"tenant {manifest['tenant']['slug']}" if manifest["kind"] == "tenant" else "database"
        )
        self.stdout.write(f"Restored {what} from {backup_id} ({manifest['created_at']}).")
