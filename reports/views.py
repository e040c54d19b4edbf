"""Pages of the reports app: dashboard, rankings, scoring rules, bulletins and their archive."""

from django.contrib import messages
from django.core.exceptions import SuspiciousFileOperation
from django.db.models import FileField
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaign import choices_cache
from campaign.access import (
    current_campaign_or_404,
    get_visible_or_404,
    office_admin,
    page_rule,
    require_office_admin,
    scope_for,
)
from campaign.actions import act
from campaign.documents import MIME_DOCX
from campaign.models import Unit
from campaign.pagination import get_page
from campaign.templatetags.site_tags import week
from campaign.transitions import allowed_actions
from campaign.uploads import private_file_response

from . import bulletins, periods, rankings
from .exports import RankingExport, bulletin_context
from .filters import BulletinFilter
from .forms import (
    BulletinActionForm,
    BulletinCasesForm,
    BulletinCreateForm,
    BulletinSettingsForm,
    BulletinTextForm,
    RankingForm,
    ScoringRuleForm,
)
from .models import Bulletin, BulletinSettings, ScoringRule

# --- Dashboard ---------------------------------------------------------------------------


def dashboard(request):
    """Leaders' and the office's overview: four charts, each with its table.

    The weekly and per-district figures come from the frozen weekly snapshots; what is open
    and overdue now from one live query. No figure reads the ledger's history.
    """
    from inspections.models import Finding
    from tasks.models import TaskPart

    campaign = current_campaign_or_404(request)
    units = rankings.visible_units(campaign, request.user)
    weekly, closure, as_of = rankings.snapshot_figures(campaign, units)
    # Task figures count each unit's own part of a task.
    findings = Finding.objects.visible_to(request.user).filter(campaign=campaign)
    live = rankings.live_figures(
        findings,
        TaskPart.objects.counted_for(request.user).filter(task__campaign=campaign),
    )
    overdue = rankings.overdue_by_command_office(
        live, rankings.visible_command_offices(campaign, request.user)
    )
    projected = rankings.projected_scores(request.user, campaign)
    weeks = [week(period) for period, _o, _c in weekly]
    offices = [name or _("No command office") for name, _f, _t in overdue]
    # Each table's rows as shown (report_tags.figure_rows); the charts draw the same figures.
    rows = {
        "weekly": [(label, o, c) for label, (_p, o, c) in zip(weeks, weekly, strict=True)],
        "closure": [(name, total, closed, rate or "—") for name, total, closed, rate in closure],
        "overdue": [(label, f, t) for label, (_o, f, t) in zip(offices, overdue, strict=True)],
        "projected": [(name, s.points, s.earned, s.at_risk, s.percent) for name, s in projected],
    }
    chart_data = {
        "weekly": {
            "labels": weeks,
            "opened": [o for _p, o, _c in weekly],
            "closed": [c for _p, _o, c in weekly],
        },
        "closure": {
            "labels": [name for name, *_rest in closure],
            "rates": [float(rate) if rate is not None else 0 for *_rest, rate in closure],
        },
        "overdue": {
            "labels": offices,
            "findings": [f for _o, f, _t in overdue],
            "tasks": [t for _o, _f, t in overdue],
        },
        "projected": {
            "labels": [name for name, _s in projected],
            "earned": [float(score.earned) for _s, score in projected],
            "at_risk": [float(score.at_risk) for _s, score in projected],
        },
    }
    latest = (
        Bulletin.objects.visible_to(request.user)
        .filter(campaign=campaign)
        .only("pk", "document_number")
        .first()
    )
    return render(
        request,
        "reports/dashboard.html",
        {
            "as_of": as_of,
            "rows": rows,
            "chart_data": chart_data,
            "latest_bulletin": latest,
            "open_count": sum(f[0] for f in live.values()),
            "overdue_count": sum(f[1] for f in live.values()),
            "overdue_tasks": sum(f[2] for f in live.values()),
        },
    )


# --- Rankings ----------------------------------------------------------------------------


