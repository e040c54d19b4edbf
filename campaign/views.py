from pathlib import Path

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.services import set_password

from . import choices_cache, scoring, tree_cache
from .access import (
    account_admin,
    auditor,
    can_manage_account,
    current_campaign_or_404,
    get_visible_or_404,
    office_admin,
    page_rule,
    require_not_read_only,
    require_office_admin,
    scope_for,
)
from .channels import mask_email, mask_phone, mask_secret
from .exports import IndicatorTreeExport, audit_export_for, export_response
from .filters import DeliveryFilter, StandardFilter, UnitFilter, audit_filter_for
from .forms import (
    AssessmentForm,
    ChannelEndpointForm,
    CommandOfficeForm,
    EvidenceForm,
    IndicatorImportForm,
    LoginForm,
    MembershipForm,
    MobileForm,
    NoticePreferenceForm,
    OrganisationImportForm,
    PersonForm,
    StandardPlanForm,
    SystemForm,
    UnitForm,
    UnitMappingForm,
)
from .indicator_import import apply_indicators, read_indicators
from .middleware import SESSION_KEY
from .models import (
    UNIT_ROLES,
    AuditEntry,
    Campaign,
    ChannelEndpoint,
    CommandOffice,
    Delivery,
    EvaluationSystem,
    Evidence,
    ExportJob,
    Membership,
    Notification,
    Person,
    Role,
    Standard,
    Unit,
)
from .pagination import get_page
from .services import (
    apply_organisation,
    end_membership,
    read_organisation,
    replace_holders,
)
from .uploads import StagedUpload, private_file_response

# The unit search boxes show this many matches at most: type more to narrow them.
AUTOCOMPLETE_LIMIT = 20


@login_not_required
def login(request):
    return auth_views.LoginView.as_view(
        authentication_form=LoginForm, redirect_authenticated_user=True
    )(request)


def home(request):
    campaign = request.campaign
    scope = scope_for(request.user)
    memberships = [m for m in scope.memberships if campaign and m.campaign_id == campaign.pk]
    roles = sorted({m.role for m in memberships}, key=list(Role).index)
    return render(
        request,
        "campaign/home.html",
        {
            "memberships": memberships,
            "roles": [Role(r) for r in roles],
            "campaigns": Campaign.objects.visible_to(request.user),
            "is_office_admin": campaign is not None and scope.is_office_admin(campaign),
            "my_units": scope.units,
        },
    )


@require_POST
def campaign_switch(request):
    campaign = get_visible_or_404(request.user, Campaign.objects, pk=request.POST.get("campaign"))
    request.session[SESSION_KEY] = campaign.pk
    return redirect("home")


# --- Units -----------------------------------------------------------------------------


def unit_tree(request):
    campaign = current_campaign_or_404(request)
    # Head count per unit as a subquery, computed for the page's rows only (a GROUP BY over
    # the joined memberships sorted every unit of the city first).
    people = (
        Membership.objects.filter(unit=OuterRef("pk"))
        .order_by()
        .values("unit")
        .annotate(n=Count("*"))
        .values("n")
    )
    units = (
        Unit.objects.visible_to(request.user)
        .filter(campaign=campaign)
        .annotate(parent_name=F("parent__name"), people_count=Coalesce(Subquery(people), 0))
        .order_by("path")
    )
    unit_filter = UnitFilter(request.GET, queryset=units, request=request)
    searching = unit_filter.is_bound and any(request.GET.get(k) for k in ("q", "kind"))
    rows = unit_filter.qs.values(*UNIT_COLUMNS)
    page = get_page(rows, 200, request.GET.get("page"))
    if page.number == 1 and page.paginator.per_page == len(page) and not searching:
        # The whole tree's count under a full first page (the office's, in a city), kept per
        # campaign version and scope: the version changes with any unit saved or deleted.
        page.paginator.count = choices_cache.choices(
            campaign, request.user, "unit count", units.count
        )
    # Indent from the person's own top unit, not from the city's root (the page's list, not
    # the page: a Page is read item by item).
    rows = page.object_list
    top = min((row["depth"] for row in rows), default=0)
    for row in rows:
        row["indent"] = min(row["depth"] - top, 4)
    context = {
        "filter": unit_filter,
        "page": page,
        "searching": searching,
        "can_edit": scope_for(request.user).is_office_admin(campaign),
    }
    template = "campaign/_unit_table.html" if request.htmx else "campaign/unit_tree.html"
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


# The columns of a unit's row in the unit tree (drawn by unit_tags.unit_rows).
UNIT_COLUMNS = ["pk", "name", "short_name", "kind", "depth", "parent_name", "people_count"]


