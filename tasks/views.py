import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaign.access import (
    current_campaign_or_404,
    may_act,
    office_admin,
    page_rule,
    scope_for,
)
from campaign.actions import act
from campaign.exports import export_response
from campaign.kept import kept
from campaign.models import PublishedHolidayYear, Unit, WorkdayOverride
from campaign.services import submit_once
from campaign.transitions import DomainError, allowed_actions
from campaign.uploads import import_page, prepare_photo, private_file_response

from .exports import task_list_export
from .filters import TaskFilter
from .forms import (
    BulkForm,
    DeadlineForm,
    DecisionForm,
    GenerateForm,
    MilestoneFormSet,
    ProgressForm,
    ProgressImportForm,
    ReassignForm,
    TaskForm,
    WorkdayOverrideForm,
)
from .models import ProgressUpdate, Task, TaskEvidence, warning_until
from .permissions import can_manage_any, managed_offices, part_for, task_for
from .services import (
    apply_progress,
    build_battle_map,
    bulk_change_deadline,
    bulk_reassign,
    create_task,
    generate_tasks,
    mark_holiday_year,
    plan_generation,
    read_progress,
    remove_workday_override,
    save_workday_override,
    unpublished_warning,
)

PAGE_SIZE = 50
TASK_EDIT_COLUMNS = ["title", "description", "command_office", "priority"]


def _visible_tasks(request):
    campaign = current_campaign_or_404(request)
    return Task.objects.visible_to(request.user).filter(campaign=campaign)


# What a list row or card shows (tasks.templatetags.task_tags), besides its light.
ROW_FIELDS = ["pk", "title", "deadline", "status", "progress", "priority"]


def _rows(tasks, *annotated):
    """The list's rows of `tasks` as value rows: the columns a row shows, the lead unit's and
    command office's names, and the `annotated` values (its light or urgency)."""
    return tasks.values(
        *ROW_FIELDS,
        *annotated,
        lead_unit_name=F("lead_unit__name"),
        command_office_name=F("command_office__name"),
    )


def _with_responsible_names(rows):
    """`responsible_names` on each row, in the unit tree's order: one query for the page."""
    names = {}
    through = Task.responsible_units.through.objects.filter(task_id__in=[t["pk"] for t in rows])
    for task_id, name in through.order_by("unit__path").values_list("task_id", "unit__name"):
        names.setdefault(task_id, []).append(name)
    for task in rows:
        task["responsible_names"] = names.get(task["pk"], [])
    return rows


def _error_text(exc):
    return "；".join(exc.messages)


# --- Lists ------------------------------------------------------------------------------


def my_tasks(request):
    """Phone first: the tasks of the person's unit(s) and the units below, most urgent first."""
    campaign = current_campaign_or_404(request)
    scope = scope_for(request.user)
    units = [m.unit for m in scope.memberships if m.campaign_id == campaign.pk and m.unit_id]
    tasks = Task.objects.visible_to(request.user).filter(campaign=campaign).for_units(units)
    # The counts and the page's order read the calendar once, for the same day.
    on = timezone.localdate()
    until = warning_until(on)
    by_status, lights = tasks.count_statuses_and_lights(on, until=until)
    counts = {
        "all": sum(by_status.values()),
        "open": sum(by_status.get(s, 0) for s in Task.OPEN_STATUSES),
        "overdue": lights["red"],
        "warning": lights["yellow"],
        "submitted": by_status.get(Task.Status.SUBMITTED, 0),
        "accepted": by_status.get(Task.Status.ACCEPTED, 0),
    }
    show = request.GET.get("show", "open")
    shown = {
        "open": Task.OPEN_STATUSES,
        "submitted": [Task.Status.SUBMITTED],
        "accepted": [Task.Status.ACCEPTED],
    }
    if show in shown:
        tasks = tasks.filter(status__in=shown[show])
    # Red first, then yellow, then by deadline: what needs doing today is at the top. The
    # page's rows are read with their urgency (their light as a rank), in one query.
    tasks = _rows(tasks.with_urgency(on, until=until), "urgency")
    paginator = Paginator(tasks.order_by("urgency", "deadline", "pk"), PAGE_SIZE)
    paginator.count = counts[show if show in shown else "all"]  # counted above, not again
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for task in page.object_list:
        task["light"] = Task.URGENCY_LIGHTS[task["urgency"]]
    return render(
        request,
        "tasks/my_tasks.html",
        {"page": page, "show": show, "units": units, "counts": counts},
    )


