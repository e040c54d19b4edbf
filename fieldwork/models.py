"""Field operations: the register of inspection points (点位).

The national assessment visits sampled points of typed categories — markets, back lanes,
school surroundings, squares, stations, hospitals, residential compounds, service windows.
The campaign keeps the same register: each point has a type, a place (WGS-84, never a
converted GCJ-02 coordinate), the territory it lies in, the unit responsible for it and the
department that manages its type. Findings link to a point; sampling plans and recurring
rounds draw points and produce inspections.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign, Unit


class PointType(models.Model):
    """A category of point from the evaluation system (农贸市场, 背街小巷 …), editable."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="point_types")
    name = models.CharField(_("name"), max_length=50)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["campaign", "position", "name"]
        verbose_name = _("point type")
        verbose_name_plural = _("point types")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="point_type_unique_name")
        ]

    def __str__(self):
        return self.name


class PointQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Campaign-wide roles see every point; units see points they are responsible for, that
        lie in their territory or whose type they manage."""
        from campaign.access import scope_for

        return self.filter(
            scope_for(user).q(campaign="campaign", units=["unit", "territory", "department"])
        )


class Point(models.Model):
    """One place inspectors visit (点位)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="points")
    type = models.ForeignKey(
        PointType, on_delete=models.PROTECT, related_name="points", verbose_name=_("point type")
    )
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    territory = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="points_in_territory",
        verbose_name=_("area (属地)"),
        help_text=_("The district, street or community the point lies in."),
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="points",
        verbose_name=_("responsible unit"),
    )
    department = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_points",
        verbose_name=_("managing department"),
    )
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PointQuerySet.as_manager()

    class Meta:
        ordering = ["campaign", "type__position", "name", "pk"]
        verbose_name = _("inspection point")
        verbose_name_plural = _("inspection points")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "type", "name"], name="point_unique_name_per_type"
            )
        ]
        indexes = [models.Index(fields=["campaign", "territory"], name="point_territory")]

    def __str__(self):
        return self.name
