"""The rectification ledger (问题台账): inspections, findings and their life cycle.

A finding is logged in the field, handed to a unit (交办), acknowledged, rectified with
evidence, and verified by someone outside the rectifying unit before it is closed off
(销号). Every state change is a method on `Finding` of one fixed shape (see
`Finding._change`) and leaves an append-only `FindingEvent`; nothing is ever deleted.
"""

import datetime
import hashlib
import json
import math
import secrets
import uuid

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import IntegrityError, connections, models, transaction
from django.db.models import ExpressionWrapper, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaign.links import pk_url
from campaign.models import (
    AppendOnlyModel,
    AppendOnlyQuerySet,
    AuditEntry,
    Campaign,
    ChoiceLabels,
    Person,
    Standard,
    Unit,
)
from campaign.statements import fetchall
from campaign.transitions import Change, DomainError, rule, transition, write_effects

from . import tally

# --- Inspections ---------------------------------------------------------------------------


class Source(models.TextChoices):
    """Where a finding (or an inspection) comes from."""

    ROUTINE = "routine", _("Routine supervision (日常督查)")
    UNDERCOVER = "undercover", _("Undercover visit (暗访)")
    SPECIAL = "special", _("Special check (专项检查)")
    MOCK = "mock", _("Mock evaluation (模拟测评)")
    CITIZEN = "citizen", _("Citizen report (市民举报)")
    MEDIA = "media", _("Media exposure (媒体曝光)")
    LEADER = "leader", _("Leader's instruction (领导交办)")


class InspectionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Inspections are the office's and inspectors' own records (暗访 stays unannounced)."""
        from campaign.access import scope_for

        return self.filter(scope_for(user).q(campaign="campaign"))


class Inspection(models.Model):
    """One supervision round or visit: a team goes to an area on a date and logs findings."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("campaign")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Source.choices)
    date = models.DateField(_("date"), default=datetime.date.today)
    team = models.CharField(_("team"), max_length=100, blank=True)
    area = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("area"),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = InspectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-date", "-pk"]
        indexes = [
            # The inspection list's default order, newest first.
            models.Index(fields=["campaign", "-date", "-id"], name="inspection_list_order"),
        ]

    def __str__(self):
        area = f" · {self.area}" if self.area_id else ""
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}{area}"

    def get_absolute_url(self):
        return pk_url("inspections:inspection_detail", self.pk)


# --- Configuration ---------------------------------------------------------------------------


class FindingCategory(models.Model):
    """A category of problem (占道经营, 卫生死角 …), configurable per campaign.

    `department` is the municipal department that usually handles the category; without
    one, a finding goes to the unit whose territory it was found in (属地管理). It is also
    an Open311 service (service_code = its id) and a choice with an icon on 随手拍.
    """

    class Icon(models.TextChoices):
        # Each is inspections/static/inspections/icons/<value>.svg.
        STALL = "stall", _("Street stall")
        LITTER = "litter", _("Litter")
        CLUTTER = "clutter", _("Clutter")
        POSTER = "poster", _("Public-service poster")
        GRAFFITI = "graffiti", _("Graffiti")
        PARKING = "parking", _("Parking")
        BROKEN = "broken", _("Broken facility")
        BEHAVIOUR = "behaviour", _("Behaviour")
        LANE = "lane", _("Back lane")
        MARKET = "market", _("Market")
        OTHER = "other", _("Other")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="finding_categories"
    )
    name = models.CharField(_("name"), max_length=50)
    department = models.ForeignKey(
        Unit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("usual department"),
        help_text=_("Leave empty to hand findings to the unit of the place (属地)."),
    )
    icon = models.CharField(_("icon"), max_length=12, choices=Icon.choices, default=Icon.OTHER)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("finding category")
        verbose_name_plural = _("finding categories")
        ordering = ["campaign", "position", "name"]
        constraints = [
            # Imports match categories by name.
            models.UniqueConstraint(fields=["campaign", "name"], name="finding_category_unique"),
        ]

    def __str__(self):
        return self.name

    @property
    def icon_path(self):
        return f"inspections/icons/{self.icon}.svg"


# The usual categories with their icons, given to a campaign the first time it needs them.
DEFAULT_CATEGORIES = {
    "占道经营": FindingCategory.Icon.STALL,
    "卫生死角": FindingCategory.Icon.LITTER,
    "乱堆乱放": FindingCategory.Icon.CLUTTER,
    "公益广告缺失": FindingCategory.Icon.POSTER,
    "乱贴乱画": FindingCategory.Icon.GRAFFITI,
    "车辆乱停乱放": FindingCategory.Icon.PARKING,
    "设施破损": FindingCategory.Icon.BROKEN,
    "不文明行为": FindingCategory.Icon.BEHAVIOUR,
    "背街小巷脏乱差": FindingCategory.Icon.LANE,
    "农贸市场秩序": FindingCategory.Icon.MARKET,
}


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor (一般)")
    SERIOUS = "serious", _("Serious (较重)")
    CRITICAL = "critical", _("Critical (严重)")


class SupervisionLevel(models.IntegerChoices):
    NONE = 0, _("Not supervised")
    NORMAL = 1, _("Ordinary supervision (普通督办)")
    LISTED = 2, _("Listed supervision (挂牌督办)")
    KEY = 3, _("Key supervision (重点督办)")


class LedgerSettings(models.Model):
    """Per-campaign deadlines and escalation thresholds, in working days."""

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="ledger_settings"
    )
    days_minor = models.PositiveSmallIntegerField(_("deadline for minor findings"), default=5)
    days_serious = models.PositiveSmallIntegerField(_("deadline for serious findings"), default=3)
    days_critical = models.PositiveSmallIntegerField(_("deadline for critical findings"), default=1)
    listed_after = models.PositiveSmallIntegerField(
        _("listed supervision after (working days overdue)"), default=3
    )
    key_after = models.PositiveSmallIntegerField(
        _("key supervision after (working days overdue)"), default=10
    )
    interview_after = models.PositiveSmallIntegerField(
        _("interview (约谈) after this many supervision orders"),
        default=2,
        validators=[MinValueValidator(1)],
        help_text=_("The office records an interview once a finding has had this many orders."),
    )
    legal_basis = models.TextField(
        _("legal basis of supervision notices"),
        blank=True,
        help_text=_("Printed on every supervision notice (督办通知单); empty: the usual wording."),
    )
    notice_office = models.CharField(
        _("office signing supervision notices"),
        max_length=100,
        blank=True,
        help_text=_("Empty: the city's creation office."),
    )

    class Meta:
        verbose_name = _("ledger settings")
        verbose_name_plural = _("ledger settings")

    def __str__(self):
        return str(self.campaign)

    @classmethod
    def for_campaign(cls, campaign):
        """The campaign's settings, or unsaved defaults when the office has set none."""
        return cls.objects.filter(campaign=campaign).first() or cls(campaign=campaign)

    def legal_basis_line(self):
        return self.legal_basis.strip() or gettext(
            "Under the national evaluation system for civilised cities and the campaign's rules "
            "on closing off problems one by one, the following problem is placed under "
            "supervision."
        )

    def signing_office(self):
        return self.notice_office.strip() or gettext("%(city)s creation office") % {
            "city": self.campaign.city
        }

    def working_days_for(self, severity):
        return {
            Severity.MINOR: self.days_minor,
            Severity.SERIOUS: self.days_serious,
            Severity.CRITICAL: self.days_critical,
        }[severity]

    def level_for(self, working_days_overdue):
        if working_days_overdue <= 0:
            return SupervisionLevel.NONE
        if working_days_overdue >= self.key_after:
            return SupervisionLevel.KEY
        if working_days_overdue >= self.listed_after:
            return SupervisionLevel.LISTED
        return SupervisionLevel.NORMAL