def unit_autocomplete(request):
    """Units in the person's scope whose name matches `q` (and whose kind is not one of
    `exclude`), as JSON for the unit search boxes."""
    campaign = current_campaign_or_404(request)
    query = request.GET.get("q", "").strip()
    units = Unit.objects.visible_to(request.user).filter(campaign=campaign)
    units = units.exclude(kind__in=request.GET.getlist("exclude"))
    if query:
        units = units.filter(Q(name__icontains=query) | Q(short_name__icontains=query))
    kinds = dict(Unit.Kind.choices)
    rows = units.order_by("path").values_list("pk", "name", "kind")[:AUTOCOMPLETE_LIMIT]
    return JsonResponse(
        {"results": [{"id": pk, "text": name, "kind": str(kinds[kind])} for pk, name, kind in rows]}
    )


def standard_autocomplete(request):
    """Standards in the person's scope whose code or text matches `q`, as JSON for the
    standard search boxes; labelled as the standard drop-downs label them."""
    campaign = current_campaign_or_404(request)
    query = request.GET.get("q", "").strip()
    standards = Standard.objects.visible_to(request.user).filter(system__campaign=campaign)
    if query:
        standards = standards.filter(Q(code__icontains=query) | Q(text__icontains=query))
    rows = standards.order_by("system", "position", "pk").only("code", "text")[:AUTOCOMPLETE_LIMIT]
    return JsonResponse({"results": [{"id": s.pk, "text": str(s)} for s in rows]})


def unit_detail(request, pk):
    unit = get_visible_or_404(
        request.user, Unit.objects.select_related("parent", "campaign"), pk=pk
    )
    visible = Unit.objects.visible_to(request.user)
    return render(
        request,
        "campaign/unit_detail.html",
        {
            "unit": unit,
            # Only the ancestors the person may see are linked (unit people never see upwards).
            "ancestors": visible.filter(pk__in=unit.ancestor_ids).order_by("depth"),
            "children": visible.filter(parent=unit).annotate(people_count=Count("memberships")),
            "memberships": unit.memberships.select_related("person").order_by("role"),
            "command_offices": unit.command_offices.visible_to(request.user),
            "history": AuditEntry.for_object(unit)[:20],
            "can_edit": scope_for(request.user).is_office_admin(unit.campaign),
        },
    )


def unit_edit(request, pk=None):
    campaign = current_campaign_or_404(request)
    # Out of scope is 404 before visible-but-read-only is 403.
    unit = get_visible_or_404(request.user, Unit.objects, pk=pk) if pk else None
    require_office_admin(request.user, campaign)
    form = UnitForm(request.POST or None, instance=unit, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            changed = form.changed_data
            unit = form.save()
            AuditEntry.record(
                actor=request.user,
                obj=unit,
                action=AuditEntry.Action.UPDATE if pk else AuditEntry.Action.CREATE,
                summary=_("Saved unit %(name)s") % {"name": unit.name},
                changes={"fields": changed},
            )
        messages.success(request, _("Unit “%(name)s” saved.") % {"name": unit.name})
        return redirect(unit)
    return render(request, "campaign/unit_form.html", {"form": form, "unit": unit})


# --- Command offices ----------------------------------------------------------------------


def command_office_list(request):
    campaign = current_campaign_or_404(request)
    offices = (
        CommandOffice.objects.visible_to(request.user)
        .filter(campaign=campaign)
        .select_related("head")
        .annotate(unit_count=Count("units", distinct=True))
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("person"),
                to_attr="staff",
            )
        )
    )
    return render(
        request,
        "campaign/command_office_list.html",
        {
            "offices": offices,
            "can_edit": scope_for(request.user).is_office_admin(campaign),
        },
    )


def command_office_detail(request, pk):
    office = get_visible_or_404(request.user, CommandOffice.objects.select_related("head"), pk=pk)
    return render(
        request,
        "campaign/command_office_detail.html",
        {
            "office": office,
            "staff": office.memberships.select_related("person"),
            "units": office.units.visible_to(request.user).select_related("parent"),
            "history": AuditEntry.for_object(office)[:20],
            "can_edit": scope_for(request.user).is_office_admin(office.campaign),
        },
    )


def command_office_edit(request, pk=None):
    campaign = current_campaign_or_404(request)
    office = get_visible_or_404(request.user, CommandOffice.objects, pk=pk) if pk else None
    require_office_admin(request.user, campaign)
    form = CommandOfficeForm(request.POST or None, instance=office, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            office = form.save()
            AuditEntry.record(
                actor=request.user,
                obj=office,
                action=AuditEntry.Action.UPDATE if pk else AuditEntry.Action.CREATE,
                summary=_("Saved command office %(name)s") % {"name": office.name},
                changes={"fields": form.changed_data},
            )
        messages.success(request, _("Command office “%(name)s” saved.") % {"name": office.name})
        return redirect(office)
    return render(request, "campaign/command_office_form.html", {"form": form, "office": office})


# --- People -------------------------------------------------------------------------------


@page_rule(account_admin)
def person_list(request):
    campaign = current_campaign_or_404(request)
    people = (
        Person.objects.filter(memberships__campaign=campaign)
        .distinct()
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(campaign=campaign).select_related(
                    "unit", "command_office"
                ),
                to_attr="roles_here",
            )
        )
    )
    query = request.GET.get("q", "").strip()
    if query:
        people = people.filter(Q(name__contains=query) | Q(username__contains=query))
    page = Paginator(people.order_by("name", "pk"), 50).get_page(request.GET.get("page"))
    return render(request, "campaign/person_list.html", {"page": page, "query": query})


