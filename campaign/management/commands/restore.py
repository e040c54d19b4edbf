"""manage.py restore FILE [--replace]: put a backup back into an empty site."""

from django.core.management.base import BaseCommand, CommandError

from campaign.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` into this site's database and MEDIA_ROOT."

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The .tar file written by manage.py backup.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Overwrite a site that already has data (default: refuse unless it is empty).",
        )

    def handle(self, *args, archive, replace, **options):
        try:
            manifest = restore_backup(archive, replace=replace)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Restored the {manifest['engine']} database and {manifest['media_files']} files "
            f"from the backup of {manifest['created_at']}. Run `manage.py migrate` if this "
            "code is newer than the backup."
        )
