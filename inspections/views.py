"""The ledger's pages: thin views that fetch through the scope (404 out of scope, 403
read-only), validate a form and call one `Finding` method or service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from campaign.access import (
    AnyOf,
    current_campaign_or_404,
    get_visible_or_404,
    office_admin,
    page_rule,
    scope_for,
)
from campaign.actions import act
from campaign.documents import MIME_DOCX, document_response
from campaign.exports import export_response
from campaign.models import AuditEntry, Campaign, Unit
from campaign.pagination import get_page
from campaign.ratelimit import too_many_attempts
from campaign.request_context import client_ip
from campaign.services import submit_once
from campaign.transitions import DomainError, allowed_actions
from campaign.uploads import import_page, private_file_response

from . import services
from .exports import ledger_export, notice_filename, render_notice_docx, render_notice_pdf
from .filters import TO_DO, ledger_filter, to_do, to_do_keys
from .forms import (
    AssignForm,
    CategoryForm,
    CitizenReportForm,
    DecideDisputeForm,
    FindingForm,
    FindingImportForm,
    InspectionForm,
    InterviewForm,
    LedgerSettingsForm,
    NoteForm,
    Open311KeyForm,
    PhotoPublicityForm,
    ReasonForm,
    RectificationForm,
    RelapseForm,
    SuperviseForm,
    VerifyForm,
)
from .models import (
    ENDED,
    OPEN,
    Finding,
    FindingCategory,
    FindingPhoto,
    Inspection,
    Interview,
    LedgerSettings,
    Open311Key,
    Severity,
    Status,
    SupervisionOrder,
)
from .permissions import UNIT_ACTIONS, can_log, hides_checkers

# The ledger counts closed and voided findings up to this many, then says "1000+" (the
# dashboard has the totals, from the weekly snapshots): counting up to 10,000 read a district's
# history at city size (29 ms) and grew with it.
COUNT_CAP = 1_000
# Citizen reports: at most this many per address (IP) per hour.
CITIZEN_REPORTS_PER_HOUR = 5
# Follow-up links: views per address (IP) per hour.
FOLLOW_VIEWS_PER_HOUR = 60
# A form posted again with the same one-time token (double click, retry).
ALREADY_SENT = _lazy("This form was already sent: nothing was saved twice.")


def _int(value):
    """A query parameter as an id, or 0 (matches nothing) when it is not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _htmx_or_page(request, partial, page, context):
    response = render(request, partial if request.htmx else page, context)
    response["Vary"] = "HX-Request"
    return response


# --- The ledger ---------------------------------------------------------------------------

# The inbox shows the most urgent of each kind of work; the rest are in the ledger under
# its to-do filter (a phone page of several hundred cards helped nobody).
INBOX_SHOWN = 30
# The inbox's sections in the order they are worked, each sorted most urgent first.
INBOX_ORDER = {
    "acknowledge": ["deadline", "pk"],
    "rectify": ["deadline", "pk"],
    "disputed": ["deadline", "pk"],
    "waiting": ["deadline", "pk"],
    "verify": ["submitted_at", "pk"],
    "triage": ["created_at", "pk"],
    "decide": ["pk"],
}


# The columns the ledger's rows show (ledger_tags.finding_rows), read as values: thirty rows
# as dicts, not thirty findings with four related objects each.
ROW_VALUES = [
    "pk", "found_on", "severity", "description", "address", "deadline", "status",
    "supervision_level", "relapse_of_id", "category__name", "unit__name", "territory__name",
    "standard__code",
]  # fmt: skip


# The columns a finding's card shows (ledger_tags.finding_cards), read as values.
CARD_VALUES = [
    "pk", "found_on", "address", "description", "deadline", "status", "supervision_level",
    "relapse_of_id", "channel", "category__name", "unit__name",
]  # fmt: skip


def _ledger_queryset(request, campaign):
    return Finding.objects.visible_to(request.user).filter(campaign=campaign)


def _ledger_filter(request, campaign):
    return ledger_filter(request.user, campaign, request.GET)


# Filters that read only what the counts indexes of a unit person's ways hold (the status,
# the deadline), and the sort, which no count reads: with no other filter asked, the counts
# are read way by way (`FindingQuerySet.status_counts(seen_by=…)`).
COUNTED_APART = {"status", "overdue", "sort"}


