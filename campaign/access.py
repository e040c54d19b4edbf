"""Access scoping: for a person, the campaigns, command offices and units they may see and act on.

Every `visible_to(user)` queryset in every app is built on `scope_for(user)`:

- office admins, leaders and inspectors see their whole campaign (leaders read-only);
- command staff see their command office's work and the units linked to it;
- unit leaders and liaisons see their unit and every unit below it, never siblings
  or the units above.

Out-of-scope objects answer 404 (`get_visible_or_404`); visible but read-only ones 403.
"""

from dataclasses import dataclass, field
from functools import cached_property, reduce, wraps
from operator import or_

from django.core.exceptions import (
    EmptyResultSet,
    FieldDoesNotExist,
    FullResultSet,
    PermissionDenied,
)
from django.db.models import BooleanField, Expression, F, ForeignKey, Lookup, Q
from django.db.models.constants import LOOKUP_SEP
from django.http import Http404

from .models import CAMPAIGN_WIDE_ROLES, SEPARATED_ROLES, UNIT_ROLES, Membership, Role, Unit


@dataclass
class Scope:
    """What one person may see, computed once per request from their memberships."""

    is_superuser: bool = False
    memberships: list = field(default_factory=list)

    def __post_init__(self):
        ms = self.memberships
        self.campaign_ids = {m.campaign_id for m in ms}
        self.wide_campaign_ids = {m.campaign_id for m in ms if m.role in CAMPAIGN_WIDE_ROLES}
        self.admin_campaign_ids = {m.campaign_id for m in ms if m.role == Role.OFFICE_ADMIN}
        self.inspector_campaign_ids = {m.campaign_id for m in ms if m.role == Role.INSPECTOR}
        self.unit_paths = sorted({m.unit.path for m in ms if m.role in UNIT_ROLES})
        self.units = [m.unit for m in ms if m.role in UNIT_ROLES]
        self.command_office_ids = {m.command_office_id for m in ms if m.role == Role.COMMAND_STAFF}

    def sees(self, campaign_id):
        """What decides the rows of `campaign_id` this person sees, as a key for cached views
        of them: "all" when the campaign is theirs (whatever else they hold), else their
        units' paths and command offices."""
        if self.is_superuser or campaign_id in self.wide_campaign_ids:
            return "all"
        return repr((self.unit_paths, sorted(self.command_office_ids)))

    @cached_property
    def unit_ids(self):
        """Ids of the person's units and every unit below them (one indexed query per request).

        Scoped querysets filter on `unit_id IN (…)` with these rather than joining each row's
        unit for a path prefix: an OR of joined prefixes defeats the indexes, a list of ids
        on the row's own column uses them (EXPLAIN at city size: 129 ms → 11 ms).
        """
        if not self.unit_paths:
            return []
        subtrees = reduce(or_, [Q(path__startswith=path) for path in self.unit_paths])
        return list(Unit.objects.filter(subtrees).values_list("pk", flat=True))

    # --- roles -------------------------------------------------------------------
    def roles(self, campaign=None):
        return {
            m.role for m in self.memberships if campaign is None or m.campaign_id == campaign.pk
        }

    def is_office_admin(self, campaign):
        return self.is_superuser or campaign.pk in self.admin_campaign_ids

    def holds(self, role, campaign):
        """True when the person holds `role` in `campaign` (superusers hold no role by default)."""
        return any(m.role == role and m.campaign_id == campaign.pk for m in self.memberships)

    def is_account_admin(self, campaign):
        """Office admins and the system administrator manage the campaign's people."""
        return self.is_office_admin(campaign) or self.holds(Role.SYSTEM_ADMIN, campaign)

    def is_inspector(self, campaign):
        return self.is_superuser or campaign.pk in self.inspector_campaign_ids

    def is_command_staff(self, command_office):
        return command_office.pk in self.command_office_ids

    def is_read_only(self, campaign):
        """Leaders and the three administrators only read campaign work; other roles may act."""
        return not self.is_superuser and self.roles(campaign) <= {Role.LEADER, *SEPARATED_ROLES}

    def acts_for_unit(self, unit):
        """True when the person holds a unit role for this unit or one above it."""
        return any(unit.path.startswith(path) for path in self.unit_paths)

    def is_member_of_unit(self, unit):
        """True when the person belongs to this unit or one below/above it (for 'someone else' rules)."""
        return any(
            unit.path.startswith(path) or path.startswith(unit.path) for path in self.unit_paths
        )

    # --- querysets -------------------------------------------------------------------
    def q(self, *, campaign="campaign", units=(), command_office=None):
        """A Q object for rows visible to this person.

        `campaign`: the lookup to the row's campaign; `units`: lookups to unit foreign
        keys whose subtree membership grants sight; `command_office`: the lookup to the
        row's command office, if any. Many-valued lookups may duplicate rows: callers
        filtering on them use `filter_pk_in`.
        """
        if self.is_superuser:
            return Q()
        parts = self.wide(campaign) + self.ways(units=units, command_office=command_office)
        # An empty scope must match nothing, not everything.
        return reduce(or_, parts) if parts else Q(pk__in=[])

    def wide(self, campaign="campaign"):
        """The campaign-wide way of seeing rows (the campaigns where the person's role sees
        everything), as a list of one Q, or none."""
        return [Q(**{f"{campaign}__in": self.wide_campaign_ids})] if campaign else []

    def ways(self, *, units=(), command_office=None, as_arrays=False):
        """The other ways of seeing a row, one condition each: through each unit lookup (the
        row's unit is one of the person's units or below them) and through the command
        office. `as_arrays`: the unit ids as one array each (`AnyOf`), not an IN list."""
        parts = []
        if self.unit_paths and units:
            ids = self.unit_ids  # a query, the first time
            parts += [
                AnyOf(lookup, ids) if as_arrays else Q(**{f"{lookup}__any": ids})
                for lookup in units
            ]
        if command_office and self.command_office_ids:
            parts.append(Q(**{f"{command_office}__in": self.command_office_ids}))
        return parts

    def filter_pk_in(self, queryset, *, campaign="campaign", **ways):
        """Filter by `q()`, many-valued lookups through a set of ids so they never duplicate rows."""
        if self.is_superuser:
            return queryset
        # The campaign-wide way stays a plain condition on the row's campaign: as a set of ids
        # it would gather the whole campaign (10 ms per count at city size for the office).
        parts = self.wide(campaign)
        ways = self.ways(**ways)
        model = queryset.model
        if all(_on_the_row(model, way) for way in ways):
            parts += ways  # columns of the row itself: PostgreSQL ORs their indexes
        elif ways:
            # The ids of every other way, gathered once and looked up by primary key. OR-ed as
            # `unit_id IN (…) OR id IN (subquery) OR …` each way had its own index but no index
            # answered the whole condition, so all 10,000 tasks of the city were read to show a
            # street its 112: 4 ms a query, three queries per task list (now under 1 ms each).
            first, *rest = [ids_seen(model, way) for way in ways]
            parts.append(InSet("pk", first.union(*rest, all=True) if rest else first))
        return queryset.filter(reduce(or_, parts) if parts else Q(pk__in=[]))

    def filter_campaigns(self, queryset):
        return queryset if self.is_superuser else queryset.filter(pk__in=self.campaign_ids)

    def filter_units(self, queryset):
        if self.is_superuser:
            return queryset
        q = self.q(campaign="campaign_id", units=[])
        for path in self.unit_paths:
            q |= Q(path__startswith=path)
        if self.command_office_ids:
            q |= Q(command_offices__in=self.command_office_ids)
            return queryset.filter(pk__in=queryset.model.objects.filter(q).values("pk"))
        return queryset.filter(q)

    def filter_command_offices(self, queryset):
        if self.is_superuser:
            return queryset
        q = Q(campaign_id__in=self.wide_campaign_ids) | Q(pk__in=self.command_office_ids)
        if self.unit_paths:
            # Unit people see the command offices their unit (or one above it) works with.
            q |= reduce(or_, [Q(units__path__startswith=p) for p in self.unit_paths]) | reduce(
                or_, [Q(units__pk__in=unit.ancestor_ids + [unit.pk]) for unit in self.units]
            )
        return queryset.filter(pk__in=queryset.model.objects.filter(q).values("pk"))