def _ranking(request):
    """The ranking the query string asks for, scoped to the units the person may see."""
    campaign = current_campaign_or_404(request)
    form = RankingForm(request.GET or None)
    values = form.cleaned_data if form.is_valid() else {}
    # The last two frozen weeks: the default week and, usually, the one before it.
    recent, lists = rankings.recent_snapshots_and_lists(campaign, 2)
    this_week = periods.iso_period(timezone.localdate())
    period = values.get("period") or (recent[0][1] if recent else this_week)
    angle = rankings.ANGLE_BY_KEY[values.get("angle") or "composite"]
    visible = {pk: kind for pk, _path, kind in rankings.visible_units(campaign, request.user)}
    kinds = rankings.kinds_seen(visible.values())
    kind = values.get("kind") or rankings.first_kind(kinds)
    # An unfrozen week is computed by a job; until it is ready the page says so and polls.
    previous = periods.previous_period(period)
    weeks = rankings.weeks_for(campaign, [period, previous], kind, snapshots=recent)
    rows, rules, frozen = weeks[period]
    previous_rows, previous_rules, _f = weeks[previous]
    computing = rows is None or previous_rows is None
    items, red, black = [], [], []
    if not computing:
        items = rankings.ranking(rows, previous_rows, angle, rules, previous_rules, kind)
        red, black = rankings.red_black_lists(
            rows, size=lists["list_size"], min_activity=lists["list_min_activity"]
        )
    return {
        "form": form,
        "period": period,
        "frozen": frozen,
        "computing": computing,
        "angle": angle,
        "angles": rankings.ANGLES,
        "kind": kind,
        "kind_label": Unit.Kind(kind).label,
        "kinds": [(k, Unit.Kind(k).label) for k in kinds],
        "items": [i for i in items if i.row.unit_id in visible],
        "red": [i for i in red.named if i.row.unit_id in visible] if red else [],
        "black": [i for i in black.named if i.row.unit_id in visible] if black else [],
        "rules": rules,
        "this_week": this_week,
    }


def ranking_list(request):
    context = _ranking(request)
    template = "reports/_ranking_table.html" if request.htmx else "reports/ranking_list.html"
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


def ranking_export(request):
    """The ranking on the page, as an Excel workbook."""
    context = _ranking(request)
    if context["computing"]:
        messages.info(
            request, _("This week's figures are still being computed. Try again shortly.")
        )
        return redirect(f"{reverse('reports:ranking_list')}?{request.GET.urlencode()}")
    export = RankingExport(
        items=context["items"],
        angle=context["angle"],
        kind_label=context["kind_label"],
        period=context["period"],
        frozen=context["frozen"],
    )
    return export.response(request.GET.get("format", "xlsx"))


# --- Rules and settings ---------------------------------------------------------------------


def scoring_rule_edit(request):
    """The rules explained in plain words; the office edits them, everyone else reads."""
    campaign = current_campaign_or_404(request)
    can_edit = scope_for(request.user).is_office_admin(campaign)
    rule = ScoringRule.for_campaign(campaign)
    if request.method == "POST":
        require_office_admin(request.user, campaign)
        form = ScoringRuleForm(request.POST, instance=rule)
        if form.is_valid():
            before = {name: str(form.initial.get(name)) for name in form.changed_data}
            rule = form.save()
            from campaign.models import AuditEntry

            AuditEntry.record(
                actor=request.user,
                action=AuditEntry.Action.UPDATE,
                obj=rule,
                summary=_("Changed the scoring rules"),
                changes={n: [before[n], str(form.cleaned_data[n])] for n in form.changed_data},
                campaign=campaign,
            )
            messages.success(
                request,
                _("The scoring rules are saved. They apply from the next weekly snapshot on."),
            )
            return redirect("reports:scoringrule_edit")
    else:
        form = ScoringRuleForm(instance=rule)
    return render(
        request,
        "reports/scoringrule_form.html",
        {
            "form": form,
            "rule": rule,
            "can_edit": can_edit,
            "list_settings": BulletinSettings.for_campaign(campaign),
        },
    )