def _in_order_of(findings, ids):
    """The findings of `ids` (a queryset of ids, or a list) in the order of the list
    `findings`."""
    order = findings.query.order_by or Finding._meta.ordering
    chosen = AnyOf("pk", ids) if isinstance(ids, list) else Q(pk__in=ids)
    return Finding.objects.filter(chosen).order_by(*order)


def _read_rows_by_id(page, findings, values):
    """`page` (of `findings`' ids) given its rows, read by id in the list's order as `values`
    dicts: a list chooses a page's ids in an index that holds the scope's columns, without
    reading a row of the findings it passes over."""
    page.object_list = list(_in_order_of(findings, page.object_list).values(*values))


def finding_list(request):
    """The ledger: every visible finding, filtered, sorted, counted, paginated."""
    campaign = current_campaign_or_404(request)
    ledger_filter = _ledger_filter(request, campaign)
    filtered = ledger_filter.qs
    today = timezone.localdate()
    counted_apart = ledger_filter.asked() <= COUNTED_APART
    matched = None
    if counted_apart:
        # Counted way by way, each way from its own index, which holds what these filters
        # read, or summed from the tally the database keeps (FindingFilter.status_counts).
        counts, overdue_count = ledger_filter.status_counts(on=today, cap=COUNT_CAP)
    else:
        # Other filters have indexes of their own (the search its trigrams), which the
        # planner may use on the scoped findings read once.
        counts, overdue_count, matched = filtered.status_counts(
            on=today, cap=COUNT_CAP, statuses=ledger_filter.counted_statuses(), ids=True
        )
    # A capped count reads one past the cap (so it knows there are more) and shows "1000+".
    capped = [s for s in ENDED if counts[s] > COUNT_CAP]
    shown = {**counts, **dict.fromkeys(capped, f"{COUNT_CAP}+")}
    chosen = filtered
    if matched is not None:
        # Few findings match, and the counts have just read them all (found by their own
        # filter's index, a search's trigrams): the page is chosen among their ids, sorted.
        # Chosen in the ledger's order, the planner walked the ledger_scope index until
        # thirty had passed, a row read for each finding passed over (a district's search
        # at city size: 26,000 rows for 352 matches, 54 ms, and growing with the table);
        # found again by the filter, a street's matches were planned and read twice (2.2 ms
        # of its 15 ms search).
        chosen = _in_order_of(filtered, matched)
    paginator = Paginator(chosen.values("pk"), 30)
    paginator.count = sum(counts.values())
    page = paginator.get_page(request.GET.get("page"))
    # The page's ids are chosen first, reading only the ledger_scope index (which holds the
    # scope's columns), then its rows are read by id, in one query. Choosing rows as they
    # were read walked a street's findings newest first through the heap, a row for each
    # finding of the city passed over (page 5 at city size: 12,000 rows, 17 ms).
    _read_rows_by_id(page, chosen, ROW_VALUES)
    context = {
        "filter": ledger_filter,
        "page": page,
        "counts": [(value, label, shown.get(value, 0)) for value, label in Status.choices],
        "total": f"{paginator.count - len(capped)}+" if capped else paginator.count,
        "overdue_count": overdue_count,
        "today": today,
    }
    return _htmx_or_page(
        request, "inspections/_finding_table.html", "inspections/finding_list.html", context
    )


def finding_export(request):
    """The filtered ledger as an Excel workbook (or CSV): made here when small, else by a
    worker, with the person sent to the job's page."""
    return export_response(request, ledger_export, request.GET.get("format", "xlsx"))


def finding_inbox(request):
    """What waits for me: a unit's findings to act on, an inspector's to verify."""
    campaign = current_campaign_or_404(request)
    visible = _ledger_queryset(request, campaign)
    sections, more = [], set()
    for key, order in INBOX_ORDER.items():
        if key in to_do_keys(request.user, campaign):
            # One more than is shown says whether the ledger's to-do filter holds more.
            items = list(
                to_do(visible, key, request.user, campaign)
                .order_by(*order)
                .values(*CARD_VALUES)[: INBOX_SHOWN + 1]
            )
            if len(items) > INBOX_SHOWN:
                more.add(key)
            sections.append((key, TO_DO[key], items[:INBOX_SHOWN]))
    return render(
        request,
        "inspections/finding_inbox.html",
        {"sections": sections, "more": more, "today": timezone.localdate()},
    )


