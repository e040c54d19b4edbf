"""The shared sample workbook imports with no error, into the tree and figures it states."""

import datetime
from decimal import Decimal

from campaign.indicator_import import read_indicators
from campaign.models import AuditEntry, EvaluationSystem, IndicatorNode, Standard, Unit

from .conftest import SAMPLE, import_bytes


def test_sample_workbook_reads_with_no_error_and_the_stated_figures(org):
    plan = read_indicators(SAMPLE.read_bytes(), campaign=org, filename="indicator-system.xlsx")

    assert plan.all_errors == []
    assert plan.warnings == []
    summary = plan.summary()
    assert {key: summary[key] for key in ("levels", "standards", "points")} == {
        "levels": [9, 22, 28],
        "standards": 28,
        "points": 31.5,
    }
    assert (summary["unmatched_units"], summary["errors"], summary["diff"]) == ([], [], None)
    assert plan.level_names == ["测评项目", "测评内容"]
    assert plan.title == "某市创建全国文明城市测评体系任务分解表（示例）"


def test_sample_workbook_is_saved_as_a_two_level_tree_with_its_standards(sample_system):
    system = sample_system
    assert system.name == "某市创建全国文明城市测评体系任务分解表（示例）"
    assert system.depth == 3
    assert IndicatorNode.objects.filter(system=system, level=0).count() == 9
    assert IndicatorNode.objects.filter(system=system, level=1).count() == 22
    standards = Standard.objects.filter(system=system)
    assert standards.count() == 28
    assert sum(s.points for s in standards) == Decimal("31.5")

    first = standards.get(position=0)
    assert first.code == "1.1.1"
    assert first.node.name == "理想信念教育"
    assert first.node.parent.name == "思想道德建设"
    assert first.methods == [Standard.Method.DOCUMENT_REVIEW]
    assert first.deadline == datetime.date(2026, 3, 31)
    assert first.lead_unit.name == "市委宣传部"
    # 各县区、市直各部门: every district and every municipal department.
    names = set(first.responsible_units.values_list("name", flat=True))
    assert {"东城区", "北山县", "市城管局", "团市委"} <= names
    assert "东华街道" not in names
    # Chinese punctuation stays as written.
    assert "，" in first.text


def test_sample_veto_item_methods_and_command_offices_are_recognised(sample_system):
    air = Standard.objects.get(system=sample_system, text__startswith="城市空气质量")
    assert air.is_veto
    assert air.methods == [Standard.Method.DATA_CHECK, Standard.Method.NEGATIVE_LIST]
    # No command-office column: the office is the one the lead unit belongs to.
    assert air.lead_command_office.name == "综合整治指挥部"
    assert Standard.objects.filter(system=sample_system, is_veto=True).count() == 1
    online = Standard.objects.get(system=sample_system, text__startswith="城市门户网站")
    assert online.methods == [Standard.Method.ONLINE_REPORT, Standard.Method.DOCUMENT_REVIEW]


def test_collective_name_for_window_units_stands_for_the_municipal_departments(sample_system):
    queue = Standard.objects.get(system=sample_system, text__startswith="窗口服务单位")
    departments = Unit.objects.filter(campaign=sample_system.campaign, kind=Unit.Kind.DEPARTMENT)
    assert set(queue.responsible_units.all()) == set(departments) - {queue.lead_unit}


def test_importing_the_same_sample_again_changes_nothing(org, sample_system, personas):
    before = dict(Standard.objects.filter(system=sample_system).values_list("pk", "text"))
    plan, system = import_bytes(
        SAMPLE.read_bytes(), org, personas.office_admin, system=sample_system
    )
    assert system == sample_system
    assert plan.diff.unchanged == 28
    assert not plan.diff.has_changes
    assert dict(Standard.objects.filter(system=system).values_list("pk", "text")) == before
    assert EvaluationSystem.objects.count() == 1
    assert AuditEntry.objects.filter(object_type="campaign.evaluationsystem").count() == 2
