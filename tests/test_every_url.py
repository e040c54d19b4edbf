"""Every URL of the site × every persona, generated from the URL conf: each route has an entry
in EXPECTED (a new URL without one fails `test_every_route_has_an_expected_status`), and each
persona gets exactly that status on a GET.

Routes with an id are requested with an id that does not exist: out of scope and missing look
the same (404), POST-only actions answer 405, pages behind a role check answer 403 first. Each
app's own tests assert the statuses on real objects.
"""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import make_person

BUSINESS = [
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
# 三员: beside the business roles, each with its own pages only.
ADMINISTRATORS = ["system_admin", "security_admin", "auditor"]
PERSONAS = [*BUSINESS, *ADMINISTRATORS, "anonymous"]
SKIP_PREFIXES = ("admin/", "i18n/", "logout/")
MISSING_PK = 987654
SIGN_IN = 302  # anonymous visitors are sent to the sign-in page


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def concrete_urls():
    """(route, url, has_arguments): routes without arguments as they are, int arguments as a
    missing pk, str arguments as a missing code."""
    urls = []
    for route, pattern in walk(get_resolver().url_patterns):
        if route.startswith(SKIP_PREFIXES) or "<path:" in route or "(?P" in route:
            continue
        url = "/" + route
        converters = pattern.pattern.converters
        for name, converter in converters.items():
            kind = "int" if type(converter).__name__ == "IntConverter" else "str"
            url = url.replace(f"<{kind}:{name}>", str(MISSING_PK) if kind == "int" else "NOPE")
        urls.append((route, url, bool(converters)))
    return urls


URLS = concrete_urls()


def status(signed_in, anonymous=SIGN_IN, **persona):
    """The same status for every signed-in persona, with exceptions by name."""
    row = dict.fromkeys(BUSINESS + ADMINISTRATORS, signed_in)
    row["anonymous"] = anonymous
    row.update(persona)
    return row


def only(*people, yes=200, no=403):
    return status(no, **dict.fromkeys(people, yes))


EVERYONE = status(200)
MISSING = status(404)
POST_ONLY = status(405)
PUBLIC = status(200, anonymous=200)
OFFICE = only("office_admin")
ACCOUNT_ADMINS = only("office_admin", "system_admin")
# A missing person: the account administrators look it up (404), others are refused first.
MISSING_PERSON = status(403, office_admin=404, system_admin=404)
FIELD = only("office_admin", "inspector")
TWO_FACTOR_PAGE = status(200, **dict.fromkeys(["office_admin", *ADMINISTRATORS], 302))

EXPECTED = {
    "": EVERYONE,
    "login/": status(302, anonymous=200),
    "password/": EVERYONE,
    "account/two-factor/": TWO_FACTOR_PAGE,  # already verified: sent on
    "account/two-factor/setup/": TWO_FACTOR_PAGE,  # already enrolled: sent to the settings
    "account/security/": EVERYONE,
    "account/activate/": PUBLIC,
    "account/activate/<str:code>/": status(404, anonymous=404),
    "account/people/<int:pk>/activation/": POST_ONLY,
    "account/security-admin/": only("security_admin"),
    "account/security-admin/people/<int:pk>/reset-two-factor/": POST_ONLY,
    "org/switch/": POST_ONLY,
    "org/units/": EVERYONE,
    "org/units/new/": OFFICE,
    "org/units/autocomplete/": EVERYONE,
    "org/units/import/": OFFICE,
    "org/units/<int:pk>/": MISSING,
    "org/units/<int:pk>/edit/": MISSING,
    "org/command-offices/": EVERYONE,
    "org/command-offices/new/": OFFICE,
    "org/command-offices/<int:pk>/": MISSING,
    "org/command-offices/<int:pk>/edit/": MISSING,
    "org/people/": ACCOUNT_ADMINS,
    "org/people/new/": ACCOUNT_ADMINS,
    "org/people/<int:pk>/": MISSING_PERSON,
    "org/people/<int:pk>/edit/": MISSING_PERSON,
    "org/memberships/<int:pk>/remove/": POST_ONLY,
    "org/audit/": only("auditor"),
    "org/audit/export/": only("auditor"),
    "org/notifications/": EVERYONE,
    "org/exports/<int:pk>/": MISSING,
    "org/exports/<int:pk>/download/": MISSING,
    "org/notifications/preferences/": EVERYONE,
    "org/notifications/mobile/": POST_ONLY,
    "org/channels/": OFFICE,
    "org/channels/new/": OFFICE,
    "org/channels/<int:pk>/edit/": only("office_admin", yes=404),
    "org/deliveries/": OFFICE,
    "org/systems/": EVERYONE,
    "org/systems/import/": OFFICE,
    "org/systems/<int:pk>/": MISSING,
    "org/systems/<int:pk>/edit/": MISSING,
    "org/systems/<int:pk>/export/": MISSING,
    "org/systems/<int:pk>/score/": MISSING,
    "org/systems/<int:pk>/evidence/": MISSING,
    "org/standards/autocomplete/": EVERYONE,
    "org/standards/<int:pk>/": MISSING,
    "org/standards/<int:pk>/edit/": MISSING,
    "org/standards/<int:pk>/assess/": POST_ONLY,
    "org/standards/<int:pk>/evidence/": POST_ONLY,
    "org/evidence/<int:pk>/": MISSING,
    "org/evidence/<int:pk>/remove/": POST_ONLY,
    "ledger/": EVERYONE,
    "ledger/export/": EVERYONE,
    "ledger/inbox/": EVERYONE,
    "ledger/supervision/": EVERYONE,
    "ledger/new/": FIELD,
    "ledger/new/nearby/": EVERYONE,
    "ledger/new/suggest/": FIELD,  # names units: only for those who log findings
    "ledger/import/": FIELD,
    "ledger/categories/": OFFICE,
    "ledger/findings/<int:pk>/": MISSING,
    "ledger/findings/<int:pk>/assign/": POST_ONLY,
    "ledger/findings/<int:pk>/acknowledge/": POST_ONLY,
    "ledger/findings/<int:pk>/submit/": POST_ONLY,
    "ledger/findings/<int:pk>/verify/": POST_ONLY,
    "ledger/findings/<int:pk>/dispute/": POST_ONLY,
    "ledger/findings/<int:pk>/decide/": POST_ONLY,
    "ledger/findings/<int:pk>/void/": POST_ONLY,
    "ledger/findings/<int:pk>/supervise/": POST_ONLY,
    "ledger/findings/<int:pk>/interview/": POST_ONLY,
    "ledger/findings/<int:pk>/relapse/": POST_ONLY,
    "ledger/interviews/<int:pk>/attachment/": MISSING,
    "ledger/supervision/<int:pk>/notice.pdf": MISSING,
    "ledger/supervision/<int:pk>/notice.docx": MISSING,
    "ledger/photos/<int:pk>/": MISSING,
    "ledger/photos/<int:pk>/thumb/": MISSING,
    "ledger/photos/<int:pk>/public/": POST_ONLY,
    "ledger/inspections/": EVERYONE,
    "ledger/inspections/new/": FIELD,
    "ledger/inspections/<int:pk>/": MISSING,
    "ledger/report/": PUBLIC,
    "ledger/report/<int:campaign_pk>/": status(404, anonymous=404),
    "ledger/follow/<str:token>/": status(404, anonymous=404),
    "ledger/open311-keys/": OFFICE,
    "ledger/open311-keys/<int:pk>/revoke/": POST_ONLY,
    # Open311 GeoReport v2: public, no session; unknown ids answer the spec's 404 document.
    **{
        f"open311/v2/{route}.{fmt}": PUBLIC
        for route in ("discovery", "services", "requests")
        for fmt in ("xml", "json")
    },
    **{
        f"open311/v2/{route}/<str:code>.{fmt}": status(404, anonymous=404)
        for route in ("services", "requests")
        for fmt in ("xml", "json")
    },
    "open311/v2/media/<int:pk>.jpg": status(404, anonymous=404),
    "tasks/": EVERYONE,
    "tasks/mine/": EVERYONE,
    "tasks/new/": only("office_admin", "command_staff"),
    "tasks/generate/": OFFICE,
    "tasks/bulk/": POST_ONLY,
    "tasks/export/": EVERYONE,
    # Anyone who acts for a unit may import progress; readers and the administrators may not.
    "tasks/import/": status(200, leader=403, **dict.fromkeys(ADMINISTRATORS, 403)),
    "tasks/battle-map/": EVERYONE,
    "tasks/calendar/": OFFICE,
    "tasks/<int:pk>/": MISSING,
    "tasks/<int:pk>/edit/": MISSING,
    "tasks/parts/<int:pk>/progress/": POST_ONLY,
    "tasks/parts/<int:pk>/accept/": POST_ONLY,
    "tasks/parts/<int:pk>/return/": POST_ONLY,
    "tasks/<int:pk>/deadline/": MISSING,
    "tasks/<int:pk>/reassign/": MISSING,
    "tasks/evidence/<int:pk>/": MISSING,
    "tasks/evidence/<int:pk>/thumbnail/": MISSING,
    "reports/": EVERYONE,
    "reports/rankings/": EVERYONE,
    "reports/rankings/export/": EVERYONE,
    "reports/rules/": EVERYONE,
    "reports/bulletins/": EVERYONE,
    "reports/bulletins/settings/": OFFICE,
    "reports/bulletins/new/": POST_ONLY,
    "reports/bulletins/<int:pk>/": MISSING,
    "reports/bulletins/<int:pk>/edit/": POST_ONLY,
    "reports/bulletins/<int:pk>/refresh/": POST_ONLY,
    "reports/bulletins/<int:pk>/publish/": POST_ONLY,
    "reports/bulletins/<int:pk>/cases/": POST_ONLY,
    "reports/bulletins/<int:pk>/pdf/": MISSING,
    "reports/bulletins/<int:pk>/docx/": MISSING,
    "reports/bulletins/<int:pk>/photos/<int:case>/<int:index>/": MISSING,
    "field/points/": EVERYONE,
    "field/points/new/": OFFICE,
    "field/points/export/": EVERYONE,
    "field/points/import/": OFFICE,
    "field/points/nearest/": FIELD,  # names points near a place: for those who log findings
    "field/points/<int:pk>/": MISSING,
    "field/points/<int:pk>/edit/": status(403, office_admin=404),
    "field/point-types/": OFFICE,
    "field/point-types/<int:pk>/edit/": status(403, office_admin=404),
    "field/map/": EVERYONE,
    "field/map/data/": EVERYONE,
    "field/map/findings/<int:pk>/": MISSING,
    "field/hot-spots/": EVERYONE,
    # --- fieldwork: sampling rounds and recurring rounds ---
    "field/rounds/": EVERYONE,
    "field/rounds/new/": OFFICE,
    "field/rounds/<int:pk>/": MISSING,
    **{
        f"field/rounds/<int:pk>/{action}/": POST_ONLY
        for action in ("draw", "redraw", "start", "complete", "release", "close")
    },
    "field/rounds/<int:pk>/route/": MISSING,
    "field/rounds/<int:pk>/report/": MISSING,
    "field/rounds/<int:pk>/points/<int:sample_pk>/": MISSING,
    "field/schedules/new/": OFFICE,
    "field/schedules/<int:pk>/start/": POST_ONLY,
    "field/point-types/<int:pk>/standards/": status(403, office_admin=404),
}


def test_the_walk_covers_every_app():
    routes = " ".join(route for route, _url, _has_args in URLS)
    assert "org/units/" in routes and "ledger/" in routes and "account/" in routes


def test_every_route_has_an_expected_status():
    routes = [route for route, _url, _has_args in URLS]
    assert [r for r in routes if r not in EXPECTED] == []
    assert [r for r in EXPECTED if r not in routes] == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_url_answers_each_persona_as_it_must(persona, personas, campaign, client_for):
    if persona == "anonymous":
        client = Client()
    elif persona in ADMINISTRATORS:
        client = client_for(make_person(campaign, persona, persona))
    else:
        client = client_for(getattr(personas, persona))
    got = {route: client.get(url).status_code for route, url, _has_args in URLS}
    expected = {route: EXPECTED[route][persona] for route, _url, _has_args in URLS}
    assert got == expected
