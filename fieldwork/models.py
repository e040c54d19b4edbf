"""Field operations: the register of inspection points (点位).

The national assessment visits sampled points of typed categories — markets, back lanes,
school surroundings, squares, stations, hospitals, residential compounds, service windows.
The campaign keeps the same register: each point has a type, a place (WGS-84, never a
converted GCJ-02 coordinate), the territory it lies in, the unit responsible for it and the
department that manages its type. Findings link to a point; sampling plans and recurring
rounds draw points and produce inspections.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaign.links import pk_url
from campaign.models import AppendOnlyModel, AuditEntry, Campaign, Person, Standard, Unit
from campaign.transitions import not_possible_message, rule

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
    # The standards an inspector observes at a point of this type (set by the office).
    standards = models.ManyToManyField(
        Standard, blank=True, related_name="point_types", verbose_name=_("applicable standards")
    )

    class Meta:
        ordering = ["campaign", "position", "name"]
        verbose_name = _("point type")
        verbose_name_plural = _("point types")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="point_type_unique_name")
        ]

    def __str__(self):
        return self.name


def placed(via=""):
    """Q: both coordinates set, of the row itself or of the one reached through `via` (a
    finding placed at its point: "point__"). The one way to say the map can place something."""
    return models.Q(**{f"{via}latitude__isnull": False, f"{via}longitude__isnull": False})


class PointQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Campaign-wide roles see every point; units see points they are responsible for, that
        lie in their territory or whose type they manage."""
        from campaign.access import scope_for

        return self.filter(
            scope_for(user).q(campaign="campaign", units=["unit", "territory", "department"])
        )

    def located(self):
        """Points with both coordinates: those the map can place."""
        return self.filter(placed())


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
        return pk_url("fieldwork:point_detail", self.pk)

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


# --- Sampling rounds and recurring rounds (helper "rounds") ---------------------------------
#
# A round (暗访 / 模拟测评) draws a stratified random sample of points, hands each sampled point
# to an inspector who is not a member of its unit, and records one observation per applicable
# standard (达标 / 基本达标 / 不达标). A failed observation becomes a finding of the round's
# inspection; units see none of it until the office releases the round. A recurring round is a
# schedule (weekly markets, monthly schools …) whose periods are due, done or missed.


class RoundWorkQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Rounds are the office's and inspectors' work (leaders read): units never see them."""
        from campaign.access import scope_for

        return self.filter(scope_for(user).q(campaign="campaign"))


class RoundQuerySet(RoundWorkQuerySet):
    def withheld(self):
        """Rounds whose findings units may not see yet (not released)."""
        return self.exclude(status__in=[Round.Status.RELEASED, Round.Status.CLOSED])


# An observation's result reuses the self-assessment's values and labels (达标 / 基本达标 / 未达标).
Rating = Standard.Assessment
RATING_CHOICES = [(r.value, r.label) for r in (Rating.MET, Rating.MOSTLY_MET, Rating.NOT_MET)]


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class RoundSchedule(models.Model):
    """A recurring round: points of one type visited every week or month (e.g. markets weekly)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="round_schedules")
    point_type = models.ForeignKey(
        PointType,
        on_delete=models.PROTECT,
        related_name="schedules",
        verbose_name=_("point type"),
    )
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    sample_size = models.PositiveIntegerField(
        _("points per round"), default=0, help_text=_("0 visits every point of the type.")
    )
    inspectors = models.ManyToManyField(
        Person, related_name="round_schedules", verbose_name=_("inspectors")
    )
    starts_on = models.DateField(_("first period starts"), default=timezone.localdate)
    is_active = models.BooleanField(_("in use"), default=True)

    objects = RoundWorkQuerySet.as_manager()

    class Meta:
        ordering = ["campaign", "point_type__position", "pk"]
        verbose_name = _("recurring round")
        verbose_name_plural = _("recurring rounds")

    def __str__(self):
        return f"{self.point_type} · {self.get_frequency_display()}"


