"""manage.py backup [--output FILE]: the database and every uploaded file in one tar file."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from campaign.backup import BackupError, make_backup


class Command(BaseCommand):
    help = "Back up the database (pg_dump -Fc or SQLite's online backup) and MEDIA_ROOT."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            default=f"backups/chuangcheng-{timezone.now():%Y%m%d-%H%M%S}.tar",
            help="Where to write the archive (default: backups/chuangcheng-DATE-TIME.tar).",
        )

    def handle(self, *args, output, **options):
        try:
            manifest = make_backup(output)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Backed up the {manifest['engine']} database and {manifest['media_files']} files "
            f"to {output}."
        )
        if manifest["missing_files"]:
            self.stderr.write(
                f"Warning: {len(manifest['missing_files'])} files the database refers to were "
                "not on disk (listed in manifest.json)."
            )
