"""The organisation import matches units as offices write them, and flags probable duplicates."""

import io

import openpyxl

from campaign.models import Unit
from campaign.services import apply_organisation, read_organisation

HEADER = ["序号", "单位名称", "单位类别", "上级单位", "第一责任人", "职务", "联络员", "联系电话"]


def workbook(rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["某市责任单位名单"])
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_kind_and_parent_synonyms_are_matched(campaign, city):
    data = workbook(
        [
            [1, "南山县", "县（市、区）", "", "", "", "", ""],
            [2, "东华新街道", "街道（乡镇）", "东城区人民政府", "", "", "", ""],
            [3, "东华新社区", "社区（村）", "东华新街道办事处", "", "", "", ""],
        ]
    )
    plan = read_organisation(data, campaign=campaign)
    assert plan.errors == []
    assert [(r.name, r.kind, r.parent) for r in plan.rows] == [
        ("南山县", "district", ""),
        ("东华新街道", "street", "东城区"),
        ("东华新社区", "community", "东华新街道"),
    ]


def test_a_name_differing_only_in_bracket_width_is_the_same_unit(campaign, city, personas):
    Unit.objects.create(campaign=campaign, name="市公安局（交警支队）", kind="department")
    plan = read_organisation(
        workbook([[1, "市公安局(交警支队)", "市直部门", "", "", "", "", ""]]), campaign=campaign
    )
    assert plan.errors == []
    assert plan.rows[0].target == "市公安局（交警支队）"
    before = Unit.objects.count()
    apply_organisation(plan, campaign=campaign, actor=personas.office_admin)
    assert Unit.objects.count() == before


def test_a_name_containing_an_existing_one_is_a_probable_duplicate_until_confirmed(
    campaign, city, personas
):
    data = workbook([[1, "东城区东华街道", "街道", "东城区", "", "", "", ""]])
    plan = read_organisation(data, campaign=campaign)
    assert [(r.name, r.duplicate_of) for r in plan.probable_duplicates] == [
        ("东城区东华街道", "东华街道")
    ]
    # Confirmed as the same unit: no new unit, and the spelling is remembered as an alias.
    plan = read_organisation(data, campaign=campaign, same={3})
    assert plan.probable_duplicates == [] and plan.rows[0].target == "东华街道"
    before = Unit.objects.count()
    apply_organisation(plan, campaign=campaign, actor=personas.office_admin)
    assert Unit.objects.count() == before
    assert "东城区东华街道" in Unit.objects.get(campaign=campaign, name="东华街道").aliases
    again = read_organisation(data, campaign=campaign)
    assert again.rows[0].target == "东华街道" and again.probable_duplicates == []


def test_an_invisible_character_does_not_make_a_new_unit(campaign, city):
    plan = read_organisation(
        workbook([[1, "东华街道\u200b", "街道", "东城区", "", "", "", ""]]), campaign=campaign
    )
    assert plan.errors == []
    assert plan.rows[0].target == "东华街道"