def task_list(request):
    """The office's and command offices' list: filters, bulk changes, Excel export."""
    campaign = current_campaign_or_404(request)
    task_filter = TaskFilter(
        request.GET or None, queryset=_visible_tasks(request), user=request.user, campaign=campaign
    )
    order = ("deadline", "pk")
    page = Paginator(task_filter.qs.order_by(*order).values("pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    # The page's rows are chosen first, then read with their lights: annotated on the whole
    # list, PostgreSQL hashes every overdue part of the campaign to show fifty rows (56 ms
    # at city size; 1 ms this way). Still one query.
    page.object_list = _with_responsible_names(
        list(
            _rows(Task.objects.filter(pk__in=page.object_list).with_light(), "light").order_by(
                *order
            )
        )
    )
    manager = can_manage_any(request.user, campaign)
    context = {
        "filter": task_filter,
        "page": page,
        # Rows are tasks, but overdue is counted in units' parts everywhere (dashboard, battle
        # map, bulletin): a shared task with two late streets is one row and two overdue parts.
        "overdue_parts": task_filter.count_overdue_parts(),
        "can_manage": manager,
        "bulk_actions": bulk_actions(campaign) if manager else "",
    }
    template = "tasks/_task_table.html" if request.htmx else "tasks/task_list.html"
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


def bulk_actions(campaign):
    """The bulk changes' card: an unbound form whose unit box draws no choices, the same for
    every manager, so drawn once per language and URL prefix and kept (`campaign.kept`)."""
    return kept(
        ("task bulk actions", get_language(), get_script_prefix()),
        lambda: render_to_string(
            "tasks/_bulk_actions.html",
            {"bulk_form": BulkForm(campaign=campaign, tasks=Task.objects.none())},
        ),
    )


def task_export(request):
    """The filtered list as the office's workbook (or CSV with ?format=csv); a long list is
    made by a worker and the person sent to the job's page."""
    return export_response(request, task_list_export, request.GET.get("format", "xlsx"))


# --- One task ---------------------------------------------------------------------------


def task_detail(request, pk):
    task = task_for(request.user, pk)
    return render(request, "tasks/task_detail.html", _detail_context(request, task))


def _detail_page(request, task, **bound):
    """The task's page with a posted form (progress_form, with form_part) shown in place."""
    task = task_for(request.user, task.pk)
    return render(request, "tasks/task_detail.html", _detail_context(request, task, **bound))


def _detail_context(request, task, progress_form=None, form_part=None, decided=None):
    """The person's own part (and its form) first; the others collapsed with counts.

    `decided` is a (part, bound decision form) to show again with its errors."""
    updates = ProgressUpdate.objects.filter(task=task).select_related("author", "part__unit")
    actions = allowed_actions(request.user, task)
    own_units = {u.pk for u in scope_for(request.user).units}
    parts = list(task.parts.with_light().select_related("unit").in_order())
    for part in parts:
        part.task = task
        part.actions = allowed_actions(request.user, part)
        if "accept" in part.actions:
            # One form per part on the page: ids made unique, field names kept.
            part.decision_form = DecisionForm(
                auto_id=f"id_part{part.pk}_%s", initial={"version": part.version}
            )
            if decided and decided[0].pk == part.pk:
                part.decision_form = decided[1]
    own = [p for p in parts if p.unit_id in own_units]
    others = [p for p in parts if p.unit_id not in own_units]
    reporting = form_part or next((p for p in own if "report" in p.actions), None)
    if reporting is not None and progress_form is None:
        progress_form = ProgressForm(
            initial={"progress": reporting.progress, "version": reporting.version}, task=task
        )
    counts = dict.fromkeys(Task.Status.values, 0)
    for part in others:
        counts[part.status] += 1
    return {
        "task": task,
        "parts": parts,
        "own_parts": own,
        "other_parts": others,
        "other_counts": [(Task.Status(s).label, n) for s, n in counts.items() if n],
        "accepted_parts": sum(p.status == Task.Status.ACCEPTED for p in parts),
        "to_decide": [p for p in parts if "accept" in p.actions],
        "milestones": task.milestones.all(),
        "updates": updates.prefetch_related("evidence"),
        "events": task.events.select_related("actor", "part__unit"),
        "deadline_warning": unpublished_warning(task.deadline) if task.is_open else "",
        "actions": actions,
        "can_manage": "edit" in actions,
        "reporting_part": reporting,
        "progress_form": progress_form if reporting else None,
    }


@page_rule(can_manage_any)
def task_create(request):
    campaign = current_campaign_or_404(request)
    offices = managed_offices(request.user, campaign)
    form = TaskForm(request.POST or None, campaign=campaign, offices=offices)
    milestones = MilestoneFormSet(request.POST or None, prefix="milestones")
    if request.method == "POST" and form.is_valid() and milestones.is_valid():
        task = create_task(form=form, milestones=milestones, actor=request.user, campaign=campaign)
        messages.success(request, _("Task “%(title)s” created.") % {"title": task.title})
        if form.warning:
            messages.warning(request, form.warning)
        return redirect(task)
    return render(
        request, "tasks/task_form.html", {"form": form, "milestones": milestones, "task": None}
    )


def task_edit(request, pk):
    task = task_for(request.user, pk, action="edit")
    form = TaskForm(request.POST or None, instance=task, campaign=task.campaign)
    if managed_offices(request.user, task.campaign) is not None:
        form.fields["command_office"].queryset = form.fields["command_office"].queryset.filter(
            pk__in=managed_offices(request.user, task.campaign)
        )
    milestones = MilestoneFormSet(request.POST or None, instance=task, prefix="milestones")
    if request.method == "POST" and form.is_valid() and milestones.is_valid():
        try:
            with transaction.atomic():
                # Lock and check the version first: a conflict saves nothing.
                task.record_edit(
                    actor=request.user,
                    changed=form.changed_data
                    + (["milestones"] if milestones.has_changed() else []),
                    expected_version=form.cleaned_data.get("version"),
                )
                # Only the form's own columns: the daily job may have set the alert meanwhile.
                edited = form.save(commit=False)
                edited.save(update_fields=[f for f in TASK_EDIT_COLUMNS if f in form.fields])
                form.save_m2m()
                task.sync_parts()
                milestones.save()
        except DomainError as exc:
            # Shown in place, with what was typed: nothing was saved.
            messages.error(request, _error_text(exc))
            return render(
                request,
                "tasks/task_form.html",
                {"form": form, "milestones": milestones, "task": task},
                status=409,
            )
        messages.success(request, _("Task saved."))
        return redirect(task)
    return render(
        request, "tasks/task_form.html", {"form": form, "milestones": milestones, "task": task}
    )


@require_POST
def part_progress(request, pk):
    """A unit reports on (or submits) its own part of a task."""
    part = part_for(request.user, pk)
    task = part.task
    form = ProgressForm(request.POST, request.FILES, task=task)
    submit = form.data.get("submit") in ("on", "true", "1", "True")

    def perform(data):
        try:
            photos = [prepare_photo(upload) for upload in data["photos"]]
        except ValidationError as exc:  # a photo that cannot be prepared
            raise DomainError(_error_text(exc)) from None
        # A repeated POST of the same form (double tap, retry) returns the first report.
        update, _first = submit_once(
            token=data["form_token"],
            person=request.user,
            create=lambda: part.report_progress(
                actor=request.user,
                text=data["text"],
                progress=data["progress"],
                photos=photos,
                documents=data["documents"],
                submit=data["submit"],
                milestones=data.get("milestones") or (),
                expected_version=data["version"],
            ),
        )
        return update

    return act(
        request,
        part,
        "submit" if submit else "report",
        form=form,
        perform=perform,
        page=lambda form: _detail_page(request, task, progress_form=form, form_part=part),
        success=_("Progress saved and the task submitted for acceptance.")
        if submit
        else _("Progress saved."),
    )


@require_POST
def part_decide(request, pk, action):
    """The command office accepts (验收) or returns (退回) one unit's part."""
    part = part_for(request.user, pk)

    def perform(data):
        if action == "accept":
            part.accept(actor=request.user, note=data["note"], expected_version=data["version"])
        else:
            part.return_to_unit(
                actor=request.user, reason=data["note"], expected_version=data["version"]
            )

    done = _("%(unit)s's part is accepted.") if action == "accept" else None
    return act(
        request,
        part,
        action,
        form=DecisionForm(request.POST, auto_id=f"id_part{part.pk}_%s"),
        perform=perform,
        page=lambda form: _detail_page(request, part.task, decided=(part, form)),
        success=(done or _("%(unit)s's part is returned to the unit.")) % {"unit": part.unit},
    )


def task_deadline(request, pk):
    task = task_for(request.user, pk, action="deadline")
    form = DeadlineForm(request.POST or None, initial={"version": task.version})
    page = lambda form: render(request, "tasks/task_deadline.html", {"task": task, "form": form})  # noqa: E731
    if request.method != "POST":
        return page(form)
    response = act(
        request,
        task,
        "deadline",
        form=form,
        perform=lambda data: task.change_deadline(
            actor=request.user,
            deadline=data["deadline"],
            working_days=data.get("working_days"),
            note=data["note"],
            expected_version=data["version"],
        ),
        page=page,
        success=lambda result: _("The deadline is now %(date)s.") % {"date": task.deadline},
    )
    if form.warning and response.status_code == 302:
        messages.warning(request, form.warning)
    return response


def task_reassign(request, pk):
    task = task_for(request.user, pk, action="reassign")
    form = ReassignForm(
        request.POST or None,
        campaign=task.campaign,
        initial={
            "lead_unit": task.lead_unit,
            "responsible_units": task.responsible_units.all(),
            "version": task.version,
        },
    )
    page = lambda form: render(request, "tasks/task_reassign.html", {"task": task, "form": form})  # noqa: E731
    if request.method != "POST":
        return page(form)
    return act(
        request,
        task,
        "reassign",
        form=form,
        perform=lambda data: task.change_assignment(
            actor=request.user,
            lead_unit=data["lead_unit"],
            responsible_units=data["responsible_units"],
            note=data["note"],
            expected_version=data["version"],
        ),
        page=page,
        success=_("The task is reassigned."),
    )


@require_POST
def task_bulk(request):
    campaign = current_campaign_or_404(request)
    if not can_manage_any(request.user, campaign):
        raise PermissionDenied
    manageable = _visible_tasks(request)
    offices = managed_offices(request.user, campaign)
    if offices is not None:
        manageable = manageable.filter(command_office__in=offices)
    form = BulkForm(request.POST, campaign=campaign, tasks=manageable)
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, "；".join(errors))
        return redirect(back or "tasks:task_list")
    data = form.cleaned_data
    tasks = list(data["tasks"])
    try:
        if data["action"] == BulkForm.Action.REASSIGN:
            count = bulk_reassign(
                tasks=tasks, lead_unit=data["lead_unit"], actor=request.user, note=data["note"]
            )
            messages.success(
                request,
                _("%(n)s tasks now led by %(unit)s.") % {"n": count, "unit": data["lead_unit"]},
            )
        else:
            count = bulk_change_deadline(
                tasks=tasks,
                deadline=data["deadline"],
                working_days=data.get("working_days"),
                actor=request.user,
                note=data["note"],
            )
            messages.success(
                request,
                _("%(n)s tasks now due on %(date)s.") % {"n": count, "date": data["deadline"]},
            )
            if form.warning:
                messages.warning(request, form.warning)
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    return redirect(back or "tasks:task_list")


def evidence_file(request, pk, thumbnail=False):
    """A progress photo or document, only for people who may see its task."""
    evidence = get_object_or_404(TaskEvidence.objects.select_related("update"), pk=pk)
    task_for(request.user, evidence.update.task_id)
    fieldfile = evidence.thumbnail if thumbnail and evidence.thumbnail else evidence.file
    return private_file_response(fieldfile, filename=evidence.original_name or None)


# --- Generation, battle map, import -----------------------------------------------------

GENERATE_SESSION_KEY = "task_generation"


@page_rule(office_admin)
def task_generate(request):
    """Break an evaluation system into tasks: preview first, then confirm the ticked ones."""
    campaign = current_campaign_or_404(request)
    if request.method == "POST" and "confirm" in request.POST:
        params = request.session.get(GENERATE_SESSION_KEY)
        form = GenerateForm(params, campaign=campaign)
        if not params or not form.is_valid():
            messages.error(request, _("The preview has expired: please preview again."))
            return redirect("tasks:task_generate")
        data = form.cleaned_data
        plan = plan_generation(
            system=data["system"],
            mode=data["mode"],
            deadline=data["deadline"],
            use_standard_deadlines=data["use_standard_deadlines"],
        )
        try:
            tasks = generate_tasks(
                plan,
                campaign=campaign,
                actor=request.user,
                priority=data["priority"],
                keys=set(request.POST.getlist("include")),
            )
        except DomainError as exc:
            messages.error(request, _error_text(exc))
            return redirect("tasks:task_generate")
        del request.session[GENERATE_SESSION_KEY]
        messages.success(request, _("%(n)s tasks created.") % {"n": len(tasks)})
        return redirect("tasks:task_list")
    form = GenerateForm(request.POST or None, campaign=campaign)
    plan = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        plan = plan_generation(
            system=data["system"],
            mode=data["mode"],
            deadline=data["deadline"],
            use_standard_deadlines=data["use_standard_deadlines"],
        )
        # The confirm step re-plans from these values (with the computed deadline).
        params = request.POST.dict()
        params.pop("csrfmiddlewaretoken", None)
        params.pop("working_days", None)
        params["deadline"] = data["deadline"].isoformat() if data["deadline"] else ""
        request.session[GENERATE_SESSION_KEY] = params
    return render(
        request,
        "tasks/task_generate.html",
        {"form": form, "plan": plan, "today": timezone.localdate()},
    )


def battle_map(request):
    """挂图作战: progress by command office × unit and by item, colour-coded."""
    campaign = current_campaign_or_404(request)
    visible_units = Unit.objects.visible_to(request.user).filter(campaign=campaign)
    scope = scope_for(request.user)
    if scope.unit_paths and not scope.wide_campaign_ids and not scope.command_office_ids:
        # Unit people see their units and the ones directly below as columns.
        own = [u for u in scope.units if u.campaign_id == campaign.pk]
        visible_units = visible_units.filter(
            pk__in=[u.pk for u in own]
            + list(Unit.objects.filter(parent__in=own).values_list("pk", flat=True))
        )
    else:
        visible_units = visible_units.filter(depth=0)
    task_filter = TaskFilter(
        request.GET or None, queryset=_visible_tasks(request), user=request.user, campaign=campaign
    )
    data = build_battle_map(task_filter.qs, visible_units=list(visible_units))
    return render(request, "tasks/battle_map.html", {"map": data, "filter": task_filter})


@page_rule(may_act)
def progress_import(request):
    """Upload the exported list with 进展 filled in; preview; confirm writes all or nothing."""
    campaign = current_campaign_or_404(request)

    def confirm(plan, info):
        counts = apply_progress(plan, actor=request.user)
        messages.success(
            request,
            _("Import finished: %(update)s tasks updated, %(unchanged)s unchanged.") % counts,
        )
        return redirect("tasks:task_list")

    return import_page(
        request,
        key="task_progress_import",
        form=ProgressImportForm(request.POST or None, request.FILES or None),
        read=lambda data, filename: read_progress(
            data, campaign=campaign, user=request.user, filename=filename
        ),
        confirm=confirm,
        template="tasks/progress_import.html",
    )


# --- The working-day calendar -------------------------------------------------------------


@page_rule(office_admin)
def workday_calendar(request):
    """The office keeps the holiday schedule: holidays on weekdays and 调休 working days.

    Seeded from the `chinesecalendar` package; a new year is entered here when the State
    Council publishes it, then marked as published so deadlines stop carrying a warning.
    """
    campaign = current_campaign_or_404(request)
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or 0)
    except ValueError:
        year = 0
    year = year if 2000 <= year <= 2100 else datetime.date.today().year
    form = WorkdayOverrideForm(request.POST if request.POST.get("action") == "add" else None)
    published = PublishedHolidayYear.objects.filter(year=year).first()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "add" and form.is_valid():
            data = form.cleaned_data
            override = save_workday_override(
                actor=request.user,
                campaign=campaign,
                date=data["date"],
                is_working_day=data["is_working_day"],
                name=data["name"],
            )
            messages.success(request, _("Saved %(date)s.") % {"date": override.date})
            return redirect(f"{request.path}?year={data['date'].year}")
        if action == "delete":
            override = get_object_or_404(WorkdayOverride, pk=request.POST.get("pk"))
            remove_workday_override(actor=request.user, campaign=campaign, override=override)
            messages.success(request, _("Removed."))
            return redirect(f"{request.path}?year={year}")
        if action in ("publish", "unpublish"):
            mark_holiday_year(
                actor=request.user, campaign=campaign, year=year, published=action == "publish"
            )
            return redirect(f"{request.path}?year={year}")
    overrides = WorkdayOverride.objects.filter(date__year=year).order_by("date")
    return render(
        request,
        "tasks/workday_calendar.html",
        {
            "year": year,
            "published": published,
            "overrides": overrides,
            "form": form,
            "years": [year - 1, year, year + 1],
        },
    )