def _person_in_campaign_or_404(campaign, pk):
    return get_object_or_404(
        Person.objects.filter(memberships__campaign=campaign).distinct(), pk=pk
    )


@page_rule(account_admin)
def person_edit(request, pk=None):
    campaign = current_campaign_or_404(request)
    person = _person_in_campaign_or_404(campaign, pk) if pk else None
    if person and not can_manage_account(request.user, person, campaign):
        raise PermissionDenied
    form = PersonForm(request.POST or None, instance=person, prefix="person")
    membership_form = MembershipForm(
        request.POST or None, campaign=campaign, user=request.user, prefix="role"
    )
    if request.method == "POST" and form.is_valid() and (pk or membership_form.is_valid()):
        with transaction.atomic():
            person = form.save()
            if form.cleaned_data["password"]:
                set_password(person, form.cleaned_data["password"], by=request.user)
            if not pk:
                membership = membership_form.save(commit=False)
                membership.person = person
                membership.save()
            AuditEntry.record(
                actor=request.user,
                obj=person,
                campaign=campaign,
                action=AuditEntry.Action.UPDATE if pk else AuditEntry.Action.CREATE,
                summary=_("Saved person %(name)s") % {"name": person.name},
                changes={"fields": form.changed_data},
            )
        messages.success(request, _("“%(name)s” saved.") % {"name": person.name})
        return redirect("campaign:person_detail", pk=person.pk)
    return render(
        request,
        "campaign/person_form.html",
        {
            "form": form,
            "membership_form": None if pk else membership_form,
            "person": person,
        },
    )


@page_rule(account_admin)
def person_detail(request, pk):
    campaign = current_campaign_or_404(request)
    person = _person_in_campaign_or_404(campaign, pk)
    form = MembershipForm(request.POST or None, campaign=campaign, user=request.user)
    if request.method == "POST":
        form.instance.person = person
        if form.is_valid():
            data = form.cleaned_data
            with transaction.atomic():
                if data["replaces"] and data["role"] in UNIT_ROLES and data["unit"]:
                    membership, ended, handed = replace_holders(
                        person=person,
                        unit=data["unit"],
                        role=data["role"],
                        title=data["title"],
                        by=request.user,
                        reason=_("Replaced by %(name)s") % {"name": person.name},
                    )
                    for old in ended:
                        AuditEntry.record(
                            actor=request.user,
                            obj=old.person,
                            campaign=campaign,
                            action=AuditEntry.Action.UPDATE,
                            summary=_("Role ended: %(role)s; %(n)s open items handed to %(name)s")
                            % {"role": old, "n": handed, "name": person.name},
                        )
                else:
                    membership = form.save()
                AuditEntry.record(
                    actor=request.user,
                    obj=person,
                    campaign=campaign,
                    action=AuditEntry.Action.ROLE,
                    summary=_("Gave %(name)s the role: %(role)s")
                    % {"name": person.name, "role": membership},
                )
            messages.success(request, _("Role added."))
            return redirect("campaign:person_detail", pk=person.pk)
    return render(
        request,
        "campaign/person_detail.html",
        {
            "person": person,
            "memberships": person.memberships.filter(campaign=campaign).select_related(
                "unit", "command_office"
            ),
            "ended_memberships": Membership.history.filter(
                person=person, campaign=campaign, ended_at__isnull=False
            ).select_related("unit", "command_office", "ended_by"),
            "form": form,
            "history": AuditEntry.for_object(person)[:20],
            "can_manage": can_manage_account(request.user, person, campaign),
        },
    )


@require_POST
@page_rule(account_admin)
def membership_remove(request, pk):
    campaign = current_campaign_or_404(request)
    membership = get_object_or_404(
        Membership.objects.select_related("person"), pk=pk, campaign=campaign
    )
    with transaction.atomic():
        AuditEntry.record(
            actor=request.user,
            obj=membership.person,
            campaign=campaign,
            action=AuditEntry.Action.ROLE,
            summary=_("Ended the role: %(role)s") % {"role": membership},
        )
        # Ended, never deleted: the history keeps who held the role and until when.
        end_membership(membership, by=request.user, reason=_("Ended on the people page"))
    messages.success(request, _("Role ended."))
    return redirect("campaign:person_detail", pk=membership.person_id)


# --- Organisation import --------------------------------------------------------------------


