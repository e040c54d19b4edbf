"""The point list (点位清单) import: preview then confirm, all or nothing, errors that name
the sheet, row, column and field; and the export, which the import reads back."""

import io

import pytest
from openpyxl import Workbook, load_workbook

from campaign.models import AuditEntry
from fieldwork.models import Point
from fieldwork.services import read_points

pytestmark = pytest.mark.django_db

HEADER = [
    "序号",
    "点位名称",
    "点位类型",
    "地址",
    "经度",
    "纬度",
    "所属区域",
    "责任单位",
    "行业主管部门",
]


def workbook(rows, header=HEADER, title="点位清单"):
    wb = Workbook()
    sheet = wb.active
    sheet.title = title
    sheet.append(["2026年实地考察点位清单"])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload(client, data, name="点位.xlsx"):
    return client.post("/field/points/import/", {"file": _file(data, name)})


def _file(data, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


ROWS = [
    [
        1,
        "东华农贸市场",
        "农贸市场",
        "东华路18号",
        113.6512,
        34.7513,
        "东华第1社区",
        "东华街道",
        "市城管局",
    ],
    [2, "实验小学周边", "学校周边", "新市路2号", 113.6601, 34.7488, "新市街道", "新市街道", ""],
    [
        3,
        "西关汽车站",
        "交通场站",
        "西关路9号",
        "113.6311",
        "34.7602",
        "西关街道",
        "西城区",
        "城管局",
    ],
]


def test_the_office_previews_then_confirms_and_every_point_is_written(
    personas, client_for, city, point_types
):
    client = client_for(personas.office_admin)
    response = upload(client, workbook(ROWS))
    assert response.status_code == 200
    plan = response.context["plan"]
    assert plan.errors == [] and plan.counts == {"create": 3, "update": 0, "unchanged": 0}
    assert not Point.objects.exists()  # the preview writes nothing
    response = client.post("/field/points/import/", {"confirm": "1"})
    assert response.status_code == 302
    market = Point.objects.get(name="东华农贸市场")
    assert (market.type.name, market.territory, market.unit, market.department) == (
        "农贸市场",
        city.donghua1,
        city.donghua,
        city.chengguan,
    )
    assert (str(market.latitude), str(market.longitude)) == ("34.751300", "113.651200")
    # Units are matched by alias too (城管局 → 市城管局).
    assert Point.objects.get(name="西关汽车站").department == city.chengguan
    assert AuditEntry.objects.filter(action="import", changes__create=3).exists()


def test_reimporting_updates_the_known_points_and_leaves_the_rest(
    personas, client_for, city, point_types
):
    client = client_for(personas.office_admin)
    upload(client, workbook(ROWS))
    client.post("/field/points/import/", {"confirm": "1"})
    changed = [list(r) for r in ROWS]
    changed[0][3] = "东华路20号"
    plan = upload(client, workbook(changed)).context["plan"]
    assert plan.counts == {"create": 0, "update": 1, "unchanged": 2}
    client.post("/field/points/import/", {"confirm": "1"})
    market = Point.objects.get(name="东华农贸市场")
    assert market.address == "东华路20号" and market.version == 2
    assert Point.objects.count() == 3


def test_errors_name_the_sheet_row_column_and_field_and_nothing_is_written(
    personas, client_for, city, point_types
):
    rows = [
        ROWS[0],
        [2, "实验小学周边", "学校", "新市路2号", 113.66, 34.74, "新市街道", "新市街道", ""],
        [3, "西关汽车站", "交通场站", "西关路9号", 34.76, 113.63, "西关街道", "西城区", ""],
        [4, "和平广场", "公共广场", "和平路", 113.62, "", "西关街道", "西城区", ""],
        [5, "南湖公园", "公园景区", "南湖路", "", "", "南湖区", "西城区", ""],
    ]
    response = upload(client_for(personas.office_admin), workbook(rows))
    errors = {(e.sheet, e.row, e.column): e.message for e in response.context["plan"].errors}
    assert set(errors) == {
        ("点位清单", 4, "C"),  # unknown type
        ("点位清单", 5, "F"),  # latitude 113.63 out of range
        ("点位清单", 6, "F"),  # longitude without latitude
        ("点位清单", 7, "G"),  # 南湖区 is no unit of this campaign
    }
    assert "学校" in errors[("点位清单", 4, "C")] and "农贸市场" in errors[("点位清单", 4, "C")]
    assert "纬度" in errors[("点位清单", 5, "F")] and "113.63" in errors[("点位清单", 5, "F")]
    assert "纬度" in errors[("点位清单", 6, "F")]
    assert "所属区域" in errors[("点位清单", 7, "G")] and "南湖区" in errors[("点位清单", 7, "G")]
    assert not Point.objects.exists()
    # Nothing was staged: a confirmation now has nothing to apply.
    assert (
        client_for(personas.office_admin)
        .post("/field/points/import/", {"confirm": "1"})
        .status_code
        == 302
    )
    assert not Point.objects.exists()


def test_units_outside_the_importers_scope_are_not_matched(personas, city, point_types):
    # Someone who sees only 东城区: neither 市城管局 nor 西城区 and its streets match.
    plan = read_points(workbook(ROWS), campaign=city.campaign, user=personas.district_leader)
    assert [(e.row, e.column) for e in plan.errors] == [(3, "I"), (5, "G"), (5, "H"), (5, "I")]


def test_a_point_listed_twice_is_an_error(personas, city, point_types):
    plan = read_points(
        workbook([ROWS[0], ROWS[0]]), campaign=city.campaign, user=personas.office_admin
    )
    assert [(e.row, e.column) for e in plan.errors] == [(4, "B")]


def test_the_export_reads_back_as_an_import_with_nothing_to_change(
    personas, client_for, city, make_point
):
    make_point("东华农贸市场", department=city.chengguan)
    make_point("建设里", type="背街小巷", at=None, territory=city.xinshi1)
    client = client_for(personas.office_admin)
    response = client.get("/field/points/export/")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in sheet[2]] == [
        "点位名称",
        "点位类型",
        "地址",
        "纬度",
        "经度",
        "所属区域",
        "责任单位",
        "行业主管部门",
    ]
    plan = read_points(data, campaign=city.campaign, user=personas.office_admin)
    assert plan.errors == []
    assert plan.counts == {"create": 0, "update": 0, "unchanged": 2}


def test_the_export_is_scoped(personas, client_for, city, make_point):
    make_point("东华农贸市场")
    make_point("西关车站", type="交通场站", territory=city.xiguan)
    data = b"".join(
        client_for(personas.district_leader).get("/field/points/export/").streaming_content
    )
    names = [row[0].value for row in load_workbook(io.BytesIO(data)).active.iter_rows(min_row=3)]
    assert names == ["东华农贸市场"]
