from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
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
from campaign.models import AuditEntry
from campaign.transitions import DomainError, allowed_actions, require_action

from . import rounds
from .forms import (
    ObservationForm,
    PointTypeStandardsForm,
    RoundActionForm,
    RoundForm,
    RoundScheduleForm,
    districts_of,
)
from .models import PointType, Round, RoundSchedule, SampledPoint

# --- Sampling rounds and recurring rounds (helper "rounds") ---------------------------------


def _round_or_404(request, pk):
    campaign = current_campaign_or_404(request)
    return get_visible_or_404(request.user, Round.objects.filter(campaign=campaign), pk=pk)


def round_list(request):
    """The office's and inspectors' rounds, with the recurring rounds due and missed."""
    campaign = current_campaign_or_404(request)
    visible = Round.objects.visible_to(request.user).filter(campaign=campaign)
    round_rows = list(visible.select_related("schedule__point_type")[:100])
    counts = rounds.sample_counts(round_rows)
    for r in round_rows:
        r.sampled, r.observed = counts.get(r.pk, (0, 0))
    today = timezone.localdate()
    schedules = RoundSchedule.objects.visible_to(request.user).filter(
        campaign=campaign, is_active=True
    )
    return render(
        request,
        "fieldwork/round_list.html",
        {
            "rounds": round_rows,
            "due": rounds.due_schedules(schedules.select_related("point_type"), on=today),
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
        AuditEntry.record(
            actor=request.user,
            action=AuditEntry.Action.CREATE,
            obj=new,
            summary=_("Created the sampling round %(round)s") % {"round": new},
            changes={"quotas": new.quotas},
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
    scope = scope_for(request.user)
    if not (
        scope.is_office_admin(campaign) or schedule.inspectors.filter(pk=request.user.pk).exists()
    ):
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
