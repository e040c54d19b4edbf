"""The ledger's pages: field entry with photos, actions through forms, uploads refused,
conflicts reported, the inbox and the supervision list."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from inspections.models import Finding, FindingCategory, FindingPhoto, Status, SupervisionLevel

from .conftest import make_photo

pytestmark = pytest.mark.django_db


def entry(category, city, **extra):
    data = {
        "description": "东华路口三处流动摊点占道经营",
        "category": category.pk,
        "severity": "minor",
        "address": "东华路与建设街交叉口",
        "territory": city.donghua.pk,
        "assign_now": "on",
        "photos": [make_photo("scene.jpg", exif_time="2026:03:01 09:15:00")],
    }
    data.update(extra)
    return data


def test_an_inspector_logs_a_finding_with_a_photo_and_hands_it_to_the_suggested_unit(
    personas, city, category, client_for
):
    client = client_for(personas.inspector)
    assert client.get(reverse("inspections:finding_create")).status_code == 200
    response = client.post(reverse("inspections:finding_create"), entry(category, city))
    finding = Finding.objects.get()
    assert response.status_code == 302 and response["Location"] == finding.get_absolute_url()
    # No unit chosen: the category has no department, so the area's unit gets it.
    assert (finding.status, finding.unit) == (Status.ASSIGNED, city.donghua)
    photo = finding.photos.get()
    assert photo.kind == FindingPhoto.Kind.BEFORE
    # The shooting time from the photo's EXIF is kept (09:15 Beijing time).
    assert timezone.localtime(photo.taken_at).strftime("%Y-%m-%d %H:%M") == "2026-03-01 09:15"
    assert photo.thumbnail.name


def test_a_category_with_a_department_suggests_that_department(
    personas, city, client_for, campaign
):
    category = FindingCategory.objects.create(
        campaign=campaign, name="公益广告缺失", department=city.chengguan
    )
    client_for(personas.inspector).post(
        reverse("inspections:finding_create"), entry(category, city)
    )
    assert Finding.objects.get().unit == city.chengguan


def test_the_field_form_asks_for_the_phone_camera(personas, client_for, category):
    html = (
        client_for(personas.inspector).get(reverse("inspections:finding_create")).content.decode()
    )
    assert 'capture="environment"' in html and 'accept="image/*"' in html


def test_a_non_image_is_refused_and_nothing_is_logged(personas, city, category, client_for):
    fake = SimpleUploadedFile("scene.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg")
    response = client_for(personas.inspector).post(
        reverse("inspections:finding_create"), entry(category, city, photos=[fake])
    )
    assert response.status_code == 200
    assert response.context["form"].errors["photos"]
    assert not Finding.objects.exists()


def test_an_oversized_photo_is_refused(personas, city, category, client_for, settings):
    settings.PHOTO_MAX_MB = 0  # any real photo is then too large
    response = client_for(personas.inspector).post(
        reverse("inspections:finding_create"), entry(category, city)
    )
    assert response.status_code == 200
    assert not Finding.objects.exists()
    assert response.context["form"].errors["photos"]


def test_a_rectification_with_a_non_image_is_refused(make_finding, personas, client_for):
    finding = make_finding("rectifying")
    fake = SimpleUploadedFile("after.png", b"GIF89a-broken", content_type="image/png")
    response = client_for(personas.street_liaison).post(
        reverse("inspections:finding_submit", args=[finding.pk]),
        {"version": finding.version, "measures": "已清理", "photos": [fake]},
    )
    assert response.status_code == 400
    finding.refresh_from_db()
    assert finding.status == Status.RECTIFYING


def test_the_unit_submits_with_an_after_photo_and_another_inspector_closes_it(
    make_finding, personas, client_for
):
    finding = make_finding("assigned")
    unit = client_for(personas.street_liaison)
    unit.post(
        reverse("inspections:finding_acknowledge", args=[finding.pk]), {"version": finding.version}
    )
    finding.refresh_from_db()
    response = unit.post(
        reverse("inspections:finding_submit", args=[finding.pk]),
        {
            "version": finding.version,
            "measures": "已劝离并设置疏导点",
            "photos": [make_photo("after.jpg")],
        },
    )
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.status == Status.AWAITING
    # The unit is not offered the verification form; an inspector is.
    assert "finding_verify" not in str(unit.get(finding.get_absolute_url()).context["forms"])
    assert "verify" not in unit.get(finding.get_absolute_url()).context["forms"]
    inspector = client_for(personas.inspector)
    assert "verify" in inspector.get(finding.get_absolute_url()).context["forms"]
    inspector.post(
        reverse("inspections:finding_verify", args=[finding.pk]),
        {"version": finding.version, "passed": "1", "note": "现场复核到位"},
    )
    finding.refresh_from_db()
    assert finding.status == Status.CLOSED
    page = inspector.get(finding.get_absolute_url()).content.decode()
    assert "已销号" in page


def test_submitting_without_an_after_photo_is_refused_by_the_form(
    make_finding, personas, client_for
):
    finding = make_finding("rectifying")
    response = client_for(personas.street_liaison).post(
        reverse("inspections:finding_submit", args=[finding.pk]),
        {"version": finding.version, "measures": "已清理"},
    )
    assert response.status_code == 400
    finding.refresh_from_db()
    assert finding.status == Status.RECTIFYING


def test_a_verification_refused_by_the_rules_shows_the_reason(
    make_finding, personas, client_for, city
):
    from campaign.models import Membership, Role

    finding = make_finding("awaiting")
    # The street's liaison is also an inspector: still may not verify the street's work.
    Membership.objects.create(
        person=personas.street_liaison, campaign=city.campaign, role=Role.INSPECTOR
    )
    page = client_for(personas.street_liaison).get(finding.get_absolute_url())
    assert "verify" not in page.context["forms"]
    response = client_for(personas.street_liaison).post(
        reverse("inspections:finding_verify", args=[finding.pk]),
        {"version": finding.version, "passed": "1"},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any("不能复核本单位" in m for m in messages)
    finding.refresh_from_db()
    assert finding.status == Status.AWAITING


def test_a_stale_form_gets_a_clear_message_and_changes_nothing(make_finding, personas, client_for):
    finding = make_finding("awaiting")
    stale = finding.version
    client_for(personas.inspector).post(
        reverse("inspections:finding_verify", args=[finding.pk]),
        {"version": stale, "passed": "0", "note": "不合格"},
    )
    response = client_for(personas.office_admin).post(
        reverse("inspections:finding_verify", args=[finding.pk]),
        {"version": stale, "passed": "1"},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any("刚刚已被他人处理" in m for m in messages)
    finding.refresh_from_db()
    assert finding.status == Status.RETURNED


def test_the_office_supervises_voids_and_decides_disputes_through_forms(
    make_finding, personas, city, client_for
):
    office = client_for(personas.office_admin)
    late = make_finding("rectifying")
    office.post(
        reverse("inspections:finding_supervise", args=[late.pk]),
        {"version": late.version, "level": "2", "note": "限期三日"},
    )
    late.refresh_from_db()
    assert late.supervision_level == SupervisionLevel.LISTED
    disputed = make_finding("disputed", address="二号点")
    office.post(
        reverse("inspections:finding_decide", args=[disputed.pk]),
        {
            "version": disputed.version,
            "upheld": "1",
            "unit": city.chengguan.pk,
            "note": "属城管职责",
        },
    )
    disputed.refresh_from_db()
    assert (disputed.status, disputed.unit) == (Status.ASSIGNED, city.chengguan)
    wrong = make_finding("registered", address="三号点")
    office.post(
        reverse("inspections:finding_void", args=[wrong.pk]),
        {"version": wrong.version, "note": "重复"},
    )
    wrong.refresh_from_db()
    assert wrong.status == Status.VOIDED


def test_a_relapse_through_the_page_opens_the_new_finding(make_finding, personas, client_for):
    old = make_finding("closed")
    response = client_for(personas.inspector).post(
        reverse("inspections:finding_relapse", args=[old.pk]), {"description": "又出现摊点"}
    )
    new = Finding.objects.get(relapse_of=old)
    assert response["Location"] == new.get_absolute_url()


def test_a_nearby_open_finding_of_the_same_category_is_warned_about(
    make_finding, personas, client_for, category
):
    existing = make_finding(
        "assigned", address="东华路1号", latitude="30.000000", longitude="120.000000"
    )
    client = client_for(personas.inspector)
    url = reverse("inspections:finding_nearby")
    same_address = client.get(url, {"category": category.pk, "address": "东华路1号"})
    assert existing.code in same_address.content.decode()
    # About 30 m away, different address text.
    nearby = client.get(
        url,
        {"category": category.pk, "address": "别处", "latitude": "30.00027", "longitude": "120.0"},
    )
    assert existing.code in nearby.content.decode()
    far = client.get(
        url,
        {"category": category.pk, "address": "别处", "latitude": "30.0020", "longitude": "120.0"},
    )
    assert existing.code not in far.content.decode()


def test_the_unit_inbox_lists_what_waits_for_the_unit(make_finding, personas, client_for):
    assigned = make_finding("assigned")
    returned = make_finding("returned", address="二号点")
    closed = make_finding("closed", address="三号点")
    response = client_for(personas.street_liaison).get(reverse("inspections:finding_inbox"))
    sections = {
        key: [f["pk"] for f in items] for key, _title, items in response.context["sections"]
    }
    assert sections["acknowledge"] == [assigned.pk]
    assert sections["rectify"] == [returned.pk]
    assert closed.pk not in sum(sections.values(), [])


def test_the_inspector_inbox_offers_rectifications_to_verify(make_finding, personas, client_for):
    awaiting = make_finding("awaiting")
    response = client_for(personas.inspector).get(reverse("inspections:finding_inbox"))
    sections = {
        key: [f["pk"] for f in items] for key, _title, items in response.context["sections"]
    }
    assert sections["verify"] == [awaiting.pk]


def test_the_supervision_list_shows_supervised_findings_with_their_order_number(
    make_finding, personas, client_for
):
    finding = make_finding("rectifying")
    event = finding.supervise(actor=personas.office_admin, level=SupervisionLevel.NORMAL)
    html = (
        client_for(personas.street_leader)
        .get(reverse("inspections:supervision_list"))
        .content.decode()
    )
    assert finding.code in html and event.data["number"] in html
    assert (
        finding.code
        not in client_for(personas.other_district_leader)
        .get(reverse("inspections:supervision_list"))
        .content.decode()
    )


def test_the_ledger_filters_by_status_overdue_and_unit_below(
    make_finding, personas, client_for, city
):
    late = make_finding("assigned")  # deadline 2026-03-10, in the past
    closed = make_finding("closed", address="二号点")
    client = client_for(personas.office_admin)
    url = reverse("inspections:finding_list")

    def listed(**params):
        return [f["pk"] for f in client.get(url, params).context["page"]]

    assert listed(status="closed") == [closed.pk]
    assert listed(overdue="true") == [late.pk]
    assert set(listed(unit=city.east.pk)) == {late.pk, closed.pk}
    assert listed(unit=city.west.pk) == []
    assert set(listed(district=city.east.pk, status="open")) == {late.pk}


def test_the_htmx_request_gets_only_the_table(make_finding, personas, client_for):
    make_finding("assigned")
    response = client_for(personas.office_admin).get(
        reverse("inspections:finding_list"), headers={"HX-Request": "true"}
    )
    assert "<html" not in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_an_inspection_is_recorded_and_its_findings_take_its_kind_and_date(
    personas, city, category, client_for
):
    client = client_for(personas.inspector)
    response = client.post(
        reverse("inspections:inspection_create"),
        {"kind": "undercover", "date": "2026-03-05", "team": "第一督查组", "area": city.east.pk},
    )
    inspection = city.campaign.inspections.get()
    assert response["Location"].endswith(f"?inspection={inspection.pk}")
    data = entry(category, city)
    data["inspection"] = inspection.pk
    client.post(reverse("inspections:finding_create"), data)
    finding = Finding.objects.get()
    assert (finding.inspection, finding.source) == (inspection, "undercover")
    assert str(finding.found_on) == "2026-03-05"
    page = client.get(inspection.get_absolute_url()).content.decode()
    assert finding.code in page


def test_the_office_adds_a_category_and_sets_deadlines_with_an_audit_entry(
    personas, client_for, city
):
    from campaign.models import AuditEntry
    from inspections.models import LedgerSettings

    client = client_for(personas.office_admin)
    client.post(
        reverse("inspections:category_list"),
        {
            "form": "category",
            "name": "违规燃放",
            "department": city.chengguan.pk,
            "position": 20,
            "is_active": "on",
        },
    )
    assert FindingCategory.objects.get(name="违规燃放").department == city.chengguan
    client.post(
        reverse("inspections:category_list"),
        {
            "form": "settings",
            "days_minor": 7,
            "days_serious": 3,
            "days_critical": 1,
            "listed_after": 3,
            "key_after": 10,
            "interview_after": 3,
            "legal_basis": "依据《某市问题整改督办办法》",
        },
    )
    saved = LedgerSettings.for_campaign(city.campaign)
    assert (saved.days_minor, saved.interview_after) == (7, 3)
    assert saved.legal_basis_line() == "依据《某市问题整改督办办法》"
    assert AuditEntry.objects.filter(object_type="inspections.findingcategory").exists()
    assert AuditEntry.objects.filter(object_type="inspections.ledgersettings").exists()
    assert (
        client_for(personas.inspector).get(reverse("inspections:category_list")).status_code == 403
    )


def test_a_citizens_phone_is_shown_to_the_office_but_not_to_the_unit(
    personas, city, category, client_for
):
    from inspections.services import log_finding

    finding = log_finding(
        campaign=city.campaign,
        actor=None,
        source="citizen",
        description="垃圾满溢",
        address="东华路2号",
        territory=city.donghua,
        reporter_phone="13912345678",
    )
    assert (
        "13912345678"
        in client_for(personas.office_admin).get(finding.get_absolute_url()).content.decode()
    )
    assert (
        "13912345678"
        not in client_for(personas.street_leader).get(finding.get_absolute_url()).content.decode()
    )


def test_the_supervision_form_only_offers_higher_levels(make_finding, personas, client_for):
    finding = make_finding("rectifying")
    finding.supervise(actor=personas.office_admin, level=SupervisionLevel.LISTED)
    client = client_for(personas.office_admin)
    form = client.get(finding.get_absolute_url()).context["forms"]["supervise"]
    assert [value for value, _label in form.fields["level"].choices] == [SupervisionLevel.KEY]
    response = client.post(
        reverse("inspections:finding_supervise", args=[finding.pk]),
        {"version": finding.version, "level": SupervisionLevel.NORMAL},
    )
    assert response.status_code == 400
    finding.refresh_from_db()
    assert finding.supervision_level == SupervisionLevel.LISTED


def test_the_home_page_and_navigation_lead_to_the_ledger_by_role(personas, client_for):
    inspector = client_for(personas.inspector).get(reverse("home")).content.decode()
    assert reverse("inspections:finding_create") in inspector
    assert reverse("inspections:finding_list") in inspector
    unit = client_for(personas.street_liaison).get(reverse("home")).content.decode()
    assert reverse("inspections:finding_inbox") in unit
    assert reverse("inspections:finding_create") not in unit


def test_the_assign_form_searches_units_instead_of_listing_them(
    make_finding, personas, city, client_for
):
    finding = make_finding("registered")
    html = client_for(personas.office_admin).get(finding.get_absolute_url()).content.decode()

    assert f'<option value="{city.xiguan1.pk}"' not in html
    # The suggested unit is chosen; the area box leaves out departments.
    assert f'name="unit" value="{city.donghua.pk}" data-role="value"' in html
    assert "/org/units/autocomplete/?exclude=department" in html


def test_a_findings_page_links_its_inspection_and_the_finding_it_relapses(
    make_finding, personas, client_for, city
):
    """The finding's own query joins neither its inspection nor the relapsed finding (most
    findings have neither, and each join doubled PostgreSQL's planning of the query); the
    page still shows both."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inspections.models import Inspection

    old = make_finding("closed")
    inspection = Inspection.objects.create(campaign=city.campaign, kind="routine", team="第二组")
    new = make_finding("assigned", relapse_of=old, inspection=inspection)
    url = reverse("inspections:finding_detail", args=[new.pk])
    with CaptureQueriesContext(connection) as queries:
        page = client_for(personas.office_admin).get(url).content.decode()

    assert f'href="{old.get_absolute_url()}">{old.code}</a>' in page
    assert f'href="{inspection.get_absolute_url()}">' in page
    (finding_query,) = [q["sql"] for q in queries if f'"id" = {new.pk}' in q["sql"]]
    assert '"inspections_inspection"' not in finding_query
    assert 'JOIN "inspections_finding"' not in finding_query
