import secrets
import uuid
from collections import Counter

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Concat, Length, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .links import pk_url


class ChoiceLabels:
    """`get_FOO_display()` by one lookup in the field's {value: label} table.

    Django's version builds that table on every call and hashes each lazy label, which
    translates it: a list page showing a status, a severity and a priority per row spent
    thousands of gettext calls on labels it never showed. Mixed into the models whose
    labels list pages show per row; a value outside the choices is answered as Django does.
    """

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        try:
            return str(_choice_labels(field)[value])
        except (KeyError, TypeError):  # not a choice, or unhashable: Django's answer
            return super()._get_FIELD_display(field)


def _choice_labels(field):
    labels = field.__dict__.get("_choice_labels")
    if labels is None:
        labels = field._choice_labels = dict(field.flatchoices)
    return labels


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk updates and deletes refused too, but for the fields a model may complete later."""

    def update(self, **kwargs):
        if set(kwargs) - set(self.model.completable_fields):
            raise TypeError(f"{self.model.__name__} rows are append-only.")
        return super().update(**kwargs)

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are append-only.")


class AppendOnlyModel(models.Model):
    """Rows written once and never changed or deleted: histories and evidence.

    `completable_fields` names the fields a bulk update may still fill in afterwards.
    """

    completable_fields = ()

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only.")


class Person(AbstractUser):
    """A person who signs in: office staff, command staff, inspectors, unit people, leaders.

    Chinese names are not split into given and family names, so `name` holds the whole name.
    """

    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    # Set when someone else chose the password: the person must choose their own at next sign-in.
    must_change_password = models.BooleanField(_("must change password"), default=False)
    # The bell's number on every page, read with the person instead of counted per page. Kept
    # in the same transaction as every notice made, read, handed over or deleted
    # (`change_unread_counts`); not a PositiveIntegerField so that a miscount never stops
    # anyone reading their notices.
    unread_notifications = models.IntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name", "username"]

    def __str__(self):
        return self.name or self.username

    def get_full_name(self):
        return self.name or self.username

    def needs_two_factor(self):
        """Office admins, the three administrators and superusers sign in with a second factor."""
        return (
            self.is_superuser
            or self.memberships.filter(role__in=TWO_FACTOR_ROLES, campaign__is_active=True).exists()
        )


class CampaignQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .access import scope_for

        return scope_for(user).filter_campaigns(self.filter(is_active=True))


class Campaign(models.Model):
    """A creation cycle (创建周期), e.g. 2025—2027 年创建全国文明城市."""

    class Level(models.TextChoices):
        NATIONAL = "national", _("National civilised city")
        PROVINCIAL = "provincial", _("Provincial civilised city")
        COUNTY = "county", _("County-level civilised city")

    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    city = models.CharField(_("city"), max_length=100)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    is_active = models.BooleanField(_("active"), default=True)
    # Changed (to a new random value) in the same transaction as any unit, command office,
    # finding category or point type of the campaign, or its bulletin settings (reports.apps):
    # the filter choices and the other lists kept in `choices_cache` are keyed by it. Random, not a counter, so a campaign made again after
    # a rollback or a restore never meets what was kept for another.
    choices_version = models.UUIDField(default=uuid.uuid4, editable=False)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-start_date", "name"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date is before the start date.")})


class CommandOfficeQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .access import scope_for

        return scope_for(user).filter_command_offices(self)


class CommandOffice(models.Model):
    """A command office (指挥部 / 专项工作组) that owns a set of indicators and units' work."""

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        related_name="command_offices",
        verbose_name=_("campaign"),
    )
    name = models.CharField(_("name"), max_length=100)
    head = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("head (指挥长)"),
    )
    duties = models.TextField(_("duties"), blank=True)
    units = models.ManyToManyField(
        "Unit",
        blank=True,
        related_name="command_offices",
        verbose_name=_("member units"),
    )

    objects = CommandOfficeQuerySet.as_manager()

    class Meta:
        verbose_name = _("command office")
        verbose_name_plural = _("command offices")
        ordering = ["campaign", "name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="command_office_name_unique"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return pk_url("campaign:command_office_detail", self.pk)


class UnitQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .access import scope_for

        return scope_for(user).filter_units(self)

    def subtree_of(self, unit):
        """The unit and every unit below it (one indexed prefix query)."""
        return self.filter(path__startswith=unit.path)


class Unit(ChoiceLabels, models.Model):
    """A responsible unit (责任单位) in the territorial tree: district, street, community …

    `path` is a materialised path of ids ("/0000003/0000017/") kept by `save()`, so that a
    subtree is one `startswith` query whatever its depth.
    """

    class Kind(models.TextChoices):
        DISTRICT = "district", _("District / county")
        STREET = "street", _("Street / town")
        COMMUNITY = "community", _("Community")
        DEPARTMENT = "department", _("Municipal department")
        OTHER = "other", _("Other")

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        related_name="units",
        verbose_name=_("campaign"),
    )
    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    aliases = models.JSONField(
        _("aliases"),
        default=list,
        blank=True,
        help_text=_("Other names this unit goes by in workbooks."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent unit"),
    )
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    phone = models.CharField(_("contact phone"), max_length=30, blank=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("responsible unit")
        verbose_name_plural = _("responsible units")
        ordering = ["path"]
        constraints = [
            # Workbooks refer to units by name, so a name is unique within a campaign.
            models.UniqueConstraint(fields=["campaign", "name"], name="unit_name_unique"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # The path needs the id, so a new unit is saved twice inside one transaction.
        with transaction.atomic():
            old_path = self.path
            if self.pk is None:
                super().save(*args, **kwargs)
                kwargs.pop("force_insert", None)
            prefix = self.parent.path if self.parent_id else "/"
            # Zero-padded so that ordering by path lists siblings in numeric order.
            self.path = f"{prefix}{self.pk:07d}/"
            self.depth = self.path.count("/") - 2
            super().save(*args, **{k: v for k, v in kwargs.items() if k != "force_insert"})
            if old_path and old_path != self.path:
                # Re-root the whole subtree in one UPDATE when the unit moves.
                shift = self.depth - (old_path.count("/") - 2)
                Unit.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                    path=Concat(
                        models.Value(self.path),
                        Substr("path", Length(models.Value(old_path)) + 1),
                        output_field=models.CharField(),
                    ),
                    depth=models.F("depth") + shift,
                )

    def get_absolute_url(self):
        return pk_url("campaign:unit_detail", self.pk)

    @property
    def ancestor_ids(self):
        return [int(part) for part in self.path.strip("/").split("/")[:-1] if part]

    def is_within(self, other):
        """True when this unit is `other` or below it."""
        return self.path.startswith(other.path)

    def clean(self):
        if self.parent_id:
            if self.parent.campaign_id != self.campaign_id:
                raise ValidationError({"parent": _("The parent unit belongs to another campaign.")})
            if self.pk and self.parent.path.startswith(self.path):
                raise ValidationError({"parent": _("A unit cannot be placed below itself.")})

    def all_names(self):
        return [self.name, *([self.short_name] if self.short_name else []), *self.aliases]


class Role(models.TextChoices):
    OFFICE_ADMIN = "office_admin", _("Creation office staff")
    COMMAND_STAFF = "command_staff", _("Command office staff")
    INSPECTOR = "inspector", _("Inspector")
    UNIT_LEADER = "unit_leader", _("Unit leader")
    UNIT_LIAISON = "unit_liaison", _("Unit liaison")
    LEADER = "leader", _("Leading group member (read-only)")
    # 三员分立 (等保 2.0): three administrative duties beside the business roles.
    SYSTEM_ADMIN = "system_admin", _("System administrator (系统管理员)")
    SECURITY_ADMIN = "security_admin", _("Security administrator (安全管理员)")
    AUDITOR = "auditor", _("Audit administrator (审计管理员)")


UNIT_ROLES = {Role.UNIT_LEADER, Role.UNIT_LIAISON}
# Roles that see the whole campaign.
CAMPAIGN_WIDE_ROLES = {Role.OFFICE_ADMIN, Role.LEADER, Role.INSPECTOR}
# The three administrative duties: nobody holds two of them, in any campaign.
SEPARATED_ROLES = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR}
# Roles whose accounts must sign in with a second factor (TOTP).
TWO_FACTOR_ROLES = {Role.OFFICE_ADMIN, *SEPARATED_ROLES}


class CurrentMembershipManager(models.Manager):
    """Memberships in force: every scope, recipient list and page reads these."""

    def get_queryset(self):
        return super().get_queryset().filter(ended_at__isnull=True)


class MembershipHistoryManager(models.Manager):
    """Every membership ever held, ended ones included."""


class Membership(ChoiceLabels, models.Model):
    """A role a person holds in a campaign, for a unit or a command office where the role needs one.

    A role has a validity period: it ends (with who ended it and why) and is never deleted,
    so `objects` holds the memberships in force and `history` every one ever held.
    """

    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("person"),
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("campaign"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    unit = models.ForeignKey(
        Unit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("unit"),
    )
    command_office = models.ForeignKey(
        CommandOffice,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("command office"),
    )
    title = models.CharField(_("title in this role"), max_length=100, blank=True)
    started_at = models.DateTimeField(_("held since"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
    )
    end_reason = models.CharField(_("why it ended"), max_length=200, blank=True)

    objects = CurrentMembershipManager()
    history = MembershipHistoryManager()

    class Meta:
        verbose_name = _("membership")
        # Related managers (person.memberships …) read the memberships in force too.
        base_manager_name = "history"
        verbose_name_plural = _("memberships")
        ordering = ["campaign", "role", "unit__path"]
        constraints = [
            models.CheckConstraint(
                name="membership_target_fits_role",
                condition=(
                    Q(
                        role__in=["unit_leader", "unit_liaison"],
                        unit__isnull=False,
                        command_office__isnull=True,
                    )
                    | Q(role="command_staff", command_office__isnull=False, unit__isnull=True)
                    | Q(
                        role__in=[
                            "office_admin",
                            "inspector",
                            "leader",
                            "system_admin",
                            "security_admin",
                            "auditor",
                        ],
                        unit__isnull=True,
                        command_office__isnull=True,
                    )
                ),
            ),
            # One membership in force per person, role and target (partial constraints: NULLs
            # never clash; ended memberships stay as history beside a new one).
            models.UniqueConstraint(
                fields=["person", "campaign", "role", "unit"],
                condition=Q(unit__isnull=False, ended_at__isnull=True),
                name="membership_unique_current_unit",
            ),
            models.UniqueConstraint(
                fields=["person", "campaign", "role", "command_office"],
                condition=Q(command_office__isnull=False, ended_at__isnull=True),
                name="membership_unique_current_office",
            ),
            models.UniqueConstraint(
                fields=["person", "campaign", "role"],
                condition=Q(unit__isnull=True, command_office__isnull=True, ended_at__isnull=True),
                name="membership_unique_current_campaign",
            ),
        ]
        indexes = [
            # scope_for(): all memberships of one person.
            models.Index(fields=["person", "campaign"]),
            # The holders of a unit's roles (recipients, the import's before → after).
            models.Index(fields=["unit", "role", "ended_at"]),
        ]

    def __str__(self):
        target = self.unit or self.command_office or self.campaign
        return f"{self.person} · {self.get_role_display()} · {target}"

    @property
    def is_current(self):
        return self.ended_at is None

    def delete(self, *args, **kwargs):
        raise TypeError("A membership is ended with end(), never deleted.")

    def end(self, *, by, reason):
        """End the role now, saying who ended it and why. The row stays as history."""
        self.ended_at = timezone.now()
        self.ended_by = by
        self.end_reason = str(reason)[:200]
        self.save(update_fields=["ended_at", "ended_by", "end_reason"])

    def clean(self):
        role = self.role
        if role in UNIT_ROLES and not self.unit_id:
            raise ValidationError({"unit": _("This role needs a unit.")})
        if role == Role.COMMAND_STAFF and not self.command_office_id:
            raise ValidationError({"command_office": _("This role needs a command office.")})
        if role in CAMPAIGN_WIDE_ROLES:
            self.unit = None
            self.command_office = None
        if role in UNIT_ROLES:
            self.command_office = None
        if role == Role.COMMAND_STAFF:
            self.unit = None
        if role in SEPARATED_ROLES:
            self.unit = None
            self.command_office = None
            self.check_separation()

    def check_separation(self):
        """三员分立: a person holding one of the three administrative duties holds no other."""
        if self.role not in SEPARATED_ROLES or not self.person_id:
            return
        other = (
            Membership.objects.filter(person_id=self.person_id, role__in=SEPARATED_ROLES)
            .exclude(role=self.role)
            .first()
        )
        if other:
            raise ValidationError(
                {
                    "role": _(
                        "%(person)s is already %(role)s: the system, security and audit "
                        "administrators must be three different people."
                    )
                    % {"person": self.person, "role": other.get_role_display()}
                }
            )


class LoginAttempt(models.Model):
    """Every sign-in attempt, kept in the database so lockout holds without Redis.

    `refused` attempts were turned away by a lock before the password was checked: they are
    not failures, so hammering a locked account never makes its lock last longer.
    """

    class Lock(models.TextChoices):
        USERNAME_AT_ADDRESS = "username_at_address", _("this username at this address")
        ADDRESS = "address", _("this address (many usernames)")
        USERNAME = "username", _("this username (many addresses)")

    username = models.CharField(max_length=150)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    succeeded = models.BooleanField()
    refused = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("login attempt")
        verbose_name_plural = _("login attempts")
        ordering = ["-at"]
        indexes = [
            # lock(): recent attempts for one username and address.
            models.Index(fields=["username", "ip_address", "at"]),
            # lock(): recent failures from one address (password spraying).
            models.Index(fields=["ip_address", "at"]),
            # lock(): recent failures for one username from anywhere.
            models.Index(fields=["username", "at"]),
        ]

    def __str__(self):
        return f"{self.username} {self.ip_address} {self.at:%Y-%m-%d %H:%M}"

    @classmethod
    def lock(cls, username, ip_address):
        """Which lock turns this sign-in away now (a `Lock`), or None.

        1. The username at this address: the last LOGIN_LOCKOUT_ATTEMPTS attempts in the
           window all failed.
        2. The address, whatever the username: LOGIN_ADDRESS_LOCKOUT_ATTEMPTS failures in the
           window (password spraying).
        3. The username, from any address: LOGIN_USERNAME_LOCKOUT_ATTEMPTS failures in the
           window delay further tries until LOGIN_USERNAME_BACKOFF_MINUTES after the latest
           failure. Refused tries do not count, and an address the person has signed in from
           before is exempt, so an attacker cannot keep the person out.
        """
        now = timezone.now()
        window = now - timezone.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        attempts = cls.objects.filter(at__gte=window, refused=False)
        recent = list(
            attempts.filter(username=username, ip_address=ip_address)
            .order_by("-at")
            .values_list("succeeded", flat=True)[: settings.LOGIN_LOCKOUT_ATTEMPTS]
        )
        if len(recent) >= settings.LOGIN_LOCKOUT_ATTEMPTS and not any(recent):
            return cls.Lock.USERNAME_AT_ADDRESS
        failures = attempts.filter(succeeded=False)
        if (
            ip_address
            and failures.filter(ip_address=ip_address).count()
            >= settings.LOGIN_ADDRESS_LOCKOUT_ATTEMPTS
        ):
            return cls.Lock.ADDRESS
        mine = failures.filter(username=username)
        backoff = now - timezone.timedelta(minutes=settings.LOGIN_USERNAME_BACKOFF_MINUTES)
        if (
            mine.filter(at__gte=backoff).exists()
            and mine.count() >= settings.LOGIN_USERNAME_LOCKOUT_ATTEMPTS
            and not cls.objects.filter(
                username=username, ip_address=ip_address, succeeded=True
            ).exists()
        ):
            return cls.Lock.USERNAME
        return None

    @classmethod
    def is_locked(cls, username, ip_address):
        return cls.lock(username, ip_address) is not None


class AuditEntry(AppendOnlyModel):
    """One event in the audit log (who, what, when, from where, outcome): sign-ins, password and
    role changes, exports and downloads, access denials, imports, publishing and plain edits.

    Append-only: the app, `/admin/` and (through a database trigger) SQL refuse to change or
    delete an entry younger than the retention period. Workflow transitions (tasks, findings)
    keep their own event tables as well.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        DELETE = "delete", _("Deleted")
        IMPORT = "import", _("Imported")
        PUBLISH = "publish", _("Publication")
        LOGIN = "login", _("Signed in")
        LOGIN_FAILED = "login_failed", _("Sign-in failed")
        LOCKOUT = "lockout", _("Sign-in refused (locked)")
        LOGOUT = "logout", _("Signed out")
        TWO_FACTOR = "two_factor", _("Two-factor sign-in")
        PASSWORD = "password", _("Password changed")
        ROLE = "role", _("Role changed")
        EXPORT = "export", _("Exported")
        DOWNLOAD = "download", _("Downloaded")
        DENIED = "denied", _("Access denied")

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Success")
        FAILURE = "failure", _("Failure")
        DENIED = "denied", _("Denied")

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        null=True,
        related_name="audit_entries",
    )
    actor = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=20, choices=Action.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    object_type = models.CharField(max_length=50, blank=True)
    object_id = models.CharField(max_length=50, blank=True)
    summary = models.CharField(max_length=300)
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at"]
        indexes = [
            # The history box on an object's page.
            models.Index(fields=["object_type", "object_id", "at"]),
            # The audit viewer and change log: one campaign's entries, newest first.
            models.Index(fields=["campaign", "-at"], name="audit_list_order"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.summary}"

    @classmethod
    def record(
        cls,
        *,
        actor,
        action,
        summary,
        obj=None,
        changes=None,
        campaign=None,
        outcome=Outcome.SUCCESS,
    ):
        """Append one entry; the client address and user agent come from the request being
        served (`campaign.request_context`), so callers never pass them."""
        from .request_context import current_request

        context = current_request()
        return cls.objects.create(
            campaign=campaign or getattr(obj, "campaign", None) or context.campaign,
            actor=actor if getattr(actor, "pk", None) else None,
            action=action,
            outcome=outcome,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            summary=str(summary)[:300],
            changes=changes or {},
            ip_address=context.ip_address,
            user_agent=context.user_agent[:300],
        )

    @classmethod
    def for_object(cls, obj):
        return cls.objects.filter(
            object_type=obj._meta.label_lower, object_id=str(obj.pk)
        ).select_related("actor")

    @classmethod
    def purge(cls, *, older_than_days):
        """Delete entries older than the retention period (never fewer than 180 days)."""
        days = max(older_than_days, 180)
        cutoff = timezone.now() - timezone.timedelta(days=days)
        # The append-only queryset refuses deletes; retention is the one exception, and the
        # database trigger still refuses any row younger than 180 days.
        deleted, _by_model = models.QuerySet.delete(cls.objects.filter(at__lt=cutoff))
        return deleted


# --- The evaluation system (测评体系) -------------------------------------------------------


def new_tree_version():
    # Random, not 1: a system made again in a re-created database never meets a tree cached
    # for the one that had its id.
    return secrets.randbelow(2**62)


class EvaluationSystemQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Everyone with a role in the campaign sees its systems; the standards inside are scoped."""
        from .access import scope_for

        return self.filter(campaign__in=scope_for(user).filter_campaigns(Campaign.objects.all()))


class EvaluationSystem(models.Model):
    """An evaluation system a campaign is measured by: a tree of 2–4 levels ending in standards.

    The workbook decides the depth; `level_names` keeps what its columns called each
    upper level (e.g. ["测评项目", "测评内容"]).
    """

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        related_name="evaluation_systems",
        verbose_name=_("campaign"),
    )
    name = models.CharField(_("name"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    issuer = models.CharField(_("issued by"), max_length=200, blank=True)
    city_group = models.CharField(_("city group"), max_length=100, blank=True)
    pass_mark = models.DecimalField(
        _("pass mark"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("A separate minimum score, e.g. for the minors' system."),
    )
    document_number = models.CharField(_("document number"), max_length=100, blank=True)
    level_names = models.JSONField(_("level names"), default=list, blank=True)
    source_filename = models.CharField(_("source file"), max_length=255, blank=True)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    # The cached tree page is keyed by this; `campaign.tree_cache` bumps it in the same
    # transaction as any change to what the tree shows.
    tree_version = models.PositiveBigIntegerField(default=new_tree_version, editable=False)

    objects = EvaluationSystemQuerySet.as_manager()

    class Meta:
        verbose_name = _("evaluation system")
        verbose_name_plural = _("evaluation systems")
        ordering = ["campaign", "-year", "name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # The tree version only moves by `tree_cache.touch_trees`: an instance read before a
        # bump must not write its old value back.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "tree_version"
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return pk_url("campaign:system_detail", self.pk)

    @property
    def depth(self):
        """Number of levels including the standards (2–4)."""
        return len(self.level_names) + 1


class IndicatorNodeQuerySet(models.QuerySet):
    def current(self):
        """Nodes of the current edition (a revised edition retires the ones it drops)."""
        return self.filter(retired_at__isnull=True)


class IndicatorNode(models.Model):
    """An upper level of the tree: an item (测评项目), an indicator (指标) or a content (测评内容)."""

    system = models.ForeignKey(
        EvaluationSystem,
        on_delete=models.CASCADE,
        related_name="nodes",
        verbose_name=_("evaluation system"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    level = models.PositiveSmallIntegerField(_("level"), help_text=_("0 for the top level."))
    code = models.CharField(_("code"), max_length=30, blank=True)
    name = models.CharField(_("name"), max_length=300)
    position = models.PositiveIntegerField(_("position"), default=0)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    objects = IndicatorNodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["system", "position"]
        indexes = [
            # The tree page: all nodes of one system in order.
            models.Index(fields=["system", "position"]),
        ]

    def __str__(self):
        return self.name


class StandardQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .access import scope_for

        return scope_for(user).filter_pk_in(
            self,
            campaign="system__campaign",
            units=["lead_unit", "responsible_units"],
            command_office="lead_command_office",
        )

    def current(self):
        """Standards of the current edition: a revised edition retires, never deletes, the ones it drops."""
        return self.filter(retired_at__isnull=True)


class Standard(ChoiceLabels, models.Model):
    """A standard (测评标准): the leaf of the tree, carrying points, methods and responsibility."""

    class Method(models.TextChoices):
        FIELD_CHECK = "field_check", _("Field check (实地考察)")
        SURVEY = "survey", _("Survey (问卷调查)")
        DOCUMENT_REVIEW = "document_review", _("Document review (材料审核)")
        ONLINE_REPORT = "online_report", _("Online report (网上申报)")
        DATA_CHECK = "data_check", _("Data check (数据核查)")
        NEGATIVE_LIST = "negative_list", _("Negative list (负面清单)")

    class Difficulty(models.TextChoices):
        EASY = "easy", _("Easy: don't drop a point")
        ATTAINABLE = "attainable", _("Attainable: get the full points")
        HARD = "hard", _("Hard: lose as few as possible")

    class Assessment(models.TextChoices):
        MET = "met", _("Met (达标)")
        MOSTLY_MET = "mostly_met", _("Mostly met (基本达标)")
        NOT_MET = "not_met", _("Not met (未达标)")
        NOT_ASSESSED = "not_assessed", _("Not assessed (未评估)")

    # A self-assessment may move between any two statuses (a re-check can go either way),
    # but not to the status it already has.
    ASSESSMENT_TRANSITIONS = {
        Assessment.NOT_ASSESSED: {Assessment.MET, Assessment.MOSTLY_MET, Assessment.NOT_MET},
        Assessment.MET: {Assessment.MOSTLY_MET, Assessment.NOT_MET, Assessment.NOT_ASSESSED},
        Assessment.MOSTLY_MET: {Assessment.MET, Assessment.NOT_MET, Assessment.NOT_ASSESSED},
        Assessment.NOT_MET: {Assessment.MET, Assessment.MOSTLY_MET, Assessment.NOT_ASSESSED},
    }

    system = models.ForeignKey(
        EvaluationSystem,
        on_delete=models.CASCADE,
        related_name="standards",
        verbose_name=_("evaluation system"),
    )
    node = models.ForeignKey(
        IndicatorNode,
        on_delete=models.CASCADE,
        related_name="standards",
        verbose_name=_("content"),
    )
    code = models.CharField(_("code"), max_length=30, blank=True)
    text = models.TextField(_("standard"))
    points = models.DecimalField(_("points"), max_digits=7, decimal_places=2)
    methods = models.JSONField(_("assessment methods"), default=list, blank=True)
    is_veto = models.BooleanField(_("veto item (一票否决)"), default=False)
    lead_command_office = models.ForeignKey(
        CommandOffice,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="standards",
        verbose_name=_("lead command office"),
    )
    lead_unit = models.ForeignKey(
        Unit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_standards",
        verbose_name=_("lead unit"),
    )
    responsible_units = models.ManyToManyField(
        Unit,
        blank=True,
        related_name="standards",
        verbose_name=_("responsible units"),
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    difficulty = models.CharField(
        _("difficulty"),
        max_length=12,
        choices=Difficulty.choices,
        blank=True,
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    # Self-assessment (自评): where will we lose points?
    assessment = models.CharField(
        _("self-assessment"),
        max_length=12,
        choices=Assessment.choices,
        default=Assessment.NOT_ASSESSED,
    )
    assessment_note = models.TextField(_("assessment note"), blank=True)
    assessed_by = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    assessed_at = models.DateTimeField(null=True, blank=True)
    evidence_required = models.PositiveSmallIntegerField(
        _("evidence items required"),
        default=1,
        help_text=_("How many captioned documents or photos the archive needs for this standard."),
    )
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    objects = StandardQuerySet.as_manager()

    class Meta:
        verbose_name = _("standard")
        verbose_name_plural = _("standards")
        ordering = ["system", "position"]
        indexes = [
            # The tree page and task generation: standards of one system in order.
            models.Index(fields=["system", "position"]),
        ]

    def __str__(self):
        return f"{self.code} {self.text[:40]}".strip()

    def get_absolute_url(self):
        return pk_url("campaign:standard_detail", self.pk)

    @property
    def needs_archive(self):
        """Document-review standards need an evidence archive (软件资料)."""
        return self.Method.DOCUMENT_REVIEW in self.methods

    def method_labels(self):
        # Method(code), not dict(Method.choices): that list is rebuilt on every call (per row).
        return [self.Method(code).label if code in self.Method else code for code in self.methods]

    def assess(self, *, actor, status, note=""):
        """Record a self-assessment (自评): status and note, with an event row for the history."""
        with transaction.atomic():
            standard = Standard.objects.select_for_update().get(pk=self.pk)
            old = standard.assessment
            if status == old and note == standard.assessment_note:
                return standard
            if status != old and status not in self.ASSESSMENT_TRANSITIONS[old]:
                raise ValidationError(_("This self-assessment change is not allowed."))
            standard.assessment = status
            standard.assessment_note = note
            standard.assessed_by = actor
            standard.assessed_at = timezone.now()
            standard.save(
                update_fields=["assessment", "assessment_note", "assessed_by", "assessed_at"]
            )
            AssessmentEvent.objects.create(
                standard=standard, actor=actor, from_status=old, to_status=status, note=note
            )
        for field in ("assessment", "assessment_note", "assessed_by", "assessed_at"):
            setattr(self, field, getattr(standard, field))
        return standard


class AssessmentEvent(AppendOnlyModel):
    """One self-assessment of a standard: who, when, from which status to which, and why."""

    standard = models.ForeignKey(
        Standard,
        on_delete=models.PROTECT,
        related_name="assessment_events",
        verbose_name=_("standard"),
    )
    actor = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    from_status = models.CharField(_("from"), max_length=12, choices=Standard.Assessment.choices)
    to_status = models.CharField(_("to"), max_length=12, choices=Standard.Assessment.choices)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("self-assessment event")
        verbose_name_plural = _("self-assessment events")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.standard} {self.from_status} → {self.to_status}"


class EvidenceQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Evidence is seen by whoever sees its standard."""
        return self.filter(standard__in=Standard.objects.visible_to(user))

    def active(self):
        return self.filter(removed_at__isnull=True)


def evidence_upload_to(instance, filename):
    # The stored name never reuses the uploader's file name (it may carry a path or script).
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"evidence/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{suffix}"


class Evidence(models.Model):
    """A document or photo in a standard's evidence archive (软件资料), captioned as evaluators expect:
    when, where, who took part, and what it shows.
    """

    class Kind(models.TextChoices):
        DOCUMENT = "document", _("Document")
        IMAGE = "image", _("Photo")

    standard = models.ForeignKey(
        Standard,
        on_delete=models.PROTECT,
        related_name="evidence",
        verbose_name=_("standard"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=evidence_upload_to, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    taken_on = models.DateField(_("time"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    people = models.CharField(_("people"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    uploaded_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    # Removed items stay on record (the archive is evidence), hidden from the lists.
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["standard", "-taken_on", "-uploaded_at"]
        indexes = [
            # The archive page: active evidence of many standards at once.
            models.Index(fields=["standard", "removed_at"]),
        ]

    def __str__(self):
        return self.subject or self.original_name

    @property
    def is_captioned(self):
        """Evaluators expect every item to say when, where, who and what."""
        return bool(self.subject and self.taken_on and self.place and self.people)


# --- Working days ---------------------------------------------------------------------------


class WorkdayOverride(models.Model):
    """A date whose working status differs from Monday–Friday: a public holiday on a weekday,
    or a make-up working day (调休上班日) on a weekend. Seeded from `chinesecalendar`,
    editable by the office when the State Council publishes a new year's schedule.
    """

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("working-day override")
        verbose_name_plural = _("working-day overrides")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.name}"


class PublishedHolidayYear(models.Model):
    """A year whose holiday schedule is known (seeded or entered): other years only guess."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("published holiday year")
        verbose_name_plural = _("published holiday years")
        ordering = ["year"]

    def __str__(self):
        return str(self.year)


# --- Notifications ----------------------------------------------------------------------------


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)

    def mark_read(self):
        """Mark these notices read and take them off their recipients' unread counts.

        The unread rows are locked first, so two requests reading the same notices count
        each once. Returns how many were unread.
        """
        with transaction.atomic():
            rows = list(self.unread().select_for_update().values_list("pk", "recipient_id"))
            if not rows:
                return 0
            Notification.objects.filter(pk__in=[pk for pk, _recipient in rows]).update(
                read_at=timezone.now()
            )
            read = Counter(recipient_id for _pk, recipient_id in rows)
            change_unread_counts({person_id: -n for person_id, n in read.items()})
        return len(rows)


class Notification(models.Model):
    """An in-app message to one person (reminders, overdue warnings, assignments).

    Sent through `campaign.notifications.notify`, which also sends it through the channels the
    person chose for its event (`campaign.channels`).
    """

    class Level(models.TextChoices):
        INFO = "info", _("Information")
        WARNING = "warning", _("Warning (yellow)")
        OVERDUE = "overdue", _("Overdue (red)")

    class Event(models.TextChoices):
        """What the notice is about: people and units choose their channels per event."""

        TASK_ASSIGNED = "task_assigned", _("New tasks")
        TASK_REVIEW = "task_review", _("Task awaiting acceptance")
        TASK_DECISION = "task_decision", _("Task accepted or returned")
        PROGRESS_REMINDER = "progress_reminder", _("Progress reminder")
        OVERDUE = "overdue", _("Overdue warning")
        FINDING_ASSIGNED = "finding_assigned", _("Finding to rectify")
        FINDING_REVIEW = "finding_review", _("Finding awaiting verification")
        FINDING_RESULT = "finding_result", _("Verification result")
        SUPERVISION = "supervision", _("Supervision order")
        OTHER = "other", _("Other notices")

    recipient = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        null=True,
        related_name="+",
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.INFO)
    event = models.CharField(_("event"), max_length=20, choices=Event.choices, default=Event.OTHER)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    # Identifies what the message is about, so a daily job never sends the same one twice.
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_dedupe_unique",
            ),
        ]
        indexes = [
            # The bell in the navigation bar: one person's unread messages.
            models.Index(fields=["recipient", "read_at"]),
            # The notification list's default order, newest first.
            models.Index(fields=["recipient", "-created_at"], name="notification_list_order"),
        ]

    def __str__(self):
        return self.subject


def change_unread_counts(changes):
    """Add `{person id: change}` to the people's unread counts (in the caller's transaction:
    the notices' own change and the counts commit together). The rows are locked in id
    order, as `notify` does, so two transactions counting for the same people never wait
    for each other in a circle."""
    for person_id, change in sorted(changes.items()):
        if change:
            Person.objects.filter(pk=person_id).update(
                unread_notifications=models.F("unread_notifications") + change
            )


def notification_deleted(sender, instance, **kwargs):
    """A notice deleted with its campaign (or otherwise) leaves its recipient's count."""
    if instance.read_at is None:
        change_unread_counts({instance.recipient_id: -1})


class Channel(models.TextChoices):
    """The ways a notice leaves the site (the in-app list always has it)."""

    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")


class ChannelEndpoint(models.Model):
    """Where the campaign's SMS gateway or a group robot (企业微信, 钉钉) receives messages.

    A robot of a unit's group (`unit` set) or of the whole campaign (`unit` empty) also takes
    every notice of the events in `events`; people are @mentioned in it when they chose that
    channel. URL and secret are credentials: pages show them masked.
    """

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="channel_endpoints"
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="channel_endpoints",
        verbose_name=_("unit"),
        help_text=_("Empty: the campaign's own gateway or group."),
    )
    channel = models.CharField(
        _("channel"),
        max_length=10,
        choices=[c for c in Channel.choices if c[0] != Channel.EMAIL],
    )
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("address (URL)"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    template = models.CharField(
        _("message template"),
        max_length=500,
        blank=True,
        help_text=_(
            "{text} stands for the message, e.g. 【市创建办】{text}; a 钉钉 robot with "
            "keyword security needs its keyword here."
        ),
    )
    events = models.JSONField(_("events posted to the group"), default=list, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("channel endpoint")
        verbose_name_plural = _("channel endpoints")
        ordering = ["channel", "unit__name", "name"]
        constraints = [
            # One gateway or robot per channel for the campaign and per channel for each unit:
            # routing picks "the unit's robot, else the campaign's".
            models.UniqueConstraint(
                fields=["campaign", "unit", "channel"],
                condition=Q(unit__isnull=False),
                name="channel_endpoint_unit_unique",
            ),
            models.UniqueConstraint(
                fields=["campaign", "channel"],
                condition=Q(unit__isnull=True),
                name="channel_endpoint_campaign_unique",
            ),
        ]

    def __str__(self):
        return self.name


class NoticePreference(models.Model):
    """A person's channels for one event; without a row they get e-mail only."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="notice_preferences")
    event = models.CharField(_("event"), max_length=20, choices=Notification.Event.choices)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    # Information-level notices of this event wait for the daily digest.
    digest = models.BooleanField(_("daily digest"), default=False)

    class Meta:
        verbose_name = _("notice preference")
        verbose_name_plural = _("notice preferences")
        ordering = ["person", "event"]
        constraints = [
            models.UniqueConstraint(fields=["person", "event"], name="notice_preference_unique"),
        ]

    def __str__(self):
        return f"{self.person} {self.event}"


class Delivery(models.Model):
    """One attempt to send a notice through a channel: the delivery log.

    `key` is the outbox row's idempotency key, so the attempts of one message count up.
    `recipient` is stored masked (phone numbers and addresses are personal data).
    """

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, null=True, related_name="+")
    key = models.CharField(max_length=200)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    event = models.CharField(_("event"), max_length=20, choices=Notification.Event.choices)
    endpoint = models.ForeignKey(
        ChannelEndpoint,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("endpoint"),
    )
    recipient = models.CharField(_("recipient"), max_length=300)
    subject = models.CharField(_("subject"), max_length=200)
    attempt = models.PositiveSmallIntegerField(_("attempt"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response = models.CharField(_("response"), max_length=300, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-at", "-pk"]
        indexes = [
            # The delivery log page: one campaign's attempts, newest first.
            models.Index(fields=["campaign", "-at"], name="delivery_log_order"),
            # Counting the attempts of one message.
            models.Index(fields=["key"]),
        ]

    def __str__(self):
        return f"{self.channel} {self.recipient} #{self.attempt} {self.status}"


class OutboxMessage(models.Model):
    """A side effect (a notice, an e-mail, a job request) written in the same transaction as
    the change that caused it, and delivered by the relay after commit (`campaign.outbox`).

    `kind` is the dotted path of a registered handler; `idempotency_key` makes writing the
    same effect twice a no-op, and `delivered_at` (set in the handler's transaction) makes
    delivering it twice impossible.
    """

    kind = models.CharField(_("kind"), max_length=100)
    payload = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Not before this time: set forward by the back-off after a failed attempt.
    available_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["pk"]
        indexes = [
            # The relay: undelivered rows that are due, oldest first.
            models.Index(
                fields=["available_at"],
                condition=Q(delivered_at__isnull=True),
                name="outbox_due_idx",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.idempotency_key}"


def export_upload_to(instance, filename):
    # A random folder: the name says what the file is, the folder makes it unguessable.
    return f"exports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}/{filename}"


class ExportJobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """An export is its requester's alone: whoever else asks gets a 404."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(requested_by=user)

    def expired(self, now=None):
        return self.filter(expires_at__lte=now or timezone.now())


class ExportJob(models.Model):
    """A large export (ledger, task list, audit log) made by a worker for the person who asked;
    the file is theirs alone and is deleted when its link expires (`campaign.exports`)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Being made")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="+", verbose_name=_("requested by")
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", verbose_name=_("campaign")
    )
    # The dotted path of the export's builder (`campaign.exports.builder`).
    kind = models.CharField(_("kind"), max_length=100)
    title = models.CharField(_("title"), max_length=200)
    # The list page's filters as the request gave them ({name: [values]}).
    params = models.JSONField(default=dict, blank=True)
    format = models.CharField(_("format"), max_length=4, default="xlsx")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    rows_total = models.PositiveIntegerField(_("rows in total"), default=0)
    file = models.FileField(_("file"), upload_to=export_upload_to, max_length=300, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("link expires at"), null=True, blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at"]
        indexes = [
            # The hourly purge of expired files.
            models.Index(
                fields=["expires_at"], condition=~Q(file=""), name="export_job_expiry_idx"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return pk_url("campaign:export_job", self.pk)

    @property
    def is_finished(self):
        return self.state in (self.State.DONE, self.State.FAILED)

    def is_expired(self, now=None):
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def percent(self):
        return min(100, self.rows_done * 100 // self.rows_total) if self.rows_total else 0


class RateLimitCounter(models.Model):
    """Attempts counted per key (e.g. an address) and fixed time window, shared by every
    web process through the database; used when Redis is absent, down or hung."""

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("rate limit counter")
        verbose_name_plural = _("rate limit counters")
        ordering = ["-window_start", "key"]
        constraints = [
            # One counter per key and window: the increment is an UPDATE of this row.
            models.UniqueConstraint(
                fields=["key", "window_start"], name="rate_limit_window_unique"
            ),
        ]
        indexes = [
            # The purge of expired windows.
            models.Index(fields=["window_start"]),
        ]

    def __str__(self):
        return f"{self.key} {self.window_start:%Y-%m-%d %H:%M} {self.count}"


class FormSubmission(models.Model):
    """A one-time form token claimed by its first POST, pointing at what that POST made,
    so a repeated POST (double click, retry after an error) returns the first result."""

    token = models.UUIDField(unique=True)
    # Null for the public citizen report (no one signed in).
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, null=True, blank=True
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")
        ordering = ["-created_at"]
        indexes = [
            # The purge of old tokens.
            models.Index(fields=["created_at"]),
        ]

    def __str__(self):
        return str(self.token)

    @property
    def result(self):
        """What the first POST made (None when it made nothing that can be shown)."""
        if self.content_type_id is None:
            return None
        return self.content_type.get_object_for_this_type(pk=self.object_id)