# The columns the supervision list's rows show (ledger_tags.supervision_rows), read as values.
SUPERVISION_VALUES = [
    "pk", "found_on", "address", "deadline", "status", "supervision_level", "category__name",
    "unit__name",
]  # fmt: skip


def supervision_list(request):
    """Findings under supervision, with their numbered orders, open ones first."""
    campaign = current_campaign_or_404(request)
    findings = (
        _ledger_queryset(request, campaign)
        .filter(supervision_level__gt=0)
        .order_by("-supervision_level", "deadline", "pk")
    )
    show = request.GET.get("show", "open")
    if show == "open":
        findings = findings.filter(status__in=OPEN)
    # The page's ids first, from the supervised findings' index (which holds the scope's
    # columns), then their rows by id, as the ledger reads its page.
    page = get_page(
        findings.values_list("pk", flat=True), 50, request.GET.get("page"), counted=findings
    )
    _read_rows_by_id(page, findings, SUPERVISION_VALUES)
    orders = {row["pk"]: [] for row in page.object_list}
    for order in (
        SupervisionOrder.objects.filter(finding_id__in=orders)
        .order_by("level")
        .values("pk", "finding_id", "year", "sequence")
    ):
        orders[order["finding_id"]].append(order)
    for row in page.object_list:
        row["orders"] = orders[row["pk"]]
    return render(
        request,
        "inspections/supervision_list.html",
        {"page": page, "show": show, "today": timezone.localdate()},
    )


# --- One finding ----------------------------------------------------------------------------


def _finding_or_404(request, pk):
    # Not joined: the inspection and the relapsed finding, which most findings do not have
    # (an empty link costs no query) and which the page reads once when they do. Each join
    # about doubled the time PostgreSQL spent choosing the query's plan: with both, 4.1 ms
    # of planning for 0.2 ms of reading at city size; without, 1.4 ms.
    return get_visible_or_404(
        request.user,
        Finding.objects.select_related(
            "campaign", "category", "unit", "territory", "standard", "created_by"
        ).prefetch_related("supervision_orders"),
        pk=pk,
    )


def _action_forms(finding, actions, data=None, files=None, bound=None):
    """The forms the page offers, with the one just posted (bound) in place of its blank twin."""
    version = {"version": finding.version}
    forms = {
        "assign": AssignForm(initial=version, finding=finding),
        "acknowledge": NoteForm(initial=version),
        "submit": RectificationForm(initial=version),
        "dispute": ReasonForm(initial=version),
        "verify": VerifyForm(initial=version),
        "decide": DecideDisputeForm(initial=version, finding=finding),
        "void": ReasonForm(initial=version),
        "supervise": SuperviseForm(initial=version, finding=finding),
        "interview": InterviewForm(initial=version),
        "relapse": RelapseForm(),
    }
    if bound:
        forms[bound[0]] = bound[1]
    offered = {name: form for name, form in forms.items() if name in actions}
    for name, form in offered.items():
        # One page shows several of these forms: their fields' ids must not collide (id_note).
        form.auto_id = f"id_{name}_%s"
    return offered


def finding_detail(request, pk, bound=None, status=200):
    finding = _finding_or_404(request, pk)
    actions = allowed_actions(request.user, finding)
    if scope_for(request.user).is_read_only(finding.campaign):
        actions = set()
    photos = list(finding.photos.all())
    events = list(finding.events.select_related("actor").prefetch_related("photos"))
    checkers_hidden = hides_checkers(request.user, finding)
    for event in events:
        event.actor_hidden = checkers_hidden and event.action not in UNIT_ACTIONS
    context = {
        "finding": finding,
        "before_photos": [p for p in photos if p.kind == FindingPhoto.Kind.BEFORE],
        "after_photos": [p for p in photos if p.kind != FindingPhoto.Kind.BEFORE],
        "events": events,
        "forms": _action_forms(finding, actions, bound=bound),
        "orders": finding.supervision_orders.all(),
        "relapses": finding.relapses.all(),
        "overdue": finding.is_overdue(),
        # Inspection records and a citizen's name and phone are for the office and inspectors.
        "office_view": can_log(request.user, finding.campaign),
        # The office decides which photos the public sees (Open311, the follow-up link).
        "photo_admin": office_admin(request.user, finding.campaign),
        # Why there is no 交办 button: the finding's sampling round is not released yet.
        "held_back": finding.withheld_round()
        if finding.status == Status.REGISTERED and can_log(request.user, finding.campaign)
        else None,
        "checkers_hidden": checkers_hidden,
        "today": timezone.localdate(),
    }
    return render(request, "inspections/finding_detail.html", context, status=status)


