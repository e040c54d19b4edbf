"""Importing units and people from the unit and liaison workbook (责任单位及联络员名单)."""

import io
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from campaign.models import AuditEntry, Membership, Person, Role, Unit
from campaign.services import apply_organisation, read_organisation

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "organisation.xlsx"
HEADER = ["序号", "单位名称", "单位类别", "上级单位", "第一责任人", "职务", "联络员", "联系电话"]


def workbook(rows, header=HEADER, title="某市责任单位名单"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名单"
    ws.append([title])
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_sample_workbook_imports_the_whole_tree_with_people(campaign, personas):
    plan = read_organisation(SAMPLE.read_bytes(), campaign=campaign)
    assert plan.errors == []
    counts, _outcome = apply_organisation(plan, campaign=campaign, actor=personas.office_admin)
    # The personas' city already had 东城区 … 市城管局; the rest are new.
    assert counts["create"] + counts["update"] + counts["unchanged"] == 59
    community = Unit.objects.get(campaign=campaign, name="桥北第2社区")
    assert [a.name for a in Unit.objects.filter(pk__in=community.ancestor_ids)] == [
        "东城区",
        "桥北街道",
    ]
    assert Unit.objects.get(campaign=campaign, name="北山县").kind == Unit.Kind.DISTRICT
    assert Unit.objects.get(campaign=campaign, name="城关镇").kind == Unit.Kind.STREET
    assert Unit.objects.get(campaign=campaign, name="市公交集团").kind == Unit.Kind.OTHER
    liaison = Membership.objects.get(unit__name="西关第1社区", role=Role.UNIT_LIAISON).person
    assert (liaison.name, liaison.phone, liaison.username) == ("陈艳", "13800000013", "13800000013")
    assert not liaison.has_usable_password()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT).count() == 1


def test_importing_the_same_workbook_twice_changes_nothing(campaign, personas):
    plan = read_organisation(SAMPLE.read_bytes(), campaign=campaign)
    apply_organisation(plan, campaign=campaign, actor=personas.office_admin)
    before = (Unit.objects.count(), Person.objects.count(), Membership.objects.count())
    again = read_organisation(SAMPLE.read_bytes(), campaign=campaign)
    assert again.counts == {
        "create": 0,
        "update": 0,
        "unchanged": 59,
        "people_new": 0,
        "roles_started": 0,
        "roles_ended": 0,
    }
    apply_organisation(again, campaign=campaign, actor=personas.office_admin)
    assert (Unit.objects.count(), Person.objects.count(), Membership.objects.count()) == before


def test_bad_rows_write_nothing_and_name_row_and_column(campaign):
    data = workbook(
        [
            [1, "东城区", "县区", None, "李勇", "区长", "马静", "13800000001"],
            [2, "东华街道", "街道（镇）", "东城区", "张秀英", "主任", "朱涛", "13800000002"],
            [3, "", "社区", "东华街道", None, None, None, None],
            [4, "火星社区", "星球", "东华街道", None, None, None, None],
            [5, "无主社区", "社区", "不存在的街道", None, None, None, None],
            [6, "东华街道", "街道", "东城区", None, None, None, None],
        ]
    )
    plan = read_organisation(data, campaign=campaign)
    found = {(e.sheet, e.row, e.column) for e in plan.errors}
    assert found == {("名单", 5, "B"), ("名单", 6, "C"), ("名单", 7, "D"), ("名单", 8, "B")}
    messages = " ".join(e.message for e in plan.errors)
    assert "星球" in messages and "不存在的街道" in messages
    with pytest.raises(Exception):  # noqa: B017 - WorkbookInvalid; nothing may be written
        apply_organisation(plan, campaign=campaign, actor=None)
    assert not Unit.objects.filter(campaign=campaign).exists()


def test_a_header_with_other_labels_and_a_two_row_title_is_found(campaign):
    data = workbook(
        [["西湖区", "区县", "", "某某", "区长", "某某某", "139"]],
        header=["责任单位", "类型", "所属单位", "主要负责人", "职务", "联系人", "手机"],
        title="关于报送责任单位联络员的通知",
    )
    plan = read_organisation(data, campaign=campaign)
    assert plan.errors == []
    assert [(r.name, r.kind, r.liaison, r.phone) for r in plan.rows] == [
        ("西湖区", "district", "某某某", "139"),
    ]


