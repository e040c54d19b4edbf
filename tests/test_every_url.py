"""A walk over every URL of the site as every persona: nothing answers 500, and an object
that does not exist (or is out of scope) answers 404, never someone else's data.

Each app's own tests assert the exact status per persona for its pages; this walk makes sure
no page is forgotten.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

PERSONAS = [
    "office_admin",
    "leader",
    "inspector",
    "command_staff",
    "district_leader",
    "street_leader",
    "street_liaison",
    "community_leader",
    "other_district_leader",
    "department_leader",
]
SKIP_PREFIXES = ("admin/", "i18n/", "logout/")
MISSING_PK = 987654


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def concrete_urls():
    """(route, url) pairs: routes without arguments as they are, int arguments as a missing pk."""
    urls = []
    for route, pattern in walk(get_resolver().url_patterns):
        if route.startswith(SKIP_PREFIXES) or "<path:" in route or "(?P" in route:
            continue
        converters = pattern.pattern.converters
        if any(type(c).__name__ != "IntConverter" for c in converters.values()):
            continue
        url = "/" + route
        for name in converters:
            url = url.replace(f"<int:{name}>", str(MISSING_PK))
        urls.append((route, url, bool(converters)))
    return urls


URLS = concrete_urls()


def test_the_walk_covers_every_app():
    routes = " ".join(route for route, _url, _has_pk in URLS)
    assert "org/units/" in routes


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_page_fails_and_missing_objects_are_404(persona, personas, client_for):
    client = client_for(getattr(personas, persona))
    failures = {}
    for route, url, has_pk in URLS:
        status = client.get(url).status_code
        # 405: a GET to a POST-only action reveals nothing either.
        if status >= 500 or (has_pk and status not in (403, 404, 405)):
            failures[route] = status
    assert failures == {}