# --- Findings ---------------------------------------------------------------------------------


class Status(models.TextChoices):
    REGISTERED = "registered", _("Registered (待交办)")
    ASSIGNED = "assigned", _("Assigned (待签收)")
    RECTIFYING = "rectifying", _("Rectifying (整改中)")
    AWAITING = "awaiting", _("Awaiting verification (待复核)")
    RETURNED = "returned", _("Returned (退回重改)")
    DISPUTED = "disputed", _("Disputed (异议待定)")
    CLOSED = "closed", _("Closed off (已销号)")
    VOIDED = "voided", _("Voided (已作废)")


# The allowed moves, beside the enum. Every `Finding` method checks its move against this
# map as well as its own narrower list of starting states.
TRANSITIONS = {
    Status.REGISTERED: {Status.ASSIGNED, Status.VOIDED},
    Status.ASSIGNED: {Status.RECTIFYING, Status.DISPUTED, Status.VOIDED},
    Status.RECTIFYING: {Status.AWAITING, Status.DISPUTED, Status.VOIDED},
    Status.RETURNED: {Status.AWAITING, Status.DISPUTED, Status.VOIDED},
    Status.AWAITING: {Status.CLOSED, Status.RETURNED, Status.VOIDED},
    Status.DISPUTED: {Status.ASSIGNED, Status.RECTIFYING, Status.RETURNED, Status.VOIDED},
    Status.CLOSED: set(),
    Status.VOIDED: set(),
}
# The badge colour of each status (Bootstrap's text-bg-*), read through `Finding.colour`.
STATUS_COLOURS = {
    Status.REGISTERED: "secondary",
    Status.ASSIGNED: "primary",
    Status.RECTIFYING: "info",
    Status.AWAITING: "warning",
    Status.RETURNED: "danger",
    Status.DISPUTED: "dark",
    Status.CLOSED: "success",
    Status.VOIDED: "light",
}
# Waiting for the unit: these count as overdue once the deadline has passed.
UNIT_PENDING = [Status.ASSIGNED, Status.RECTIFYING, Status.RETURNED, Status.DISPUTED]
OPEN = [Status.REGISTERED, Status.AWAITING, *UNIT_PENDING]
# Closed off or voided: no longer open, and piling up for years (counts stop at a cap).
ENDED = [Status.CLOSED, Status.VOIDED]
# Unannounced sources: their findings never leave the office (Open311, follow-up links).
HIDDEN_SOURCES = [Source.UNDERCOVER, Source.MOCK]
# What a citizen reads about each status (the follow-up link, Open311's status_notes).
PUBLIC_STATUS_NOTES = {
    Status.REGISTERED: _("Received: the creation office is handing it to the unit responsible."),
    Status.ASSIGNED: _("Being dealt with by the unit responsible."),
    Status.RECTIFYING: _("Being dealt with by the unit responsible."),
    Status.RETURNED: _("Being dealt with by the unit responsible."),
    Status.DISPUTED: _("Being dealt with by the unit responsible."),
    Status.AWAITING: _("Fixed: waiting for an inspector to check it."),
    Status.CLOSED: _("Fixed and checked: closed off."),
    Status.VOIDED: _("Closed without action (reported twice, or not a problem we deal with)."),
}
# Two findings are "at the same place" within this distance.
NEARBY_METRES = 50


def finding_code(found_on, pk):
    """A finding's number as people quote it: the year found and the row number (2026-00042)."""
    return f"{found_on.year}-{pk:05d}" if pk else "—"


def is_id(text):
    """Whether `text` is a number a database integer holds (ASCII digits: not ² or １)."""
    return text.isascii() and text.isdigit() and len(text) <= 18


def supervision_order_number(year, sequence):
    """A supervision order's number as printed on its notice (督办〔2026〕12号)."""
    return gettext("Supervision order 〔%(year)s〕 No. %(seq)s") % {"year": year, "seq": sequence}


def overdue_q(on):
    """Waiting for the unit past the deadline: the one rule for "overdue"."""
    return Q(status__in=UNIT_PENDING, deadline__lt=on)


def distance_metres(lat1, lng1, lat2, lng2):
    """Great-circle distance (haversine) in metres."""
    lat1, lng1, lat2, lng2 = (math.radians(float(v)) for v in (lat1, lng1, lat2, lng2))
    a = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 6_371_000 * 2 * math.asin(math.sqrt(a))


def within_metres(queryset, latitude, longitude, metres):
    """Rows of `queryset` (with latitude/longitude) within `metres` of a place, nearest first,
    each with `.distance` in metres: a bounding box in SQL (indexed), the exact distance here."""
    lat, lng = float(latitude), float(longitude)
    # One degree of latitude is about 111 km; a degree of longitude shrinks with cos(latitude).
    dlat = metres / 111_000
    dlng = metres / (111_000 * max(math.cos(math.radians(lat)), 0.01))
    box = queryset.filter(
        latitude__range=(lat - dlat, lat + dlat), longitude__range=(lng - dlng, lng + dlng)
    )
    found = []
    for row in box:
        row.distance = distance_metres(lat, lng, row.latitude, row.longitude)
        if row.distance <= metres:
            found.append(row)
    return sorted(found, key=lambda row: row.distance)


# The ways a person sees a finding beyond their campaign (`Scope.q`): the unit it is handed
# to, the territory it was found in, its standard's command office.
SIGHT = {"units": ["unit", "territory"], "command_office": "standard__lead_command_office"}


def released_q():
    """Findings not of a sampling round that is still withheld: a round's findings stay with
    the office and inspectors until it is released, the one rule every page, export, count
    and to-do reads (`FindingQuerySet.visible_to`)."""
    from fieldwork.models import Round

    return ~Q(inspection_id__in=Round.objects.withheld().values("inspection_id"))


# A count's ids as one value (`FindingQuerySet.status_counts(ids=True)`): an array on
# PostgreSQL, a JSON list on SQLite.
IDS_LISTED = {"postgresql": "array_agg(pk)", "sqlite": "json_group_array(pk)"}


def _id_list(listed):
    return json.loads(listed) if isinstance(listed, str) else listed


class FindingQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Office, leaders and inspectors see the campaign; units see findings handed to them
        or found in their territory; command staff those on their office's standards — but
        neither units nor command staff see a sampling round's findings before its release."""
        from campaign.access import scope_for

        scope = scope_for(user)
        q = scope.q(campaign="campaign", **SIGHT)
        if scope.is_superuser or not (scope.unit_paths or scope.command_office_ids):
            return self.filter(q)  # campaign-wide roles only: nothing is withheld from them
        wide = Q(campaign__in=scope.wide_campaign_ids)
        return self.filter(wide | (q & released_q()))

    def open(self):
        return self.filter(status__in=OPEN)

    def status_counts(self, *, on, cap, seen_by=None, statuses=None, ids=False):
        """({status: n}, overdue count) in one query. Open findings are few whatever the
        history and are counted exactly, with those overdue `on` the day; closed and voided
        ones pile up for years and are counted up to `cap + 1` only, so that no page view
        reads the campaign's whole history.

        `seen_by`: only the findings this person sees are counted, and each way they see
        them apart (`_seen_apart`), so these may be the campaign's findings filtered but not
        yet scoped (the ledger's counts: the scope once, not twice).

        `statuses`: the only statuses these findings can have (`FindingFilter.
        counted_statuses`); the others count 0 without being read.

        `ids`: the ids of these findings too, as the counts read them, when there are no more
        than `cap` of them (else None): (counts, overdue count, ids). A page is then chosen
        among them without finding them again (the ledger's search).

        Read the ways a person sees them (`seen_by`), the counts are one statement for every
        person of a kind, their units its parameters, which PostgreSQL keeps prepared
        (`campaign.statements`): these findings must then be filtered by choices only (the
        ledger's COUNTED_APART filters), not by free text."""
        counted = set(Status.values if statuses is None else statuses)
        opened = [status.value for status in OPEN if status in counted]
        ended = [status for status in ENDED if status in counted]
        if not (opened or ended):
            nothing = dict.fromkeys(ENDED, 0), 0
            return (*nothing, []) if ids else nothing
        # One compiled query per part (compiling costs more than running it here), read
        # three ways: open findings grouped, closed and voided ones counted up to the cap.
        # The columns are chosen once, before the findings are parted (a district's or a
        # street's counts: 3.7 → 3.3 ms of building and compiling at city size).
        found = (
            self.order_by()
            .values_list(*(["pk"] if ids else []), "status")
            .annotate(late=ExpressionWrapper(overdue_q(on), output_field=models.BooleanField()))
        )
        parts = [
            part.query.get_compiler(self.db, elide_empty=False).as_sql()
            for part in ([found] if seen_by is None else found._seen_apart(seen_by))
        ]
        # Each part written once, as a named query the three reads inline (NOT MATERIALIZED:
        # a street's closed findings are read only up to the cap, not gathered first).
        named = ", ".join(
            f"found{n} AS NOT MATERIALIZED ({sql})" for n, (sql, _) in enumerate(parts)
        )
        params = [param for _sql, found_params in parts for param in found_params]
        # With `ids`, each read's ids as one value, when it read no more than the cap.
        listed = ""
        if ids:
            aggregate = IDS_LISTED[connections[self.db].vendor]
            listed = f", CASE WHEN COUNT(*) <= {int(cap)} THEN {aggregate} END"
        selects = []
        for n in range(len(parts) if opened else 0):
            selects.append(
                f"SELECT status, COUNT(*), COUNT(*) FILTER (WHERE late){listed}"
                f" FROM found{n} WHERE status IN ({', '.join(['%s'] * len(opened))})"
                " GROUP BY status"
            )
            params += opened
        for status in ended:
            # The parts one after the other under one limit: once the first reaches the cap
            # (a district's own units' history), the others are not read at all.
            capped = " UNION ALL ".join(
                f"SELECT {'pk' if ids else 1} FROM found{n} WHERE status = %s"
                for n in range(len(parts))
            )
            selects.append(f"SELECT %s, COUNT(*), 0{listed} FROM ({capped} LIMIT %s) capped")
            params += [status.value, *[status.value] * len(parts), cap + 1]
        # Read the ways a person sees findings, planned once per connection, not on every
        # view of the ledger (a street's counts at city size: planned in 5.3 ms, run in 1.8).
        sql = f"WITH {named} " + " UNION ALL ".join(selects)
        counts, overdue, matched = dict.fromkeys(ENDED, 0), 0, []
        for status, n, late, *read in fetchall(self.db, sql, params, prepare=seen_by is not None):
            counts[status], overdue = counts.get(status, 0) + n, overdue + late
            if n and read and matched is not None:
                matched = None if read[0] is None else matched + _id_list(read[0])
        if not ids:
            return counts, overdue
        return counts, overdue, matched if matched is not None and len(matched) <= cap else None

    def _seen_apart(self, person):
        """These findings as `person` sees them (`visible_to`), in parts, one per way of
        seeing, each finding in the first way that sees it: the campaign, then the units
        they are handed to, the territories they were found in, their standards' command
        office. Each part is read from its own index: a street sees findings through two
        columns, and OR-ed the two made PostgreSQL read the rows themselves (a street's
        capped closed count read a thousand rows from the table, 2.3 ms). The units are one
        array (`AnyOf`), which a district's ninety do not make costly to plan."""
        from campaign.access import scope_for

        scope = scope_for(person)
        if scope.is_superuser or not (scope.unit_paths or scope.command_office_ids):
            return [self.visible_to(person)]
        seen = scope.wide() if scope.wide_campaign_ids else []
        parts = [self.filter(*seen)] if seen else []
        for way in scope.ways(**SIGHT, as_arrays=True):
            # Passing over the findings of the ways before it, each its own negation (a set of
            # ids is hashed once, `AnyOf`, not walked for every finding the part reads).
            parts.append(self.filter(way, released_q(), *(~earlier for earlier in seen)))
            seen.append(way)
        return parts

    def public(self):
        """What the public may see (Open311, the follow-up link): never 暗访 or mock
        evaluation findings, which stay unannounced."""
        return self.exclude(source__in=HIDDEN_SOURCES).exclude(inspection__kind__in=HIDDEN_SOURCES)

    def by_codes(self, codes):
        """The findings of references such as 2026-00123 (`Finding.code`); others match none."""
        match = Q(pk__in=[])
        for code in codes:
            year, _sep, number = str(code).partition("-")
            if is_id(year) and is_id(number):
                match |= Q(pk=int(number), found_on__year=int(year))
        return self.filter(match)

    def overdue(self, on=None):
        """Waiting for the unit past the deadline."""
        return self.filter(overdue_q(on or timezone.localdate()))

    def near_duplicates(self, *, campaign, category, address="", latitude=None, longitude=None):
        """Open findings of the same category at the same address or within NEARBY_METRES."""
        base = self.open().filter(campaign=campaign, category=category)
        address = (address or "").strip()
        q = Q(address=address) if address else Q(pk__in=[])
        if latitude is not None and longitude is not None:
            near = within_metres(
                base.only("pk", "latitude", "longitude"), latitude, longitude, NEARBY_METRES
            )
            q |= Q(pk__in=[f.pk for f in near])
        return base.filter(q)