@page_rule(office_admin)
def organisation_import(request):
    """Upload a workbook, see what it would do, then confirm: nothing is written before that."""
    campaign = current_campaign_or_404(request)
    form = OrganisationImportForm(request.POST or None, request.FILES or None)
    plan = None
    staged = StagedUpload(request, "organisation_import")
    if request.method == "POST" and "confirm" in request.POST:
        data = staged.read()
        if data is None:
            messages.error(request, _("The preview has expired: please upload the file again."))
            return redirect("campaign:organisation_import")
        same = {int(n) for n in request.POST.getlist("same") if n.isdecimal()}
        plan = read_organisation(data, campaign=campaign, same=same)
        if plan.ended and not request.POST.get("confirm_ended"):
            messages.error(
                request,
                _("Tick the box to confirm that the roles listed as ending will end."),
            )
        elif not plan.errors:
            counts, outcome = apply_organisation(plan, campaign=campaign, actor=request.user)
            staged.discard()
            messages.success(
                request,
                _(
                    "Import finished: %(create)s units added, %(update)s changed, "
                    "%(unchanged)s unchanged; %(roles_started)s roles given, "
                    "%(roles_ended)s ended, %(people_new)s new people."
                )
                % counts,
            )
            return render(
                request,
                "campaign/organisation_import_result.html",
                {"counts": counts, "outcome": outcome},
            )
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read()
        plan = read_organisation(data, campaign=campaign, filename=form.cleaned_data["file"].name)
        if not plan.errors:
            staged.stage(data)
    return render(request, "campaign/organisation_import.html", {"form": form, "plan": plan})


def _export_job_or_404(request, pk):
    # The requester's alone: anyone else, in whatever unit or role, gets a 404.
    return get_object_or_404(ExportJob.objects.visible_to(request.user), pk=pk)


def export_job(request, pk):
    """A large export being made by a worker: progress (polled by htmx), then the download
    link until it expires."""
    job = _export_job_or_404(request, pk)
    context = {"job": job, "expired": job.is_expired()}
    template = "campaign/_export_job.html" if request.htmx else "campaign/export_job.html"
    response = render(request, template, context, status=410 if context["expired"] else 200)
    response["Vary"] = "HX-Request"
    return response


def export_job_download(request, pk):
    """The finished file, for its requester, until the link expires (then a page says so)."""
    job = _export_job_or_404(request, pk)
    if job.state != ExportJob.State.DONE:
        raise Http404
    if job.is_expired() or not job.file:
        return render(
            request, "campaign/export_job.html", {"job": job, "expired": True}, status=410
        )
    return private_file_response(job.file, filename=Path(job.file.name).name)


def notification_list(request):
    """The person's own messages, newest first; opening the page marks them read."""
    notifications = Notification.objects.filter(recipient=request.user)
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    unread_ids = [n.pk for n in page if n.read_at is None]
    response = render(
        request, "campaign/notification_list.html", {"page": page, "unread_ids": unread_ids}
    )
    Notification.objects.filter(pk__in=unread_ids).mark_read()
    return response