@ForeignKey.register_lookup
class AnyId(Lookup):
    """`unit__any=ids`: the rows whose foreign key is one of `ids` (a list of ids), as
    `unit__in=ids` reads them, but the ids go to the database as one array: on PostgreSQL
    `= ANY(%s::bigint[])`, which the planner reads as it reads an IN list (a constant array,
    the same plans), elsewhere an IN list. The scope's ways use it: with `__in`, each of a
    district's 91 unit ids was checked and prepared in Python and quoted into the query one
    by one, in every scoped query (a district leader's home page built 56 such lists, 3,900
    values prepared per request: 139 ms at city size, 110 ms with arrays). A row whose key is
    empty is never one of them. (`AnyOf` hides the ids from the planner instead, for a query
    that reads them in several parts, each of which it would weigh them in.)"""

    lookup_name = "any"

    def get_prep_lookup(self):
        return [int(pk) for pk in self.rhs]

    def as_sql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet
        column, params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{column} = ANY(%s::bigint[])", (*params, self.rhs)
        return f"{column} IN ({', '.join(['%s'] * len(self.rhs))})", (*params, *self.rhs)


class InSet(Expression):
    """`InSet("pk", subquery)`: the rows whose column is one of the values the subquery
    returns, for `filter()`. An IN on other databases; on PostgreSQL `= ANY(ARRAY(…))`, so
    the subquery is run once, before the rows are read, and the planner takes it for the
    short list it is: the rows are looked up by index. As `IN (subquery)` it guessed the
    union of a person's ways to be a tenth of the table and hashed the whole table against it."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, column, subquery):
        super().__init__()
        self.column, self.subquery = F(column), subquery

    def get_source_expressions(self):
        return [self.column, self.subquery]

    def set_source_expressions(self, expressions):
        self.column, self.subquery = expressions

    def as_sql(self, compiler, connection, template="%(column)s IN %(subquery)s"):
        column, column_params = compiler.compile(self.column)
        subquery, params = compiler.compile(self.subquery)
        return template % {"column": column, "subquery": subquery}, (*column_params, *params)

    def as_postgresql(self, compiler, connection):
        return self.as_sql(compiler, connection, template="%(column)s = ANY(ARRAY%(subquery)s)")


class AnyOf(Expression):
    """`AnyOf("unit", ids)`: the rows whose column (a foreign key of the row itself) is one of
    `ids`, for `filter()` and `exclude()`. On PostgreSQL the ids are one array the planner
    reads only when the query runs, `= ANY((SELECT %s)::bigint[])`: written as an IN list,
    a district's 91 unit ids were weighed one by one in every part of a query that reads
    them in several (planning the ledger's counts for a district: 9.8 ms, now 2 ms). An IN
    list elsewhere. A row whose column is empty is never one of them, excluded or not.

    `~AnyOf(…)`, the rows whose column is none of them (or empty), is for passing over rows
    read through an index of another column: on PostgreSQL the ids are a set hashed once per
    query, `NOT (column IN (SELECT unnest(…)))`. The array compared with every row read was
    a district's ninety ids walked for each of its territories' findings: its counts at city
    size executed in 6.5 ms, now 3.0 ms, and plan no slower."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, column, ids, *, negated=False):
        super().__init__()
        self.column, self.ids, self.negated = F(column), list(ids), negated

    def __invert__(self):
        inverted = self.copy()
        inverted.negated = not self.negated
        return inverted

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, expressions):
        (self.column,) = expressions

    def _sql(self, column, listed):
        sql = f"({column} {listed} AND {column} IS NOT NULL)"
        return f"NOT {sql}" if self.negated else sql

    def as_sql(self, compiler, connection):
        if not self.ids:
            raise FullResultSet if self.negated else EmptyResultSet
        column, params = compiler.compile(self.column)
        listed = ", ".join(["%s"] * len(self.ids))
        return self._sql(column, f"IN ({listed})"), (*params, *self.ids)

    def as_postgresql(self, compiler, connection):
        column, params = compiler.compile(self.column)
        listed = (
            "IN (SELECT unnest(%s::bigint[]))" if self.negated else "= ANY((SELECT %s)::bigint[])"
        )
        return self._sql(column, listed), (*params, self.ids)


