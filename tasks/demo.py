"""Demo tasks for the demo city: generated from its evaluation system when one is imported,
otherwise a set of typical ad-hoc tasks. Some are overdue, some submitted, some accepted.

Idempotent: a campaign that already has tasks is left as it is.
"""

import datetime

from django.utils import timezone

from campaign.models import CommandOffice, EvaluationSystem, Membership, Person, Role, Unit
from campaign.workdays import add_working_days

from .models import Milestone, Task, TaskEvent
from .services import GenerationMode, check_deadlines, generate_tasks, plan_generation

# title, lead unit, command office, responsible units, days to the deadline
AD_HOC = [
    ("背街小巷环境卫生集中整治", "东城区", "城市建设指挥部", ["东华街道", "新市街道"], 30),
    ("农贸市场规范化改造提升", "市市场监管局", "综合整治指挥部", ["东城区", "西城区"], 45),
    ("主次干道占道经营专项治理", "市城管局", "城市建设指挥部", ["东城区", "南湖区"], 20),
    (
        "公益广告刊播全覆盖（户外、公交站台、工地围挡）",
        "市委宣传部",
        "文明素质指挥部",
        ["市城管局"],
        25,
    ),
    ("新时代文明实践站点规范化建设", "市文明办", "社区建设指挥部", ["东城区", "北山县"], 60),
    ("公交站台文明引导员上岗", "市交通运输局", "城市建设指挥部", ["市公交集团"], 15),
    ("老旧小区楼道杂物清理和飞线整治", "西城区", "社区建设指挥部", ["西关街道", "和平街道"], 35),
    ("未成年人心理健康辅导站建设", "市教育局", "文明素质指挥部", ["团市委"], 50),
    ("重点路口文明交通劝导", "市公安局交警支队", "城市建设指挥部", ["市公安局"], 10),
    ("社区志愿服务站点规范化建设", "南湖区", "社区建设指挥部", ["南湖街道", "湖滨街道"], 40),
    (
        "东华街道沿街门店“门前三包”落实",
        "东华街道",
        "综合整治指挥部",
        ["东华第1社区", "东华第2社区"],
        12,
    ),
    ("东华第1社区道德讲堂和善行义举榜更新", "东华第1社区", "文明素质指挥部", [], 8),
]

# What the units report, by stage.
REPORTS = [
    "已制定工作方案，完成排查摸底，建立问题清单。",
    "已完成主要点位整治，正在对照测评标准逐项查漏补缺。",
    "全部整改到位，台账资料已归档，申请验收。",
]


def _reporter(task):
    """The first of the task's parts (lead unit first) whose unit has a person, and that person."""
    for part in task.parts.select_related("unit").in_order():
        membership = (
            Membership.objects.filter(
                unit=part.unit, role__in=[Role.UNIT_LIAISON, Role.UNIT_LEADER]
            )
            .select_related("person")
            .order_by("-role")
            .first()
        )
        if membership:
            return part, membership.person
    return None, None


def seed(campaign):
    """Create the demo tasks for `campaign` unless it has tasks already. Returns how many."""
    if Task.objects.filter(campaign=campaign).exists():
        return 0
    today = timezone.localdate()
    office = Person.objects.filter(
        memberships__campaign=campaign, memberships__role=Role.OFFICE_ADMIN
    ).first()
    system = (
        EvaluationSystem.objects.filter(campaign=campaign, standards__isnull=False)
        .distinct()
        .first()
    )
    tasks = []
    if system is not None:
        plan = plan_generation(
            system=system,
            mode=GenerationMode.PER_STANDARD,
            deadline=today + datetime.timedelta(days=60),
        )
        tasks = generate_tasks(plan, campaign=campaign, actor=office)
    if not tasks:
        tasks = _ad_hoc(campaign, today, office)
    for index, task in enumerate(tasks):
        if system is not None and task.standard_id:
            # The sample standards' own deadlines may have passed: spread them over the
            # coming quarter so that only the tasks meant to be late are overdue.
            task.deadline = today + datetime.timedelta(days=7 + (index * 11) % 90)
            if index in (0, 6):  # two due in two working days: yellow after the check below
                task.deadline = add_working_days(today, 2)
            Task.objects.filter(pk=task.pk).update(deadline=task.deadline)
        _advance(task, index, today, office)
    check_deadlines(today=today)
    return len(tasks)


def _ad_hoc(campaign, today, office):
    units = {u.name: u for u in Unit.objects.filter(campaign=campaign)}
    offices = {o.name: o for o in CommandOffice.objects.filter(campaign=campaign)}
    tasks = []
    for title, lead, office_name, responsible, days in AD_HOC:
        if lead not in units:
            continue
        task = Task.objects.create(
            campaign=campaign,
            title=title,
            description=f"对照《全国文明城市测评体系》要求，{title}，做到问题清零、长效常治。",
            command_office=offices.get(office_name),
            lead_unit=units[lead],
            deadline=today + datetime.timedelta(days=days),
            priority=Task.Priority.HIGH if days <= 15 else Task.Priority.NORMAL,
            created_by=office,
        )
        task.responsible_units.set([units[n] for n in responsible if n in units])
        task.sync_parts()
        TaskEvent.objects.create(
            task=task, actor=office, kind=TaskEvent.Kind.CREATED, to_status=task.status
        )
        tasks.append(task)
    return tasks


def _advance(task, index, today, office):
    """Give each demo task a realistic stage: the pattern repeats every six tasks."""
    stage = index % 6
    Milestone.objects.bulk_create(
        [
            Milestone(
                task=task,
                date=task.deadline - datetime.timedelta(days=20),
                expected_progress=50,
                deliverable="完成排查摸底和工作方案",
            ),
            Milestone(
                task=task,
                date=task.deadline - datetime.timedelta(days=5),
                expected_progress=90,
                deliverable="主体整治完成",
            ),
        ]
    )
    # One unit's own part moves; the other units' parts show the spread on the map.
    part, person = _reporter(task)
    if person is None:
        return
    if stage == 5:
        # Overdue: the deadline passed with the work a third done.
        Task.objects.filter(pk=task.pk).update(deadline=today - datetime.timedelta(days=4))
        part.report_progress(actor=person, text=REPORTS[0], progress=30)
        return
    if stage >= 1:
        part.report_progress(actor=person, text=REPORTS[0], progress=40)
    if stage >= 2:
        part.report_progress(actor=person, text=REPORTS[1], progress=80)
    if stage >= 3:
        part.report_progress(actor=person, text=REPORTS[2], progress=100, submit=True)
    if stage == 4 and office is not None:
        part.accept(actor=office, note="经实地查看，达到测评标准要求，同意验收。")
