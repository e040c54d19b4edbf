"""A realistic demo city: units, command offices and people in every role.

Idempotent: everything is looked up by its natural key before it is created, so a
second run changes nothing. Unit names match the sample workbooks in
`../shared/samples/`, so the sample evaluation system imports against them.
"""

import datetime
import importlib
import importlib.util

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _

from campaign import demo_indicators, workdays
from campaign.models import Campaign, CommandOffice, Membership, Person, Role, Unit

DEMO_PASSWORD = "demo1234"
CAMPAIGN_NAME = "2025—2027年创建全国文明城市"

# District → its streets/towns; each street has three communities (第1–3社区).
DISTRICTS = {
    "东城区": ["东华街道", "新市街道", "桥北街道"],
    "西城区": ["西关街道", "和平街道", "长乐街道"],
    "南湖区": ["南湖街道", "湖滨街道", "文昌街道"],
    "北山县": ["城关镇", "青石镇", "北山街道"],
}
DEPARTMENTS = [
    "市委宣传部",
    "市文明办",
    "市委网信办",
    "市发展改革委",
    "市教育局",
    "市公安局",
    "市公安局交警支队",
    "市民政局",
    "市住建局",
    "市城管局",
    "市交通运输局",
    "市商务局",
    "市文广旅局",
    "市市场监管局",
    "市生态环境局",
    "市政务服务管理局",
    "市机关事务局",
    "团市委",
]
OTHERS = ["市公交集团"]

COMMAND_OFFICES = {
    "城市建设指挥部": ["市住建局", "市城管局", "市交通运输局", "市公安局交警支队"],
    "社区建设指挥部": ["市民政局", "市文明办", "东城区", "西城区", "南湖区", "北山县"],
    "综合整治指挥部": ["市市场监管局", "市商务局", "市生态环境局", "市公安局"],
    "文明素质指挥部": ["市委宣传部", "市教育局", "市文广旅局", "团市委", "市委网信办"],
}

# username, name, role, target (unit or command office name), title
PEOPLE = [
    ("office", "王晓燕", Role.OFFICE_ADMIN, None, "市创建办综合科科长"),
    ("office2", "陈立新", Role.OFFICE_ADMIN, None, "市创建办督查科科长"),
    ("leader", "刘志强", Role.LEADER, None, "市委常委、宣传部部长"),
    ("inspector", "赵明", Role.INSPECTOR, None, "市创建办督查组"),
    ("inspector2", "孙丽", Role.INSPECTOR, None, "第三方测评组"),
    ("cmd_city", "周建华", Role.COMMAND_STAFF, "城市建设指挥部", "指挥部办公室主任"),
    ("cmd_community", "吴海燕", Role.COMMAND_STAFF, "社区建设指挥部", "指挥部办公室主任"),
    ("cmd_order", "郑国平", Role.COMMAND_STAFF, "综合整治指挥部", "指挥部办公室主任"),
    ("cmd_civility", "冯静", Role.COMMAND_STAFF, "文明素质指挥部", "指挥部办公室主任"),
    ("dongcheng", "李勇", Role.UNIT_LEADER, "东城区", "区长"),
    ("dongcheng_ll", "马静", Role.UNIT_LIAISON, "东城区", "区创建办联络员"),
    ("xicheng", "孙刚", Role.UNIT_LEADER, "西城区", "区长"),
    ("donghua", "张秀英", Role.UNIT_LEADER, "东华街道", "街道办事处主任"),
    ("donghua_ll", "朱涛", Role.UNIT_LIAISON, "东华街道", "联络员"),
    ("xinshi", "杨霞", Role.UNIT_LEADER, "新市街道", "街道办事处主任"),
    ("donghua1", "刘伟", Role.UNIT_LEADER, "东华第1社区", "社区书记"),
    ("donghua1_ll", "胡桂英", Role.UNIT_LIAISON, "东华第1社区", "网格员"),
    ("chengguan", "徐娟", Role.UNIT_LEADER, "市城管局", "局长"),
    ("chengguan_ll", "李敏", Role.UNIT_LIAISON, "市城管局", "创建工作联络员"),
    # 三员分立: three different people.
    ("sysadmin", "何建军", Role.SYSTEM_ADMIN, None, "市大数据中心系统管理员"),
    ("secadmin", "罗婷", Role.SECURITY_ADMIN, None, "市委网信办安全管理员"),
    ("auditor", "邓文", Role.AUDITOR, None, "市委宣传部审计管理员"),
]