@page_rule(office_admin)
def bulletin_settings_edit(request):
    campaign = current_campaign_or_404(request)
    item = BulletinSettings.for_campaign(campaign)
    form = BulletinSettingsForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        from campaign.models import AuditEntry

        item = form.save()
        AuditEntry.record(
            actor=request.user,
            action=AuditEntry.Action.UPDATE,
            obj=item,
            summary=_("Changed the bulletin settings"),
            changes={n: str(form.cleaned_data[n]) for n in form.changed_data},
            campaign=campaign,
        )
        messages.success(request, _("The bulletin settings are saved."))
        return redirect("reports:bulletin_list")
    return render(request, "reports/bulletinsettings_form.html", {"form": form})


# --- Bulletins -------------------------------------------------------------------------------


def bulletin_list(request):
    """The archive: every issue with its PDF, newest first."""
    campaign = current_campaign_or_404(request)
    # The columns a row shows (the publisher by name), not the figures or a person's
    # whole row.
    bulletins = (
        Bulletin.objects.visible_to(request.user)
        .filter(campaign=campaign)
        .select_related("published_by")
        .only(
            "number",
            "document_number",
            "period",
            "is_backfill",
            "status",
            "published_at",
            "pdf",
            "published_by__name",
            "published_by__username",
        )
    )
    filterset = BulletinFilter(request.GET or None, queryset=bulletins)
    context = {
        "filter": filterset,
        "page": get_page(filterset.qs, 25, request.GET.get("page")),
        "is_office": scope_for(request.user).is_office_admin(campaign),
    }
    if context["is_office"]:  # the form to make a bulletin, for the office only
        # Kept per campaign version, which saving or deleting the settings changes (apps.py).
        bulletin_settings = choices_cache.choices(
            campaign,
            request.user,
            "bulletin settings",
            lambda: BulletinSettings.for_campaign(campaign),
        )
        period = periods.default_period(campaign, bulletin_settings=bulletin_settings)
        context["create_form"] = BulletinCreateForm(initial={"period": period})
        context["settings"] = bulletin_settings
    template = "reports/_bulletin_table.html" if request.htmx else "reports/bulletin_list.html"
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


@require_POST
def bulletin_create(request):
    """The office makes a week's bulletin by hand (or finds the one already made)."""
    campaign = current_campaign_or_404(request)
    require_office_admin(request.user, campaign)
    form = BulletinCreateForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("period", []):
            messages.error(request, error)
        return redirect("reports:bulletin_list")
    try:
        bulletin, created = bulletins.make_bulletin(
            campaign=campaign, period=form.cleaned_data["period"], actor=request.user
        )
    except periods.PeriodError as error:
        messages.error(request, str(error))
        return redirect("reports:bulletin_list")
    if created:
        messages.success(
            request,
            _("%(bulletin)s has been made as a draft. Check it, then publish it.")
            % {"bulletin": bulletin.document_number},
        )
    else:
        messages.info(
            request,
            _("The bulletin for %(week)s already exists: %(number)s.")
            % {"week": week(bulletin.period), "number": bulletin.document_number},
        )
    return redirect(bulletin)


def bulletin_detail(request, pk, text_form=None, cases_form=None):
    bulletin = _bulletin_or_404(request, pk)
    actions = allowed_actions(request.user, bulletin)
    context = bulletin_context(bulletin)
    context.update(
        {
            "is_office": scope_for(request.user).is_office_admin(bulletin.campaign),
            "actions": actions,
            "text_form": text_form
            or BulletinTextForm(instance=bulletin, initial={"version": bulletin.version})
            if "edit" in actions
            else None,
            "cases_form": cases_form or BulletinCasesForm(bulletin) if "cases" in actions else None,
        }
    )
    return render(request, "reports/bulletin_detail.html", context)


def _bulletin_or_404(request, pk):
    campaign = current_campaign_or_404(request)
    return get_visible_or_404(request.user, Bulletin.objects.filter(campaign=campaign), pk=pk)