class Round(models.Model):
    """A sampling round (暗访 / 模拟测评): a seeded stratified sample of points, observed by
    inspectors; it produces one inspection and its findings."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        DRAWN = "drawn", _("Sample drawn")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        RELEASED = "released", _("Released to units")
        CLOSED = "closed", _("Closed")

    TRANSITIONS = {
        Status.DRAFT: {Status.DRAWN},
        Status.DRAWN: {Status.IN_PROGRESS},
        Status.IN_PROGRESS: {Status.COMPLETED},
        Status.COMPLETED: {Status.RELEASED},
        Status.RELEASED: {Status.CLOSED},
        Status.CLOSED: set(),
    }

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="rounds")
    name = models.CharField(_("name"), max_length=100)
    inspection = models.OneToOneField(
        "inspections.Inspection", on_delete=models.PROTECT, related_name="round"
    )
    schedule = models.ForeignKey(
        RoundSchedule,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rounds",
        verbose_name=_("recurring round"),
    )
    period_start = models.DateField(_("period"), null=True, blank=True)
    # [{"type": point type id, "district": unit id or null, "count": n}, …]: the strata.
    quotas = models.JSONField(_("points per type and district"), default=list)
    exclude_days = models.PositiveIntegerField(
        _("leave out points inspected in the last N days"), default=0
    )
    inspectors = models.ManyToManyField(Person, related_name="rounds", verbose_name=_("inspectors"))
    mostly_met_weight = models.DecimalField(
        _("weight of 基本达标"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.5"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("得分率 = (达标 × 1 + 基本达标 × this weight) ÷ observations."),
    )
    seed = models.BigIntegerField(_("random seed"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    created_by = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = RoundQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("sampling round")
        verbose_name_plural = _("sampling rounds")
        constraints = [
            # One round per period of a recurring round: a second click never makes two.
            models.UniqueConstraint(
                fields=["schedule", "period_start"], name="round_one_per_period"
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return pk_url("fieldwork:round_detail", self.pk)

    @property
    def is_withheld(self):
        return self.status not in (self.Status.RELEASED, self.Status.CLOSED)

    def conflict_message(self):
        return gettext(
            "Someone else changed this round while you were working on it. "
            "Nothing was saved: look at its latest state and try again."
        )

    def not_possible_message(self, action):
        return not_possible_message(self.get_status_display(), self.RULES[action].label)

    def record_event(self, *, actor, action, from_status, to_status, note, data):
        return AuditEntry.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=self,
            summary=gettext("%(action)s: %(round)s")
            % {"action": self.RULES[action].label, "round": self},
            changes={"from": from_status, "to": to_status, "note": note, **data},
            campaign=self.campaign,
        )


def _round_office(scope, r):
    return scope.is_office_admin(r.campaign)


def _round_worker(scope, r):
    return scope.is_office_admin(r.campaign) or scope.is_inspector(r.campaign)


_round_office_only = _("Only the creation office can do this.")
# Who may do what to a round, from which statuses (buttons, views and methods read it).
Round.RULES = {
    "draw": rule([Round.Status.DRAFT], _round_office, _round_office_only, label=_("Draw sample")),
    "redraw": rule([Round.Status.DRAWN], _round_office, _round_office_only, label=_("Draw again")),
    "start": rule(
        [Round.Status.DRAWN], _round_office, _round_office_only, label=_("Start the round")
    ),
    "observe": rule(
        [Round.Status.IN_PROGRESS],
        _round_worker,
        _("Only inspectors and the creation office record observations."),
        label=_("Record observations"),
    ),
    "complete": rule(
        [Round.Status.IN_PROGRESS],
        _round_worker,
        _("Only inspectors and the creation office can complete a round."),
        label=_("Complete"),
    ),
    "release": rule(
        [Round.Status.COMPLETED],
        _round_office,
        _round_office_only,
        label=_("Release to units"),
    ),
    "close": rule([Round.Status.RELEASED], _round_office, _round_office_only, label=_("Close")),
}


class RoundDraw(AppendOnlyModel):
    """One draw of a round's sample: its seed, the points it gave and why it was drawn again."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="draws")
    number = models.PositiveSmallIntegerField()
    seed = models.BigIntegerField()
    reason = models.TextField(blank=True)
    points = models.JSONField(default=list)
    drawn_by = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, related_name="+")
    drawn_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["round", "number"]
        verbose_name = _("draw")
        verbose_name_plural = _("draws")
        constraints = [
            models.UniqueConstraint(fields=["round", "number"], name="round_draw_unique_number")
        ]

    def __str__(self):
        return f"{self.round} #{self.number}"


class SampledPoint(models.Model):
    """A point of a round's current sample, with the inspector who visits it."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="sampled_points")
    point = models.ForeignKey(Point, on_delete=models.PROTECT, related_name="samplings")
    district = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("district")
    )
    inspector = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="sampled_points", verbose_name=_("inspector")
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["round", "position"]
        verbose_name = _("sampled point")
        verbose_name_plural = _("sampled points")
        constraints = [
            models.UniqueConstraint(fields=["round", "point"], name="sampled_point_unique")
        ]

    def __str__(self):
        return str(self.point)


class Observation(models.Model):
    """One standard observed at one sampled point: 达标 / 基本达标 / 不达标 (then a finding)."""

    sample = models.ForeignKey(SampledPoint, on_delete=models.PROTECT, related_name="observations")
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="+")
    rating = models.CharField(_("result"), max_length=12, choices=RATING_CHOICES)
    note = models.CharField(_("note"), max_length=300, blank=True)
    finding = models.OneToOneField(
        "inspections.Finding",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="observation",
    )
    recorded_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sample", "standard"]
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        constraints = [
            models.UniqueConstraint(
                fields=["sample", "standard"], name="observation_one_per_standard"
            )
        ]

    def __str__(self):
        return f"{self.sample} · {self.standard} · {self.get_rating_display()}"
