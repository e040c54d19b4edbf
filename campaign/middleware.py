import time
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.conf import settings
from django.db import connection
from django.http.response import HttpResponseRedirectBase
from django.utils import translation
from django.utils.translation import gettext
from django_htmx.http import HttpResponseClientRedirect

from . import request_context
from .errors import CommitTracker, method_not_allowed
from .models import AuditEntry, Campaign

SESSION_KEY = "campaign_id"
# When the session's end was last moved on (seconds since the epoch), and how often at most.
RENEWED_AT = "renewed_at"
RENEW_EVERY_SECONDS = 60


def current_campaign(request):
    """The campaign the person is working in: the one chosen this session, else the newest visible."""
    if not request.user.is_authenticated:
        return None
    campaigns = Campaign.objects.visible_to(request.user)
    chosen = request.session.get(SESSION_KEY)
    if chosen:
        campaign = campaigns.filter(pk=chosen).first()
        if campaign:
            return campaign
    return campaigns.first()


class CurrentCampaignMiddleware:
    """Puts `request.campaign` on every request (None for anonymous visitors)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.campaign = current_campaign(request)
        return self.get_response(request)


class IdleSessionMiddleware:
    """Sessions end after SESSION_IDLE_MINUTES without a page view: a view moves the end on
    (the session is saved, SESSION_COOKIE_AGE from now) when it was last moved a minute ago
    or more. Saved on every request, every page wrote its session's row (three statements);
    a minute of precision in a thirty-minute timeout is not worth that. Only a signed-in
    person's session is renewed: an anonymous visit, or one with an ended session's cookie,
    makes none."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            if now - request.session.get(RENEWED_AT, 0) >= RENEW_EVERY_SECONDS:
                request.session[RENEWED_AT] = now
        return response


def renewed_at_sign_in(sender, request, user, **kwargs):
    """Signing in saves a new session: a renewal, so the first pages after it write none."""
    if request is not None and hasattr(request, "session"):
        request.session[RENEWED_AT] = int(time.time())


class ChosenLanguageMiddleware:
    """Chinese unless the person chose another language (the language cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a clerk whose
    browser prefers English would get English pages; here English is a deliberate choice.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen not in dict(settings.LANGUAGES):
            chosen = settings.LANGUAGE_CODE
        translation.activate(chosen)
        request.LANGUAGE_CODE = chosen
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", chosen)
        return response


class ErrorPagesMiddleware:
    """Puts `request.commit_tracker` on every request (it notes when the request's own writes
    commit, so a failure after that answers "saved" instead of an error), and gives the
    error responses Django sends without a body (405) the site's Chinese page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.commit_tracker = CommitTracker()
        with connection.execute_wrapper(request.commit_tracker):
            response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            return method_not_allowed(request, response)
        return response


class RequestContextMiddleware:
    """Makes the request current for audit entries (address, user agent, person), and records
    every refusal a signed-in person meets (403, and 404 from scoping) in the audit log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_context.activate(request)
        try:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            if response.status_code in (403, 404) and user is not None and user.is_authenticated:
                AuditEntry.record(
                    actor=user,
                    action=AuditEntry.Action.DENIED,
                    outcome=AuditEntry.Outcome.DENIED,
                    summary=gettext("%(status)s on %(method)s %(path)s")
                    % {
                        "status": response.status_code,
                        "method": request.method,
                        "path": request.path[:200],
                    },
                    changes={"status": response.status_code, "path": request.path[:200]},
                )
            return response
        finally:
            request_context.deactivate(token)


class HtmxRedirectMiddleware:
    """A request htmx sends for part of a page (a list's filters, a polled export job, the
    nearby findings) that is answered with a redirect sends the whole page there (204 with
    `HX-Redirect`): when the session had ended, the sign-in page was followed inside the
    request and drawn inside the list it was to refresh; so was the account gate's. A `next`
    in the redirect becomes the page in the address bar (`HX-Current-URL`, of this site), not
    the address of the part. Between django-htmx's middleware (`request.htmx`) and the
    sign-in checks, so that it sees their redirects."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.htmx or not isinstance(response, HttpResponseRedirectBase):
            return response
        target = urlsplit(response["Location"])
        query = parse_qsl(target.query, keep_blank_values=True)
        here = request.htmx.current_url_abs_path
        if here:
            query = [(key, here if key == "next" else value) for key, value in query]
        whole_page = HttpResponseClientRedirect(
            target._replace(query=urlencode(query)).geturl(), status=204
        )
        whole_page.cookies = response.cookies
        return whole_page