class Finding(ChoiceLabels, models.Model):
    """A problem found in the field, followed one by one until it is closed off (销号)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="findings", verbose_name=_("campaign")
    )
    inspection = models.ForeignKey(
        Inspection,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("inspection"),
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    found_on = models.DateField(_("found on"), default=datetime.date.today)
    description = models.TextField(_("problem description"))
    category = models.ForeignKey(
        FindingCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("category"),
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MINOR
    )
    standard = models.ForeignKey(
        Standard,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("standard"),
        help_text=_("The evaluation standard this problem would cost points on."),
    )
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
        null=True,
        blank=True,
        related_name="findings_in_territory",
        verbose_name=_("area (属地)"),
        help_text=_("The district, street or community where the problem was found."),
        db_index=False,  # finding_territory_counts leads with it
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("responsible unit"),
        db_index=False,  # finding_unit_counts leads with it
    )
    point = models.ForeignKey(
        "fieldwork.Point",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("inspection point (点位)"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REGISTERED
    )
    deadline = models.DateField(_("rectification deadline"), null=True, blank=True)
    supervision_level = models.PositiveSmallIntegerField(
        _("supervision"), choices=SupervisionLevel.choices, default=SupervisionLevel.NONE
    )
    measures = models.TextField(_("rectification measures"), blank=True)
    disputed_from = models.CharField(max_length=12, choices=Status.choices, blank=True)
    relapse_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="relapses",
        verbose_name=_("relapse of"),
    )
    reporter_name = models.CharField(_("reporter"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=30, blank=True)
    # The three below have database defaults too: the scale generator COPYs rows without them.
    reporter_email = models.EmailField(
        _("reporter's e-mail"), blank=True, default="", db_default=""
    )
    # The integrating system an Open311 request came through (12345 热线, 数字城管 …);
    # empty for the 随手拍 page and for findings logged here.
    channel = models.CharField(
        _("received through"), max_length=100, blank=True, default="", db_default=""
    )
    # The citizen's private follow-up link (no account): random, shown once on the
    # confirmation. It shows the status and the after-photo, nothing else.
    follow_token = models.CharField(max_length=43, blank=True, default="", db_default="")
    assigned_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("logged by"),
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Optimistic concurrency: a form carries the version it was loaded at.
    version = models.PositiveIntegerField(default=1)

    objects = FindingQuerySet.as_manager()

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["-found_on", "-pk"]
        indexes = [
            # The ledger's default order (newest first), read one page at a time. With the
            # scope's columns included, a unit's page of ids is chosen in the index alone.
            models.Index(
                fields=["campaign", "-found_on", "-id"],
                include=["unit", "territory", "inspection"],
                name="finding_ledger_scope",
            ),
            # The supervision list: supervised findings, highest level first, then by deadline.
            # Both include the scope's columns, so that a page's ids are chosen in the index
            # alone (as the ledger's are in finding_ledger_scope): a street's list read every
            # supervised finding of the city from the table to keep its own (3,000 rows for
            # 33 at city size, 7 ms).
            models.Index(
                fields=["campaign", "-supervision_level", "deadline", "id"],
                include=["unit", "territory", "inspection"],
                condition=Q(supervision_level__gt=0),
                name="finding_supervised_order",
            ),
            # The supervision list's default view: the open ones, in the same order (open and
            # supervised are correlated, which the planner cannot see in the index above).
            models.Index(
                fields=["campaign", "-supervision_level", "deadline", "id"],
                include=["unit", "territory", "inspection"],
                condition=Q(supervision_level__gt=0, status__in=OPEN),
                name="finding_supervised_open",
            ),
            # The map's markers: the newest located open findings, and its points' open
            # findings counted. A finding's place (its coordinates, its point), its status (a
            # marker's colour) and the scope's columns are included, so open findings are
            # walked newest first, and markers and counts read from the index alone: the
            # office's map read every open finding of the city and sorted them for the newest
            # thousand (4,700 rows, 15 ms at city size).
            models.Index(
                fields=["campaign", "-found_on", "-id"],
                include=[
                    "unit",
                    "territory",
                    "inspection",
                    "point",
                    "latitude",
                    "longitude",
                    "status",
                ],
                condition=Q(status__in=OPEN),
                name="finding_open_order",
            ),
            # The ledger and the map filtered by a status (and the capped counts of closed and
            # voided findings): one campaign, one status, newest first, with the scope's
            # columns and a finding's place included, as in finding_open_order. A street's
            # closed findings on the map walked the city's closed ones through the table to
            # keep its own (209,000 rows, 430 ms at city size).
            models.Index(
                fields=["campaign", "status", "-found_on", "-id"],
                include=["unit", "territory", "inspection", "point", "latitude", "longitude"],
                name="finding_status_order",
            ),
            # The overdue job and the overdue filter.
            models.Index(fields=["status", "deadline"]),
            # The ledger's counts by status and overdue and the dashboard's live figures (per
            # standard's command office, hence the standard), read from the index alone: 45 ms
            # of heap reads → 1 ms at city size.
            models.Index(
                fields=["campaign", "status", "deadline"],
                include=["standard"],
                name="finding_status_counts",
            ),
            # A unit person's counts, each way they see findings from its own index alone
            # (FindingQuerySet._seen_apart): the findings handed to their units, then those
            # found in their territories; the open ones from the smaller partial indexes
            # (a district's open findings: 546 descents of the full index, 2.8 ms → 0.3 ms).
            # A street's counts at city size: 4.8 ms → 3.0 ms; a district's 13 → 5 ms.
            models.Index(
                fields=["unit", "status", "deadline"],
                include=["territory", "inspection", "campaign"],
                name="finding_unit_counts",
            ),
            models.Index(
                fields=["territory", "status", "deadline"],
                include=["unit", "inspection", "campaign"],
                name="finding_territory_counts",
            ),
            models.Index(
                fields=["unit"],
                include=["status", "deadline", "territory", "inspection", "campaign"],
                condition=Q(status__in=OPEN),
                name="finding_unit_open",
            ),
            models.Index(
                fields=["territory"],
                include=["status", "deadline", "unit", "inspection", "campaign"],
                condition=Q(status__in=OPEN),
                name="finding_territory_open",
            ),
            # Near-duplicate warning: open findings of a category at an address.
            models.Index(fields=["campaign", "category", "address"]),
        ]
        constraints = [
            # The follow-up page finds its finding by token.
            models.UniqueConstraint(
                fields=["follow_token"],
                condition=~Q(follow_token=""),
                name="finding_follow_token_unique",
            ),
        ]

    def __str__(self):
        return gettext("Finding %(code)s") % {"code": self.code}

    def get_absolute_url(self):
        return pk_url("inspections:finding_detail", self.pk)

    @property
    def code(self):
        return finding_code(self.found_on, self.pk)

    @property
    def public_status(self):
        """Open311's two states: closed once closed off or voided, open before."""
        return "closed" if self.status in ENDED else "open"

    @property
    def public_status_note(self):
        return PUBLIC_STATUS_NOTES[self.status]

    def is_overdue(self, on=None):
        on = on or timezone.localdate()
        return self.status in UNIT_PENDING and self.deadline is not None and self.deadline < on

    @property
    def is_open(self):
        return self.status in OPEN

    @property
    def colour(self):
        """Bootstrap colour of the status badge."""
        return STATUS_COLOURS[self.status]

    # --- suggestions ------------------------------------------------------------------

    @staticmethod
    def suggest_unit(category, territory):
        """Category's department when it has one, else the unit of the place (属地)."""
        if category is not None and category.department_id:
            return category.department
        return territory

    @staticmethod
    def deadline_for(campaign, severity, start=None):
        """The deadline for a severity: its number of working days after `start` (today)."""
        from campaign.workdays import add_working_days

        settings = LedgerSettings.for_campaign(campaign)
        return add_working_days(start or timezone.localdate(), settings.working_days_for(severity))

    # --- the life cycle -----------------------------------------------------------------
    # Every method below is built on `campaign.transitions.transition`: lock and re-read,
    # check the version, the rule table `RULES` (who, from which states) and the move,
    # set fields, save, append an event, and write the notice to the outbox.

    def conflict_message(self):
        return gettext(
            "Someone else has just acted on this finding (it is now “%(status)s”). "
            "Nothing you entered was saved: check its latest state and try again."
        ) % {"status": self.get_status_display()}

    def withheld_round(self):
        """The unreleased sampling round this finding belongs to, or None: its findings are
        handed to units (交办) by the round's release, not before."""
        from fieldwork.models import Round

        if self.inspection_id is None:
            return None
        return Round.objects.withheld().filter(inspection_id=self.inspection_id).first()

    def not_possible_message(self, action):
        if action == "assign" and self.status in self.RULES[action].sources:
            # The status allows it: what is missing is the round's release.
            the_round = self.withheld_round()
            if the_round is not None:
                return gettext(
                    "This finding belongs to the sampling round “%(round)s”, which is not "
                    "released yet: it is handed to a unit when the round is released."
                ) % {"round": the_round}
        if action == "interview" and self.status in self.RULES[action].sources:
            # The status allows it: what is missing is the repeated supervision.
            return gettext(
                "An interview (约谈) is recorded after %(n)s supervision orders; this finding "
                "has had %(count)s."
            ) % {
                "n": LedgerSettings.for_campaign(self.campaign).interview_after,
                "count": self.supervision_orders.count(),
            }
        return gettext("This finding is “%(status)s”: “%(action)s” is not possible now.") % {
            "status": self.get_status_display(),
            "action": self.RULES[action].label,
        }

    def record_event(self, *, actor, action, from_status, to_status, note, data):
        return FindingEvent.objects.create(
            finding=self,
            actor=actor,
            action=action,
            from_status=from_status,
            to_status=to_status,
            note=note,
            data=data,
        )

    def _change(self, action, *, actor, event_action=None, photos=(), apply=None, **kwargs):
        """`transition` with what every finding move shares: photos attached to the event
        and the notice of the event written to the outbox."""

        def apply_and_notify(f):
            change = apply(f) if apply else None
            if not isinstance(change, Change):
                change = Change(fields=list(change or []))
            change.effects.append(NOTIFY_EVENT)
            return change

        def attach(f, event):
            try:
                for kind, upload in photos:
                    FindingPhoto.add(f, upload, kind=kind, by=actor, event=event)
            except ValidationError as exc:  # not a photo, or too large: nothing is kept
                raise DomainError(" ".join(exc.messages)) from None

        return transition(
            self,
            action,
            actor=actor,
            event_kind=event_action or action,
            apply=apply_and_notify,
            after=attach,
            **kwargs,
        )

    def assign(
        self,
        *,
        actor,
        unit,
        deadline=None,
        note="",
        category=None,
        severity=None,
        territory=None,
        expected_version=None,
    ):
        """交办: hand a registered finding to a unit with a deadline.

        Triage may complete what a citizen's report left open: the category, the severity
        (which sets the default deadline) and the area.
        """
        deadline = deadline or Finding.deadline_for(self.campaign, severity or self.severity)

        def check(f):
            _require(
                unit is not None and unit.campaign_id == f.campaign_id,
                gettext("Choose the unit that must rectify it."),
            )

        def apply(f):
            f.unit, f.deadline, f.assigned_at = unit, deadline, timezone.now()
            fields = ["unit", "deadline", "assigned_at"]
            for name, value in (
                ("category", category),
                ("severity", severity),
                ("territory", territory),
            ):
                if value:
                    setattr(f, name, value)
                    fields.append(name)
            return fields

        return self._change(
            "assign",
            actor=actor,
            to=Status.ASSIGNED,
            expected_version=expected_version,
            note=note,
            check=check,
            apply=apply,
            data={"unit": unit.name if unit else "", "deadline": str(deadline)},
        )

    def acknowledge(self, *, actor, note="", expected_version=None):
        """签收: the unit takes the finding on and starts rectifying."""
        return self._change(
            "acknowledge",
            actor=actor,
            to=Status.RECTIFYING,
            expected_version=expected_version,
            note=note,
        )

    def submit_rectification(self, *, actor, measures, photos, expected_version=None):
        """提交整改: measures taken and after-photos are both required."""
        measures = (measures or "").strip()

        def check(f):
            _require(measures, gettext("Describe the rectification measures taken."))
            _require(photos, gettext("Add at least one photo taken after the rectification."))

        def apply(f):
            f.measures, f.submitted_at = measures, timezone.now()
            return ["measures", "submitted_at"]

        return self._change(
            "submit",
            actor=actor,
            to=Status.AWAITING,
            expected_version=expected_version,
            note=measures,
            photos=[(FindingPhoto.Kind.AFTER, p) for p in photos],
            check=check,
            apply=apply,
        )

    def verify(self, *, actor, passed, note="", photos=(), expected_version=None):
        """复核: pass closes the finding off (销号); fail returns it with a reason."""
        note = (note or "").strip()

        def check(f):
            if passed:
                _require(
                    f.photos.filter(kind=FindingPhoto.Kind.AFTER).exists(),
                    gettext(
                        "There are no after-photos: a finding cannot be closed off without them."
                    ),
                )
                _require(
                    f.measures.strip(),
                    gettext("No rectification measures were reported: it cannot be closed off."),
                )
            else:
                _require(note, gettext("Give the reason the rectification is not accepted."))

        def apply(f):
            if passed:
                f.closed_at = timezone.now()
                return ["closed_at"]
            return []

        return self._change(
            "verify",
            actor=actor,
            event_action=FindingEvent.Action.PASS if passed else FindingEvent.Action.FAIL,
            to=Status.CLOSED if passed else Status.RETURNED,
            expected_version=expected_version,
            note=note,
            photos=[(FindingPhoto.Kind.VERIFICATION, p) for p in photos],
            check=check,
            apply=apply,
        )

    def dispute(self, *, actor, reason, expected_version=None):
        """“Not ours”: the unit objects with a reason; the deadline keeps running."""
        reason = (reason or "").strip()

        def check(f):
            _require(reason, gettext("Give the reason this finding is not your unit's."))

        def apply(f):
            f.disputed_from = f.status
            return ["disputed_from"]

        return self._change(
            "dispute",
            actor=actor,
            to=Status.DISPUTED,
            expected_version=expected_version,
            note=reason,
            check=check,
            apply=apply,
        )

    def decide_dispute(self, *, actor, upheld, note="", unit=None, expected_version=None):
        """The office decides a dispute: upheld moves it to another unit (same deadline),
        rejected sends it back to where it was."""
        note = (note or "").strip()

        def check(f):
            _require(note, gettext("Give the reason for the decision."))
            if upheld:
                _require(
                    unit is not None and unit.campaign_id == f.campaign_id and unit.pk != f.unit_id,
                    gettext("Choose the unit the finding goes to instead."),
                )

        def apply(f):
            f.disputed_from = ""
            if upheld:
                f.unit, f.assigned_at = unit, timezone.now()
                return ["disputed_from", "unit", "assigned_at"]
            return ["disputed_from"]

        def back_to(f):
            return Status.ASSIGNED if upheld else (f.disputed_from or Status.ASSIGNED)

        return self._change(
            "decide",
            actor=actor,
            event_action=FindingEvent.Action.DISPUTE_UPHELD
            if upheld
            else FindingEvent.Action.DISPUTE_REJECTED,
            to=back_to,
            expected_version=expected_version,
            note=note,
            check=check,
            apply=apply,
            data={"unit": unit.name} if upheld and unit else {},
        )

    def void(self, *, actor, reason, expected_version=None):
        """作废: a mistake is voided with a reason by the office, never deleted."""
        reason = (reason or "").strip()

        def check(f):
            _require(reason, gettext("Give the reason for voiding it."))

        return self._change(
            "void",
            actor=actor,
            to=Status.VOIDED,
            expected_version=expected_version,
            note=reason,
            check=check,
        )

    def supervise(self, *, actor, level, note="", expected_version=None):
        """督办: raise the supervision level and issue a numbered supervision order.

        `actor` is None when the daily job escalates an overdue finding. Levels only rise,
        and each level is issued once per finding, so a re-run changes nothing.
        """
        level = SupervisionLevel(level)

        def check(f):
            _require(
                level > f.supervision_level,
                gettext("The finding is already under %(level)s.")
                % {"level": SupervisionLevel(f.supervision_level).label},
            )

        data = {"level": int(level)}

        def apply(f):
            f.supervision_level = level
            order = SupervisionOrder.issue(f, level=level, by=actor, reason=note)
            data.update(order=order.pk, number=order.number)
            return ["supervision_level"]

        return self._change(
            "supervise",
            actor=actor,
            expected_version=expected_version,
            note=note,
            check=check,
            apply=apply,
            data=data,
        )

    def interview_due(self):
        """约谈 comes after repeated supervision: once the finding has had the campaign's
        `interview_after` supervision orders."""
        orders = len(self.supervision_orders.all())  # prefetched on the finding's page
        # The threshold is at least 1: an unsupervised finding needs no settings read.
        return orders > 0 and orders >= LedgerSettings.for_campaign(self.campaign).interview_after

    def record_interview(
        self,
        *,
        actor,
        interviewees,
        conducted_by,
        held_at,
        outcome,
        place="",
        attachment=None,
        expected_version=None,
    ):
        """约谈: the office records its interview with the unit's leaders after repeated
        supervision — who was interviewed, who conducted it, when, where, the outcome and
        the commitments made. The status stays; the step joins the finding's history."""
        interviewees, outcome = (interviewees or "").strip(), (outcome or "").strip()
        conducted_by, place = (conducted_by or "").strip(), (place or "").strip()

        def check(f):
            _require(interviewees, gettext("Name the people who were interviewed."))
            _require(conducted_by, gettext("Name who conducted the interview."))
            _require(outcome, gettext("Record the outcome and the commitments made."))
            _require(f.unit_id, gettext("The finding has no responsible unit to interview."))

        created, data = [], {}

        def apply(f):
            interview = Interview.objects.create(
                campaign_id=f.campaign_id,
                finding=f,
                unit_id=f.unit_id,
                interviewees=interviewees,
                conducted_by=conducted_by,
                held_at=held_at,
                place=place,
                outcome=outcome,
                attachment=attachment,
                recorded_by=actor,
            )
            AuditEntry.record(
                actor=actor,
                action=AuditEntry.Action.CREATE,
                obj=interview,
                summary=gettext("Recorded an interview (约谈) on finding %(code)s")
                % {"code": f.code},
            )
            created.append(interview)
            data.update(interview=interview.pk, attachment=bool(interview.attachment))
            return []

        note = gettext("%(who)s interviewed by %(by)s, %(when)s %(place)s: %(outcome)s") % {
            "who": interviewees,
            "by": conducted_by,
            "when": timezone.localtime(held_at).strftime("%Y-%m-%d %H:%M"),
            "place": place,
            "outcome": outcome,
        }
        self._change(
            "interview",
            actor=actor,
            expected_version=expected_version,
            note=note,
            check=check,
            apply=apply,
            data=data,
        )
        return created[0]

    def record_relapse(self, *, actor, description, photos=(), note=""):
        """反弹: a closed problem is back. The old finding stays closed; a new one, linked to it,
        goes straight to the same unit and counts against it."""
        description = (description or "").strip()

        def check(f):
            _require(description, gettext("Describe what was found this time."))

        created, data = [], {}

        def apply(f):
            new = Finding.objects.create(
                campaign=f.campaign,
                source=f.source,
                description=description,
                category=f.category,
                severity=f.severity,
                standard=f.standard,
                address=f.address,
                latitude=f.latitude,
                longitude=f.longitude,
                territory=f.territory,
                unit=f.unit,
                status=Status.ASSIGNED,
                deadline=Finding.deadline_for(f.campaign, f.severity),
                assigned_at=timezone.now(),
                relapse_of=f,
                created_by=actor,
            )
            event = new.record_event(
                actor=actor,
                action=FindingEvent.Action.CREATE,
                from_status="",
                to_status=Status.ASSIGNED,
                note=gettext("Relapse of finding %(code)s") % {"code": f.code},
                data={},
            )
            for upload in photos:
                FindingPhoto.add(new, upload, kind=FindingPhoto.Kind.BEFORE, by=actor, event=event)
            write_effects([NOTIFY_EVENT], event=event)
            created.append(new)
            data["new_finding"] = new.pk
            return []

        self._change(
            "relapse",
            actor=actor,
            event_action=FindingEvent.Action.RELAPSE,
            note=note or description,
            check=check,
            apply=apply,
            data=data,
        )
        return created[0]


