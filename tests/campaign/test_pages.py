"""Every organisation URL × persona gets the status it must: 200, 403 (read-only) or 404."""

import pytest
from django.urls import reverse

OK, FORBIDDEN, NOT_FOUND = 200, 403, 404


def urls(city, personas):
    return {
        "home": reverse("home"),
        "tree": reverse("campaign:unit_tree"),
        "own_street": reverse("campaign:unit_detail", args=[city.donghua.pk]),
        "other_district": reverse("campaign:unit_detail", args=[city.west.pk]),
        "unit_create": reverse("campaign:unit_create"),
        "unit_edit": reverse("campaign:unit_edit", args=[city.donghua.pk]),
        "offices": reverse("campaign:command_office_list"),
        "office": reverse("campaign:command_office_detail", args=[city.command_office.pk]),
        "office_edit": reverse("campaign:command_office_edit", args=[city.command_office.pk]),
        "people": reverse("campaign:person_list"),
        "person": reverse("campaign:person_detail", args=[personas.street_leader.pk]),
        "import": reverse("campaign:organisation_import"),
        "audit": reverse("campaign:audit_list"),
    }


EXPECTED = {
    #                 home tree own  other create edit offices office o_edit people person import audit
    # The audit log is the auditor's alone (三员分立): the office no longer reads it.
    "office_admin":  (OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, FORBIDDEN),
    "leader":        (OK, OK, OK, OK, FORBIDDEN, FORBIDDEN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "inspector":     (OK, OK, OK, OK, FORBIDDEN, FORBIDDEN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "command_staff": (OK, OK, NOT_FOUND, NOT_FOUND, FORBIDDEN, NOT_FOUND, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "street_leader": (OK, OK, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "other_district_leader": (OK, OK, NOT_FOUND, OK, FORBIDDEN, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
}  # fmt: skip


@pytest.mark.parametrize("persona", EXPECTED)
def test_every_organisation_url_answers_each_persona_as_it_must(
    persona, personas, city, client_for
):
    client = client_for(getattr(personas, persona))
    got = {name: client.get(url).status_code for name, url in urls(city, personas).items()}
    expected = dict(zip(urls(city, personas), EXPECTED[persona], strict=True))
    assert got == expected


def test_anonymous_visitors_are_sent_to_sign_in(city):
    from django.test import Client

    response = Client().get(reverse("campaign:unit_tree"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_home_page_shows_each_role_in_chinese(personas, client_for):
    html = client_for(personas.street_liaison).get("/").content.decode()
    assert 'lang="zh-CN"' in html
    assert "东华街道" in html


def test_office_admin_edits_a_unit_and_the_change_is_recorded(personas, city, client_for):
    from campaign.models import AuditEntry

    client = client_for(personas.office_admin)
    response = client.post(
        reverse("campaign:unit_edit", args=[city.donghua.pk]),
        {
            "name": "东华街道",
            "short_name": "东华",
            "kind": "street",
            "parent": city.east.pk,
            "phone": "0571-1234567",
            "aliases_text": "东华办事处、东华街",
        },
    )
    assert response.status_code == 302
    city.donghua.refresh_from_db()
    assert city.donghua.aliases == ["东华办事处", "东华街"]
    entry = AuditEntry.for_object(city.donghua).get()
    assert entry.actor == personas.office_admin
    assert "short_name" in entry.changes["fields"]


def test_a_unit_cannot_be_moved_below_itself(personas, city, client_for):
    client = client_for(personas.office_admin)
    response = client.post(
        reverse("campaign:unit_edit", args=[city.east.pk]),
        {"name": "东城区", "kind": "district", "parent": city.donghua1.pk},
    )
    assert response.status_code == 200
    assert "parent" in response.context["form"].errors
