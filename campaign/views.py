import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .access import get_visible_or_404, require_office_admin, scope_for
from .filters import UnitFilter
from .forms import (
    CommandOfficeForm,
    LoginForm,
    MembershipForm,
    OrganisationImportForm,
    PersonForm,
    UnitForm,
)
from .middleware import SESSION_KEY
from .models import (
    AuditEntry,
    Campaign,
    CommandOffice,
    Membership,
    Notification,
    Person,
    Role,
    Unit,
)
from .services import apply_organisation, read_organisation


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


def _campaign_or_404(request):
    if request.campaign is None:
        raise Http404
    return request.campaign


# --- Units -----------------------------------------------------------------------------


def unit_tree(request):
    campaign = _campaign_or_404(request)
    units = (
        Unit.objects.visible_to(request.user)
        .filter(campaign=campaign)
        .select_related("parent")
        .annotate(people_count=Count("memberships", distinct=True))
        .order_by("path")  # Meta.ordering is dropped in GROUP BY queries
    )
    unit_filter = UnitFilter(request.GET, queryset=units, request=request)
    page = Paginator(unit_filter.qs, 200).get_page(request.GET.get("page"))
    context = {
        "filter": unit_filter,
        "page": page,
        "searching": unit_filter.is_bound and any(request.GET.get(k) for k in ("q", "kind")),
        "can_edit": scope_for(request.user).is_office_admin(campaign),
    }
    template = "campaign/_unit_table.html" if request.htmx else "campaign/unit_tree.html"
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


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
    campaign = _campaign_or_404(request)
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
    campaign = _campaign_or_404(request)
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
    campaign = _campaign_or_404(request)
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


def person_list(request):
    campaign = _campaign_or_404(request)
    require_office_admin(request.user, campaign)
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


def person_edit(request, pk=None):
    campaign = _campaign_or_404(request)
    require_office_admin(request.user, campaign)
    person = _person_in_campaign_or_404(campaign, pk) if pk else None
    form = PersonForm(request.POST or None, instance=person, prefix="person")
    membership_form = MembershipForm(
        request.POST or None, campaign=campaign, user=request.user, prefix="role"
    )
    if request.method == "POST" and form.is_valid() and (pk or membership_form.is_valid()):
        with transaction.atomic():
            person = form.save()
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
                changes={"fields": [f for f in form.changed_data if f != "password"]},
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


def person_detail(request, pk):
    campaign = _campaign_or_404(request)
    require_office_admin(request.user, campaign)
    person = _person_in_campaign_or_404(campaign, pk)
    form = MembershipForm(request.POST or None, campaign=campaign, user=request.user)
    if request.method == "POST":
        form.instance.person = person
        if form.is_valid():
            with transaction.atomic():
                membership = form.save()
                AuditEntry.record(
                    actor=request.user,
                    obj=person,
                    campaign=campaign,
                    action=AuditEntry.Action.UPDATE,
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
            "form": form,
            "history": AuditEntry.for_object(person)[:20],
        },
    )


@require_POST
def membership_remove(request, pk):
    campaign = _campaign_or_404(request)
    require_office_admin(request.user, campaign)
    membership = get_object_or_404(
        Membership.objects.select_related("person"), pk=pk, campaign=campaign
    )
    with transaction.atomic():
        AuditEntry.record(
            actor=request.user,
            obj=membership.person,
            campaign=campaign,
            action=AuditEntry.Action.UPDATE,
            summary=_("Removed the role: %(role)s") % {"role": membership},
        )
        membership.delete()
    messages.success(request, _("Role removed."))
    return redirect("campaign:person_detail", pk=membership.person_id)


# --- Organisation import --------------------------------------------------------------------

IMPORT_SESSION_KEY = "organisation_import"


def _import_dir():
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def organisation_import(request):
    """Upload a workbook, see what it would do, then confirm: nothing is written before that."""
    campaign = _campaign_or_404(request)
    require_office_admin(request.user, campaign)
    form = OrganisationImportForm(request.POST or None, request.FILES or None)
    plan = None
    if request.method == "POST" and "confirm" in request.POST:
        token = request.session.get(IMPORT_SESSION_KEY)
        stored = _import_dir() / f"{token}.xlsx" if token else None
        if not stored or not stored.exists():
            messages.error(request, _("The preview has expired: please upload the file again."))
            return redirect("campaign:organisation_import")
        plan = read_organisation(stored.read_bytes(), campaign=campaign)
        if not plan.errors:
            counts = apply_organisation(plan, campaign=campaign, actor=request.user)
            stored.unlink(missing_ok=True)
            del request.session[IMPORT_SESSION_KEY]
            messages.success(
                request,
                _(
                    "Import finished: %(create)s units added, %(update)s changed, "
                    "%(unchanged)s unchanged."
                )
                % counts,
            )
            return redirect("campaign:unit_tree")
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read()
        plan = read_organisation(data, campaign=campaign, filename=form.cleaned_data["file"].name)
        if not plan.errors:
            token = uuid.uuid4().hex
            (_import_dir() / f"{token}.xlsx").write_bytes(data)
            request.session[IMPORT_SESSION_KEY] = token
    return render(request, "campaign/organisation_import.html", {"form": form, "plan": plan})


def notification_list(request):
    """The person's own messages, newest first; opening the page marks them read."""
    notifications = Notification.objects.filter(recipient=request.user)
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    unread_ids = [n.pk for n in page if n.read_at is None]
    response = render(
        request, "campaign/notification_list.html", {"page": page, "unread_ids": unread_ids}
    )
    Notification.objects.filter(pk__in=unread_ids).update(read_at=timezone.now())
    return response


def audit_list(request):
    campaign = _campaign_or_404(request)
    require_office_admin(request.user, campaign)
    entries = AuditEntry.objects.filter(campaign=campaign).select_related("actor")
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "campaign/audit_list.html", {"page": page})
