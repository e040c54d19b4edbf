"""Self-assessment: command staff for their own command office's standards, office admins for all."""

from decimal import Decimal

from django.urls import reverse

from campaign.models import EvaluationSystem, Standard


def assess_url(standard):
    return reverse("campaign:standard_assess", args=[standard.pk])


def test_command_staff_assess_their_own_offices_standard_with_a_history_row(
    sample_system, personas, client_for
):
    standard = Standard.objects.get(system=sample_system, text__startswith="沿街店铺门头牌匾")
    assert standard.lead_command_office.name == "城市建设指挥部"
    client = client_for(personas.command_staff)
    response = client.post(assess_url(standard), {"status": "mostly_met", "note": "部分路段破损"})
    assert response.status_code == 302
    standard.refresh_from_db()
    assert standard.assessment == Standard.Assessment.MOSTLY_MET
    assert standard.assessment_note == "部分路段破损"
    assert standard.assessed_by == personas.command_staff
    event = standard.assessment_events.get()
    assert (event.from_status, event.to_status) == ("not_assessed", "mostly_met")


def test_command_staff_cannot_assess_another_offices_standard(sample_system, personas, client_for):
    other = Standard.objects.get(system=sample_system, text__startswith="党员干部理论学习")
    assert other.lead_command_office.name == "文明素质指挥部"
    # Visible (it names every district, but command staff see by office): out of scope → 404.
    response = client_for(personas.command_staff).post(assess_url(other), {"status": "met"})
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.assessment == Standard.Assessment.NOT_ASSESSED


def test_unit_people_and_leaders_read_but_may_not_assess(sample_system, personas, client_for):
    standard = Standard.objects.get(system=sample_system, text__startswith="沿街店铺门头牌匾")
    for person in (personas.street_leader, personas.leader, personas.inspector):
        client = client_for(person)
        assert client.get(standard.get_absolute_url()).status_code == 200
        assert client.post(assess_url(standard), {"status": "met"}).status_code == 403
    standard.refresh_from_db()
    assert standard.assessment == Standard.Assessment.NOT_ASSESSED


def test_the_other_district_sees_nothing_of_a_standard_it_has_no_part_in(
    sample_system, personas, client_for
):
    streets_only = Standard.objects.get(system=sample_system, text__startswith="沿街店铺门头牌匾")
    client = client_for(personas.other_district_leader)
    # 各街道 includes 西关街道, below 西城区: the district reads it.
    assert client.get(streets_only.get_absolute_url()).status_code == 200
    departments_only = Standard.objects.get(system=sample_system, text__startswith="政府机构无失信")
    assert client.get(departments_only.get_absolute_url()).status_code == 404
    tree = client.get(sample_system.get_absolute_url()).content.decode()
    assert "沿街店铺门头牌匾" in tree
    assert "政府机构无失信" not in tree


def test_office_admin_edits_planning_fields_and_command_staff_cannot_move_the_office(
    sample_system, personas, client_for
):
    standard = Standard.objects.get(system=sample_system, text__startswith="沿街店铺门头牌匾")
    url = reverse("campaign:standard_edit", args=[standard.pk])
    staff = client_for(personas.command_staff)
    assert "lead_command_office" not in staff.get(url).context["form"].fields
    response = staff.post(
        url,
        {
            "difficulty": "hard",
            "deadline": "2026-05-20",
            "lead_unit": standard.lead_unit_id,
            "responsible_units": [u.pk for u in standard.responsible_units.all()],
            "evidence_required": 3,
        },
    )
    assert response.status_code == 302
    standard.refresh_from_db()
    assert standard.difficulty == "hard"
    assert standard.evidence_required == 3
    assert standard.lead_command_office.name == "城市建设指挥部"


def test_score_page_shows_a_failing_veto_item_and_a_missed_pass_mark_above_everything(
    sample_system, personas, client_for
):
    admin = personas.office_admin
    air = Standard.objects.get(system=sample_system, text__startswith="城市空气质量")
    air.assess(actor=admin, status=Standard.Assessment.NOT_MET)
    for standard in Standard.objects.filter(system=sample_system).exclude(pk=air.pk)[:20]:
        standard.assess(actor=admin, status=Standard.Assessment.MET)
    minors = EvaluationSystem.objects.create(
        campaign=sample_system.campaign,
        name="未成年人思想道德建设测评体系",
        pass_mark=Decimal("80"),
        level_names=["测评项目"],
    )
    html = client_for(admin).get(reverse("campaign:system_score", args=[sample_system.pk]))
    html = html.content.decode()
    assert (
        html.index('id="alert-pass-mark"')
        < html.index('id="alert-veto"')
        < html.index('id="risks"')
    )
    assert minors.name in html
    assert 'id="partial-credit-rule"' in html
    # The veto item heads the list of risks even though it carries fewer points.
    risks = html[html.index('id="risks"') :]
    body = risks.index("<tbody>")
    first_row = risks[body : risks.index("</tr>", body)]
    assert "城市空气质量" in first_row