def _require(condition, message):
    if not condition:
        raise DomainError(message)


# The notice after every ledger event (who must act next): an outbox row of the same
# transaction, delivered by `inspections.services.notify_event`.
NOTIFY_EVENT = ("inspections.services.notify_event", "finding-event:{event}", {})


def _checker(scope, f):
    return scope.is_office_admin(f.campaign) or scope.is_inspector(f.campaign)


def _office(scope, f):
    return scope.is_office_admin(f.campaign)


def _unit_person(scope, f):
    return f.unit_id is not None and scope.acts_for_unit(f.unit)


def _verifier(scope, f):
    return _checker(scope, f) and not (f.unit_id and scope.is_member_of_unit(f.unit))


def _verifier_denied(scope, f):
    if _checker(scope, f):
        return gettext(
            "You belong to the rectifying unit: the verification must be done by someone else."
        )
    return gettext("Only an inspector or the creation office can verify a rectification.")


_unit_only = _("Only the responsible unit (or a unit above it) can do this.")


class FindingEvent(AppendOnlyModel):
    """One step in a finding's history: who did what, when, from which state to which."""

    class Action(models.TextChoices):
        CREATE = "create", _("Logged")
        ASSIGN = "assign", _("Assigned (交办)")
        ACKNOWLEDGE = "acknowledge", _("Acknowledged (签收)")
        SUBMIT = "submit", _("Rectification submitted")
        PASS = "pass", _("Verified and closed off (销号)")
        FAIL = "fail", _("Verification failed: returned")
        DISPUTE = "dispute", _("Disputed: not our unit's")
        DISPUTE_UPHELD = "dispute_upheld", _("Dispute upheld: handed to another unit")
        DISPUTE_REJECTED = "dispute_rejected", _("Dispute rejected")
        VOID = "void", _("Voided")
        SUPERVISE = "supervise", _("Supervision order issued (督办)")
        INTERVIEW = "interview", _("Interview recorded (约谈)")
        RELAPSE = "relapse", _("Relapse recorded (反弹)")

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=Status.choices)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    # Only the event's own extra data may be completed after it is written.
    completable_fields = ("data",)

    class Meta:
        verbose_name = _("finding event")
        verbose_name_plural = _("finding events")
        ordering = ["at", "pk"]
        indexes = [
            # A finding's history, oldest first.
            models.Index(fields=["finding", "at"]),
            # "Returned this week" in the weekly figures: one action within a week.
            models.Index(fields=["action", "at"], name="finding_event_action_at"),
        ]

    def __str__(self):
        return f"{self.finding.code} {self.get_action_display()}"


