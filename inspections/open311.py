"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) under /open311/v2/.

- jurisdiction_id is a campaign's id; without one, the first active campaign answers (the
  usual single-city deployment). A POST's campaign is its API key's.
- Services are the campaign's active finding categories: service_code is the category's id.
- service_request_id is the finding's reference (`Finding.code`, e.g. 2026-00123), the same
  number a 随手拍 citizen is given.
- GET shows public fields only: never the reporter (name, phone, e-mail), never 暗访 or mock
  evaluation findings (`Finding.objects.public()`), media_url only for photos marked public.
  Status is open/closed with citizen-worded status_notes; with `extensions=true` each request
  also carries `extended_attributes` (our detailed status and the channel), as FixMyStreet's
  and Austin's extensions do.
- POST needs an api_key the office issued to the integrating system (`Open311Key`); the
  request lands in the office's triage inbox like a 随手拍 report, its channel recorded.
  Refusals answer 403 in Open311's error format; every use and refusal is audited.
- Reads (GET) are limited per client address (OPEN311_GETS_PER_HOUR, default 600): past it,
  429 in the error format.
- No session authentication: these views never read `request.user`. Only the POST is
  CSRF-exempt (it carries its own key).
"""

import datetime
import json
from xml.etree import ElementTree

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from campaign.models import AuditEntry, Campaign
from campaign.ratelimit import too_many_attempts
from campaign.request_context import client_ip
from campaign.uploads import private_file_response

from . import services
from .models import ENDED, OPEN, Finding, FindingCategory, FindingPhoto, Open311Key, is_id

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# The date of the last change to this endpoint's behaviour (discovery's changeset).
CHANGESET = "2026-11-29T00:00:00+08:00"
# The spec's limits: a search spans at most 90 days (the latest 90 by default) and
# returns at most 1,000 requests.
MAX_DAYS = 90
MAX_REQUESTS = 1000
# Posts per key per hour, and refused posts (bad keys) per address per hour.
POSTS_PER_HOUR = 600
REFUSALS_PER_HOUR = 20
# XML: the element of each item in a list, as in the spec's example documents.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


class Open311Error(Exception):
    def __init__(self, status, description):
        super().__init__(description)
        self.status, self.description = status, str(description)


# --- Documents ----------------------------------------------------------------------------------


def _xml_element(name, value):
    element = ElementTree.Element(name)
    if isinstance(value, list):
        element.extend(_xml_element(ITEM_TAGS[name], item) for item in value)
    elif isinstance(value, dict):
        element.extend(_xml_element(key, item) for key, item in value.items())
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
    return element


def render(fmt, root, document, status=200):
    """`document` as JSON (the root's content) or as XML under `root`, in UTF-8."""
    if fmt == "json":
        body = json.dumps(document, ensure_ascii=False)
    else:
        body = '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(
            _xml_element(root, document), encoding="unicode"
        )
    response = HttpResponse(body.encode(), content_type=CONTENT_TYPES[fmt], status=status)
    # Open data: any web page may read it (FixMyStreet does the same).
    response["Access-Control-Allow-Origin"] = "*"
    return response


def api(view):
    """An Open311 view: public, no session, errors in the spec's error document."""

    @login_not_required
    def wrapped(request, *args, fmt, **kwargs):
        try:
            if request.method != "POST":
                _count_read(request)
            return view(request, *args, fmt=fmt, **kwargs)
        except Open311Error as error:
            document = [{"code": error.status, "description": error.description}]
            return render(fmt, "errors", document, status=error.status)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _count_read(request):
    """Count one read against the client's address; 429 past OPEN311_GETS_PER_HOUR."""
    if too_many_attempts(
        f"open311-get:{client_ip(request)}",
        limit=settings.OPEN311_GETS_PER_HOUR,
        per_seconds=3600,
    ):
        raise Open311Error(429, _("Too many requests from this address: try again later."))


