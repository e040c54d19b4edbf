"""Floors for the benchmark: for each page, the least work that could answer it.

A list page's floor is the same scoped, filtered, ordered query for the same page, rendered
as bare JSON; rankings and the dashboard have one hand-written SQL aggregate each. They run
behind the same middleware (bench/urls.py mounts them under /_floor/), so a page's ratio to
its floor is what its ORM shape, counts and templates cost on top of the data it must read.
"""

from django.db import connection
from django.http import JsonResponse
from django.urls import path

from campaign.access import current_campaign_or_404, scope_for


def _page(queryset, request, size, fields):
    """The rows of one page, like a Paginator page, without counting the whole set."""
    number = max(int(request.GET.get("page") or 1), 1)
    start = (number - 1) * size
    return list(queryset.values(*fields)[start : start + size])


def findings(request):
    from inspections.filters import FindingFilter
    from inspections.models import Finding

    campaign = current_campaign_or_404(request)
    qs = FindingFilter(
        request.GET or None,
        queryset=Finding.objects.visible_to(request.user).filter(campaign=campaign),
        campaign=campaign,
        user=request.user,
    ).qs
    # The columns the ledger's rows show.
    fields = [
        "pk", "found_on", "category__name", "severity", "description", "standard__code",
        "address", "territory__name", "unit__name", "deadline", "status", "supervision_level",
        "relapse_of_id",
    ]  # fmt: skip
    return JsonResponse({"rows": _page_by_ids(qs, request, 30, fields)}, safe=False)


def _page_by_ids(qs, request, size, fields):
    """`_page` as the ledger and the supervision list read theirs: the page's ids from the
    index that holds the scope's columns first, then their rows by id."""
    from inspections.models import Finding

    number = max(int(request.GET.get("page") or 1), 1)
    ids = qs.values("pk")[(number - 1) * size : number * size]
    order = qs.query.order_by or Finding._meta.ordering
    return list(Finding.objects.filter(pk__in=ids).order_by(*order).values(*fields))


def tasks(request):
    from tasks.filters import TaskFilter
    from tasks.models import Task

    campaign = current_campaign_or_404(request)
    qs = TaskFilter(
        request.GET or None,
        queryset=Task.objects.visible_to(request.user).filter(campaign=campaign),
        user=request.user,
        campaign=campaign,
    ).qs.order_by("deadline", "pk")
    return JsonResponse({"rows": _task_rows(qs, request)})


def _task_rows(qs, request):
    """The columns a task row shows: its light (read for the page's rows only, as the list
    does), lead unit, command office, priority and responsible units."""
    from tasks.models import Task

    fields = [
        "pk", "title", "deadline", "status", "progress", "priority", "lead_unit__name",
        "command_office__name", "light",
    ]  # fmt: skip
    pks = [row["pk"] for row in _page(qs, request, 50, ["pk"])]
    rows = list(
        Task.objects.filter(pk__in=pks).with_light().order_by("deadline", "pk").values(*fields)
    )
    names = {}
    for task_id, name in Task.responsible_units.through.objects.filter(task_id__in=pks).values_list(
        "task_id", "unit__name"
    ):
        names.setdefault(task_id, []).append(name)
    for row in rows:
        row["responsible_units"] = names.get(row["pk"], [])
    return rows


def my_tasks(request):
    from tasks.models import Task

    campaign = current_campaign_or_404(request)
    units = scope_for(request.user).units
    qs = (
        Task.objects.visible_to(request.user)
        .filter(campaign=campaign, status__in=Task.OPEN_STATUSES)
        .for_units(units)
        .order_by("deadline", "pk")
    )
    return JsonResponse({"rows": _task_rows(qs, request)})


def inbox(request):
    """The same sections as the inbox: each kind of work waiting for the person, its most
    urgent rows (the columns its cards show)."""
    from inspections.filters import to_do, to_do_keys
    from inspections.models import Finding
    from inspections.views import INBOX_ORDER, INBOX_SHOWN

    campaign = current_campaign_or_404(request)
    visible = Finding.objects.visible_to(request.user).filter(campaign=campaign)
    fields = [
        "pk", "found_on", "category__name", "address", "description", "status",
        "supervision_level", "relapse_of_id", "unit__name", "deadline",
    ]  # fmt: skip
    keys = to_do_keys(request.user, campaign)
    return JsonResponse(
        {
            key: list(
                to_do(visible, key, request.user, campaign)
                .order_by(*order)
                .values(*fields)[: INBOX_SHOWN + 1]
            )
            for key, order in INBOX_ORDER.items()
            if key in keys
        }
    )