class Command(BaseCommand):
    help = "Create (or leave as it is) a demo city with people in every role."

    @transaction.atomic
    def handle(self, *args, **options):
        campaign, _created = Campaign.objects.get_or_create(
            name=CAMPAIGN_NAME,
            defaults={
                "level": Campaign.Level.NATIONAL,
                "city": "某市",
                "start_date": datetime.date(2025, 1, 1),
                "end_date": datetime.date(2027, 12, 31),
            },
        )
        units = {}

        def unit(name, kind, parent=None):
            obj = Unit.objects.filter(campaign=campaign, name=name).first()
            if obj is None:
                obj = Unit(campaign=campaign, name=name, kind=kind, parent=parent)
                obj.save()
            units[name] = obj
            return obj

        for district, streets in DISTRICTS.items():
            d = unit(district, Unit.Kind.DISTRICT)
            for street in streets:
                s = unit(street, Unit.Kind.STREET, d)
                stem = street.removesuffix("街道").removesuffix("镇")
                for n in (1, 2, 3):
                    unit(f"{stem}第{n}社区", Unit.Kind.COMMUNITY, s)
        for name in DEPARTMENTS:
            unit(name, Unit.Kind.DEPARTMENT)
        for name in OTHERS:
            unit(name, Unit.Kind.OTHER)
        if not units["市公安局交警支队"].aliases:
            units["市公安局交警支队"].aliases = ["交警支队"]
            units["市公安局交警支队"].save()

        offices = {}
        for name, members in COMMAND_OFFICES.items():
            office, created = CommandOffice.objects.get_or_create(campaign=campaign, name=name)
            if created:
                office.units.set([units[m] for m in members])
            offices[name] = office

        for username, name, role, target, title in PEOPLE:
            person = Person.objects.filter(username=username).first()
            if person is None:
                person = Person(username=username, name=name, title=title)
                person.set_password(DEMO_PASSWORD)
                person.save()
            Membership.objects.get_or_create(
                person=person,
                campaign=campaign,
                role=role,
                unit=units.get(target) if role in (Role.UNIT_LEADER, Role.UNIT_LIAISON) else None,
                command_office=offices.get(target) if role == Role.COMMAND_STAFF else None,
                defaults={"title": title},
            )
            if role == Role.COMMAND_STAFF and offices[target].head_id is None:
                offices[target].head = person
                offices[target].save(update_fields=["head"])

        workdays.seed_from_package()  # holidays and 调休 days for working-day deadlines
        demo_indicators.seed(campaign)  # the sample evaluation system, some self-assessments
        # Every other app seeds its own part from its demo.py, in INSTALLED_APPS order, so data
        # flows as the apps do (tasks, then the ledger, then reports) and campaign imports none.
        for config in apps.get_app_configs():
            if config.name != "campaign" and importlib.util.find_spec(f"{config.name}.demo"):
                importlib.import_module(f"{config.name}.demo").seed(campaign)

        self.stdout.write(
            self.style.SUCCESS(
                _("Demo city ready: %(units)s units, %(offices)s command offices.")
                % {"units": Unit.objects.filter(campaign=campaign).count(), "offices": len(offices)}
            )
        )
        self.stdout.write(
            _("Demo logins (password for all: %(password)s):") % {"password": DEMO_PASSWORD}
        )
        for username, name, role, target, _title in PEOPLE:
            self.stdout.write(
                f"  {username:<14} {name:<4} {Role(role).label}{' · ' + target if target else ''}"
            )
