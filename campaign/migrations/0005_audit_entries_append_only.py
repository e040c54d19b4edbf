from django.db import migrations

from campaign.db_guards import install_audit_guard, remove_audit_guard


def install(apps, schema_editor):
    install_audit_guard(schema_editor.connection)


def remove(apps, schema_editor):
    remove_audit_guard(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("campaign", "0004_identity_audit_and_separated_roles")]

    operations = [migrations.RunPython(install, remove)]
