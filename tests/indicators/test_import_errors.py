"""Broken workbooks fail with errors that name sheet, row and column, and nothing is written."""

import pytest
from django.urls import reverse

from campaign.indicator_import import apply_indicators, read_indicators
from campaign.models import EvaluationSystem, IndicatorNode, Standard
from campaign.workbook import WorkbookInvalid

from .conftest import xlsx

HEADER = [
    "测评项目",
    "测评内容",
    "测评标准",
    "分值",
    "测评方法",
    "牵头单位",
    "责任单位",
    "完成时限",
]


def errors_of(data, campaign):
    plan = read_indicators(data, campaign=campaign, filename="broken.xlsx")
    return plan, [(e.sheet, e.row, e.column) for e in plan.all_errors]


def assert_nothing_written():
    assert EvaluationSystem.objects.count() == 0
    assert IndicatorNode.objects.count() == 0
    assert Standard.objects.count() == 0


def test_a_file_that_is_not_a_workbook_is_refused(org):
    plan, where = errors_of(b"name,points\nA,1\n", org)
    assert where == [("broken.xlsx", None, None)]
    assert "xlsx" in plan.all_errors[0].message


def test_an_old_xls_file_is_refused_with_how_to_fix_it(org):
    plan, _where = errors_of(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, org)
    assert ".xls" in plan.all_errors[0].message


def test_a_workbook_without_a_header_row_is_refused(org):
    data = xlsx(("说明", [["请按模板填写"]], []), ("数据", [["名称", "数量"], ["甲", 1]], []))
    plan, where = errors_of(data, org)
    assert where == [("broken.xlsx", None, None)]
    assert "测评标准" in plan.all_errors[0].message


@pytest.mark.parametrize(
    ("row", "column", "fragment"),
    [
        (["公共环境", "市容", "路面平整", None, "实地考察", "市城管局", "", ""], "D", "分值"),
        (["公共环境", "市容", "路面平整", "一分半", "实地考察", "市城管局", "", ""], "D", "一分半"),
        (
            ["公共环境", "市容", "路面平整", 1, "实地考察", "市城管局", "", "明年五月"],
            "H",
            "明年五月",
        ),
        (["公共环境", "市容", "路面平整", 1, "神秘访客", "市城管局", "", ""], "E", "神秘访客"),
        (["公共环境", "市容", "路面平整", -1, "实地考察", "市城管局", "", ""], "D", ""),
        (["公共环境", "市容", "", 1, "实地考察", "市城管局", "", ""], "C", ""),
    ],
    ids=["no points", "points not a number", "bad date", "unknown method", "negative", "no text"],
)
def test_a_bad_cell_is_named_by_sheet_row_and_column(org, row, column, fragment):
    data = xlsx(
        (
            "测评体系",
            [["标题"], HEADER, ["公共环境", "市容", "地面无积水", 1, "", "", "", ""], row],
            [],
        )
    )
    plan, where = errors_of(data, org)
    assert where == [("测评体系", 4, column)]
    assert fragment in plan.all_errors[0].message


def test_a_first_row_without_its_upper_level_is_an_error_at_that_cell(org):
    data = xlsx(("测评体系", [HEADER, [None, "市容", "路面平整", 1, "", "", "", ""]], []))
    _plan, where = errors_of(data, org)
    assert where == [("测评体系", 2, "A")]


def test_an_unknown_unit_left_unmapped_fails_and_nothing_is_written(org, personas):
    data = xlsx(
        (
            "测评体系",
            [HEADER, ["公共环境", "市容", "路面平整", 1, "", "市城管局", "城东新区管委会", ""]],
            [],
        )
    )
    plan, where = errors_of(data, org)
    assert where == [("测评体系", 2, "G")]
    assert "城东新区管委会" in plan.all_errors[0].message
    with pytest.raises(WorkbookInvalid):
        apply_indicators(plan, campaign=org, actor=personas.office_admin)
    assert_nothing_written()


def test_broken_uploads_through_the_page_write_nothing(org, personas, client_for):
    client = client_for(personas.office_admin)
    data = xlsx(("测评体系", [HEADER, ["公共环境", "市容", "路面平整", "", "", "", "", ""]], []))
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("campaign:system_import"),
        {"file": SimpleUploadedFile("broken.xlsx", data), "preview": "1"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="import-errors"' in html
    assert "测评体系" in html and "<td>D</td>" in html
    # A confirm without a stored preview goes back to the upload form.
    response = client.post(reverse("campaign:system_import"), {"confirm": "1"})
    assert response.status_code == 302
    assert_nothing_written()


def test_an_unmapped_name_at_confirm_keeps_the_preview_and_writes_nothing(
    org, personas, client_for
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(personas.office_admin)
    data = xlsx(
        (
            "测评体系",
            [HEADER, ["公共环境", "市容", "路面平整", 1, "", "市城管局", "城东新区管委会", ""]],
            [],
        )
    )
    response = client.post(
        reverse("campaign:system_import"),
        {"file": SimpleUploadedFile("t.xlsx", data), "preview": "1"},
    )
    assert 'id="unit-mapping"' in response.content.decode()
    response = client.post(reverse("campaign:system_import"), {"confirm": "1"})
    assert response.status_code == 200
    assert "请选择" in response.content.decode() or "invalid-feedback" in response.content.decode()
    assert_nothing_written()


def test_the_office_maps_an_unknown_name_in_the_preview_and_the_import_goes_ahead(
    org, personas, client_for
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from campaign.models import Unit

    client = client_for(personas.office_admin)
    data = xlsx(
        (
            "测评体系",
            [HEADER, ["公共环境", "市容", "路面平整", 1, "", "市城管局", "城东新区管委会", ""]],
            [],
        )
    )
    client.post(
        reverse("campaign:system_import"),
        {"file": SimpleUploadedFile("t.xlsx", data), "name": "城东体系", "preview": "1"},
    )
    east, west = Unit.objects.filter(campaign=org, name__in=["东城区", "西城区"]).order_by("name")
    response = client.post(
        reverse("campaign:system_import"), {"confirm": "1", "map_0": [east.pk, west.pk]}
    )
    system = EvaluationSystem.objects.get()
    assert response.status_code == 302
    assert system.name == "城东体系"
    standard = system.standards.get()
    assert set(standard.responsible_units.all()) == {east, west}
