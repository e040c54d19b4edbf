from django.db import migrations, models


class Migration(migrations.Migration):
    """The map's markers read their status from finding_open_order too, so that a thousand are
    read from the index alone (issue 13, scale)."""

    dependencies = [("inspections", "0013_finding_status_order")]

    operations = [
        migrations.RemoveIndex(model_name="finding", name="finding_open_order"),
        migrations.AddIndex(
            model_name="finding",
            index=models.Index(
                condition=models.Q(
                    (
                        "status__in",
                        [
                            "registered",
                            "awaiting",
                            "assigned",
                            "rectifying",
                            "returned",
                            "disputed",
                        ],
                    )
                ),
                fields=["campaign", "-found_on", "-id"],
                include=(
                    "unit",
                    "territory",
                    "inspection",
                    "point",
                    "latitude",
                    "longitude",
                    "status",
                ),
                name="finding_open_order",
            ),
        ),
    ]
