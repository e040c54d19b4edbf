"""Scoring rules, weekly snapshots and the weekly bulletin (周通报).

`reports` only reads the other apps. Figures are frozen twice: a `UnitSnapshot` row per unit
and period holds the numbers the rankings are computed from, and a `Bulletin` keeps its
whole content (figures, rankings, named items) in `data` plus the rendered PDF, so a
published issue never changes when the ledger changes afterwards.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaign.links import pk_url
from campaign.models import Campaign, Unit
from campaign.transitions import Change, rule, transition


def _points(default, label, help_text):
    return models.DecimalField(
        label,
        max_digits=6,
        decimal_places=2,
        default=Decimal(default),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=help_text,
    )


class ScoringRule(models.Model):
    """How the composite score and the rate rankings are computed for one campaign.

    The composite score (综合得分) starts from `base_score` and loses points for the week's
    findings, overdue working days, relapses and returned rectifications, and for tasks
    not completed or not completed on time; it never goes below zero. Rates on fewer items
    than the minimums below are shown but not ranked, so one closed finding out of one
    cannot crown a unit.
    """

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="scoring_rule", verbose_name=_("campaign")
    )
    base_score = _points("100", _("base score"), _("Every unit starts each week from this score."))
    points_minor = _points(
        "1", _("per minor finding"), _("Points lost for each minor finding found this week.")
    )
    points_serious = _points(
        "2", _("per serious finding"), _("Points lost for each serious finding found this week.")
    )
    points_critical = _points(
        "5",
        _("per critical finding"),
        _("Points lost for each critical finding found this week."),
    )
    points_overdue_day = _points(
        "0.5",
        _("per overdue working day"),
        _("Points lost for each working day this week that a finding was past its deadline."),
    )
    points_relapse = _points(
        "3", _("per relapse"), _("Points lost for each closed problem that came back this week.")
    )
    points_returned = _points(
        "1",
        _("per returned rectification"),
        _("Points lost each time a rectification failed verification this week."),
    )
    task_completion_points = _points(
        "10",
        _("task completion"),
        _(
            "Up to this many points lost for tasks not yet accepted: "
            "the points times the share of the unit's due tasks that are not done."
        ),
    )
    task_on_time_points = _points(
        "5",
        _("tasks on time"),
        _(
            "Up to this many points lost for late work: "
            "the points times the share of accepted tasks accepted after their deadline."
        ),
    )
    min_findings_for_rate = models.PositiveSmallIntegerField(
        _("minimum findings for the closure rate"),
        default=5,
        validators=[MinValueValidator(1)],
        help_text=_("A unit with fewer findings than this is not ranked by closure rate."),
    )
    min_tasks_for_rate = models.PositiveSmallIntegerField(
        _("minimum tasks for the task rates"),
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_(
            "A unit with fewer due tasks than this is not ranked by task completion, "
            "and its task deductions are not applied."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("scoring rules")
        verbose_name_plural = _("scoring rules")

    def __str__(self):
        return str(self.campaign)

    @classmethod
    def for_campaign(cls, campaign):
        """The campaign's rules, or unsaved defaults when the office has set none."""
        return cls.objects.filter(campaign=campaign).first() or cls(campaign=campaign)

    # The fields frozen into every snapshot, so later edits never change a past week.
    FROZEN_FIELDS = [
        "base_score",
        "points_minor",
        "points_serious",
        "points_critical",
        "points_overdue_day",
        "points_relapse",
        "points_returned",
        "task_completion_points",
        "task_on_time_points",
        "min_findings_for_rate",
        "min_tasks_for_rate",
    ]

    def as_dict(self):
        return {name: str(getattr(self, name)) for name in self.FROZEN_FIELDS}