def ids_seen(model, way):
    """The ids of `model`'s rows that `way` (a Q of one lookup) sees, as a query of one
    column: the scope's ways here, a task's units in `TaskQuerySet.for_units`. A many-to-many
    way (`responsible_units__in`) is read from its link table alone: joined to the model's
    table, a district's tasks were found by hashing all 10,000 task ids of the city for each
    such way (1.2-1.7 ms each, three times a task list)."""
    child = way.children[0] if len(way.children) == 1 and not way.negated else None
    if isinstance(child, tuple):
        name, _sep, lookup = child[0].partition(LOOKUP_SEP)
        field = next((f for f in model._meta.many_to_many if f.name == name), None)
        if field is not None and lookup in ("in", "any"):
            link = field.remote_field.through.objects.filter(
                **{f"{field.m2m_reverse_field_name()}__{lookup}": child[1]}
            )
            return link.order_by().values(field.m2m_field_name())
    return model.objects.filter(way).order_by().values("pk")


def _on_the_row(model, part):
    """True when `part`, a (lookup, value) pair or a Q of one, is a condition on a column of
    the row itself (`unit__in`), which an index of the row's table answers. A way through a
    join (`task__lead_unit__in`) is not: OR-ed with another, no index answers the whole
    condition (a street's dashboard read every task of the city to keep its parts), nor a
    many-valued one, which may also match a row more than once."""
    if isinstance(part, Q) and len(part.children) == 1 and not part.negated:
        part = part.children[0]
    if not isinstance(part, tuple):
        return False
    name, *lookups = part[0].split(LOOKUP_SEP)
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:  # "pk"
        return name == "pk" and len(lookups) <= 1
    return field.concrete and not field.many_to_many and len(lookups) <= 1