@require_POST
def bulletin_edit(request, pk):
    bulletin = _bulletin_or_404(request, pk)
    return act(
        request,
        bulletin,
        "edit",
        form=BulletinTextForm(request.POST, instance=Bulletin.objects.get(pk=bulletin.pk)),
        perform=lambda data: bulletin.edit_text(
            actor=request.user,
            summary=data["summary"],
            requirements=data["requirements"],
            expected_version=data["version"],
        ),
        page=lambda form: bulletin_detail(request, pk, text_form=form),
        success=_("The text is saved; the PDF is being made again."),
    )


@require_POST
def bulletin_refresh(request, pk):
    bulletin = _bulletin_or_404(request, pk)
    return act(
        request,
        bulletin,
        "refresh",
        form=BulletinActionForm(request.POST),
        perform=lambda data: bulletins.refresh_bulletin(
            bulletin, actor=request.user, expected_version=data["version"]
        ),
        page=lambda form: bulletin_detail(request, pk),
        success=_("The figures were recomputed from the ledger as it is now."),
    )


@require_POST
def bulletin_publish(request, pk):
    bulletin = _bulletin_or_404(request, pk)
    recipients = BulletinSettings.for_campaign(bulletin.campaign).recipient_list()
    if recipients:
        success = _(
            "Published. The PDF is being e-mailed to %(n)s addresses on the distribution list."
        ) % {"n": len(recipients)}
    else:
        success = _("Published. The distribution list is empty, so nothing was e-mailed.")
    return act(
        request,
        bulletin,
        "publish",
        form=BulletinActionForm(request.POST),
        perform=lambda data: bulletin.publish(actor=request.user, expected_version=data["version"]),
        page=lambda form: bulletin_detail(request, pk),
        success=success,
    )


@require_POST
def bulletin_cases(request, pk):
    """The office chooses a draft's typical cases among the week's candidates."""
    bulletin = _bulletin_or_404(request, pk)
    return act(
        request,
        bulletin,
        "cases",
        form=BulletinCasesForm(bulletin, request.POST),
        perform=lambda data: bulletins.choose_cases(
            bulletin,
            actor=request.user,
            finding_ids=[f.pk for f in data["findings"]],
            expected_version=data["version"],
        ),
        page=lambda form: bulletin_detail(request, pk, cases_form=form),
        success=_("The typical cases are chosen; the PDF is being made again."),
    )


def _download(request, bulletin, content, *, suffix, content_type):
    """A bulletin's document as a download, recorded in the audit log like every download."""
    from campaign.models import AuditEntry

    name = f"{bulletin.data.get('masthead', '')}{bulletin.document_number}.{suffix}"
    AuditEntry.record(
        actor=request.user,
        action=AuditEntry.Action.DOWNLOAD,
        obj=bulletin,
        summary=_("Downloaded “%(name)s”") % {"name": name},
        campaign=bulletin.campaign,
    )
    return FileResponse(
        content,
        as_attachment="inline" not in request.GET,
        filename=name,
        content_type=content_type,
    )


def bulletin_pdf(request, pk):
    bulletin = _bulletin_or_404(request, pk)
    if not bulletin.pdf:
        raise Http404
    return _download(
        request, bulletin, bulletin.pdf.open("rb"), suffix="pdf", content_type="application/pdf"
    )


def bulletin_docx(request, pk):
    """The bulletin as an editable Word/WPS document: the same content as the PDF, rendered
    with it by the same job."""
    bulletin = _bulletin_or_404(request, pk)
    if not bulletin.docx:
        raise Http404
    return _download(
        request, bulletin, bulletin.docx.open("rb"), suffix="docx", content_type=MIME_DOCX
    )


def bulletin_photo(request, pk, case, index):
    """A photo printed in a bulletin's typical cases, for readers of that bulletin; served
    like every private file (content-sniffed, never cached, never active content)."""
    campaign = current_campaign_or_404(request)
    bulletin = get_visible_or_404(request.user, Bulletin.objects.filter(campaign=campaign), pk=pk)
    try:
        name = bulletin.data["cases"][case]["photos"][index]
        photo = FieldFile(bulletin, FileField(), name)
        found = photo.storage.exists(name)
    except (KeyError, IndexError, TypeError, SuspiciousFileOperation):
        raise Http404 from None
    if not found:
        raise Http404
    return private_file_response(photo)
