"""三员分立: the system, security and audit administrators are three different people, beside
the business roles, and the audit log is the auditor's alone."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.forms import AdministratorGrantForm
from campaign.forms import MembershipForm
from campaign.models import SEPARATED_ROLES, Membership, Role
from tests.conftest import make_person


@pytest.fixture
def admins(personas, campaign):
    return {
        role: make_person(campaign, role, role)
        for role in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR)
    }


@pytest.mark.parametrize("held", sorted(SEPARATED_ROLES))
def test_nobody_holds_two_of_the_three_duties(admins, campaign, held):
    person = admins[held]
    for role in SEPARATED_ROLES - {held}:
        with pytest.raises(ValidationError):
            Membership(person=person, campaign=campaign, role=role).full_clean()


def test_the_security_administrator_cannot_give_a_second_duty(admins, campaign, client_for):
    client = client_for(admins[Role.SECURITY_ADMIN])
    response = client.post(
        reverse("accounts:security_admin"),
        {"person": admins[Role.AUDITOR].pk, "role": Role.SYSTEM_ADMIN},
    )
    assert response.status_code == 200
    assert not Membership.objects.filter(
        person=admins[Role.AUDITOR], role=Role.SYSTEM_ADMIN
    ).exists()


def test_the_security_administrator_gives_a_duty_to_someone_without_one(
    admins, personas, campaign, client_for
):
    client = client_for(admins[Role.SECURITY_ADMIN])
    response = client.post(
        reverse("accounts:security_admin"), {"person": personas.leader.pk, "role": Role.AUDITOR}
    )
    assert response.status_code == 302
    assert Membership.objects.filter(person=personas.leader, role=Role.AUDITOR).exists()


def test_the_office_cannot_give_the_three_duties(personas, campaign):
    form = MembershipForm(campaign=campaign, user=personas.office_admin)
    offered = {value for value, _label in form.fields["role"].choices}
    assert not offered & SEPARATED_ROLES
    assert Role.OFFICE_ADMIN in offered
    grant = AdministratorGrantForm(campaign=campaign)
    assert {v for v, _l in grant.fields["role"].choices} == SEPARATED_ROLES


def test_only_the_auditor_opens_the_audit_log(admins, personas, client_for):
    for person, status in [
        (admins[Role.AUDITOR], 200),
        (admins[Role.SECURITY_ADMIN], 403),
        (admins[Role.SYSTEM_ADMIN], 403),
        (personas.office_admin, 403),
        (personas.leader, 403),
    ]:
        client = client_for(person)
        assert client.get(reverse("campaign:audit_list")).status_code == status
        assert client.get(reverse("campaign:audit_export")).status_code == status


def test_the_auditor_searches_and_exports_the_log_with_address_and_user_agent(
    admins, personas, client_for
):
    client_for(personas.office_admin).get(
        reverse("campaign:unit_detail", args=[987654]),
        REMOTE_ADDR="10.20.30.40",
        HTTP_USER_AGENT="Probe/2",
    )
    client = client_for(admins[Role.AUDITOR])
    page = client.get(reverse("campaign:audit_list"), {"action": "denied"})
    assert "10.20.30.40" in page.content.decode()
    csv = b"".join(
        client.get(reverse("campaign:audit_export"), {"action": "denied"}).streaming_content
    )
    text = csv.decode("utf-8-sig")
    assert "10.20.30.40" in text and "Probe/2" in text


def test_the_three_administrators_do_no_campaign_work(admins, campaign):
    from campaign.access import scope_for

    for person in admins.values():
        assert scope_for(person).is_read_only(campaign)
        assert not scope_for(person).is_office_admin(campaign)


def test_the_system_administrator_manages_accounts(admins, personas, client_for):
    client = client_for(admins[Role.SYSTEM_ADMIN])
    assert client.get(reverse("campaign:person_list")).status_code == 200
    assert (
        client.get(reverse("campaign:person_edit", args=[personas.street_liaison.pk])).status_code
        == 200
    )
    # …but not the other two administrators' accounts.
    assert (
        client.get(reverse("campaign:person_edit", args=[admins[Role.AUDITOR].pk])).status_code
        == 403
    )
