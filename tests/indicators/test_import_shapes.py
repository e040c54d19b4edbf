"""Workbooks of many shapes import correctly: the variations offices really circulate."""

import datetime
from decimal import Decimal

from campaign.indicator_import import format_clauses, read_indicators
from campaign.models import IndicatorNode, Standard, Unit

from .conftest import import_bytes, xlsx

HEADER_3 = [
    "序号",
    "测评项目",
    "测评内容",
    "测评标准",
    "分值",
    "测评方法",
    "牵头单位",
    "责任单位",
    "完成时限",
]


def read(data, campaign, **kwargs):
    return read_indicators(data, campaign=campaign, filename="t.xlsx", **kwargs)


def test_four_levels_instructions_sheet_title_rows_two_row_merged_header_and_merged_levels(
    org, personas
):
    instructions = (
        "填报说明",
        [["填报说明"], ["1. 请勿修改表头。"], ["2. 分值保留一位小数。"]],
        [],
    )
    rows = [
        ["某市创建全国文明城市工作指挥部办公室"],
        ["创文办〔2026〕12号"],
        ["2026年版全国文明城市测评体系操作手册任务分解"],
        [
            "编号",
            "测评体系",
            None,
            None,
            None,
            "分值",
            "测评方法",
            "是否一票否决",
            "难易程度",
            "责任分工",
            None,
            None,
            "完成时限",
        ],
        [
            None,
            "测评项目",
            "指标",
            "测评内容",
            "测评标准",
            None,
            None,
            None,
            None,
            "牵头指挥部",
            "牵头单位",
            "责任单位",
            None,
        ],
        [
            "A1",
            "一、重要指示精神学习宣传",
            "学习宣传",
            "理论学习",
            "建立学习制度，每季度集中学习不少于1次",
            1,
            "材料审核",
            "",
            "易",
            "文明素质指挥部",
            "市委宣传部",
            "各县区",
            "2026年3月31日",
        ],
        [
            "A2",
            None,
            None,
            None,
            "市民知晓率达到90%以上",
            0.5,
            "问卷调查",
            "",
            "中",
            "文明素质指挥部",
            "市委宣传部",
            "各县区",
            "2026年6月",
        ],
        [
            "A3",
            None,
            None,
            "阵地建设",
            "新时代文明实践中心（所、站）全覆盖",
            2,
            "实地考察",
            "",
            "难",
            "社区建设指挥部",
            "市文明办",
            "各街道",
            "2026年5月底",
        ],
        [
            "B1",
            "二、公共安全",
            "安全底线",
            "重大事故",
            "不发生重大安全生产事故",
            0,
            "负面清单",
            "是",
            "难",
            "综合整治指挥部",
            "市公安局",
            "各县区",
            datetime.datetime(2026, 12, 31),
        ],
    ]
    merges = [
        "A1:M1",
        "A2:M2",
        "A3:M3",
        "A4:A5",
        "B4:E4",
        "F4:F5",
        "G4:G5",
        "H4:H5",
        "I4:I5",
        "J4:L4",
        "M4:M5",
        "B6:B8",
        "C6:C8",
        "D6:D7",
    ]
    data = xlsx(instructions, ("测评体系", rows, merges))

    plan = read(data, org)
    assert plan.all_errors == []
    assert plan.sheet == "测评体系"
    assert plan.skipped_sheets == ["填报说明"]
    assert plan.level_names == ["测评项目", "指标", "测评内容"]
    assert plan.level_counts == [2, 2, 3, 4]
    assert plan.document_number == "创文办〔2026〕12号"
    assert plan.issuer == "某市创建全国文明城市工作指挥部办公室"
    assert plan.title == "2026年版全国文明城市测评体系操作手册任务分解"
    assert plan.year == 2026

    _plan, system = import_bytes(data, org, personas.office_admin)
    assert system.level_names == ["测评项目", "指标", "测评内容"]
    assert system.document_number == "创文办〔2026〕12号"
    top = IndicatorNode.objects.get(system=system, level=0, name="重要指示精神学习宣传")
    assert top.code == "一"
    standards = {s.code: s for s in Standard.objects.filter(system=system)}
    assert list(standards) == ["A1", "A2", "A3", "B1"]
    assert standards["A1"].node.name == "理论学习"
    assert standards["A1"].node.parent.name == "学习宣传"
    assert standards["A1"].difficulty == Standard.Difficulty.EASY
    assert standards["A2"].difficulty == Standard.Difficulty.ATTAINABLE
    assert standards["A2"].deadline == datetime.date(2026, 6, 30)
    assert standards["A3"].deadline == datetime.date(2026, 5, 31)
    assert standards["A3"].lead_command_office.name == "社区建设指挥部"
    assert standards["B1"].is_veto and not standards["A1"].is_veto
    assert standards["B1"].deadline == datetime.date(2026, 12, 31)
    assert sum(s.points for s in standards.values()) == Decimal("3.5")