def supervision(request):
    """The supervision list's page: 50 supervised findings (open ones unless ?show=all) in its
    order, with the columns a row shows, and the numbered orders of those findings."""
    from inspections.models import OPEN, Finding, SupervisionOrder

    campaign = current_campaign_or_404(request)
    qs = (
        Finding.objects.visible_to(request.user)
        .filter(campaign=campaign, supervision_level__gt=0)
        .order_by("-supervision_level", "deadline", "pk")
    )
    if request.GET.get("show", "open") == "open":
        qs = qs.filter(status__in=OPEN)
    fields = [
        "pk", "found_on", "address", "deadline", "status", "supervision_level", "category__name",
        "unit__name",
    ]  # fmt: skip
    rows = _page_by_ids(qs, request, 50, fields)
    orders = SupervisionOrder.objects.filter(finding_id__in=[row["pk"] for row in rows])
    orders = orders.order_by("level").values("pk", "finding_id", "year", "sequence")
    return JsonResponse({"rows": rows, "orders": list(orders)})


def units(request):
    """The unit tree's page: 200 units in tree order with their parent and head count."""
    from django.db.models import Count

    from campaign.models import Unit

    campaign = current_campaign_or_404(request)
    qs = (
        Unit.objects.visible_to(request.user)
        .filter(campaign=campaign)
        .annotate(people_count=Count("memberships", distinct=True))
        .order_by("path")
    )
    fields = ["pk", "name", "short_name", "kind", "depth", "parent__name", "people_count"]
    return JsonResponse({"rows": _page(qs, request, 200, fields)})


def standards(request, pk):
    from campaign.models import IndicatorNode, Standard

    # The tree shows current nodes and standards only, each standard with these columns.
    nodes = (
        IndicatorNode.objects.filter(system_id=pk)
        .current()
        .order_by("position")
        .values("pk", "parent_id", "level", "code", "name")
    )
    rows = (
        Standard.objects.visible_to(request.user)
        .current()
        .filter(system_id=pk)
        .order_by("position")
        .values(
            "pk",
            "node_id",
            "code",
            "text",
            "points",
            "methods",
            "is_veto",
            "difficulty",
            "lead_command_office__name",
            "lead_unit__name",
            "deadline",
            "assessment",
        )  # fmt: skip
    )
    return JsonResponse({"nodes": list(nodes), "rows": list(rows)})


def finding(request, pk):
    from inspections.models import Finding, FindingEvent

    row = Finding.objects.visible_to(request.user).values().get(pk=pk)
    events = FindingEvent.objects.filter(finding_id=pk).values("at", "action", "note")
    return JsonResponse({"row": row, "events": list(events)})


def task(request, pk):
    from tasks.models import ProgressUpdate, Task, TaskEvent

    row = Task.objects.visible_to(request.user).values().get(pk=pk)
    events = TaskEvent.objects.filter(task_id=pk).values("at", "kind", "note")
    updates = ProgressUpdate.objects.filter(task_id=pk).values("at", "text", "progress")
    return JsonResponse({"row": row, "events": list(events), "updates": list(updates)})