class BulletinSettings(models.Model):
    """When the weekly bulletin is produced for a campaign and how it is issued and sent."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    class Covers(models.IntegerChoices):
        LAST_WEEK = 1, _("The previous week (Monday to Sunday)")
        THIS_WEEK = 0, _("The week it is produced in")

    campaign = models.OneToOneField(
        Campaign,
        on_delete=models.CASCADE,
        related_name="bulletin_settings",
        verbose_name=_("campaign"),
    )
    is_enabled = models.BooleanField(
        _("produce automatically"),
        default=True,
        help_text=_("When off, bulletins are only made by hand."),
    )
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), choices=Weekday.choices, default=Weekday.MONDAY
    )
    time = models.TimeField(_("time of day"), default=datetime.time(9, 0))
    covers = models.PositiveSmallIntegerField(
        _("the bulletin covers"), choices=Covers.choices, default=Covers.LAST_WEEK
    )
    auto_publish = models.BooleanField(
        _("publish automatically"),
        default=False,
        help_text=_(
            "When on, the bulletin is published and e-mailed as soon as it is produced; "
            "when off, it waits as a draft for the office to check and publish."
        ),
    )
    masthead = models.CharField(_("masthead"), max_length=60, default="创建全国文明城市工作通报")
    issuing_office = models.CharField(
        _("issuing office"), max_length=100, default="市创建全国文明城市工作领导小组办公室"
    )
    document_prefix = models.CharField(
        _("document number prefix"),
        max_length=30,
        default="创文办",
        help_text=_("The number reads like 创文办〔2026〕12号."),
    )
    report_to = models.CharField(
        _("report to (报)"),
        max_length=300,
        blank=True,
        default="市委、市政府主要领导，市创建工作领导小组各位领导",
    )
    send_to = models.CharField(
        _("send to (送)"), max_length=300, blank=True, default="市创建工作领导小组各成员单位"
    )
    issue_to = models.CharField(
        _("issue to (发)"),
        max_length=300,
        blank=True,
        default="各县区创建办，各街道（镇），市直各责任单位",
    )
    list_size = models.PositiveSmallIntegerField(
        _("units on the red and black lists"),
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_(
            "At most this many units of each kind are named on the red list and on the black "
            "list. Units tied at the cut-off are not named one by one: the list says how many "
            "share that place (并列)."
        ),
    )
    list_min_activity = models.PositiveSmallIntegerField(
        _("minimum activity for the red and black lists"),
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_(
            "A unit is put on a list only when its week had at least this much work: problems "
            "found or closed off in the week, problems still open and tasks due. A unit with "
            "nothing to do does not top the red list with full marks."
        ),
    )
    recipients = models.TextField(
        _("distribution list (e-mail addresses)"),
        blank=True,
        help_text=_("One address per line. The PDF is e-mailed to them when it is published."),
    )

    class Meta:
        verbose_name = _("bulletin settings")
        verbose_name_plural = _("bulletin settings")

    def __str__(self):
        return str(self.campaign)

    @classmethod
    def for_campaign(cls, campaign):
        return cls.objects.filter(campaign=campaign).first() or cls(campaign=campaign)

    def recipient_list(self):
        text = self.recipients.replace(",", "\n").replace("，", "\n").replace(";", "\n")
        return [line.strip() for line in text.splitlines() if line.strip()]

    def clean(self):
        from django.core.validators import validate_email

        for address in self.recipient_list():
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    {
                        "recipients": gettext("“%(address)s” is not an e-mail address.")
                        % {"address": address}
                    }
                ) from None


class PeriodSnapshotQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A week's snapshot belongs to the campaign; its unit rows are scoped one by one."""
        from campaign.access import scope_for

        scope = scope_for(user)
        return self if scope.is_superuser else self.filter(campaign__in=scope.campaign_ids)


class PeriodSnapshot(models.Model):
    """The frozen figures of one campaign for one ISO week, with the rules used for them."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="snapshots", verbose_name=_("campaign")
    )
    period = models.CharField(_("week"), max_length=8, help_text="2026-W47")
    start = models.DateField(_("week starts"))
    end = models.DateField(_("week ends"))
    taken_at = models.DateTimeField(_("frozen at"), default=timezone.now)
    rules = models.JSONField(default=dict)

    objects = PeriodSnapshotQuerySet.as_manager()

    class Meta:
        verbose_name = _("weekly snapshot")
        verbose_name_plural = _("weekly snapshots")
        ordering = ["-start"]
        constraints = [
            # One set of frozen figures per campaign and week.
            models.UniqueConstraint(fields=["campaign", "period"], name="snapshot_period_unique"),
        ]

    def __str__(self):
        return f"{self.campaign} {self.period}"

    def previous(self):
        return (
            PeriodSnapshot.objects.filter(campaign_id=self.campaign_id, start__lt=self.start)
            .order_by("-start")
            .first()
        )


class UnitSnapshotQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Leaders and the office see every unit; a unit its own and those below it;
        command staff the units of their command office."""
        return self.filter(unit__in=Unit.objects.visible_to(user).values("pk"))