class FindingTallyQuerySet(models.QuerySet):
    def status_counts(self, overdue, *, cap):
        """These rows' counts as `FindingQuerySet.status_counts` gives them (closed and voided
        ones up to `cap + 1`, so the page reads the same whoever counts), with the findings
        `overdue` counted beside them: one query."""
        sums = self.order_by().values("status").annotate(total=models.Sum("n"))
        sql, params = sums.query.get_compiler(self.db, elide_empty=False).as_sql()
        late_sql, late_params = (
            overdue.order_by().values("pk").query.get_compiler(self.db, elide_empty=False).as_sql()
        )
        counts, late = dict.fromkeys(ENDED, 0), 0
        # One statement for every office and day, planned once per connection.
        for status, total, overdue_n in fetchall(
            self.db,
            f"SELECT status, total, 0 FROM ({sql}) sums"
            f" UNION ALL SELECT NULL, 0, COUNT(*) FROM ({late_sql}) overdue",
            [*params, *late_params],
            prepare=True,
        ):
            if status is not None and total:
                counts[status] = min(total, cap + 1) if status in ENDED else total
            late += overdue_n
        return counts, late

    def compact(self):
        """Fold the rows into one per campaign and status (`compact_finding_tallies`)."""
        if FindingTally.is_kept(self.db):
            with connections[self.db].cursor() as cursor:
                cursor.execute(tally.COMPACT)

    def check_against_findings(self, *, wait="10s"):
        """[(campaign id, status, kept, counted)] where the tally and the findings disagree,
        read with the findings' writers held off (waiting at most `wait` for them); where
        any do, the tally is counted again from the findings. The nightly job runs it; so
        should whoever writes findings with the triggers off (a data-only load run with
        session_replication_role = replica). `manage.py restore` brings the tally back with
        the findings, from the same snapshot."""
        if not FindingTally.is_kept(self.db):
            return []
        with transaction.atomic(using=self.db), connections[self.db].cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [wait])
            cursor.execute(tally.HOLD_FINDINGS)
            cursor.execute(tally.DIFFERENCES)
            wrong = cursor.fetchall()
            if wrong:
                cursor.execute(tally.RECOUNT)
        return wrong