def scope_for(user):
    """The person's Scope, cached on the user object for the length of the request."""
    if not getattr(user, "is_authenticated", False):
        return Scope()
    cached = getattr(user, "_chuangcheng_scope", None)
    if cached is None:
        memberships = list(
            Membership.objects.filter(person=user, campaign__is_active=True).select_related(
                "unit", "command_office"
            )
        )
        cached = Scope(is_superuser=user.is_superuser, memberships=memberships)
        user._chuangcheng_scope = cached
    return cached


def get_visible_or_404(user, queryset, **lookup):
    """Fetch one object through the model's `visible_to(user)`; 404 when out of scope."""
    try:
        return queryset.visible_to(user).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None


def current_campaign_or_404(request):
    """The campaign the person is working in (`request.campaign`); 404 when they have none."""
    if request.campaign is None:
        raise Http404
    return request.campaign


def is_visible(user, obj):
    """True when `obj` is in its model's `visible_to(user)`: the rule of its page (else 404)."""
    return type(obj)._default_manager.visible_to(user).filter(pk=obj.pk).exists()


# --- Page rules: `rule(user, campaign)` decides who may open a page ---------------------------


def office_admin(user, campaign):
    return scope_for(user).is_office_admin(campaign)


def account_admin(user, campaign):
    """Office admins and the system administrator manage the campaign's people."""
    return scope_for(user).is_account_admin(campaign)


def security_admin(user, campaign):
    return scope_for(user).holds(Role.SECURITY_ADMIN, campaign)


def auditor(user, campaign):
    """The audit log is the auditor's alone (三员分立), not even a superuser's pages."""
    return scope_for(user).holds(Role.AUDITOR, campaign)


def may_act(user, campaign):
    """Anyone with a role in the campaign except read-only leaders."""
    return not scope_for(user).is_read_only(campaign)


def page_rule(rule):
    """Guard a view of the current campaign with `rule(user, campaign)`: 404 without a
    campaign, 403 when the rule says no. Links ask the same rule through `may_open`."""

    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not rule(request.user, current_campaign_or_404(request)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        guarded.page_rule = rule
        return guarded

    return decorate


def may_open(request, view):
    """Whether the person may open `view` (a view function): its `page_rule`, if it has one."""
    rule = getattr(view, "page_rule", None)
    if rule is None:
        return True
    return request.campaign is not None and rule(request.user, request.campaign)


def require_office_admin(user, campaign):
    """403 for a person who sees the campaign but may not administer it."""
    if not office_admin(user, campaign):
        raise PermissionDenied


def can_manage_account(user, person, campaign):
    """Whether `user` may edit `person`'s account (details, password, activation) in `campaign`.

    Office admins and the system administrator manage the people of their own campaign only:
    never someone who also holds a role in another campaign, a staff member or superuser, or
    one of the three administrators. Only a superuser manages those.
    """
    if user.is_superuser:
        return True
    if not scope_for(user).is_account_admin(campaign):
        return False
    if person.is_staff or person.is_superuser:
        return False
    others = person.memberships.exclude(campaign=campaign) | person.memberships.filter(
        role__in=SEPARATED_ROLES
    )
    return not others.exists()


def require_not_read_only(user, campaign):
    if not may_act(user, campaign):
        raise PermissionDenied