def test_a_circle_of_parents_is_refused(campaign):
    data = workbook(
        [
            [1, "甲街道", "街道", "乙街道"],
            [2, "乙街道", "街道", "甲街道"],
        ]
    )
    plan = read_organisation(data, campaign=campaign)
    assert {(e.row, e.column) for e in plan.errors} == {(3, "D"), (4, "D")}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("name,kind\n东城区,县区\n".encode(), "not an Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".xls"),
    ],
)
def test_non_excel_files_get_a_clear_error(campaign, content, expected):
    with translation.override("en"):
        plan = read_organisation(content, campaign=campaign, filename="units.csv")
    assert len(plan.errors) == 1
    assert expected in plan.errors[0].message


def test_office_previews_then_confirms_an_import_through_the_pages(personas, client_for):
    client = client_for(personas.office_admin)
    url = reverse("campaign:organisation_import")
    upload = SimpleUploadedFile("organisation.xlsx", SAMPLE.read_bytes())
    response = client.post(url, {"file": upload, "preview": "1"})
    assert response.status_code == 200
    assert response.context["plan"].errors == []
    assert not Unit.objects.filter(name="北山县").exists()  # nothing written by the preview

    response = client.post(url, {"confirm": "1"})
    assert response.status_code == 200
    assert "roles given" in response.content.decode() or "个角色" in response.content.decode()
    assert Unit.objects.filter(name="北山县").exists()


def test_a_bad_file_through_the_page_shows_row_and_column(personas, client_for):
    client = client_for(personas.office_admin)
    data = workbook([[1, "东城区", "外星"]])
    response = client.post(
        reverse("campaign:organisation_import"),
        {"file": SimpleUploadedFile("bad.xlsx", data), "preview": "1"},
    )
    html = response.content.decode()
    assert "外星" in html
    assert "<td>3</td><td>C</td>" in html.replace("\n", "").replace(" ", "")


# --- People change without loss -------------------------------------------------------------


def _liaison_change():
    return workbook([[1, "东华街道", "街道", "东城区", "张秀英", "主任", "钱新", "13900000009"]])


def test_the_preview_shows_each_role_change_as_before_and_after(personas):
    plan = read_organisation(
        _liaison_change(), campaign=personas.office_admin.memberships.first().campaign
    )
    (row,) = plan.rows
    assert row.action == "update"
    (change,) = row.people
    assert (change.unit, change.role, change.before, change.after) == (
        "东华街道",
        Role.UNIT_LIAISON,
        ["朱涛"],
        "钱新",
    )
    assert change.new_person
    assert plan.counts["roles_ended"] == 1 and plan.counts["people_new"] == 1
    assert plan.ended == [change]


def test_an_import_that_replaces_a_liaison_ends_one_membership_and_hands_over_open_items(
    personas,
):
    from campaign.notifications import notify

    campaign = personas.street_liaison.memberships.get().campaign
    old = personas.street_liaison.memberships.get()
    notify(
        recipients=[personas.street_liaison],
        subject="逾期任务",
        campaign=campaign,
        dedupe_key="t:1",
    )
    notify(recipients=[personas.street_liaison], subject="已读的", campaign=campaign)
    personas.street_liaison.notifications.filter(subject="已读的").update(
        read_at="2026-01-01T00:00Z"
    )
    every_membership = set(Membership.history.values_list("pk", flat=True))

    plan = read_organisation(_liaison_change(), campaign=campaign)
    counts, outcome = apply_organisation(plan, campaign=campaign, actor=personas.office_admin)

    old.refresh_from_db()
    assert old.ended_at is not None and old.ended_by == personas.office_admin
    assert old.end_reason
    successor = Membership.objects.get(unit__name="东华街道", role=Role.UNIT_LIAISON)
    assert successor.person.name == "钱新" and successor.ended_at is None
    # Nothing deleted: every membership that existed is still there.
    assert every_membership <= set(Membership.history.values_list("pk", flat=True))
    # The unread notification follows the role; the read one stays with its reader.
    assert list(successor.person.notifications.values_list("subject", flat=True)) == ["逾期任务"]
    assert list(personas.street_liaison.notifications.values_list("subject", flat=True)) == [
        "已读的"
    ]
    assert outcome[0]["handed_over"] == 1
    # The old holder no longer sees the street's work; the new one does.
    from campaign.access import scope_for

    assert not scope_for(Person.objects.get(pk=personas.street_liaison.pk)).unit_paths
    assert scope_for(successor.person).unit_paths == [successor.unit.path]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.IMPORT)
    assert entry.changes["people"][0]["before"] == ["朱涛"]
    assert entry.changes["people"][0]["after"] == "钱新"
    assert "1" in entry.summary


