"""manage.py import_indicators: the scripted import, its --json summary and exit status."""

import json

import pytest
from django.core.management import call_command

from campaign.models import EvaluationSystem, Standard

from .conftest import SAMPLE, xlsx


def run(*args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    status = 0
    try:
        call_command("import_indicators", *[str(a) for a in args], stdout=out, stderr=err)
    except SystemExit as exc:
        status = exc.code
    return status, out.getvalue(), err.getvalue()


def test_json_summary_of_the_sample_and_a_zero_exit_status(org):
    status, out, _err = run(SAMPLE, "--campaign", org.pk, "--json")
    assert status == 0
    result = json.loads(out)
    assert result["levels"] == [9, 22, 28]
    assert result["standards"] == 28
    assert result["points"] == 31.5
    assert result["unmatched_units"] == []
    assert result["errors"] == []
    assert EvaluationSystem.objects.get(pk=result["system"]).standards.count() == 28


def test_dry_run_writes_nothing(org):
    status, out, _err = run(SAMPLE, "--campaign", org.pk, "--dry-run", "--json")
    assert status == 0
    assert json.loads(out)["standards"] == 28
    assert EvaluationSystem.objects.count() == 0


def test_running_twice_updates_the_same_system(org):
    run(SAMPLE, "--campaign", org.pk)
    run(SAMPLE, "--campaign", org.pk)
    assert EvaluationSystem.objects.count() == 1
    assert Standard.objects.count() == 28


def test_errors_and_unknown_units_give_a_non_zero_exit_status_and_write_nothing(org, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(
        xlsx(
            (
                "测评体系",
                [
                    ["测评项目", "测评标准", "分值", "责任单位"],
                    ["公共环境", "路面平整", "一分", "市城管局"],
                    ["公共环境", "门头规范", 1, "城东新区管委会"],
                ],
                [],
            )
        )
    )
    status, out, _err = run(path, "--campaign", org.pk, "--json")
    assert status == 1
    result = json.loads(out)
    assert result["unmatched_units"] == ["城东新区管委会"]
    assert result["errors"] == [
        {"sheet": "测评体系", "row": 2, "column": "C", "message": result["errors"][0]["message"]},
        {"sheet": "测评体系", "row": 3, "column": "D", "message": result["errors"][1]["message"]},
    ]
    assert EvaluationSystem.objects.count() == 0


def test_a_mapping_on_the_command_line_resolves_an_unknown_unit(org, tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_bytes(
        xlsx(
            (
                "体系",
                [
                    ["测评项目", "测评标准", "分值", "责任单位"],
                    ["公共环境", "门头规范", 1, "城东新区管委会"],
                ],
                [],
            )
        )
    )
    status, _out, _err = run(path, "--campaign", org.pk, "--map", "城东新区管委会=东城区、西城区")
    assert status == 0
    standard = Standard.objects.get()
    assert {u.name for u in standard.responsible_units.all()} == {"东城区", "西城区"}


def test_an_unknown_campaign_is_an_error(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("import_indicators", str(SAMPLE), "--campaign", "999")


def test_a_new_edition_that_loses_a_level_is_refused_without_allow_restructure(org, tmp_path):
    run(SAMPLE, "--campaign", org.pk)
    system = EvaluationSystem.objects.get()
    # The 测评项目 header cleared: the same file now reads as two levels under the same title.
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(SAMPLE)
    sheet = book.active
    for row in sheet.iter_rows(max_row=6):
        for cell in row:
            if cell.value == "测评项目":
                cell.value = None
    out = BytesIO()
    book.save(out)
    path = tmp_path / "cleared.xlsx"
    path.write_bytes(out.getvalue())

    status, out, _err = run(path, "--campaign", org.pk, "--json")
    assert status == 1
    result = json.loads(out)
    assert result["refused"] and result["restructure"]
    assert system.nodes.filter(retired_at__isnull=True).count() == 9 + 22
    assert Standard.objects.filter(retired_at__isnull=True).count() == 28

    status, out, _err = run(path, "--campaign", org.pk, "--dry-run")
    assert status == 1
    assert "+" in out or "-" in out or "Changes" in out or "变化" in out


def test_json_lists_what_a_revised_edition_adds_removes_and_rewords(org, tmp_path):
    rows = [
        ["测评项目", "测评内容", "测评标准", "分值"],
        ["公共环境", "市容", "无乱贴乱画", 1],
        ["公共环境", "市容", "无乱停乱放", 1],
        ["公共环境", "市容", "无乱搭乱建", 1],
        ["公共环境", "市容", "无乱扔垃圾", 1],
        ["公共环境", "市容", "无乱拉电线", 1],
    ]
    path = tmp_path / "v1.xlsx"
    path.write_bytes(xlsx(("体系", rows, [])))
    run(path, "--campaign", org.pk, "--name", "市容体系")
    revised = [
        *rows[:4],
        ["公共环境", "市容", "无乱扔垃圾杂物", 1],
        ["公共环境", "市容", "新增标准", 2],
    ]
    path.write_bytes(xlsx(("体系", revised, [])))
    status, out, _err = run(path, "--campaign", org.pk, "--name", "市容体系", "--dry-run", "--json")
    assert status == 0
    diff = json.loads(out)["diff"]
    assert [a["text"] for a in diff["added"]] == ["新增标准"]
    assert [r["text"] for r in diff["removed"]] == ["无乱拉电线"]
    assert [(r["was"]["text"], r["text"]) for r in diff["reworded"]] == [
        ("无乱扔垃圾", "无乱扔垃圾杂物")
    ]