def notice_preferences(request):
    """The person's channels for each kind of notice, and the daily digest."""
    form = NoticePreferenceForm(request.POST or None, person=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            AuditEntry.record(
                actor=request.user,
                obj=request.user,
                action=AuditEntry.Action.UPDATE,
                summary=_("Changed notification preferences"),
                changes={"fields": form.changed_data},
            )
        messages.success(request, _("Notification preferences saved."))
        return redirect("campaign:notice_preferences")
    return _preferences_page(request, form, MobileForm())


@require_POST
def notice_mobile(request):
    """The person sets or changes their own mobile number: validated, audited (masked),
    shown masked."""
    person = request.user
    mobile_form = MobileForm(request.POST)
    if not mobile_form.is_valid():
        form = NoticePreferenceForm(person=person)
        return _preferences_page(request, form, mobile_form, status=400)
    old, new = person.phone, mobile_form.cleaned_data["phone"]
    if new != old:
        with transaction.atomic():
            person.phone = new
            person.save(update_fields=["phone"])
            AuditEntry.record(
                actor=person,
                obj=person,
                action=AuditEntry.Action.UPDATE,
                summary=_("Changed own mobile number"),
                changes={"phone": [mask_phone(old), mask_phone(new)]},
            )
    messages.success(request, _("Mobile number saved: %(phone)s.") % {"phone": mask_phone(new)})
    return redirect("campaign:notice_preferences")


def _preferences_page(request, form, mobile_form, status=200):
    person = request.user
    return render(
        request,
        "campaign/notice_preferences.html",
        {
            "form": form,
            "mobile_form": mobile_form,
            "phone": mask_phone(person.phone) if person.phone else "",
            "email": mask_email(person.email) if person.email else "",
        },
        status=status,
    )


# --- Notification channels (the office's SMS gateway and group robots) ------------------------


@page_rule(office_admin)
def channel_list(request):
    endpoints = ChannelEndpoint.objects.filter(campaign=request.campaign).select_related("unit")
    rows = [
        {
            "endpoint": e,
            "url": mask_secret(e.url),
            "secret": mask_secret(e.secret),
            "events": [Notification.Event(event).label for event in e.events],
        }
        for e in endpoints
    ]
    return render(request, "campaign/channel_list.html", {"rows": rows})


@page_rule(office_admin)
def channel_edit(request, pk=None):
    campaign = request.campaign
    endpoint = get_object_or_404(ChannelEndpoint, campaign=campaign, pk=pk) if pk else None
    form = ChannelEndpointForm(request.POST or None, instance=endpoint, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            endpoint = form.save()
            AuditEntry.record(
                actor=request.user,
                obj=endpoint,
                action=AuditEntry.Action.UPDATE if pk else AuditEntry.Action.CREATE,
                summary=_("Saved channel %(name)s") % {"name": endpoint.name},
                changes={"fields": form.changed_data},  # names only: never the secrets
            )
        messages.success(request, _("Channel “%(name)s” saved.") % {"name": endpoint.name})
        return redirect("campaign:channel_list")
    return render(request, "campaign/channel_form.html", {"form": form, "endpoint": endpoint})


@page_rule(office_admin)
def delivery_list(request):
    """The delivery log: every attempt to send a notice, newest first (numbers masked)."""
    deliveries = DeliveryFilter(
        request.GET, queryset=Delivery.objects.filter(campaign=request.campaign)
    )
    page = Paginator(deliveries.qs, 50).get_page(request.GET.get("page"))
    template = "campaign/_delivery_table.html" if request.htmx else "campaign/delivery_list.html"
    response = render(request, template, {"filter": deliveries, "page": page})
    response["Vary"] = "HX-Request"
    return response


@page_rule(auditor)
def audit_list(request):
    audit_filter = audit_filter_for(request.user, current_campaign_or_404(request), request.GET)
    page = Paginator(audit_filter.qs, 50).get_page(request.GET.get("page"))
    return render(request, "campaign/audit_list.html", {"filter": audit_filter, "page": page})


@page_rule(auditor)
def audit_export(request):
    return export_response(request, audit_export_for, "csv")


# --- Evaluation systems (测评体系) ------------------------------------------------------------


def _system_or_404(request, pk):
    campaign = current_campaign_or_404(request)
    systems = EvaluationSystem.objects.filter(campaign=campaign).select_related("campaign")
    return get_visible_or_404(request.user, systems, pk=pk)


def _can_edit_standard(user, standard, campaign):
    """Office admins edit every standard; command staff only their command office's."""
    scope = scope_for(user)
    return scope.is_office_admin(campaign) or (
        standard.lead_command_office_id is not None
        and standard.lead_command_office_id in scope.command_office_ids
    )


def _standard_for_edit(request, pk):
    """The standard if the person may edit it: 404 when out of sight, 403 when only readable."""
    standard = get_visible_or_404(
        request.user,
        Standard.objects.select_related("system__campaign", "lead_command_office"),
        pk=pk,
    )
    if not _can_edit_standard(request.user, standard, standard.system.campaign):
        raise PermissionDenied
    return standard


def _scoped_standards(request, system):
    return (
        Standard.objects.visible_to(request.user)
        .current()
        .filter(system=system)
        .select_related("lead_command_office", "lead_unit", "node")
    )


def system_list(request):
    campaign = current_campaign_or_404(request)
    systems = list(EvaluationSystem.objects.visible_to(request.user).filter(campaign=campaign))
    standards = (
        Standard.objects.visible_to(request.user)
        .current()
        .filter(system__in=systems)
        .only("system_id", "points", "assessment", "is_veto", "position")
    )
    scores = scoring.roll_up(standards, key=lambda s: s.system_id)
    vetoes = scoring.roll_up(scoring.failing_veto(standards), key=lambda s: s.system_id)
    for system in systems:
        system.score = scores.get(system.pk, scoring.Score())
        system.missed_pass_mark = scoring.missed_pass_mark(system, system.score)
        system.failing_veto = vetoes.get(system.pk, scoring.Score()).standard_count
    return render(
        request,
        "campaign/system_list.html",
        {"systems": systems, "can_import": scope_for(request.user).is_office_admin(campaign)},
    )


@page_rule(office_admin)
def system_import(request):
    """Upload → preview (tree, diff, unknown units to map) → confirm. Nothing is saved before."""
    campaign = current_campaign_or_404(request)
    form = IndicatorImportForm(
        request.POST or None,
        request.FILES or None,
        campaign=campaign,
        initial={"system": request.GET.get("system")},
    )
    plan = mapping_form = None
    staged = StagedUpload(request, "indicator_import")
    pending = staged.info
    if request.method == "POST" and "confirm" in request.POST:
        data = staged.read()
        if data is None:
            messages.error(request, _("The preview has expired: please upload the file again."))
            return redirect("campaign:system_import")
        system = EvaluationSystem.objects.filter(campaign=campaign, pk=pending["system"]).first()
        plan = read_indicators(data, campaign=campaign, filename=pending["filename"], system=system)
        mapping_form = UnitMappingForm(request.POST, names=plan.unmatched, campaign=campaign)
        if mapping_form.is_valid() and not plan.errors:
            mapping = mapping_form.mapping()
            plan = read_indicators(
                data,
                campaign=campaign,
                filename=pending["filename"],
                mapping=mapping,
                system=system,
            )
            if not plan.all_errors:
                system = apply_indicators(
                    plan,
                    campaign=campaign,
                    actor=request.user,
                    system=system,
                    details=pending["details"],
                    mapping=mapping,
                )
                staged.discard()
                messages.success(
                    request,
                    _("Imported “%(name)s”: %(standards)s standards, %(points)s points.")
                    % {
                        "name": system.name,
                        "standards": len(plan.standards),
                        "points": scoring.format_points(plan.total_points),
                    },
                )
                return redirect(system)
        # The stored file no longer reads cleanly (e.g. a unit was removed since the
        # preview): show the errors with the upload form; otherwise keep the preview.
        form = IndicatorImportForm(campaign=campaign) if plan.errors else None
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        system = form.cleaned_data["system"]
        plan = read_indicators(data, campaign=campaign, filename=upload.name, system=system)
        if not plan.errors:
            staged.stage(
                data,
                filename=upload.name,
                system=system.pk if system else None,
                details=form.details(),
            )
            mapping_form = UnitMappingForm(names=plan.unmatched, campaign=campaign)
            form = None
    return render(
        request,
        "campaign/system_import.html",
        {"form": form, "plan": plan, "mapping_form": mapping_form},
    )


def _tree_rows(nodes, standards, level_names):
    """Flat rows for the tree table: each node with its rolled-up points, then its standards.

    Only nodes with at least one of the given standards below them are shown, so a search
    or a unit person's scope gives a pruned tree.
    """
    by_parent, by_node = {}, {}
    for node in nodes:
        by_parent.setdefault(node.parent_id, []).append(node)
    for standard in standards:
        by_node.setdefault(standard.node_id, []).append(standard)
    rows = []

    def walk(node):
        start = len(rows)
        rows.append(None)  # the node's own row, filled once its total is known
        score = scoring.Score()
        for child in by_parent.get(node.pk, []):
            child_score = walk(child)
            score.points += child_score.points
            score.earned += child_score.earned
            for key, count in child_score.counts.items():
                score.counts[key] += count
        for standard in by_node.get(node.pk, []):
            rows.append({"node": None, "standard": standard, "level": node.level + 1})
            score.add(standard)
        if score.standard_count:
            label = level_names[node.level] if node.level < len(level_names) else ""
            rows[start] = {"node": node, "level": node.level, "score": score, "label": label}
        else:
            del rows[start:]
        return score

    for top in by_parent.get(None, []):
        walk(top)
    return rows


# The columns of a standard's row in the tree (drawn by indicator_tags.tree_rows).
TREE_COLUMNS = [
    "pk", "node_id", "code", "text", "points", "methods", "is_veto", "difficulty",
    "lead_command_office__name", "lead_unit__name", "deadline", "assessment",
]  # fmt: skip


def system_detail(request, pk):
    """The tree: items, [indicators], contents and standards with points rolled up per level."""
    system = _system_or_404(request, pk)
    campaign = system.campaign
    standards = _scoped_standards(request, system)
    standard_filter = StandardFilter(
        request.GET, queryset=standards, request=request, campaign=campaign
    )
    searching = any(request.GET.get(k) for k in standard_filter.filters)

    def tree():
        # Value rows: the tree shows a few columns of hundreds of standards.
        shown = list(standard_filter.qs.values_list(*TREE_COLUMNS, named=True))
        nodes = system.nodes.current().order_by("position")
        nodes = list(nodes.values_list("pk", "parent_id", "level", "code", "name", named=True))
        context = {
            "rows": _tree_rows(nodes, shown, system.level_names),
            "total": scoring.tally(shown),
            "searching": searching,
        }
        return render_to_string("campaign/_system_tree.html", context)  # no context processors

    # The unfiltered tree is drawn once per version of the system (tree_cache says when
    # that changes), language and scope; a search draws its own.
    table = tree() if searching else tree_cache.get_or_render(system, request.user, tree)
    if request.htmx:
        response = HttpResponse(table)
    else:
        context = {
            "system": system,
            "filter": standard_filter,
            "tree": table,
            "can_edit": scope_for(request.user).is_office_admin(campaign),
        }
        response = render(request, "campaign/system_detail.html", context)
    response["Vary"] = "HX-Request"
    return response


def system_edit(request, pk):
    system = _system_or_404(request, pk)
    require_office_admin(request.user, system.campaign)
    form = SystemForm(request.POST or None, instance=system)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            AuditEntry.record(
                actor=request.user,
                obj=system,
                action=AuditEntry.Action.UPDATE,
                summary=_("Saved evaluation system %(name)s") % {"name": system.name},
                changes={"fields": form.changed_data},
            )
        messages.success(request, _("“%(name)s” saved.") % {"name": system.name})
        return redirect(system)
    return render(request, "campaign/system_form.html", {"form": form, "system": system})


def system_export(request, pk):
    """The tree (as far as the person may see it) as an .xlsx workbook that re-imports."""
    system = _system_or_404(request, pk)
    standards = _scoped_standards(request, system).prefetch_related("responsible_units")
    nodes = system.nodes.all()
    return IndicatorTreeExport(system, standards.order_by("position"), nodes).response("xlsx")


def _ancestor_ids(nodes_by_id, node_id):
    ids = []
    while node_id is not None:
        ids.append(node_id)
        node_id = nodes_by_id[node_id].parent_id
    return ids


def system_score(request, pk):
    """The projected score: per level and per command office, points at risk largest first."""
    system = _system_or_404(request, pk)
    campaign = system.campaign
    standards = list(_scoped_standards(request, system).order_by("position"))
    nodes = list(system.nodes.all().order_by("position"))
    nodes_by_id = {n.pk: n for n in nodes}
    total = scoring.tally(standards)
    by_node = scoring.roll_up(standards, key=lambda s: _ancestor_ids(nodes_by_id, s.node_id))
    levels = [
        {
            "name": name,
            "rows": [(n, by_node[n.pk]) for n in nodes if n.level == depth and n.pk in by_node],
        }
        for depth, name in enumerate(system.level_names)
    ]
    by_office = scoring.roll_up(standards, key=lambda s: s.lead_command_office)
    offices = sorted(by_office.items(), key=lambda item: (item[0] is None, -item[1].at_risk))
    # Alerts cover every system of the campaign: a missed minors' pass mark shows on each page.
    others_standards = list(
        Standard.objects.visible_to(request.user)
        .current()
        .filter(system__campaign=campaign)
        .exclude(system=system)
        .select_related("system")
    )
    other_scores = scoring.roll_up(others_standards, key=lambda s: s.system_id)
    system_scores = [
        (other, total if other.pk == system.pk else other_scores.get(other.pk, scoring.Score()))
        for other in EvaluationSystem.objects.visible_to(request.user).filter(campaign=campaign)
    ]
    all_standards = standards + others_standards
    return render(
        request,
        "campaign/score_system.html",
        {
            "system": system,
            "total": total,
            "levels": levels,
            "offices": offices,
            "risks": scoring.risks(standards),
            "failing_veto": scoring.failing_veto(all_standards),
            "missed_pass_marks": [
                (s, score) for s, score in system_scores if scoring.missed_pass_mark(s, score)
            ],
            "partial_credit": [
                (label, scoring.PARTIAL_CREDIT[value] * 100)
                for value, label in Standard.Assessment.choices
            ],
        },
    )


def evidence_archive(request, pk):
    """Completeness of the evidence archive (软件资料) of document-review standards."""
    system = _system_or_404(request, pk)
    standards = list(
        _scoped_standards(request, system)
        .filter(methods__icontains=f'"{Standard.Method.DOCUMENT_REVIEW}"')
        .annotate(
            evidence_count=Count("evidence", filter=Q(evidence__removed_at__isnull=True)),
            captioned_count=Count(
                "evidence",
                filter=Q(evidence__removed_at__isnull=True)
                & ~Q(evidence__subject="")
                & Q(evidence__taken_on__isnull=False)
                & ~Q(evidence__place="")
                & ~Q(evidence__people=""),
            ),
        )
        .order_by("position")
    )
    offices = {}
    for standard in standards:
        standard.is_complete = standard.captioned_count >= max(standard.evidence_required, 1)
        row = offices.setdefault(
            standard.lead_command_office,
            {"office": standard.lead_command_office, "total": 0, "complete": 0},
        )
        row["total"] += 1
        row["complete"] += standard.is_complete
    for row in offices.values():
        row["percent"] = round(row["complete"] * 100 / row["total"])
    complete = sum(s.is_complete for s in standards)
    return render(
        request,
        "campaign/evidence_archive.html",
        {
            "system": system,
            "standards": standards,
            "offices": sorted(offices.values(), key=lambda r: (r["office"] is None, r["percent"])),
            "complete": complete,
            "percent": round(complete * 100 / len(standards)) if standards else 0,
        },
    )


def standard_detail(request, pk):
    standard = get_visible_or_404(
        request.user,
        Standard.objects.select_related(
            "system__campaign",
            "node__parent__parent",
            "lead_command_office",
            "lead_unit",
            "assessed_by",
        ),
        pk=pk,
    )
    campaign = standard.system.campaign
    scope = scope_for(request.user)
    can_edit = _can_edit_standard(request.user, standard, campaign)
    ancestors, node = [], standard.node
    while node is not None:
        ancestors.insert(0, node)
        node = node.parent
    return render(
        request,
        "campaign/standard_detail.html",
        {
            "standard": standard,
            "system": standard.system,
            "ancestors": ancestors,
            "responsible_units": standard.responsible_units.visible_to(request.user),
            "responsible_count": standard.responsible_units.count(),
            "can_edit": can_edit,
            "can_upload": can_edit or _may_upload_evidence(scope, standard, campaign),
            "assessment_form": AssessmentForm(
                initial={"status": standard.assessment, "note": standard.assessment_note}
            ),
            "evidence_form": EvidenceForm(),
            "evidence": standard.evidence.active().select_related("uploaded_by"),
            "events": standard.assessment_events.select_related("actor")[:20],
            "earned": scoring.earned(standard.points, standard.assessment),
            "history": AuditEntry.for_object(standard)[:10],
        },
    )


def _may_upload_evidence(scope, standard, campaign):
    """Units that lead or share a standard keep its evidence too (not read-only people)."""
    if scope.is_read_only(campaign):
        return False
    units = [standard.lead_unit, *standard.responsible_units.all()]
    return any(unit is not None and scope.acts_for_unit(unit) for unit in units)


def standard_edit(request, pk):
    standard = _standard_for_edit(request, pk)
    campaign = standard.system.campaign
    form = StandardPlanForm(
        request.POST or None,
        instance=standard,
        campaign=campaign,
        can_move_office=scope_for(request.user).is_office_admin(campaign),
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            AuditEntry.record(
                actor=request.user,
                obj=standard,
                campaign=campaign,
                action=AuditEntry.Action.UPDATE,
                summary=_("Saved standard %(code)s") % {"code": standard.code},
                changes={"fields": form.changed_data},
            )
        messages.success(request, _("Standard %(code)s saved.") % {"code": standard.code})
        return redirect(standard)
    return render(request, "campaign/standard_form.html", {"form": form, "standard": standard})


@require_POST
def standard_assess(request, pk):
    standard = _standard_for_edit(request, pk)
    form = AssessmentForm(request.POST)
    if form.is_valid():
        standard.assess(
            actor=request.user, status=form.cleaned_data["status"], note=form.cleaned_data["note"]
        )
        messages.success(
            request,
            _("Self-assessment saved: %(status)s.") % {"status": standard.get_assessment_display()},
        )
    else:
        messages.error(request, _("Choose a self-assessment status."))
    return redirect(standard)


@require_POST
def evidence_upload(request, pk):
    standard = get_visible_or_404(
        request.user, Standard.objects.select_related("system__campaign", "lead_unit"), pk=pk
    )
    campaign = standard.system.campaign
    require_not_read_only(request.user, campaign)
    if not (
        _can_edit_standard(request.user, standard, campaign)
        or _may_upload_evidence(scope_for(request.user), standard, campaign)
    ):
        raise PermissionDenied
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["upload"]
        with transaction.atomic():
            evidence = form.save(commit=False)
            evidence.standard = standard
            evidence.kind = Evidence.Kind.IMAGE if form.kind == "image" else Evidence.Kind.DOCUMENT
            evidence.original_name = Path(upload.name).name[:200]
            evidence.uploaded_by = request.user
            evidence.file.save(upload.name, upload, save=False)
            evidence.save()
            AuditEntry.record(
                actor=request.user,
                obj=standard,
                campaign=campaign,
                action=AuditEntry.Action.CREATE,
                summary=_("Added evidence “%(name)s”") % {"name": evidence},
            )
        messages.success(request, _("Evidence “%(name)s” added.") % {"name": evidence})
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return HttpResponseRedirect(f"{standard.get_absolute_url()}#evidence")


def evidence_file(request, pk):
    evidence = get_visible_or_404(request.user, Evidence.objects.active(), pk=pk)
    return private_file_response(evidence.file, filename=evidence.original_name)


@require_POST
def evidence_remove(request, pk):
    evidence = get_visible_or_404(
        request.user, Evidence.objects.active().select_related("standard__system__campaign"), pk=pk
    )
    standard = evidence.standard
    campaign = standard.system.campaign
    if not (
        _can_edit_standard(request.user, standard, campaign)
        or (
            evidence.uploaded_by_id == request.user.pk
            and not scope_for(request.user).is_read_only(campaign)
        )
    ):
        raise PermissionDenied
    with transaction.atomic():
        evidence.removed_at = timezone.now()
        evidence.save(update_fields=["removed_at"])
        AuditEntry.record(
            actor=request.user,
            obj=standard,
            campaign=campaign,
            action=AuditEntry.Action.DELETE,
            summary=_("Removed evidence “%(name)s”") % {"name": evidence},
        )
    messages.success(request, _("Evidence removed."))
    return HttpResponseRedirect(f"{standard.get_absolute_url()}#evidence")
