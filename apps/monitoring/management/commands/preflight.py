import json

from django.core.management.base import BaseCommand, CommandError

from apps.monitoring.preflight import ERROR, preflight


class Command(BaseCommand):
    help = (
        "Production readiness: settings, check --deploy, database and Redis, migrations, static "
        "files, secrets due for rotation. Exits non-zero when any error is found."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--require-migrated",
            action="store_true",
            help="unapplied migrations are errors (use after migrating, as a health check)",
        )
        parser.add_argument(
            "--no-services", action="store_true", help="skip database, Redis and migrations"
        )
        parser.add_argument("--json", action="store_true", help="print the problems as JSON")

    def handle(self, *args, **options):
        problems = preflight(
            require_migrated=options["require_migrated"],
            check_services=not options["no_services"],
        )
        errors = [problem for problem in problems if problem.severity == ERROR]
        if options["json"]:
            self.stdout.write(json.dumps([problem.__dict__ for problem in problems]))
        else:
            for problem in problems:
                style = self.style.ERROR if problem.severity == ERROR else self.style.WARNING
                self.stdout.write(style(str(problem)))
        if errors:
            raise CommandError(f"Preflight failed: {len(errors)} error(s), see above.")
        self.stdout.write(self.style.SUCCESS(f"Preflight passed ({len(problems)} warning(s))."))
