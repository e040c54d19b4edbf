from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, F, FloatField
from django.db.models.functions import Cast, Coalesce
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaign.access import (
    current_campaign_or_404,
    get_visible_or_404,
    office_admin,
    page_rule,
    scope_for,
)
from campaign.actions import act
from campaign.links import pk_url_parts
from campaign.models import AuditEntry
from campaign.pagination import get_page
from campaign.transitions import DomainError, allowed_actions, require_action
from campaign.uploads import import_page
from inspections.models import OPEN, Finding
from inspections.permissions import can_log
from inspections.views import _htmx_or_page, _ledger_filter

from . import rounds
from .exports import PointExport
from .filters import SCOPED_FILTERS, PointFilter
from .forms import (
    HotSpotSettingsForm,
    ObservationForm,
    PointForm,
    PointImportForm,
    PointTypeForm,
    PointTypeStandardsForm,
    RoundActionForm,
    RoundForm,
    RoundScheduleForm,
    districts_of,
)
from .models import (
    HotSpotSettings,
    Point,
    PointType,
    Round,
    RoundSchedule,
    SampledPoint,
    placed,
)
from .services import apply_points, ensure_point_types, hot_spots, nearest_points, read_points

# --- Point register (helper "points") ----------------------------------------------------------


def _points(request, campaign):
    return Point.objects.visible_to(request.user).filter(campaign=campaign)


def _point_filter(request, campaign):
    point_filter = PointFilter(
        request.GET or None,
        queryset=_points(request, campaign),
        campaign=campaign,
        user=request.user,
    )
    if point_filter.is_bound and SCOPED_FILTERS & set(point_filter.errors):
        raise Http404
    return point_filter


def _open_findings_at(user, *, point_ids=None, campaign=None):
    """{point id: its open findings as this person may see them}, in one grouped query: at
    these points (a page of the register), or at every point of the campaign (the map's
    thousand: its open findings, which are few whatever the history, are counted in
    finding_open_order; an IN list of a thousand ids was planned id by id, 5 ms). A round's
    findings stay hidden from units until it is released (`Finding.objects.visible_to`)."""
    findings = Finding.objects.visible_to(user).filter(status__in=OPEN)
    if point_ids is None:
        findings = findings.filter(campaign=campaign, point__isnull=False)
    else:
        findings = findings.filter(point_id__in=point_ids)
    return dict(findings.order_by().values_list("point_id").annotate(n=Count("pk")))


# What a row of the point register shows (fieldwork.templatetags.point_tags.point_row).
POINT_ROW_FIELDS = [
    "pk", "name", "is_active", "latitude", "longitude", "type__name", "address",
    "territory__name", "unit__name", "department__name",
]  # fmt: skip


def with_open_findings(rows, user):
    """Value rows of points (a page of them) with `open_findings`: their open findings as
    `user` may see them, counted in one query."""
    open_findings = _open_findings_at(user, point_ids=[row["pk"] for row in rows])
    for row in rows:
        row["open_findings"] = open_findings.get(row["pk"], 0)
    return rows


def point_list(request):
    """The point register: visible points, filtered, with their open findings counted."""
    campaign = current_campaign_or_404(request)
    ensure_point_types(campaign)
    point_filter = _point_filter(request, campaign)
    points = point_filter.qs.order_by("type__position", "name", "pk")
    page = get_page(
        points.values(*POINT_ROW_FIELDS), 50, request.GET.get("page"), counted=point_filter.qs
    )
    page.object_list = with_open_findings(list(page.object_list), request.user)
    context = {
        "filter": point_filter,
        "page": page,
        "can_edit": scope_for(request.user).is_office_admin(campaign),
    }
    return _htmx_or_page(
        request, "fieldwork/_point_table.html", "fieldwork/point_list.html", context
    )


