"""Field operations: the register of inspection points (点位).

The national assessment visits sampled points of typed categories — markets, back lanes,
school surroundings, squares, stations, hospitals, residential compounds, service windows.
The campaign keeps the same register: each point has a type, a place (WGS-84, never a
converted GCJ-02 coordinate), the territory it lies in, the unit responsible for it and the
department that manages its type. Findings link to a point; sampling plans and recurring
rounds draw points and produce inspections.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaign.models import AuditEntry, Campaign, Unit

# --- Point register (helper "points") ----------------------------------------------------------

# The kinds of place the 测评体系 samples for field checks (实地考察); a campaign starts with
# these and the office edits them.
DEFAULT_POINT_TYPES = [
    "农贸市场",
    "背街小巷",
    "学校周边",
    "公共广场",
    "交通场站",
    "医院",
    "居民小区",
    "窗口单位",
    "主次干道",
    "商业大街",
    "公园景区",
    "文化场馆",
]
# WGS-84 as stored: anything outside these ranges is a typing error, not a place.
LATITUDE_RANGE = (-90, 90)
LONGITUDE_RANGE = (-180, 180)


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
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(LATITUDE_RANGE[0]), MaxValueValidator(LATITUDE_RANGE[1])],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(LONGITUDE_RANGE[0]),
            MaxValueValidator(LONGITUDE_RANGE[1]),
        ],
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
    # Optimistic concurrency: the edit form carries the version it was loaded at.
    version = models.PositiveIntegerField(default=1)

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
        indexes = [
            models.Index(fields=["campaign", "territory"], name="point_territory"),
            # The nearest points to a phone's location: a latitude range, then longitude.
            models.Index(fields=["campaign", "latitude", "longitude"], name="point_location"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("fieldwork:point_detail", args=[self.pk])

    @property
    def has_location(self):
        return self.latitude is not None and self.longitude is not None

    def save_edit(self, *, actor, changed, expected_version=None, created=False):
        """Save the office's edit of this point with its audit entry, in one transaction.

        An edit posted from a page showing another version changes nothing (ConflictError).
        """
        from campaign.transitions import ConflictError

        with transaction.atomic():
            if not created:
                current = type(self).objects.select_for_update().only("version").get(pk=self.pk)
                if expected_version is not None and int(expected_version) != current.version:
                    raise ConflictError(
                        _(
                            "Someone else changed this point meanwhile: reload it. Nothing was saved."
                        )
                    )
                self.version = current.version + 1
            self.save()
            AuditEntry.record(
                actor=actor,
                obj=self,
                action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
                summary=_("Saved point %(name)s") % {"name": self.name},
                changes={"fields": list(changed)},
            )
        return self


class HotSpotSettings(models.Model):
    """When a point or an area counts as a hot spot (热点): this many findings, relapses
    included, within this many days. One row per campaign, kept by the office."""

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="hot_spot_settings"
    )
    window_days = models.PositiveSmallIntegerField(
        _("window (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text=_("Findings are counted over this many days up to today."),
    )
    min_findings = models.PositiveSmallIntegerField(
        _("findings to be a hot spot"),
        default=3,
        validators=[MinValueValidator(2), MaxValueValidator(1000)],
        help_text=_(
            "A point or area with at least this many findings in the window, or with a relapse, is a hot spot."
        ),
    )

    class Meta:
        verbose_name = _("hot spot settings")
        verbose_name_plural = _("hot spot settings")

    def __str__(self):
        return str(self.campaign)

    @classmethod
    def for_campaign(cls, campaign):
        """The campaign's settings, or the defaults (unsaved) when the office set none."""
        return cls.objects.filter(campaign=campaign).first() or cls(campaign=campaign)
