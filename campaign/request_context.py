"""The request being served, for code far from the view: the client's address and user agent
(every audit entry carries them), the person and their campaign.

`RequestContextMiddleware` sets it for each request; outside a request (jobs, commands) every
field is empty, so callers never have to pass a request down.
"""

import contextvars
import ipaddress
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None = None
    user_agent: str = ""
    request: object = None

    @property
    def user(self):
        return getattr(self.request, "user", None)

    @property
    def campaign(self):
        return getattr(self.request, "campaign", None)


OUTSIDE_A_REQUEST = RequestContext()
_current = contextvars.ContextVar("chuangcheng_request", default=OUTSIDE_A_REQUEST)


def current_request():
    return _current.get()


def activate(request):
    """Make `request` the current one; returns a token for `deactivate`."""
    return _current.set(
        RequestContext(
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            request=request,
        )
    )


def deactivate(token):
    _current.reset(token)


def valid_ip(value):
    """The address in canonical form, or None when `value` is not an IP address."""
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def client_ip(request):
    """The client's address.

    Without proxies (TRUSTED_PROXY_COUNT 0) it is the socket's address. Behind N proxies, each
    appends the address it received from to X-Forwarded-For, so the client is the N-th entry
    from the right; entries further left are whatever the client sent and are never trusted.
    A missing or malformed entry falls back to the socket's address.
    """
    remote = valid_ip(request.META.get("REMOTE_ADDR"))
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < count:
        return remote
    return valid_ip(hops[-count]) or remote