def point_detail(request, pk):
    campaign = current_campaign_or_404(request)
    point = get_visible_or_404(
        request.user,
        Point.objects.filter(campaign=campaign).select_related(
            "type", "territory", "unit", "department"
        ),
        pk=pk,
    )
    findings = (
        Finding.objects.visible_to(request.user)
        .filter(point=point)
        .select_related("category", "unit")
        .order_by("-found_on", "-pk")
    )
    return render(
        request,
        "fieldwork/point_detail.html",
        {
            "point": point,
            "findings": findings[:30],
            "open_count": findings.filter(status__in=OPEN).count(),
            "history": AuditEntry.for_object(point)[:20],
            "can_edit": scope_for(request.user).is_office_admin(campaign),
        },
    )


@page_rule(office_admin)
def point_edit(request, pk=None):
    """Create or edit a point (office); taking it out of use keeps it and its history."""
    campaign = current_campaign_or_404(request)
    ensure_point_types(campaign)
    point = (
        get_visible_or_404(request.user, Point.objects.filter(campaign=campaign), pk=pk)
        if pk
        else None
    )
    form = PointForm(request.POST or None, instance=point, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            point = form.save(commit=False).save_edit(
                actor=request.user,
                changed=form.changed_data,
                expected_version=form.cleaned_data.get("version"),
                created=pk is None,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return render(
                request, "fieldwork/point_form.html", {"form": form, "point": point}, status=409
            )
        messages.success(request, _("Point “%(name)s” saved.") % {"name": point.name})
        return redirect(point)
    return render(request, "fieldwork/point_form.html", {"form": form, "point": point})


def point_export(request):
    campaign = current_campaign_or_404(request)
    point_filter = _point_filter(request, campaign)
    return PointExport(point_filter.qs).response(
        "csv" if request.GET.get("format") == "csv" else "xlsx"
    )


@page_rule(office_admin)
def point_import(request):
    """Upload a point list; preview what it adds and changes; confirm writes all or nothing."""
    campaign = current_campaign_or_404(request)
    ensure_point_types(campaign)

    def confirm(plan, info):
        counts = apply_points(
            plan, campaign=campaign, actor=request.user, filename=info["filename"]
        )
        messages.success(
            request,
            _(
                "Import finished: %(create)s points added, %(update)s changed, "
                "%(unchanged)s unchanged."
            )
            % counts,
        )
        return redirect("fieldwork:point_list")

    return import_page(
        request,
        key="point_import",
        form=PointImportForm(request.POST or None, request.FILES or None),
        read=lambda data, filename: read_points(
            data, campaign=campaign, user=request.user, filename=filename
        ),
        confirm=confirm,
        template="fieldwork/point_import.html",
    )


@page_rule(can_log)
def point_nearest(request):
    """htmx for the finding form: the visible points nearest the inspector's location."""
    campaign = current_campaign_or_404(request)
    try:
        latitude = float(request.GET.get("latitude", ""))
        longitude = float(request.GET.get("longitude", ""))
    except ValueError:
        latitude = longitude = None
    points = []
    if latitude is not None and -90 <= latitude <= 90 and -180 <= longitude <= 180:
        points = nearest_points(
            _points(request, campaign).select_related("type", "territory", "unit"),
            latitude,
            longitude,
        )
    return render(request, "fieldwork/_nearest_points.html", {"points": points})


@page_rule(office_admin)
def point_type_list(request):
    """The office's list of point types: add one, rename, reorder or take one out of use."""
    campaign = current_campaign_or_404(request)
    types = ensure_point_types(campaign).annotate(point_count=Count("points"))
    form = PointTypeForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        _save_point_type(request, form, created=True)
        return redirect("fieldwork:point_type_list")
    return render(request, "fieldwork/point_type_list.html", {"types": types, "form": form})


@page_rule(office_admin)
def point_type_edit(request, pk):
    campaign = current_campaign_or_404(request)
    try:
        point_type = PointType.objects.get(campaign=campaign, pk=pk)
    except PointType.DoesNotExist:
        raise Http404 from None
    form = PointTypeForm(request.POST or None, instance=point_type, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        _save_point_type(request, form, created=False)
        return redirect("fieldwork:point_type_list")
    return render(
        request, "fieldwork/point_type_form.html", {"form": form, "point_type": point_type}
    )


def _save_point_type(request, form, *, created):
    with transaction.atomic():
        point_type = form.save()
        AuditEntry.record(
            actor=request.user,
            obj=point_type,
            action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
            summary=_("Saved point type %(name)s") % {"name": point_type.name},
            changes={"fields": form.changed_data},
        )
    messages.success(request, _("Point type “%(name)s” saved.") % {"name": point_type.name})


# --- Map ---------------------------------------------------------------------------------------

# The map draws at most this many markers of each kind; the page says when there were more.
MAP_MARKER_CAP = 1000


def _map_settings():
    """What the map's script needs to know about tiles (nothing when none are configured)."""
    template = settings.MAP_TILE_URL
    if not template:
        return {"tiles": ""}
    return {
        "tiles": template.replace("{k}", settings.MAP_TILE_KEY),
        "crs": "gcj02" if settings.MAP_TILE_CRS == "gcj02" else "wgs84",
        "subdomains": settings.MAP_TILE_SUBDOMAINS,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
    }


def map_view(request):
    """Points and open findings on a map, filtered like the ledger, in scope."""
    campaign = current_campaign_or_404(request)
    ledger_filter = _ledger_filter(request, campaign)
    context = {
        "filter": ledger_filter,
        "map": _map_settings(),
        "data_url": reverse("fieldwork:map_data") + "?" + request.GET.urlencode(),
        "cap": MAP_MARKER_CAP,
    }
    return _htmx_or_page(request, "fieldwork/_map_frame.html", "fieldwork/map.html", context)


class _Float(Cast):
    """A value cast to a float by the database, which hands it over as one: not converted
    again row by row (Django's float() of each of a full map's 4,000 coordinates, and a copy
    of each row to convert it in, 2 ms)."""

    def __init__(self, expression):
        super().__init__(expression, FloatField())

    def get_db_converters(self, connection):
        return []


def _degrees(*fields):
    """The first of `fields` that is set, as a float (the map's JSON number)."""
    return _Float(Coalesce(*fields) if len(fields) > 1 else F(fields[0]))


def map_data(request):
    """The map's markers as JSON: visible points with a location, and the ledger's findings
    (open ones unless the filter asks for a status) placed by their own coordinates or their
    point's, each as its id, place and status (an array, in the order of `finding_fields`;
    its popup is read from `popup` when opened). At most MAP_MARKER_CAP of each; `truncated`
    says when there were more."""
    campaign = current_campaign_or_404(request)
    ledger_filter = _ledger_filter(request, campaign)
    findings = ledger_filter.qs
    if not request.GET.get("status"):
        findings = findings.filter(status__in=OPEN)
    # Placed by its own coordinates, or by its point's, read through the join that places
    # its marker (as a list of every placed point, the points were read whole for each map).
    located = placed() | placed("point__")
    # The newest located findings, walked in an index of their status that holds the scope's
    # columns and a marker's place and status (finding_open_order, finding_status_order), and
    # read from it alone; the database places each one (its coordinates, else its point's).
    # Walked through the table, a street's closed markers read a row for each closed finding
    # of the city passed over (209,000 rows, 430 ms at city size); read with their text, unit
    # and link, a thousand markers were a thousand rows read by id and 600 KB for a phone.
    findings = list(
        findings.filter(located)
        .order_by("-found_on", "-pk")
        .values_list(
            "pk", _degrees("latitude", "point__latitude"),
            _degrees("longitude", "point__longitude"), "status",
        )[: MAP_MARKER_CAP + 1]
    )  # fmt: skip
    points = list(
        _points(request, campaign)
        .located()
        .filter(is_active=True)
        .order_by("pk")
        .values_list("pk", "name", "type__name", _degrees("latitude"), _degrees("longitude"))[
            : MAP_MARKER_CAP + 1
        ]
    )
    truncated = len(findings) > MAP_MARKER_CAP or len(points) > MAP_MARKER_CAP
    points, findings = points[:MAP_MARKER_CAP], findings[:MAP_MARKER_CAP]
    open_findings = _open_findings_at(request.user, campaign=campaign)
    point_url = pk_url_parts("fieldwork:point_detail")
    popup_url = pk_url_parts("fieldwork:map_popup")
    return JsonResponse(
        {
            "points": [
                {
                    "name": name,
                    "type": type_name,
                    "lat": lat,
                    "lng": lng,
                    "open": open_findings.get(pk, 0),
                    "url": f"{point_url[0]}{pk}{point_url[1]}",
                }
                for pk, name, type_name, lat, lng in points
            ],
            # Each marker an array, as the database hands it over: a thousand small objects
            # were a thousand dicts built and their keys written a thousand times.
            "finding_fields": ["id", "lat", "lng", "status"],
            "findings": findings,
            "popup": f"{popup_url[0]}{{id}}{popup_url[1]}",
            "truncated": truncated,
            "cap": MAP_MARKER_CAP,
        }
    )


def map_popup(request, pk):
    """What a finding's marker shows when opened: its number (a link to it), status, the
    start of its problem and its unit, for those who see it (else 404)."""
    finding = get_visible_or_404(request.user, Finding.objects.select_related("unit"), pk=pk)
    return render(request, "fieldwork/_map_popup.html", {"finding": finding})


# --- Hot spots -----------------------------------------------------------------------------------


def hot_spot_list(request):
    """Points and areas with repeated findings or relapses, with the office's thresholds."""
    campaign = current_campaign_or_404(request)
    is_office = scope_for(request.user).is_office_admin(campaign)
    form = None
    if is_office:
        form = HotSpotSettingsForm(
            request.POST or None, instance=HotSpotSettings.for_campaign(campaign)
        )
        if request.method == "POST" and form.is_valid():
            with transaction.atomic():
                saved = form.save()
                AuditEntry.record(
                    actor=request.user,
                    obj=saved,
                    action=AuditEntry.Action.UPDATE,
                    summary=_("Changed the hot spot thresholds"),
                    changes={"fields": form.changed_data},
                )
            messages.success(request, _("Hot spot thresholds saved."))
            return redirect("fieldwork:hot_spot_list")
    elif request.method == "POST":
        raise PermissionDenied
    # htmx asks for the dashboard's section: the top five, without the thresholds form.
    spots = hot_spots(
        Finding.objects.visible_to(request.user), campaign=campaign, limit=5 if request.htmx else 50
    )
    return _htmx_or_page(
        request,
        "fieldwork/_hot_spots.html",
        "fieldwork/hot_spot_list.html",
        {"spots": spots, "form": form},
    )


# --- Sampling rounds and recurring rounds (helper "rounds") ---------------------------------


def _round_or_404(request, pk):
    campaign = current_campaign_or_404(request)
    return get_visible_or_404(request.user, Round.objects.filter(campaign=campaign), pk=pk)


def round_list(request):
    """The office's and inspectors' rounds, with the recurring rounds due and missed."""
    campaign = current_campaign_or_404(request)
    visible = Round.objects.visible_to(request.user).filter(campaign=campaign)
    round_rows = list(visible.select_related("inspection", "schedule__point_type")[:100])
    counts = rounds.sample_counts(round_rows)
    for r in round_rows:
        r.sampled, r.observed = counts.get(r.pk, (0, 0))
    today = timezone.localdate()
    schedules = RoundSchedule.objects.visible_to(request.user).filter(
        campaign=campaign, is_active=True
    )
    due = rounds.due_schedules(schedules.select_related("point_type"), on=today)
    return render(
        request,
        "fieldwork/round_list.html",
        {
            "rounds": round_rows,
            "due": due,
            "startable": rounds.startable(request.user, [d.schedule for d in due]),
            "missed": rounds.missed_periods(schedules.select_related("point_type"), on=today)[-20:],
            "mine": rounds.my_open_samples(request.user, campaign).select_related("point", "round")[
                :50
            ],
            "is_office": scope_for(request.user).is_office_admin(campaign),
        },
    )


@page_rule(office_admin)
def round_create(request):
    campaign = current_campaign_or_404(request)
    form = RoundForm(
        request.POST or None,
        campaign=campaign,
        point_types=PointType.objects.filter(campaign=campaign, is_active=True),
        districts=districts_of(campaign),
        initial={"date": timezone.localdate()},
    )
    if form.is_valid():
        data = form.cleaned_data
        new = rounds.create_round(
            campaign=campaign,
            actor=request.user,
            name=data["name"],
            kind=data["kind"],
            date=data["date"],
            quotas=data["quotas"],
            exclude_days=data["exclude_days"],
            inspectors=data["inspectors"],
            mostly_met_weight=data["mostly_met_weight"],
        )
        messages.success(request, _("The round is saved: draw its sample now."))
        return redirect(new)
    return render(request, "fieldwork/round_form.html", {"form": form})


def round_detail(request, pk, bound=None):
    the_round = _round_or_404(request, pk)
    actions = allowed_actions(request.user, the_round)
    samples = list(
        the_round.sampled_points.select_related("point__type", "district", "inspector")
        .prefetch_related("observations")
        .order_by("position")
    )
    forms = {
        name: (
            bound[1]
            if bound and bound[0] == name
            else RoundActionForm(initial={"version": the_round.version})
        )
        for name in ("draw", "redraw", "start", "complete", "release", "close")
        if name in actions
    }
    return render(
        request,
        "fieldwork/round_detail.html",
        {
            "round": the_round,
            "samples": samples,
            "forms": forms,
            "can_observe": "observe" in actions,
            "draws": the_round.draws.select_related("drawn_by"),
            "strata": _strata_labels(the_round),
            "inspectors": the_round.inspectors.all(),
        },
    )


def _strata_labels(the_round):
    from campaign.models import Unit

    types = dict(PointType.objects.filter(campaign=the_round.campaign).values_list("pk", "name"))
    units = dict(Unit.objects.filter(campaign=the_round.campaign).values_list("pk", "name"))
    return [
        (types.get(q["type"], "?"), units.get(q["district"], _("any district")), q["count"])
        for q in the_round.quotas
    ]


ROUND_ACTIONS = {
    "draw": (rounds.draw, _("The sample is drawn.")),
    "redraw": (rounds.draw, _("The sample is drawn again; both draws are kept.")),
    "start": (rounds.start, _("The round has started: inspectors see their points.")),
    "complete": (rounds.complete, _("The round is completed.")),
    "release": (rounds.release, _("Released: the units now see the findings, handed to them.")),
    "close": (rounds.close, _("The round is closed.")),
}


@require_POST
def round_action(request, pk, action):
    the_round = _round_or_404(request, pk)
    method, success = ROUND_ACTIONS[action]

    def perform(data):
        kwargs = {"actor": request.user, "expected_version": data["version"]}
        if action in ("draw", "redraw"):
            kwargs.update(seed=data["seed"], reason=data["reason"])
        method(the_round, **kwargs)
        return the_round

    return act(
        request,
        the_round,
        action,
        form=RoundActionForm(request.POST),
        perform=perform,
        page=lambda form: round_detail(request, pk, bound=(action, form)),
        success=success,
    )


def round_route(request, pk):
    """Printable route sheets: one per inspector, points grouped by district."""
    the_round = _round_or_404(request, pk)
    return render(
        request,
        "fieldwork/round_route.html",
        {"round": the_round, "sheets": rounds.route_sheets(the_round)},
    )


def round_observe(request, pk, sample_pk):
    """A sampled point on the inspector's phone: one result per applicable standard."""
    the_round = _round_or_404(request, pk)
    require_action(request.user, the_round, "observe")
    sample = get_object_or_404(
        SampledPoint.objects.select_related("point__type", "point__territory"),
        round=the_round,
        pk=sample_pk,
    )
    form = ObservationForm(
        request.POST or None,
        request.FILES or None,
        standards=rounds.applicable_standards(sample.point),
    )
    status = 200
    if form.is_valid():
        try:
            rounds.record_observations(sample, actor=request.user, results=form.results())
        except DomainError as exc:
            messages.error(request, exc.message)
            status = 400
        else:
            messages.success(
                request, _("Observations of %(point)s are saved.") % {"point": sample.point}
            )
            return redirect(the_round)
    elif form.is_bound:
        status = 400
    return render(
        request,
        "fieldwork/round_observe.html",
        {
            "round": the_round,
            "sample": sample,
            "form": form,
            "observations": sample.observations.select_related("standard", "finding"),
        },
        status=status,
    )


def round_report(request, pk):
    the_round = _round_or_404(request, pk)
    return render(
        request,
        "fieldwork/round_report.html",
        {"round": the_round, "report": rounds.round_report(the_round)},
    )


# --- Recurring rounds and applicable standards ------------------------------------------------


@page_rule(office_admin)
def schedule_create(request):
    campaign = current_campaign_or_404(request)
    form = RoundScheduleForm(
        request.POST or None, campaign=campaign, initial={"starts_on": timezone.localdate()}
    )
    if form.is_valid():
        data = form.cleaned_data
        schedule = RoundSchedule.objects.create(
            campaign=campaign,
            point_type=data["point_type"],
            frequency=data["frequency"],
            sample_size=data["sample_size"],
            starts_on=data["starts_on"],
        )
        schedule.inspectors.set(data["inspectors"])
        AuditEntry.record(
            actor=request.user,
            action=AuditEntry.Action.CREATE,
            obj=schedule,
            summary=_("Created the recurring round %(schedule)s") % {"schedule": schedule},
        )
        messages.success(request, _("The recurring round is saved."))
        return redirect("fieldwork:round_list")
    return render(request, "fieldwork/round_schedule_form.html", {"form": form})


@require_POST
def schedule_start(request, pk):
    """Start this period's round of a recurring round (an inspector of it or the office)."""
    campaign = current_campaign_or_404(request)
    schedule = get_visible_or_404(
        request.user, RoundSchedule.objects.filter(campaign=campaign), pk=pk
    )
    if schedule.pk not in rounds.startable(request.user, [schedule]):
        messages.error(request, _("Only the inspectors of this recurring round can start it."))
        return redirect("fieldwork:round_list")
    try:
        started = rounds.start_scheduled_round(schedule, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("fieldwork:round_list")
    return redirect(started)


@page_rule(office_admin)
def pointtype_standards(request, pk):
    """The office sets which standards are observed at points of a type."""
    campaign = current_campaign_or_404(request)
    point_type = get_object_or_404(PointType, campaign=campaign, pk=pk)
    form = PointTypeStandardsForm(
        request.POST or None,
        campaign=campaign,
        initial={"standards": point_type.standards.all()},
    )
    if form.is_valid():
        before = sorted(point_type.standards.values_list("pk", flat=True))
        point_type.standards.set(form.cleaned_data["standards"])
        AuditEntry.record(
            actor=request.user,
            action=AuditEntry.Action.UPDATE,
            obj=point_type,
            summary=_("Changed the applicable standards of %(type)s") % {"type": point_type},
            changes={"before": before, "after": [s.pk for s in form.cleaned_data["standards"]]},
        )
        messages.success(request, _("The applicable standards are saved."))
        return redirect("fieldwork:round_list")
    return render(
        request, "fieldwork/pointtype_standards.html", {"form": form, "point_type": point_type}
    )
