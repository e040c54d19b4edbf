from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def count_unread(apps, schema_editor):
    """Each person's count starts as their unread notices."""
    Person = apps.get_model("campaign", "Person")
    Notification = apps.get_model("campaign", "Notification")
    unread = (
        Notification.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("recipient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Person.objects.update(unread_notifications=Coalesce(Subquery(unread), 0))


class Migration(migrations.Migration):
    dependencies = [
        ("campaign", "0013_system_tree_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="unread_notifications",
            field=models.IntegerField(default=0, editable=False),
        ),
        migrations.RunPython(count_unread, migrations.RunPython.noop),
    ]