def _act(request, pk, name, form_class, perform, *, needs_finding=False, files=False):
    """A finding's action view: the shared `campaign.actions.act` on this finding's page."""
    finding = _finding_or_404(request, pk)
    kwargs = {"finding": finding} if needs_finding else {}
    return act(
        request,
        finding,
        name,
        form=form_class(request.POST, request.FILES if files else None, **kwargs),
        perform=lambda data: perform(finding, data),
        page=lambda form: finding_detail(request, pk, bound=(name, form)),
        success=lambda message: message,
    )


@require_POST
def finding_assign(request, pk):
    def perform(finding, data):
        finding.assign(
            actor=request.user,
            unit=data["unit"],
            deadline=data["deadline"],
            note=data["note"],
            category=data["category"],
            severity=data["severity"],
            territory=data["territory"],
            expected_version=data["version"],
        )
        return _("Assigned to %(unit)s, deadline %(date)s.") % {
            "unit": finding.unit,
            "date": finding.deadline,
        }

    return _act(request, pk, "assign", AssignForm, perform, needs_finding=True)


@require_POST
def finding_acknowledge(request, pk):
    def perform(finding, data):
        finding.acknowledge(actor=request.user, note=data["note"], expected_version=data["version"])
        return _("Acknowledged: the rectification has started.")

    return _act(request, pk, "acknowledge", NoteForm, perform)


@require_POST
def finding_submit(request, pk):
    def perform(finding, data):
        _result, first = submit_once(
            token=data["form_token"],
            person=request.user,
            create=lambda: finding.submit_rectification(
                actor=request.user,
                measures=data["measures"],
                photos=data["photos"],
                expected_version=data["version"],
            ),
        )
        return _("Rectification submitted for verification.") if first else ALREADY_SENT

    return _act(request, pk, "submit", RectificationForm, perform, files=True)


@require_POST
def finding_verify(request, pk):
    def perform(finding, data):
        finding.verify(
            actor=request.user,
            passed=data["passed"],
            note=data["note"],
            photos=data["photos"],
            expected_version=data["version"],
        )
        if data["passed"]:
            return _("Verified: the finding is closed off (销号).")
        return _("Not passed: the finding went back to the unit.")

    return _act(request, pk, "verify", VerifyForm, perform, files=True)


@require_POST
def finding_dispute(request, pk):
    def perform(finding, data):
        finding.dispute(actor=request.user, reason=data["note"], expected_version=data["version"])
        return _("Dispute sent to the creation office. The deadline keeps running.")

    return _act(request, pk, "dispute", ReasonForm, perform)


@require_POST
def finding_decide(request, pk):
    def perform(finding, data):
        finding.decide_dispute(
            actor=request.user,
            upheld=data["upheld"],
            unit=data["unit"],
            note=data["note"],
            expected_version=data["version"],
        )
        return _("Decision recorded.")

    return _act(request, pk, "decide", DecideDisputeForm, perform, needs_finding=True)


@require_POST
def finding_void(request, pk):
    def perform(finding, data):
        finding.void(actor=request.user, reason=data["note"], expected_version=data["version"])
        return _("The finding is voided.")

    return _act(request, pk, "void", ReasonForm, perform)


@require_POST
def finding_supervise(request, pk):
    def perform(finding, data):
        event = finding.supervise(
            actor=request.user,
            level=data["level"],
            note=data["note"],
            expected_version=data["version"],
        )
        return _("Supervision order issued: %(number)s.") % {"number": event.data.get("number", "")}

    return _act(request, pk, "supervise", SuperviseForm, perform, needs_finding=True)