class FindingTally(models.Model):
    """How many of a campaign's findings are in each status: the sum of its rows, which
    PostgreSQL's triggers add in the statement that creates, moves or deletes findings
    (`inspections.tally`), so the count is the findings' whatever writes them. The office's
    counts bar reads it instead of every open finding of the city (4,700 at city size, a
    third of the ledger's time over its floor, issue 13). On SQLite the table stays empty
    and the counts are read from the findings."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    status = models.CharField(max_length=12, choices=Status.choices)
    n = models.IntegerField()

    objects = FindingTallyQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["campaign", "status"], include=["n"], name="finding_tally_sums")
        ]

    def __str__(self):
        return f"{self.get_status_display()} {self.n:+d}"

    @staticmethod
    def is_kept(using="default"):
        return connections[using].vendor == "postgresql"


def _photo_path(instance, filename):
    return f"findings/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.jpg"


def _thumb_path(instance, filename):
    return f"findings/{timezone.now():%Y/%m}/{uuid.uuid4().hex}_t.jpg"


class FindingPhoto(models.Model):
    """A photo of a finding: before, after rectification, or taken at verification.

    Private media: served only through `inspections:photo_file` after a scope check, unless
    marked public (`is_public`): after-photos are public by default (they show the fixed
    place, for the citizen's follow-up link and Open311's media_url); before-photos are not
    (they may show people, plates, the reporter).
    """

    class Kind(models.TextChoices):
        BEFORE = "before", _("Before")
        AFTER = "after", _("After rectification")
        VERIFICATION = "verification", _("At verification")

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="photos")
    event = models.ForeignKey(
        FindingEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="photos"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    image = models.ImageField(_("photo"), upload_to=_photo_path)
    thumbnail = models.ImageField(upload_to=_thumb_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    is_public = models.BooleanField(_("public"), default=False)
    uploaded_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return f"{self.finding_id} {self.get_kind_display()}"

    @classmethod
    def add(cls, finding, upload, *, kind, by, event=None):
        """Store an uploaded photo (checked by content, EXIF orientation applied, thumbnail)."""
        from campaign.uploads import prepare_photo

        prepared = prepare_photo(upload)
        photo = cls(
            finding=finding,
            event=event,
            kind=kind,
            taken_at=prepared.taken_at,
            is_public=kind == cls.Kind.AFTER,
            uploaded_by=by,
        )
        photo.image.save(prepared.image.name, prepared.image, save=False)
        photo.thumbnail.save(prepared.thumbnail.name, prepared.thumbnail, save=False)
        photo.width, photo.height = prepared.width, prepared.height
        photo.save()
        return photo

    def set_public(self, public, *, actor):
        """Mark the photo public (Open311's media_url, the citizen's follow-up page) or
        private, audited. Idempotent: asking for the state it has changes and records
        nothing. True when it changed."""
        with transaction.atomic():
            changed = FindingPhoto.objects.filter(pk=self.pk, is_public=not public).update(
                is_public=public
            )
            self.is_public = public
            if changed:
                AuditEntry.record(
                    actor=actor,
                    action=AuditEntry.Action.UPDATE,
                    obj=self,
                    campaign=self.finding.campaign,
                    summary=(
                        gettext("Photo of %(finding)s made public")
                        if public
                        else gettext("Photo of %(finding)s made private")
                    )
                    % {"finding": self.finding.code},
                    changes={"is_public": [not public, public]},
                )
        return bool(changed)


class Open311KeyQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(revoked_at__isnull=True)


class Open311Key(models.Model):
    """An API key the office issues to one integrating system (12345 热线, 数字城管 …) for
    posting Open311 requests. Only a hash is stored; the key is shown once."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("integrating system"), max_length=100)
    # The first characters, to tell keys apart on the page without storing the key.
    prefix = models.CharField(_("key starts with"), max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("issued at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    objects = Open311KeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(key):
        # Keys are 256 random bits: a plain SHA-256 is enough (no dictionary to guess from).
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, *, campaign, name, actor):
        """A new key for `name`; returns (the row, the key itself, shown only now)."""
        key = secrets.token_urlsafe(32)
        row = cls.objects.create(
            campaign=campaign,
            name=name.strip(),
            prefix=key[:8],
            key_hash=cls.hash(key),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        return row, key

    @classmethod
    def find(cls, key):
        """The usable key matching `key`, or None (unknown, empty or revoked)."""
        if not key:
            return None
        return (
            cls.objects.usable().select_related("campaign").filter(key_hash=cls.hash(key)).first()
        )

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class SupervisionOrderQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(finding__in=Finding.objects.visible_to(user))


class SupervisionOrder(models.Model):
    """A numbered supervision order (督办单), e.g. 督办〔2026〕12号, issued when a finding
    is supervised at a level. One per finding and level."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    finding = models.ForeignKey(
        Finding, on_delete=models.PROTECT, related_name="supervision_orders"
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=SupervisionLevel.choices)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)

    objects = SupervisionOrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("supervision order")
        verbose_name_plural = _("supervision orders")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            # Numbers run per campaign and year without gaps or repeats.
            models.UniqueConstraint(
                fields=["campaign", "year", "sequence"], name="supervision_order_number_unique"
            ),
            # The daily job issues each level once, however often it runs.
            models.UniqueConstraint(fields=["finding", "level"], name="supervision_order_once"),
        ]

    def __str__(self):
        return self.number

    @property
    def number(self):
        return supervision_order_number(self.year, self.sequence)

    @classmethod
    def issue(cls, finding, *, level, by, reason=""):
        # Lock the campaign row so two orders issued at once cannot take the same number.
        list(Campaign.objects.select_for_update().filter(pk=finding.campaign_id).values("pk"))
        year = timezone.localdate().year
        last = (
            cls.objects.filter(campaign_id=finding.campaign_id, year=year)
            .aggregate(m=models.Max("sequence"))
            .get("m")
            or 0
        )
        try:
            with transaction.atomic():
                return cls.objects.create(
                    campaign_id=finding.campaign_id,
                    finding=finding,
                    level=level,
                    year=year,
                    sequence=last + 1,
                    issued_by=by,
                    reason=reason,
                    deadline=finding.deadline,
                )
        except IntegrityError:
            raise DomainError(gettext("This supervision order has already been issued.")) from None


def _interview_path(instance, filename):
    return f"interviews/{timezone.now():%Y/%m}/{uuid.uuid4().hex}/{filename}"


class InterviewQuerySet(AppendOnlyQuerySet):
    def visible_to(self, user):
        return self.filter(finding__in=Finding.objects.visible_to(user))


class Interview(AppendOnlyModel):
    """约谈: the office's interview with a unit's leaders after repeated supervision of a
    finding — who, by whom, when, where, and the outcome. Recorded by
    `Finding.record_interview`, listed in the weekly bulletin."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="interviews")
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    interviewees = models.CharField(_("interviewed (names and posts)"), max_length=300)
    conducted_by = models.CharField(_("conducted by"), max_length=300)
    held_at = models.DateTimeField(_("held at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    outcome = models.TextField(_("outcome and commitments"))
    attachment = models.FileField(_("attachment"), upload_to=_interview_path, blank=True)
    recorded_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = InterviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("interview (约谈)")
        verbose_name_plural = _("interviews (约谈)")
        ordering = ["held_at", "pk"]
        indexes = [
            # The bulletin's "interviews this week": one campaign, a range of dates.
            models.Index(fields=["campaign", "held_at"]),
        ]

    def __str__(self):
        return f"{self.finding.code} {self.interviewees}"


_Action = FindingEvent.Action
Finding.TRANSITIONS = TRANSITIONS
# Who may do what to a finding, from which states: the buttons on the finding's page, the
# views' permission checks and the methods above all read this table.
Finding.RULES = {
    "assign": rule(
        [Status.REGISTERED],
        _checker,
        _("Only the creation office or an inspector can hand a finding to a unit."),
        # A sampling round's findings reach units with the round's release, never before.
        when=lambda f: f.withheld_round() is None,
        label=_Action.ASSIGN.label,
    ),
    "acknowledge": rule(
        [Status.ASSIGNED], _unit_person, _unit_only, label=_Action.ACKNOWLEDGE.label
    ),
    "submit": rule(
        [Status.RECTIFYING, Status.RETURNED], _unit_person, _unit_only, label=_Action.SUBMIT.label
    ),
    "dispute": rule(
        [Status.ASSIGNED, Status.RECTIFYING, Status.RETURNED],
        _unit_person,
        _unit_only,
        label=_Action.DISPUTE.label,
    ),
    "verify": rule([Status.AWAITING], _verifier, _verifier_denied, label=_("Verify (复核)")),
    "decide": rule(
        [Status.DISPUTED],
        _office,
        _("Only the creation office decides disputes."),
        label=_("Decide the dispute"),
    ),
    "void": rule(
        OPEN, _office, _("Only the creation office can void a finding."), label=_Action.VOID.label
    ),
    "supervise": rule(
        UNIT_PENDING,
        _office,
        _("Only the creation office can issue supervision orders."),
        when=lambda f: f.supervision_level < max(SupervisionLevel),
        label=_Action.SUPERVISE.label,
    ),
    "interview": rule(
        [*UNIT_PENDING, Status.AWAITING],
        _office,
        _("Only the creation office records interviews (约谈)."),
        when=Finding.interview_due,
        label=_Action.INTERVIEW.label,
    ),
    "relapse": rule(
        [Status.CLOSED],
        _checker,
        _("Only the creation office or an inspector can record a relapse."),
        label=_Action.RELAPSE.label,
    ),
}