def test_a_new_person_gets_no_usable_password(personas):
    campaign = personas.street_liaison.memberships.get().campaign
    plan = read_organisation(_liaison_change(), campaign=campaign)
    apply_organisation(plan, campaign=campaign, actor=personas.office_admin)
    person = Person.objects.get(name="钱新")
    assert not person.has_usable_password()


def test_an_existing_person_of_the_campaign_is_reused_not_duplicated(personas):
    campaign = personas.street_liaison.memberships.get().campaign
    # 刘伟 (the community leader) becomes 东华街道's liaison as well: same name and phone.
    Person.objects.filter(pk=personas.community_leader.pk).update(phone="13700000001")
    data = workbook([[1, "东华街道", "街道", "东城区", "张秀英", "主任", "刘伟", "13700000001"]])
    plan = read_organisation(data, campaign=campaign)
    assert not plan.rows[0].people[0].new_person
    before = Person.objects.count()
    apply_organisation(plan, campaign=campaign, actor=personas.office_admin)
    assert Person.objects.count() == before
    assert set(personas.community_leader.memberships.values_list("role", flat=True)) == {
        Role.UNIT_LEADER,
        Role.UNIT_LIAISON,
    }


def test_the_page_needs_the_ended_roles_confirmed_and_then_reports_them(personas, client_for):
    client = client_for(personas.office_admin)
    url = reverse("campaign:organisation_import")
    upload = SimpleUploadedFile("org.xlsx", _liaison_change())
    page = client.post(url, {"file": upload, "preview": "1"}).content.decode()
    assert "朱涛" in page and "钱新" in page and 'name="confirm_ended"' in page
    client.post(url, {"confirm": "1"})
    assert Membership.objects.filter(person=personas.street_liaison).exists()
    result = client.post(url, {"confirm": "1", "confirm_ended": "1"})
    assert not Membership.objects.filter(person=personas.street_liaison).exists()
    assert Membership.history.filter(person=personas.street_liaison).exists()
    assert "钱新" in result.content.decode()


def test_replacing_a_liaison_on_the_people_page_ends_the_old_role(personas, client_for):
    client = client_for(personas.office_admin)
    newcomer = personas.community_leader
    client.post(
        reverse("campaign:person_detail", args=[newcomer.pk]),
        {
            "role": Role.UNIT_LIAISON,
            "unit": personas.street_liaison.memberships.get().unit_id,
            "replaces": "on",
        },
    )
    assert not Membership.objects.filter(person=personas.street_liaison).exists()
    ended = Membership.history.get(person=personas.street_liaison)
    assert ended.ended_by == personas.office_admin


def test_ending_a_role_on_the_people_page_keeps_it_as_history(personas, client_for):
    membership = personas.street_liaison.memberships.get()
    client_for(personas.office_admin).post(
        reverse("campaign:membership_remove", args=[membership.pk])
    )
    membership.refresh_from_db()
    assert membership.ended_at is not None
    page = client_for(personas.office_admin).get(
        reverse("campaign:person_detail", args=[personas.street_liaison.pk])
    )
    assert "ended-role" in page.content.decode()


def test_a_common_name_without_a_phone_is_a_new_person_not_someone_elses_account(personas):
    campaign = personas.street_liaison.memberships.get().campaign
    # Another 刘伟 leads 新市街道: not the community leader of 东华第1社区.
    data = workbook([[1, "新市街道", "街道", "东城区", "刘伟", "主任", None, None]])
    plan = read_organisation(data, campaign=campaign)
    assert plan.rows[0].people[0].new_person