def test_repeated_values_full_width_digits_chinese_dates_spacer_note_and_total_rows(org, personas):
    rows = [
        ["测评项目", "测评标准", "分值", "测评方法", "牵头单位", "完成时限"],
        ["公共环境", "主次干道路面平整", "１.５", "实地考察", "市城管局", "2026年5月31日"],
        [None, None, None, None, None, None],
        ["公共环境", "背街小巷无卫生死角", "２分", "实地考察", "市城管局", "２０２６年５月底"],
        ["公共秩序", "路口礼让斑马线", "1", "实地考察", "市公安局交警支队", "2026/06/30"],
        ["注：分值以测评体系为准。"],
        ["合计", None, 4.5, None, None, None],
    ]
    data = xlsx(("Sheet1", rows, []))
    plan = read(data, org)
    assert plan.all_errors == []
    assert plan.warnings == []
    assert plan.level_counts == [2, 3]
    assert [s.points for s in plan.standards] == [Decimal("1.5"), Decimal("2"), Decimal("1")]
    assert [s.deadline for s in plan.standards] == [
        datetime.date(2026, 5, 31),
        datetime.date(2026, 5, 31),
        datetime.date(2026, 6, 30),
    ]
    _plan, system = import_bytes(data, org, personas.office_admin)
    assert IndicatorNode.objects.filter(system=system).count() == 2


def test_a_total_row_that_disagrees_with_the_standards_is_a_warning_naming_the_cell(org):
    rows = [
        ["测评项目", "测评标准", "分值"],
        ["公共环境", "主次干道路面平整", 1],
        ["合计", None, 3],
    ]
    plan = read(xlsx(("体系", rows, [])), org)
    assert plan.all_errors == []
    assert [(w.sheet, w.row, w.column) for w in plan.warnings] == [("体系", 3, "C")]


def test_blank_upper_cells_repeat_the_row_above_and_multi_clause_standards_stay_whole(
    org, personas
):
    Unit.objects.filter(campaign=org, name="市城管局").update(aliases=["城管局"])
    rows = [
        ["测评项目", "测评内容", "测评标准", "分值", "测评方式", "牵头部门", "配合单位"],
        [
            "公共环境",
            "环境卫生",
            "(1)道路干净；(2)垃圾日产日清；(3)公厕免费开放",
            3,
            "实地考察；数据核查",
            "城管局",
            "各街道/各社区",
        ],
        [None, None, "1）农贸市场划行归市", 1, "实地考察，问卷调查", "市商务局", "东城区,西城区"],
        [None, None, "2）活禽宰杀区域隔离", None, None, None, "市市场监管局;市商务局"],
        [
            None,
            "居民小区",
            "物业管理规范",
            1,
            "实地考察/材料审核",
            "市住建局",
            "市直各部门；各县区",
        ],
    ]
    data = xlsx(("表1", rows, []))
    plan = read(data, org)
    assert plan.all_errors == []
    assert plan.level_counts == [1, 2, 3]
    first, market, estate = plan.standards
    assert first.text == "(1)道路干净；\n(2)垃圾日产日清；\n(3)公厕免费开放"
    assert first.lead_unit.name == "市城管局"  # through its alias
    assert first.methods == [Standard.Method.FIELD_CHECK, Standard.Method.DATA_CHECK]
    streets_and_communities = Unit.objects.filter(campaign=org, kind__in=["street", "community"])
    assert set(first.responsible_units) == set(streets_and_communities)
    # The clause on its own row without points continues the standard above it.
    assert market.text == "1）农贸市场划行归市\n2）活禽宰杀区域隔离"
    assert market.points == 1
    assert {u.name for u in market.responsible_units} == {"东城区", "西城区", "市市场监管局"}
    assert market.methods == [Standard.Method.FIELD_CHECK, Standard.Method.SURVEY]
    assert estate.path == ("公共环境", "居民小区")
    assert estate.methods == [Standard.Method.FIELD_CHECK, Standard.Method.DOCUMENT_REVIEW]
    import_bytes(data, org, personas.office_admin)
    assert Standard.objects.count() == 3


