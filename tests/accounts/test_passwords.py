"""Identity (issue 9, defect 3): weak passwords are refused on every path that sets one, a
password someone else set must be changed at next sign-in, and the office cannot take over
accounts that are not only theirs."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts.testing import force_login
from campaign.models import AuditEntry, Campaign, Membership, Role
from tests.conftest import make_person

Person = get_user_model()
STRONG = "Kq7#mP2v!xR9"


def person_form(person, **changes):
    data = {
        "person-name": person.name,
        "person-username": person.username,
        "person-phone": person.phone,
        "person-title": person.title,
        "person-email": person.email,
        "person-is_active": "on",
        "person-password": "",
    }
    data.update({f"person-{k}": v for k, v in changes.items()})
    return data


def test_the_office_cannot_set_a_weak_password(personas, client_for):
    victim = personas.street_liaison
    client = client_for(personas.office_admin)
    url = reverse("campaign:person_edit", args=[victim.pk])
    response = client.post(url, person_form(victim, password="1"))
    assert response.status_code == 200
    assert "密码" in response.content.decode()  # Django's validators, in Chinese
    victim.refresh_from_db()
    assert victim.check_password("pw")


def test_a_new_person_gets_no_weak_password(personas, client_for):
    client = client_for(personas.office_admin)
    data = {
        "person-name": "新人",
        "person-username": "newbie",
        "person-password": "12345678",
        "person-is_active": "on",
        "role-role": Role.LEADER,
    }
    response = client.post(reverse("campaign:person_create"), data)
    assert response.status_code == 200
    assert not Person.objects.filter(username="newbie").exists()


def test_a_password_set_by_the_office_must_be_changed_at_next_sign_in(personas, client_for):
    victim = personas.street_liaison
    client_for(personas.office_admin).post(
        reverse("campaign:person_edit", args=[victim.pk]), person_form(victim, password=STRONG)
    )
    victim.refresh_from_db()
    assert victim.must_change_password
    client = Client()
    client.post("/login/", {"username": victim.username, "password": STRONG})
    response = client.get(reverse("tasks:task_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("password_change"))
    response = client.post(
        reverse("password_change"),
        {
            "old_password": STRONG,
            "new_password1": "my-own Pass 42",
            "new_password2": "my-own Pass 42",
        },
    )
    assert response.status_code == 302
    victim.refresh_from_db()
    assert not victim.must_change_password
    assert client.get(reverse("tasks:task_list")).status_code == 200


def test_password_changes_are_in_the_audit_log(personas, client_for):
    victim = personas.street_liaison
    client_for(personas.office_admin).post(
        reverse("campaign:person_edit", args=[victim.pk]),
        person_form(victim, password=STRONG),
        HTTP_USER_AGENT="Firefox/1",
        REMOTE_ADDR="10.8.0.7",
    )
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PASSWORD, object_id=str(victim.pk))
    assert entry.actor == personas.office_admin
    assert (entry.ip_address, entry.user_agent) == ("10.8.0.7", "Firefox/1")


def test_own_password_change_refuses_weak_passwords(personas, client_for):
    client = client_for(personas.street_liaison)
    response = client.post(
        reverse("password_change"),
        {"old_password": "pw", "new_password1": "password", "new_password2": "password"},
    )
    assert response.status_code == 200
    personas.street_liaison.refresh_from_db()
    assert personas.street_liaison.check_password("pw")


@pytest.fixture
def other_campaign(db):
    return Campaign.objects.create(
        name="另一个创建周期",
        level="provincial",
        city="别市",
        start_date="2025-01-01",
        end_date="2027-12-31",
    )


def test_the_office_cannot_take_over_the_office_admin_of_another_campaign(
    personas, other_campaign, client_for
):
    # Campaign B's office admin also holds a small role in campaign A.
    target = make_person(other_campaign, "office_b", Role.OFFICE_ADMIN)
    Membership.objects.create(
        person=target, campaign=personas.office_admin.memberships.first().campaign, role=Role.LEADER
    )
    client = client_for(personas.office_admin)
    url = reverse("campaign:person_edit", args=[target.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, person_form(target, password=STRONG)).status_code == 403
    target.refresh_from_db()
    assert target.check_password("pw")


@pytest.mark.parametrize("flag", ["is_superuser", "is_staff"])
def test_the_office_cannot_take_over_staff_or_superusers(personas, client_for, flag):
    target = personas.leader
    setattr(target, flag, True)
    target.save()
    client = client_for(personas.office_admin)
    url = reverse("campaign:person_edit", args=[target.pk])
    assert client.post(url, person_form(target, password=STRONG)).status_code == 403
    assert client.post(reverse("accounts:person_activation", args=[target.pk])).status_code == 403
    target.refresh_from_db()
    assert target.check_password("pw")


def test_the_office_still_manages_its_own_people(personas, client_for):
    victim = personas.street_liaison
    client = client_for(personas.office_admin)
    response = client.post(
        reverse("campaign:person_edit", args=[victim.pk]), person_form(victim, title="网格员")
    )
    assert response.status_code == 302
    victim.refresh_from_db()
    assert victim.title == "网格员"


def test_a_password_set_in_the_admin_site_is_validated_and_must_be_changed(personas):
    admin = Person.objects.create_superuser("root", password="pw", name="root")
    client = force_login(Client(), admin)
    victim = personas.street_liaison
    url = f"/admin/campaign/person/{victim.pk}/password/"
    weak = client.post(url, {"password1": "1", "password2": "1"})
    assert weak.status_code == 200
    victim.refresh_from_db()
    assert victim.check_password("pw")
    client.post(url, {"password1": STRONG, "password2": STRONG})
    victim.refresh_from_db()
    assert victim.check_password(STRONG)
    assert victim.must_change_password
