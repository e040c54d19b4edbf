"""Error pages that say in Chinese what happened and what to do, and never blame a saved action.

Registered in config/urls.py (handler400/handler500) and settings (CSRF_FAILURE_VIEW). The
pages render without the request's context processors and without the database, so they
show when the database is the thing that failed. A request that wrote to the database and
committed is answered "saved" whatever fails afterwards (a lost connection while saving the
session, a broken redirect target): the person must not send it again.
"""

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .uploads import StorageUnavailable

logger = logging.getLogger("chuangcheng.errors")

# Bookkeeping written before or beside the action (the renewed session, rate-limit counters,
# sign-in attempts): committing these is not the person's action being saved.
NOT_AN_ACTION = ("django_session", "campaign_ratelimitcounter", "campaign_loginattempt")


class CommitTracker:
    """A database execute wrapper that notes when this request's own writes are committed."""

    def __init__(self):
        self.committed = False
        self._waiting_in = set()

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not self.committed and _is_action_write(sql):
            connection = context["connection"]
            if not connection.in_atomic_block:
                self.committed = True  # autocommit: the statement is committed already
            else:
                # One callback per savepoint level: Django drops it if that level rolls back.
                level = frozenset(connection.savepoint_ids)
                if level not in self._waiting_in:
                    self._waiting_in.add(level)
                    connection.on_commit(self._mark_committed)
        return result

    def _mark_committed(self):
        self.committed = True


def _is_action_write(sql):
    verb = sql.lstrip()[:6].upper()
    return verb in {"INSERT", "UPDATE", "DELETE"} and not any(t in sql for t in NOT_AN_ACTION)


def _back_url(request):
    referer = request.META.get("HTTP_REFERER", "") if request is not None else ""
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return ""


def _page(request, template, status, title, **context):
    """Render an error page from a plain context: no context processors, no database."""
    try:
        back_url = _back_url(request)
    except Exception:  # noqa: BLE001 — a bad Host header must not break the error page
        back_url = ""
    html = loader.render_to_string(
        template,
        {
            "error_title": title,
            "status_code": status,
            "back_url": back_url,
            "upload_max_mb": settings.UPLOAD_MAX_MB,
            **context,
        },
    )
    response = HttpResponse(html, status=status)
    if status == 503:
        response["Retry-After"] = "30"
    return response


def _committed(request):
    """True when this request sent something (a POST …) whose writes were committed."""
    tracker = getattr(request, "commit_tracker", None)
    return request.method not in ("GET", "HEAD", "OPTIONS") and bool(tracker and tracker.committed)


def saved_not_shown(request):
    return _page(
        request,
        "saved_not_shown.html",
        200,
        _("Saved"),
        error_icon="bi-check-circle-fill text-success",
    )


def retryable_error(request, exc):
    """503 for failures that a retry a moment later cures; None for anything else."""
    if isinstance(exc, StorageUnavailable):
        reason = _(
            "Photos and files cannot be stored right now (the storage folder is not writable "
            "or is full). Nothing you sent was saved."
        )
    elif isinstance(exc, OperationalError | InterfaceError):
        reason = _("The database did not answer. Nothing you sent was saved.")
    else:
        return None
    return _page(request, "503.html", 503, _("Temporarily unavailable"), reason=reason)


def server_error(request, *args, **kwargs):
    """handler500: "saved" when the action committed, 503 when retrying helps, else 500."""
    exc = sys.exc_info()[1]
    if _committed(request):
        logger.warning("The action was committed before this error; answering 'saved'.")
        return saved_not_shown(request)
    return retryable_error(request, exc) or _page(
        request, "500.html", 500, _("Something went wrong")
    )


def bad_request(request, exception, *args, **kwargs):
    """handler400 (expired session, a file over the size limit, a bad Host header …)."""
    if _committed(request):
        return saved_not_shown(request)
    return _page(request, "400.html", 400, _("The request could not be handled"))


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the form expired or came from elsewhere; nothing was saved."""
    return _page(request, "403_csrf.html", 403, _("This form has expired"))


def method_not_allowed(request, response):
    """A link opened for a button's action (GET on a POST-only URL): say what to do."""
    page = _page(request, "405.html", 405, _("This address is for a button, not a link"))
    # Keep what the inner middleware set (Allow, the security headers, cookies).
    for header, value in response.items():
        if header.lower() not in {"content-type", "content-length"}:
            page[header] = value
    page.cookies = response.cookies
    return page