def points(request):
    """The point register's page: 50 points with the columns a row shows, and the open findings
    the person may see at those points, counted for the page's points only."""
    from django.db.models import Count

    from fieldwork.filters import PointFilter
    from fieldwork.models import Point
    from inspections.models import OPEN, Finding

    campaign = current_campaign_or_404(request)
    qs = PointFilter(
        request.GET or None,
        queryset=Point.objects.visible_to(request.user).filter(campaign=campaign),
        campaign=campaign,
        user=request.user,
    ).qs.order_by("type__position", "name", "pk")
    fields = [
        "pk", "name", "is_active", "latitude", "longitude", "type__name", "address",
        "territory__name", "unit__name", "department__name",
    ]  # fmt: skip
    rows = _page(qs, request, 50, fields)
    open_findings = dict(
        Finding.objects.visible_to(request.user)
        .filter(point_id__in=[row["pk"] for row in rows], status__in=OPEN)
        .values_list("point_id")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        row["open_findings"] = open_findings.get(row["pk"], 0)
    return JsonResponse({"rows": rows})


def map_data(request):
    """The map's markers: the located findings the person may see (open ones unless the filter
    asks for a status), newest first, and their located points in use, at most the cap and one
    more of each, with the open findings counted at those points; the columns that draw a
    marker, each finding's as an array (its popup is read when it is opened)."""
    from django.db.models import Count

    from fieldwork.models import Point, placed
    from fieldwork.views import MAP_MARKER_CAP
    from inspections.filters import ledger_filter
    from inspections.models import OPEN, Finding

    campaign = current_campaign_or_404(request)
    findings = ledger_filter(request.user, campaign, request.GET).qs
    if not request.GET.get("status"):
        findings = findings.filter(status__in=OPEN)
    located = placed() | placed("point__")
    fields = ["pk", "latitude", "longitude", "point__latitude", "point__longitude", "status"]
    rows = findings.filter(located).order_by("-found_on", "-pk").values_list(*fields)
    points = list(
        Point.objects.visible_to(request.user)
        .filter(placed(), campaign=campaign, is_active=True)
        .order_by("pk")
        .values("pk", "name", "type__name", "latitude", "longitude")[: MAP_MARKER_CAP + 1]
    )
    open_findings = dict(
        Finding.objects.visible_to(request.user)
        .filter(point_id__in=[p["pk"] for p in points[:MAP_MARKER_CAP]], status__in=OPEN)
        .order_by()
        .values_list("point_id")
        .annotate(n=Count("pk"))
    )
    for point in points:
        point["open_findings"] = open_findings.get(point["pk"], 0)
    return JsonResponse({"findings": list(rows[: MAP_MARKER_CAP + 1]), "points": points})


def bulletins(request):
    from reports.models import Bulletin

    campaign = current_campaign_or_404(request)
    qs = Bulletin.objects.visible_to(request.user).filter(campaign=campaign)
    return JsonResponse({"rows": _page(qs, request, 20, ["pk", "period", "number", "status"])})


def _sql(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _units(request):
    """The campaign and the units of it the person sees."""
    from campaign.models import Unit

    campaign = current_campaign_or_404(request)
    return campaign, Unit.objects.visible_to(request.user).filter(campaign=campaign)


def _unit_ids(request):
    campaign, units = _units(request)
    return campaign, list(units.values_list("pk", flat=True))


def rankings(request):
    """One aggregate: this week's rows of the kind of unit the page ranks for the person (the
    first kind, in the order of kinds, among the units they see), ranked by score; the
    person's units among them."""
    from reports.rankings import first_kind, kinds_seen

    campaign, units = _units(request)
    kinds = dict(units.values_list("pk", "kind"))
    kind = first_kind(kinds_seen(kinds.values()))
    rows = _sql(
        "SELECT u.unit_id, u.unit_name, u.score, RANK() OVER (ORDER BY u.score DESC)"
        " FROM reports_unitsnapshot u JOIN reports_periodsnapshot p ON p.id = u.snapshot_id"
        " WHERE p.campaign_id = %s AND p.period = COALESCE(%s, (SELECT MAX(period) FROM"
        " reports_periodsnapshot WHERE campaign_id = %s)) AND u.unit_kind = %s"
        " ORDER BY 3 DESC",
        [campaign.pk, request.GET.get("period"), campaign.pk, kind],
    )
    return JsonResponse({"rows": [r for r in rows if r[0] in kinds]})


def week_figures(request):
    """The floor of computing a week: one GROUP BY over the campaign's findings."""
    campaign = current_campaign_or_404(request)
    rows = _sql(
        "SELECT unit_id, COUNT(*), SUM(CASE WHEN status = 'closed' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN status <> 'closed' AND deadline < %s THEN 1 ELSE 0 END)"
        " FROM inspections_finding WHERE campaign_id = %s AND found_on <= %s"
        " AND status <> 'voided' GROUP BY unit_id",
        [request.GET["end"], campaign.pk, request.GET["end"]],
    )
    return JsonResponse({"rows": rows})


def dashboard(request):
    """What the dashboard shows, in one statement over the person's units: the last eight
    frozen weeks summed over their highest units and the latest week's districts (from the
    snapshots), open and overdue findings and overdue task parts per command office (live),
    the projected score per evaluation system and the latest bulletin."""
    import datetime

    campaign, ids = _unit_ids(request)
    # Campaign-wide people see every unit: no unit list to match (as the page's scope).
    wide = campaign.pk in scope_for(request.user).wide_campaign_ids
    today = datetime.date.today()
    rows = _sql(
        "WITH latest AS (SELECT id, period FROM reports_periodsnapshot WHERE campaign_id = %(c)s"
        "  ORDER BY start DESC LIMIT 8)"
        " SELECT 'week', l.period, SUM(u.found_week), SUM(u.closed_week) FROM reports_unitsnapshot"
        "  u JOIN latest l ON l.id = u.snapshot_id JOIN campaign_unit t ON t.id = u.unit_id"
        "  WHERE (%(wide)s OR u.unit_id = ANY(%(ids)s))"
        "  AND (t.parent_id IS NULL OR NOT (%(wide)s OR t.parent_id = ANY(%(ids)s)))"
        "  GROUP BY l.period"
        " UNION ALL SELECT 'district', u.unit_name, u.found_total, u.closed_total"
        "  FROM reports_unitsnapshot u WHERE u.snapshot_id = (SELECT id FROM latest LIMIT 1)"
        "  AND u.unit_kind = 'district' AND (%(wide)s OR u.unit_id = ANY(%(ids)s))"
        " UNION ALL SELECT 'findings', s.lead_command_office_id::text, COUNT(*),"
        "  COUNT(*) FILTER (WHERE f.deadline < %(today)s"
        "  AND f.status IN ('assigned','rectifying','returned','disputed'))"
        "  FROM inspections_finding f LEFT JOIN campaign_standard s ON s.id = f.standard_id"
        "  WHERE f.campaign_id = %(c)s"
        "  AND (%(wide)s OR f.unit_id = ANY(%(ids)s) OR f.territory_id = ANY(%(ids)s))"
        "  AND f.status IN ('registered','assigned','rectifying','awaiting','returned','disputed')"
        "  GROUP BY 2"
        " UNION ALL SELECT 'tasks', t.command_office_id::text, COUNT(*), 0"
        "  FROM tasks_taskpart p JOIN tasks_task t ON t.id = p.task_id WHERE t.campaign_id = %(c)s"
        "  AND t.deadline < %(today)s AND p.status IN ('not_started','in_progress','returned')"
        "  AND (%(wide)s OR p.unit_id = ANY(%(ids)s) OR t.lead_unit_id = ANY(%(ids)s)) GROUP BY 2"
        " UNION ALL SELECT 'system', e.name, SUM(s.points), SUM(CASE s.assessment WHEN 'met'"
        "  THEN s.points WHEN 'mostly_met' THEN s.points / 2 ELSE 0 END)"
        "  FROM campaign_standard s JOIN campaign_evaluationsystem e ON e.id = s.system_id"
        "  WHERE e.campaign_id = %(c)s AND s.retired_at IS NULL GROUP BY e.id"
        " UNION ALL (SELECT 'bulletin', document_number, id, 0 FROM reports_bulletin"
        "  WHERE campaign_id = %(c)s AND status = 'published' ORDER BY start DESC LIMIT 1)",
        {"c": campaign.pk, "ids": [] if wide else ids, "wide": wide, "today": today},
    )
    return JsonResponse({"rows": rows})


urlpatterns = [
    path("findings/", findings),
    path("tasks/", tasks),
    path("tasks/mine/", my_tasks),
    path("inbox/", inbox),
    path("supervision/", supervision),
    path("units/", units),
    path("systems/<int:pk>/", standards),
    path("findings/<int:pk>/", finding),
    path("tasks/<int:pk>/", task),
    path("points/", points),
    path("map/", map_data),
    path("bulletins/", bulletins),
    path("rankings/", rankings),
    path("week/", week_figures),
    path("dashboard/", dashboard),
]