class UnitSnapshot(models.Model):
    """One unit's figures for one week, frozen. Rankings are computed from these rows only.

    "Week" figures count what happened from Monday to Sunday; "total" figures count
    everything up to the end of the week. Names are copied so a renamed unit keeps the
    name it had in a published bulletin.
    """

    snapshot = models.ForeignKey(PeriodSnapshot, on_delete=models.CASCADE, related_name="units")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    unit_name = models.CharField(max_length=100)
    unit_kind = models.CharField(max_length=20, choices=Unit.Kind.choices)
    unit_path = models.CharField(max_length=255)
    found_week = models.PositiveIntegerField(_("new this week"), default=0)
    minor_week = models.PositiveIntegerField(default=0)
    serious_week = models.PositiveIntegerField(default=0)
    critical_week = models.PositiveIntegerField(default=0)
    found_total = models.PositiveIntegerField(_("findings to date"), default=0)
    closed_week = models.PositiveIntegerField(_("closed this week"), default=0)
    closed_total = models.PositiveIntegerField(_("closed to date"), default=0)
    open_count = models.PositiveIntegerField(_("still open"), default=0)
    overdue_count = models.PositiveIntegerField(_("overdue"), default=0)
    overdue_days_week = models.PositiveIntegerField(_("overdue working days this week"), default=0)
    relapses_week = models.PositiveIntegerField(_("relapses this week"), default=0)
    relapses_total = models.PositiveIntegerField(_("relapses to date"), default=0)
    returned_week = models.PositiveIntegerField(_("returned this week"), default=0)
    tasks_due = models.PositiveIntegerField(_("tasks due"), default=0)
    tasks_done = models.PositiveIntegerField(_("tasks accepted"), default=0)
    tasks_on_time = models.PositiveIntegerField(_("tasks accepted on time"), default=0)
    tasks_overdue = models.PositiveIntegerField(_("tasks overdue"), default=0)
    deduction = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    score = models.DecimalField(_("composite score"), max_digits=8, decimal_places=2, default=0)

    objects = UnitSnapshotQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit snapshot")
        verbose_name_plural = _("unit snapshots")
        ordering = ["snapshot", "unit_path"]
        constraints = [
            # A unit's figures are frozen once per week.
            models.UniqueConstraint(fields=["snapshot", "unit"], name="unit_snapshot_unique"),
        ]

    def __str__(self):
        return f"{self.unit_name} {self.snapshot.period}"

    @staticmethod
    def _rate(part, whole):
        if not whole:
            return None
        return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))

    @property
    def closure_rate(self):
        """Closed to date as a share of findings to date, in per cent (None with no findings)."""
        return self._rate(self.closed_total, self.found_total)

    @property
    def completion_rate(self):
        return self._rate(self.tasks_done, self.tasks_due)

    @property
    def activity(self):
        """The week's work, for the red/black lists' minimum: problems found or closed off
        in the week, problems still open at its end, and tasks due."""
        return self.found_week + self.closed_week + self.open_count + self.tasks_due


class BulletinQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The office sees drafts; every member of the campaign reads published issues,
        which are distributed to all units (发：各县区、市直各部门)."""
        from campaign.access import scope_for

        scope = scope_for(user)
        if scope.is_superuser:
            return self
        return self.filter(
            models.Q(campaign__in=scope.admin_campaign_ids)
            | models.Q(campaign__in=scope.campaign_ids, status=Bulletin.Status.PUBLISHED)
        )


def bulletin_pdf_path(instance, filename):
    """Where a bulletin's PDF and .docx are stored."""
    return f"reports/bulletins/{instance.campaign_id}/{filename}"


def _office(scope, bulletin):
    return scope.is_office_admin(bulletin.campaign)