@require_POST
def finding_interview(request, pk):
    def perform(finding, data):
        finding.record_interview(
            actor=request.user,
            interviewees=data["interviewees"],
            conducted_by=data["conducted_by"],
            held_at=data["held_at"],
            place=data["place"],
            outcome=data["outcome"],
            attachment=data["attachment"],
            expected_version=data["version"],
        )
        return _("The interview (约谈) is recorded in the finding's history.")

    return _act(request, pk, "interview", InterviewForm, perform, files=True)


def interview_attachment(request, pk):
    """An interview's attached record, after checking the person may see the finding."""
    interview = get_visible_or_404(request.user, Interview.objects.exclude(attachment=""), pk=pk)
    return private_file_response(interview.attachment)


def supervision_notice(request, pk, fmt):
    """督办通知单: the order's printable notice as PDF or .docx, for anyone who may see the
    finding (the unit prints it too); every download is audited."""
    order = get_visible_or_404(
        request.user,
        SupervisionOrder.objects.select_related(
            "campaign", "finding__unit", "finding__standard", "finding__campaign"
        ),
        pk=pk,
    )
    if fmt == "pdf":
        content, content_type = render_notice_pdf(order), "application/pdf"
    else:
        content, content_type = render_notice_docx(order), MIME_DOCX
    return document_response(
        content,
        filename=notice_filename(order, f".{fmt}"),
        content_type=content_type,
        obj=order,
        actor=request.user,
    )


@require_POST
def finding_relapse(request, pk):
    finding = _finding_or_404(request, pk)
    return act(
        request,
        finding,
        "relapse",
        form=RelapseForm(request.POST, request.FILES),
        perform=lambda data: finding.record_relapse(
            actor=request.user, description=data["description"], photos=data["photos"]
        ),
        page=lambda form: finding_detail(request, pk, bound=("relapse", form)),
        success=lambda new: (
            _("Relapse recorded as finding %(code)s and handed to %(unit)s.")
            % {"code": new.code, "unit": new.unit}
        ),
    )


def photo_file(request, pk, size="full"):
    """A finding's photo, after checking the person may see the finding."""
    photo = get_object_or_404(
        FindingPhoto.objects.filter(finding__in=Finding.objects.visible_to(request.user)), pk=pk
    )
    return private_file_response(photo.thumbnail if size == "thumb" else photo.image)


@require_POST
def photo_publicity(request, pk):
    """The office marks a photo public (Open311's media_url, the citizen's follow-up page)
    or private. Idempotent; 404 outside the person's findings, 403 for anyone but the office."""
    photo = get_object_or_404(
        FindingPhoto.objects.filter(
            finding__in=Finding.objects.visible_to(request.user)
        ).select_related("finding__campaign"),
        pk=pk,
    )
    finding = photo.finding
    if not office_admin(request.user, finding.campaign):
        raise PermissionDenied
    form = PhotoPublicityForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing was saved: choose public or private."))
        return finding_detail(request, finding.pk, status=400)
    public = form.cleaned_data["public"] == "public"
    photo.set_public(public, actor=request.user)
    messages.success(
        request,
        _("The photo is public: Open311 and the citizen's follow-up link show it.")
        if public
        else _("The photo is private: only the campaign's people see it."),
    )
    return redirect(finding.get_absolute_url() + "#photos")


# --- Logging findings ------------------------------------------------------------------------