def w3c(moment):
    """ISO 8601 with the offset (Asia/Shanghai: +08:00), to the second."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def service_document(category):
    return {
        "service_code": str(category.pk),
        "service_name": category.name,
        "description": category.department.name if category.department_id else category.name,
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": "",
    }


def request_document(request, finding, *, extensions=False):
    """One service request: public fields only (see the module's docstring)."""
    photo = next(iter(finding.public_photos), None)
    expected = None
    if finding.deadline and finding.is_open:
        expected = timezone.make_aware(
            datetime.datetime.combine(finding.deadline, datetime.time(23, 59, 59))
        )
    document = {
        "service_request_id": finding.code,
        "status": finding.public_status,
        "status_notes": str(finding.public_status_note),
        "service_name": finding.category.name if finding.category_id else "",
        "service_code": str(finding.category_id or ""),
        "description": finding.description,
        "agency_responsible": finding.unit.name if finding.unit_id else "",
        "service_notice": "",
        "requested_datetime": w3c(finding.created_at),
        "updated_datetime": w3c(finding.closed_at or finding.updated_at),
        "expected_datetime": w3c(expected),
        "address": finding.address,
        "address_id": "",
        "zipcode": "",
        "lat": float(finding.latitude) if finding.latitude is not None else None,
        "long": float(finding.longitude) if finding.longitude is not None else None,
        "media_url": request.build_absolute_uri(reverse("open311:media", args=[photo.pk]))
        if photo
        else "",
    }
    if extensions:
        document["extended_attributes"] = {
            "detailed_status": finding.status,
            "detailed_status_label": finding.get_status_display(),
            "interface_used": finding.channel or finding.get_source_display(),
        }
    return document


# --- Reading the request --------------------------------------------------------------------


def _campaign(request, jurisdiction_id=None):
    jurisdiction_id = jurisdiction_id or request.GET.get("jurisdiction_id") or ""
    campaigns = Campaign.objects.filter(is_active=True).order_by("pk")
    if jurisdiction_id:
        campaign = (
            campaigns.filter(pk=int(jurisdiction_id)).first() if is_id(jurisdiction_id) else None
        )
    else:
        campaign = campaigns.first()
    if campaign is None:
        raise Open311Error(404, _("jurisdiction_id %(id)s not found.") % {"id": jurisdiction_id})
    return campaign


def _moment(name, value):
    moment = parse_datetime(value)
    if moment is None and parse_date(value) is not None:
        moment = datetime.datetime.combine(parse_date(value), datetime.time())
    if moment is None:
        raise Open311Error(
            400,
            _("%(name)s must be a W3C date and time, e.g. 2026-01-01T00:00:00+08:00.")
            % {"name": name},
        )
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _listed(request, name):
    """A comma-delimited parameter (it may also be given several times)."""
    return [v.strip() for value in request.GET.getlist(name) for v in value.split(",") if v.strip()]


def _public_findings(campaign):
    return (
        Finding.objects.public()
        .filter(campaign=campaign)
        .select_related("category", "unit")
        .prefetch_related(
            Prefetch(
                "photos",
                queryset=FindingPhoto.objects.filter(is_public=True),
                to_attr="public_photos",
            )
        )
    )


def _search(request, findings):
    """GET requests' filters; service_request_id overrides all the others."""
    codes = _listed(request, "service_request_id")
    if codes:
        return findings.by_codes(codes[:MAX_REQUESTS])
    service_codes = _listed(request, "service_code")
    if service_codes:
        if not all(is_id(code) for code in service_codes):
            raise Open311Error(400, _("service_code must be one or more service codes."))
        findings = findings.filter(category_id__in=[int(code) for code in service_codes])
    statuses = set(_listed(request, "status"))
    if statuses - {"open", "closed"}:
        raise Open311Error(400, _("status must be open or closed."))
    if statuses == {"open"}:
        findings = findings.filter(status__in=OPEN)
    elif statuses == {"closed"}:
        findings = findings.filter(status__in=ENDED)
    start = (
        _moment("start_date", request.GET["start_date"]) if request.GET.get("start_date") else None
    )
    end = _moment("end_date", request.GET["end_date"]) if request.GET.get("end_date") else None
    window = datetime.timedelta(days=MAX_DAYS)
    if end is None:
        end = start + window if start else timezone.now()
    start = start or end - window
    if start > end or end - start > window:
        raise Open311Error(
            400, _("start_date and end_date may span at most %(days)s days.") % {"days": MAX_DAYS}
        )
    return findings.filter(created_at__gte=start, created_at__lte=end)


# --- Views --------------------------------------------------------------------------------------


@api
def discovery(request, fmt):
    """Where the endpoint is and what it speaks."""
    url = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": fmt}))
    document = {
        "changeset": CHANGESET,
        "contact": _("Ask the creation office for an API key (ledger → Open311 API keys)."),
        "key_service": _("API keys are issued by the creation office to each integrating system."),
        "max_requests": MAX_REQUESTS,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url.rsplit("/", 1)[0],
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(fmt, "discovery", document)


@api
def service_list(request, fmt):
    """GET services: the campaign's active finding categories."""
    campaign = _campaign(request)
    categories = services.ensure_categories(campaign).select_related("department")
    return render(fmt, "services", [service_document(c) for c in categories])


@api
def service_definition(request, code, fmt):
    """GET a service definition: our services ask for no extra attributes."""
    campaign = _campaign(request)
    if (
        not is_id(code)
        or not FindingCategory.objects.filter(
            campaign=campaign, is_active=True, pk=int(code)
        ).exists()
    ):
        raise Open311Error(404, _("service_code %(code)s not found.") % {"code": code})
    return render(fmt, "service_definition", {"service_code": code, "attributes": []})


@api
def request_detail(request, code, fmt):
    """GET one service request by its id (the finding's reference)."""
    finding = _public_findings(_campaign(request)).by_codes([code]).first()
    if finding is None:
        raise Open311Error(404, _("service_request_id %(id)s not found.") % {"id": code})
    extensions = request.GET.get("extensions") == "true"
    return render(
        fmt, "service_requests", [request_document(request, finding, extensions=extensions)]
    )


@csrf_exempt
@api
def request_list(request, fmt):
    """GET service requests (newest first, within the limits), or POST a new one."""
    if request.method == "POST":
        return _post_request(request, fmt)
    findings = _search(request, _public_findings(_campaign(request)))
    extensions = request.GET.get("extensions") == "true"
    document = [
        request_document(request, finding, extensions=extensions)
        for finding in findings.order_by("-created_at", "-pk")[:MAX_REQUESTS]
    ]
    return render(fmt, "service_requests", document)


def _refuse(request, given, campaign, reason):
    """A refused post: audited, and counted against the address (guessing keys)."""
    AuditEntry.record(
        actor=None,
        action=AuditEntry.Action.DENIED,
        outcome=AuditEntry.Outcome.DENIED,
        campaign=campaign,
        summary=_("Open311 request refused: %(reason)s") % {"reason": reason},
        changes={"api_key_starts_with": given[:8]},
    )
    if too_many_attempts(
        f"open311-refused:{client_ip(request)}", limit=REFUSALS_PER_HOUR, per_seconds=3600
    ):
        raise Open311Error(429, _("Too many refused requests from this address: try again later."))
    raise Open311Error(403, reason)


def _post_request(request, fmt):
    given = request.POST.get("api_key") or request.GET.get("api_key") or ""
    key = Open311Key.find(given)
    if key is None:
        _refuse(request, given, None, _("invalid or revoked api_key."))
    jurisdiction_id = request.POST.get("jurisdiction_id") or request.GET.get("jurisdiction_id")
    if jurisdiction_id and jurisdiction_id != str(key.campaign_id):
        _refuse(
            request,
            given,
            key.campaign,
            _("this api_key is not valid for jurisdiction_id %(id)s.") % {"id": jurisdiction_id},
        )
    if too_many_attempts(f"open311-post:{key.pk}", limit=POSTS_PER_HOUR, per_seconds=3600):
        AuditEntry.record(
            actor=None,
            action=AuditEntry.Action.DENIED,
            outcome=AuditEntry.Outcome.DENIED,
            obj=key,
            summary=_("Open311 request from %(system)s refused: too many requests")
            % {"system": key.name},
        )
        raise Open311Error(429, _("Too many requests with this api_key: try again later."))
    values = _posted_values(request.POST, key.campaign)
    with transaction.atomic():
        finding = services.submit_citizen_report(campaign=key.campaign, channel=key.name, **values)
        Open311Key.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
        AuditEntry.record(
            actor=None,
            action=AuditEntry.Action.CREATE,
            obj=finding,
            summary=_("Open311 request %(code)s received from %(system)s")
            % {"code": finding.code, "system": key.name},
            changes={"api_key": key.pk},
        )
    document = [{"service_request_id": finding.code, "service_notice": "", "account_id": None}]
    return render(fmt, "service_requests", document, status=201)


def _posted_values(data, campaign):
    """The POST's fields as `submit_citizen_report` arguments; 400 when one is wrong."""
    code = (data.get("service_code") or "").strip()
    category = (
        FindingCategory.objects.filter(campaign=campaign, is_active=True, pk=int(code)).first()
        if is_id(code)
        else None
    )
    if category is None:
        raise Open311Error(400, _("service_code %(code)s not found.") % {"code": code})
    latitude, longitude = data.get("lat"), data.get("long")
    try:
        latitude = round(float(latitude), 6) if latitude not in (None, "") else None
        longitude = round(float(longitude), 6) if longitude not in (None, "") else None
    except ValueError:
        raise Open311Error(400, _("lat and long must be WGS-84 decimal degrees.")) from None
    if (latitude is None) != (longitude is None) or (
        latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180)
    ):
        raise Open311Error(400, _("lat and long must be WGS-84 decimal degrees."))
    address = (data.get("address_string") or data.get("address_id") or "").strip()[:200]
    if latitude is None and not address:
        raise Open311Error(400, _("A location is required: lat and long, or address_string."))
    email = (data.get("email") or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise Open311Error(400, _("email is not a valid e-mail address.")) from None
    name = " ".join(
        n.strip() for n in (data.get("last_name"), data.get("first_name")) if n and n.strip()
    )
    return {
        "category": category,
        "description": (data.get("description") or "").strip()[:1000] or category.name,
        "address": address,
        "latitude": latitude,
        "longitude": longitude,
        "name": name[:50],
        "phone": (data.get("phone") or "").strip()[:30],
        "email": email,
    }


@login_not_required
def media(request, pk):
    """A photo marked public, of a finding the public may see (media_url, the follow-up page)."""
    try:
        _count_read(request)
    except Open311Error as error:  # an image URL: the reason as plain text
        return HttpResponse(error.description, status=429, content_type="text/plain; charset=utf-8")
    photo = get_object_or_404(
        FindingPhoto.objects.filter(is_public=True, finding__in=Finding.objects.public()), pk=pk
    )
    return private_file_response(photo.image)


def _both_formats(route, view, name):
    return [path(f"{route}.{fmt}", view, {"fmt": fmt}, name=name) for fmt in ("xml", "json")]


app_name = "open311"
urlpatterns = [
    *_both_formats("discovery", discovery, "discovery"),
    *_both_formats("services", service_list, "service_list"),
    *_both_formats("services/<str:code>", service_definition, "service_definition"),
    *_both_formats("requests", request_list, "request_list"),
    *_both_formats("requests/<str:code>", request_detail, "request_detail"),
    path("media/<int:pk>.jpg", media, name="media"),
]