class Bulletin(models.Model):
    """One issue of the weekly bulletin: 第N期, a document number, frozen content and a PDF."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    TRANSITIONS = {Status.DRAFT: {Status.PUBLISHED}, Status.PUBLISHED: set()}

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="bulletins", verbose_name=_("campaign")
    )
    period = models.CharField(_("week"), max_length=8)
    start = models.DateField(_("week starts"))
    end = models.DateField(_("week ends"))
    number = models.PositiveIntegerField(_("issue number"))
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("document sequence"))
    document_number = models.CharField(_("document number"), max_length=60)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    summary = models.TextField(_("summary"), blank=True)
    requirements = models.TextField(_("next week's requirements"), blank=True)
    data = models.JSONField(default=dict)
    pdf = models.FileField(upload_to=bulletin_pdf_path, max_length=255, blank=True)
    # The editable version of the same content, rendered with the PDF.
    docx = models.FileField(upload_to=bulletin_pdf_path, max_length=255, blank=True)
    generated_at = models.DateTimeField(_("generated at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("made by"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    # Made for a week earlier than one already issued: the issue number runs on in the
    # order of issue (a number once printed never changes) and the document says 补发.
    is_backfill = models.BooleanField(_("back-filled"), default=False)
    # Bumped by every change; the PDF is rendered for one version and stored only if the
    # bulletin is still at that version.
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = BulletinQuerySet.as_manager()

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        ordering = ["-start", "-pk"]
        constraints = [
            # The claim: a re-run, a second beat or two clicks never make a second issue.
            models.UniqueConstraint(fields=["campaign", "period"], name="bulletin_period_unique"),
            # 第N期 and 〔year〕N号 never repeat within a campaign.
            models.UniqueConstraint(fields=["campaign", "number"], name="bulletin_number_unique"),
            models.UniqueConstraint(
                fields=["campaign", "year", "sequence"], name="bulletin_document_number_unique"
            ),
        ]

    def __str__(self):
        from campaign.templatetags.site_tags import week

        return gettext("Bulletin No. %(number)s (%(week)s)") % {
            "number": self.number,
            "week": week(self.period),
        }

    def get_absolute_url(self):
        return pk_url("reports:bulletin_detail", self.pk)

    @property
    def is_draft(self):
        return self.status == self.Status.DRAFT

    @property
    def colour(self):
        """Bootstrap colour of the status badge: a draft is yellow, a published issue green."""
        return "warning" if self.is_draft else "success"

    # --- state changes: `campaign.transitions.transition`, rules in `Bulletin.RULES` ------
    # The PDF is never rendered here: every change queues its rendering (an outbox row),
    # done after commit outside any lock by `reports.bulletins.render_bulletin`.

    def conflict_message(self):
        return gettext(
            "Someone else changed this bulletin while you were working on it. "
            "Nothing was saved: look at the latest version and try again."
        )

    def not_possible_message(self, action):
        if action == "publish":
            return gettext("This bulletin is already “%(status)s”.") % {
                "status": self.get_status_display()
            }
        return gettext("A published bulletin can no longer be changed.")

    def record_event(self, *, actor, action, from_status, to_status, note, data):
        from campaign.models import AuditEntry

        summaries = {
            "edit": gettext("Edited the text of %(bulletin)s"),
            "publish": gettext("Published %(bulletin)s"),
            "refresh": gettext("Recomputed the figures of %(bulletin)s"),
            "cases": gettext("Chose the typical cases of %(bulletin)s"),
        }
        return AuditEntry.record(
            actor=actor,
            action=AuditEntry.Action.PUBLISH if action == "publish" else AuditEntry.Action.UPDATE,
            obj=self,
            summary=summaries[action] % {"bulletin": self},
            campaign=self.campaign,
        )

    def render_request(self):
        """The outbox effect that renders this version's PDF after commit."""
        return (
            "reports.bulletins.render_bulletin",
            f"bulletin-pdf:{self.pk}:{self.version}",
            {"bulletin_id": self.pk, "version": self.version},
        )

    def edit_text(self, *, actor, summary, requirements, expected_version=None):
        """The office rewrites the summary or next week's requirements of a draft."""

        def apply(locked):
            locked.summary, locked.requirements = summary.strip(), requirements.strip()
            return ["summary", "requirements"]

        transition(
            self,
            "edit",
            actor=actor,
            expected_version=expected_version,
            apply=self._rendered(apply),
        )
        return self

    def publish(self, *, actor, expected_version=None):
        """Draft → published. After commit the final PDF is rendered from the frozen content,
        then the distribution list is e-mailed once (both through the outbox)."""

        def apply(locked):
            locked.published_at = timezone.now()
            locked.published_by = actor
            return ["published_at", "published_by"]

        transition(
            self,
            "publish",
            actor=actor,
            to=self.Status.PUBLISHED,
            expected_version=expected_version,
            apply=self._rendered(apply),
        )
        return self

    @staticmethod
    def _rendered(apply):
        """Wrap `apply` so that the change also queues the PDF of the new version."""

        def wrapped(locked):
            # Called with the saved row, so the request names the new version.
            return Change(apply(locked), [Bulletin.render_request])

        return wrapped


_office_only = _("Only the creation office can do this.")
# Who may do what to a bulletin, from which statuses (buttons, views and methods read it).
Bulletin.RULES = {
    "edit": rule([Bulletin.Status.DRAFT], _office, _office_only, label=_("Edit")),
    "refresh": rule([Bulletin.Status.DRAFT], _office, _office_only, label=_("Recompute")),
    "publish": rule([Bulletin.Status.DRAFT], _office, _office_only, label=_("Publish")),
    "cases": rule(
        [Bulletin.Status.DRAFT], _office, _office_only, label=_("Choose the typical cases")
    ),
}
