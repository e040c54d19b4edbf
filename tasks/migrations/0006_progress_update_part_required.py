import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0005_parts_from_tasks"),
    ]

    operations = [
        migrations.AlterField(
            model_name="progressupdate",
            name="part",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="updates",
                to="tasks.taskpart",
            ),
        ),
    ]