@page_rule(can_log)
def finding_create(request):
    """Field entry on a phone: description, category, place, photos — and hand it over."""
    campaign = current_campaign_or_404(request)
    services.ensure_categories(campaign)
    inspection = None
    if request.GET.get("inspection") or request.POST.get("inspection"):
        inspection = get_visible_or_404(
            request.user,
            Inspection.objects.filter(campaign=campaign),
            pk=_int(request.GET.get("inspection") or request.POST.get("inspection")),
        )
    form = FindingForm(
        request.POST or None,
        request.FILES or None,
        campaign=campaign,
        user=request.user,
        inspection=inspection,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            finding, first = submit_once(
                token=data["form_token"],
                person=request.user,
                create=lambda: services.log_finding(
                    campaign=campaign,
                    actor=request.user,
                    photos=data["photos"],
                    assign_to=data["unit"] if data["assign_now"] else None,
                    deadline=data["deadline"],
                    **form.finding_values(),
                ),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if not first:
                messages.info(request, ALREADY_SENT)
                return redirect(finding)
            duplicates = _near_duplicates(finding).exclude(pk=finding.pk)
            if duplicates:
                messages.warning(
                    request,
                    _("Note: open findings of the same category are nearby: %(codes)s.")
                    % {"codes": "、".join(f.code for f in duplicates[:5])},
                )
            messages.success(request, _("Finding %(code)s logged.") % {"code": finding.code})
            if "another" in request.POST:
                url = request.path + (f"?inspection={inspection.pk}" if inspection else "")
                return redirect(url)
            return redirect(finding)
    return render(
        request, "inspections/finding_form.html", {"form": form, "inspection": inspection}
    )


def _near_duplicates(finding):
    return Finding.objects.near_duplicates(
        campaign=finding.campaign,
        category=finding.category,
        address=finding.address,
        latitude=finding.latitude,
        longitude=finding.longitude,
    ).select_related("unit")


def finding_nearby(request):
    """htmx: open findings of the same category at the same address or within 50 m."""
    campaign = current_campaign_or_404(request)
    category = FindingCategory.objects.filter(
        campaign=campaign, pk=_int(request.GET.get("category"))
    ).first()
    duplicates = []
    if category is not None:

        def number(name):
            try:
                return float(request.GET.get(name, ""))
            except ValueError:
                return None

        duplicates = (
            Finding.objects.visible_to(request.user)
            .near_duplicates(
                campaign=campaign,
                category=category,
                address=request.GET.get("address", ""),
                latitude=number("latitude"),
                longitude=number("longitude") if number("latitude") is not None else None,
            )
            .select_related("unit")[:5]
        )
    return render(request, "inspections/_nearby.html", {"duplicates": duplicates})


@page_rule(can_log)
def finding_suggest(request):
    """htmx: the suggested unit and deadline for a category, area and severity (for the
    people who log findings; it names only units they may see)."""
    campaign = current_campaign_or_404(request)
    category = (
        FindingCategory.objects.filter(campaign=campaign, pk=_int(request.GET.get("category")))
        .select_related("department")
        .first()
    )
    units = Unit.objects.visible_to(request.user).filter(campaign=campaign)
    territory = units.filter(pk=_int(request.GET.get("territory"))).first()
    unit = Finding.suggest_unit(category, territory)
    if unit is not None and not units.filter(pk=unit.pk).exists():
        unit = None
    severity = request.GET.get("severity")
    deadline = Finding.deadline_for(campaign, severity) if severity in Severity.values else None
    return render(request, "inspections/_suggestion.html", {"unit": unit, "deadline": deadline})


# --- Inspections -----------------------------------------------------------------------------


def inspection_list(request):
    campaign = current_campaign_or_404(request)
    inspections = (
        Inspection.objects.visible_to(request.user)
        .filter(campaign=campaign)
        .select_related("area", "created_by")
        .annotate(
            finding_count=Count("findings"),
            open_count=Count("findings", filter=Q(findings__status__in=OPEN)),
        )
        .order_by("-date", "-pk")
    )
    page = Paginator(inspections, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "inspections/inspection_list.html",
        {"page": page},
    )


@page_rule(can_log)
def inspection_create(request):
    campaign = current_campaign_or_404(request)
    form = InspectionForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        form.instance.created_by = request.user
        with transaction.atomic():
            inspection = form.save()
            AuditEntry.record(
                actor=request.user,
                action=AuditEntry.Action.CREATE,
                obj=inspection,
                summary=_("Recorded the inspection %(inspection)s") % {"inspection": inspection},
            )
        messages.success(request, _("Inspection saved: now log what you find."))
        return redirect(f"{_url('inspections:finding_create')}?inspection={inspection.pk}")
    return render(request, "inspections/inspection_form.html", {"form": form})


def _url(name, *args):
    from django.urls import reverse

    return reverse(name, args=args)


def inspection_detail(request, pk):
    inspection = get_visible_or_404(
        request.user, Inspection.objects.select_related("area", "created_by"), pk=pk
    )
    findings = (
        Finding.objects.visible_to(request.user).filter(inspection=inspection).values(*CARD_VALUES)
    )
    return render(
        request,
        "inspections/inspection_detail.html",
        {
            "inspection": inspection,
            "page": Paginator(findings, 100).get_page(request.GET.get("page")),
            "today": timezone.localdate(),
            "can_log": can_log(request.user, inspection.campaign),
        },
    )


# --- Import ----------------------------------------------------------------------------------


@page_rule(can_log)
def finding_import(request):
    """Upload an inspection team's workbook, preview it, confirm: all rows or none."""
    campaign = current_campaign_or_404(request)
    services.ensure_categories(campaign)

    def confirm(plan, info):
        inspection = Inspection(
            campaign=campaign,
            kind=info["kind"],
            date=info["date"],
            team=info["team"],
            created_by=request.user,
            notes=_("Imported from %(file)s") % {"file": info["filename"]},
        )
        count = services.apply_findings(
            plan, campaign=campaign, actor=request.user, inspection=inspection
        )
        messages.success(request, _("Import finished: %(n)s findings logged.") % {"n": count})
        return redirect(inspection)

    return import_page(
        request,
        key="finding_import",
        form=FindingImportForm(request.POST or None, request.FILES or None),
        read=lambda data, filename: services.read_findings(
            data, campaign=campaign, filename=filename
        ),
        confirm=confirm,
        template="inspections/finding_import.html",
        details=lambda form: {
            "kind": form.cleaned_data["kind"],
            "date": form.cleaned_data["date"].isoformat(),
            "team": form.cleaned_data["team"],
        },
    )


# --- Configuration ---------------------------------------------------------------------------


@page_rule(office_admin)
def category_list(request):
    """The office's category list and the deadlines by severity."""
    campaign = current_campaign_or_404(request)
    services.ensure_categories(campaign)
    categories = FindingCategory.objects.filter(campaign=campaign).select_related("department")
    edit = None
    if request.GET.get("edit"):
        edit = get_object_or_404(categories, pk=_int(request.GET["edit"]))
    form = CategoryForm(
        request.POST if request.POST.get("form") == "category" else None,
        instance=edit,
        campaign=campaign,
    )
    settings_obj = LedgerSettings.for_campaign(campaign)
    settings_form = LedgerSettingsForm(
        request.POST if request.POST.get("form") == "settings" else None, instance=settings_obj
    )
    if request.method == "POST":
        if form.is_bound and form.is_valid():
            with transaction.atomic():
                category = form.save()
                AuditEntry.record(
                    actor=request.user,
                    action=AuditEntry.Action.UPDATE if edit else AuditEntry.Action.CREATE,
                    obj=category,
                    summary=_("Saved finding category %(name)s") % {"name": category.name},
                    changes={"fields": form.changed_data},
                )
            messages.success(request, _("Category saved."))
            return redirect("inspections:category_list")
        if settings_form.is_bound and settings_form.is_valid():
            with transaction.atomic():
                saved = settings_form.save()
                AuditEntry.record(
                    actor=request.user,
                    action=AuditEntry.Action.UPDATE,
                    obj=saved,
                    summary=_("Changed the ledger deadlines"),
                    changes={k: settings_form.cleaned_data[k] for k in settings_form.changed_data},
                )
            messages.success(request, _("Deadlines saved."))
            return redirect("inspections:category_list")
    return render(
        request,
        "inspections/category_list.html",
        {"categories": categories, "form": form, "settings_form": settings_form, "edit": edit},
    )


# --- 随手拍: the public citizen report --------------------------------------------------------


def _report_campaign(request, pk):
    """The campaign a citizen reports to. Signed-in people reach only their own campaigns'
    pages: the page names a campaign's city, and nobody browses other campaigns' by number."""
    campaigns = Campaign.objects.filter(is_active=True)
    if request.user.is_authenticated:
        campaigns = Campaign.objects.visible_to(request.user)
    campaign = campaigns.filter(pk=pk).first() if pk else campaigns.first()
    if campaign is None:
        raise Http404
    return campaign


@login_not_required
def citizen_report(request, campaign_pk=None):
    """Anyone may report a problem with a photo; the office triages it. Rate-limited by address.
    The confirmation gives the reference and the private follow-up link."""
    campaign = _report_campaign(request, campaign_pk)
    if request.method != "POST":
        # Set up on showing the form, never while saving a report: a report that then fails
        # must not have committed anything and be answered "saved".
        services.ensure_categories(campaign)
    form = CitizenReportForm(request.POST or None, request.FILES or None, campaign=campaign)
    limited = False
    if request.method == "POST":
        # Every attempt counts, valid or not, whichever web process answers it.
        limited = too_many_attempts(
            f"citizen-report:{client_ip(request)}", limit=CITIZEN_REPORTS_PER_HOUR, per_seconds=3600
        )
        if limited:
            form.add_error(
                None,
                _("Too many reports from this network in the last hour. Please try again later."),
            )
        elif form.is_valid():
            data = form.cleaned_data
            finding = None
            if not data["website"]:  # a filled honeypot means a robot: pretend all went well
                finding, _first = submit_once(
                    token=data["form_token"],
                    person=None,
                    create=lambda: services.submit_citizen_report(
                        campaign=campaign,
                        category=data["category"],
                        description=data["description"],
                        address=data["address"],
                        photos=data["photo"],
                        latitude=data["latitude"] if data["longitude"] is not None else None,
                        longitude=data["longitude"] if data["latitude"] is not None else None,
                        name=data["name"],
                        phone=data["phone"],
                    ),
                )
            follow_url = (
                request.build_absolute_uri(
                    reverse("inspections:citizen_follow", args=[finding.follow_token])
                )
                if finding is not None
                else ""
            )
            return render(
                request,
                "inspections/citizen_report_done.html",
                {"campaign": campaign, "finding": finding, "follow_url": follow_url},
            )
    return render(
        request,
        "inspections/citizen_report.html",
        {"form": form, "campaign": campaign},
        status=429 if limited else 200,
    )


@login_not_required
def citizen_follow(request, token):
    """The citizen's private follow-up page: the reference, the status in plain words and,
    once closed off, the after-photo — nothing about the people or the unit's work.
    Views are rate-limited by address; wrong tokens answer 404 and are audited."""
    if too_many_attempts(
        f"citizen-follow:{client_ip(request)}", limit=FOLLOW_VIEWS_PER_HOUR, per_seconds=3600
    ):
        return render(request, "inspections/citizen_follow.html", {"limited": True}, status=429)
    finding = (
        Finding.objects.public()
        .select_related("category", "campaign")
        .filter(follow_token=token)
        .exclude(follow_token="")
        .first()
    )
    if finding is None:
        AuditEntry.record(
            actor=None,
            action=AuditEntry.Action.DENIED,
            outcome=AuditEntry.Outcome.DENIED,
            summary=_("Follow-up link refused: unknown token"),
        )
        raise Http404
    closed = finding.status == Status.CLOSED
    return render(
        request,
        "inspections/citizen_follow.html",
        {
            "finding": finding,
            "campaign": finding.campaign,
            "closed": closed,
            "after_photos": finding.photos.filter(kind=FindingPhoto.Kind.AFTER, is_public=True)
            if closed
            else [],
        },
    )


# --- Open311 API keys (the office) --------------------------------------------------------------


@page_rule(office_admin)
def open311_key_list(request):
    """The integrating systems' Open311 keys: issue (shown once) and revoke."""
    campaign = current_campaign_or_404(request)
    form = Open311KeyForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        # The key is shown on this response only: no redirect, nothing kept in the session.
        issued = services.issue_open311_key(
            campaign=campaign, name=form.cleaned_data["name"], actor=request.user
        )
        form = Open311KeyForm()
    keys = Open311Key.objects.filter(campaign=campaign).select_related("created_by")
    return render(
        request,
        "inspections/open311_key_list.html",
        {"keys": keys, "form": form, "issued": issued, "campaign": campaign},
    )


@require_POST
@page_rule(office_admin)
def open311_key_revoke(request, pk):
    campaign = current_campaign_or_404(request)
    key = get_object_or_404(Open311Key.objects.usable().filter(campaign=campaign), pk=pk)
    services.revoke_open311_key(key=key, actor=request.user)
    messages.success(request, _("The key of %(system)s is revoked.") % {"system": key.name})
    return redirect("inspections:open311_key_list")