def test_content_only_two_levels_codes_in_text_and_veto_words_in_the_text(org, personas):
    rows = [
        ["测评内容", "分值", "测评标准", "备注", "责任单位", "完成时间"],
        ["1. 诚信建设", "1", "1.1 政务承诺事项兑现率100%", "", "市发展改革委", "长期坚持"],
        ["1. 诚信建设", "2", "1.2 发生重大失信事件的实行一票否决", "", "市发展改革委", ""],
        [
            "2. 生态环境",
            "否决",
            "2.1 不发生重大环境污染事件",
            "一票否决",
            "市生态环境局",
            "2026年12月",
        ],
    ]
    data = xlsx(("体系", rows, []))
    plan = read(data, org)
    assert plan.all_errors == []
    assert plan.level_names == ["测评内容"]
    assert plan.level_counts == [2, 3]
    assert [s.code for s in plan.standards] == ["1.1", "1.2", "2.1"]
    assert [s.is_veto for s in plan.standards] == [False, True, True]
    assert plan.standards[0].deadline is None
    assert plan.standards[2].points == 0
    _plan, system = import_bytes(data, org, personas.office_admin)
    node = IndicatorNode.objects.get(system=system, name="诚信建设")
    assert node.code == "1"
    assert system.depth == 2


def test_a_standard_cell_merged_over_two_rows_is_one_standard_with_both_rows_units(org):
    rows = [
        HEADER_3,
        [
            1,
            "公共秩序",
            "交通秩序",
            "非机动车停放整齐",
            1,
            "实地考察",
            "市公安局交警支队",
            "东城区",
            "2026-05-31",
        ],
        [2, None, None, None, None, None, None, "西城区", None],
        [
            3,
            None,
            None,
            "行人遵守信号灯",
            1,
            "实地考察",
            "市公安局交警支队",
            "各县区",
            "2026-05-31",
        ],
    ]
    merges = ["B2:B4", "C2:C4", "D2:D3", "E2:E3", "F2:F3", "G2:G3", "I2:I3"]
    plan = read(xlsx(("Sheet1", rows, merges)), org)
    assert plan.all_errors == []
    assert len(plan.standards) == 2
    assert {u.name for u in plan.standards[0].responsible_units} == {"东城区", "西城区"}


def test_unknown_unit_names_are_listed_with_their_cells_and_import_once_mapped(org, personas):
    rows = [
        HEADER_3,
        [
            1,
            "公共环境",
            "市容环境",
            "门头牌匾规范",
            1,
            "实地考察",
            "市城管局",
            "各窗口单位、东城区",
            "2026-04-30",
        ],
        [
            2,
            "公共环境",
            "市容环境",
            "无乱贴乱画",
            1,
            "实地考察",
            "城市管理委员会",
            "各窗口单位",
            "2026-04-30",
        ],
    ]
    data = xlsx(("Sheet1", rows, []))
    plan = read(data, org)
    assert plan.errors == []
    assert plan.unmatched == {
        "各窗口单位": [("Sheet1", 2, "H"), ("Sheet1", 3, "H")],
        "城市管理委员会": [("Sheet1", 3, "G")],
    }
    assert [(e.row, e.column) for e in plan.all_errors] == [(2, "H"), (3, "H"), (3, "G")]

    units = {u.name: u for u in Unit.objects.filter(campaign=org)}
    mapping = {
        "各窗口单位": [units["市政务服务管理局"], units["市公安局"]],
        "城市管理委员会": [units["市城管局"]],
    }
    plan, system = import_bytes(data, org, personas.office_admin, mapping=mapping)
    second = Standard.objects.get(system=system, text="无乱贴乱画")
    assert second.lead_unit == units["市城管局"]
    assert {u.name for u in second.responsible_units.all()} == {"市政务服务管理局", "市公安局"}


def test_clauses_are_put_on_lines_only_for_a_numbered_run():
    assert format_clauses("①设施齐全②管理规范") == "①设施齐全\n②管理规范"
    assert format_clauses("1)制度健全；2)记录完整") == "1)制度健全；\n2)记录完整"
    assert format_clauses("按第1、2条执行") == "按第1、2条执行"
    assert format_clauses("达到90%、85%、80%以上") == "达到90%、85%、80%以上"


def test_role_notes_after_unit_names_and_dates_typed_as_day_numbers_are_understood(org):
    rows = [
        ["测评项目", "测评标准", "分值", "责任单位", "完成时限"],
        ["公共环境", "门头牌匾规范", 1, "市城管局（牵头）、各县区等", 46173],
    ]
    plan = read(xlsx(("体系", rows, [])), org)
    assert plan.all_errors == []
    standard = plan.standards[0]
    assert {"市城管局", "东城区", "北山县"} <= {u.name for u in standard.responsible_units}
    assert standard.deadline == datetime.date(2026, 5, 31)
