"""Demo ledger for the demo city: inspections and findings in every state of the life cycle,
with generated before/after photos, some overdue and under supervision.

Every finding is driven through the real `Finding` methods by the demo people, then its
dates are moved back so the history reads like a few weeks of work. Idempotent: a
campaign that already has findings is left as it is.
"""

import datetime
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.utils import timezone
from PIL import Image, ImageDraw

from campaign.models import Person, Standard, Unit
from fieldwork.models import Point

from .models import Finding, FindingCategory, FindingEvent, Inspection, Severity, Source
from .services import ensure_categories, escalate_overdue, log_finding

# key, category, description, address, territory, unit, severity, source, days ago, final state
FINDINGS = [
    (
        "s1",
        "占道经营",
        "东华路与建设街交叉口东南角3处流动摊点占道经营，影响行人通行。",
        "东华路与建设街交叉口东南角",
        "东华街道",
        "东华街道",
        Severity.SERIOUS,
        Source.UNDERCOVER,
        21,
        "closed",
    ),
    (
        "s2",
        "卫生死角",
        "新市菜市场后巷垃圾堆积，有明显异味，周边墙面污损。",
        "新市菜市场后巷",
        "新市街道",
        "新市街道",
        Severity.MINOR,
        Source.UNDERCOVER,
        20,
        "closed_relapsed",
    ),
    (
        "s3",
        "乱堆乱放",
        "东华第1社区3号楼楼道堆放纸箱、旧家具，存在电动车飞线充电。",
        "东华第1社区3号楼1单元",
        "东华第1社区",
        "东华第1社区",
        Severity.CRITICAL,
        Source.ROUTINE,
        18,
        "closed",
    ),
    (
        "s4",
        "公益广告缺失",
        "人民公园南门公交站台公益广告画面破损，部分灯箱缺失。",
        "人民公园南门公交站台",
        "东华街道",
        "市城管局",
        Severity.MINOR,
        Source.MOCK,
        16,
        "awaiting",
    ),
    (
        "s5",
        "车辆乱停乱放",
        "市人民医院门口非机动车乱停放，占用盲道约30米。",
        "市人民医院门口人行道",
        "东华街道",
        "东华街道",
        Severity.SERIOUS,
        Source.ROUTINE,
        15,
        "returned",
    ),
    (
        "s6",
        "设施破损",
        "和平路人行道地砖松动破损约20平方米，雨天积水。",
        "和平路98号至126号人行道",
        "和平街道",
        "和平街道",
        Severity.MINOR,
        Source.SPECIAL,
        25,
        "rectifying_overdue",
    ),
    (
        "s7",
        "乱贴乱画",
        "西关街道长青巷墙面、电线杆小广告张贴较多，未及时清理。",
        "长青巷12号至30号",
        "西关街道",
        "西关街道",
        Severity.MINOR,
        Source.CITIZEN,
        30,
        "assigned_overdue",
    ),
    (
        "s8",
        "农贸市场秩序",
        "南湖农贸市场生熟不分离，部分摊位无价格公示牌，地面湿滑。",
        "南湖农贸市场",
        "南湖街道",
        "市城管局",
        Severity.SERIOUS,
        Source.MOCK,
        14,
        "disputed",
    ),
    (
        "s9",
        "背街小巷脏乱差",
        "桥北街道幸福巷路面坑洼积水，垃圾桶满溢未及时清运。",
        "幸福巷中段",
        "桥北街道",
        "桥北街道",
        Severity.MINOR,
        Source.MEDIA,
        6,
        "rectifying",
    ),
    (
        "s10",
        "不文明行为",
        "滨湖广场傍晚有市民随地吐痰、乱扔烟头，现场未见文明劝导员。",
        "滨湖广场东侧",
        "湖滨街道",
        "湖滨街道",
        Severity.MINOR,
        Source.LEADER,
        3,
        "assigned",
    ),
    (
        "s11",
        "占道经营",
        "文昌路小学门口早餐摊点占道经营，油污污染路面。",
        "文昌路小学门口",
        "文昌街道",
        "市城管局",
        Severity.SERIOUS,
        Source.ROUTINE,
        2,
        "awaiting",
    ),
    (
        "s12",
        "卫生死角",
        "桥北汽车站旁绿化带内建筑垃圾堆放。",
        "桥北汽车站东侧绿化带",
        "桥北街道",
        "桥北街道",
        Severity.MINOR,
        Source.SPECIAL,
        9,
        "closed",
    ),
    (
        "s13",
        "公益广告缺失",
        "长乐街道建设工地围挡未按要求设置公益广告。",
        "长乐路与纬二路交叉口工地",
        "长乐街道",
        "市住建局",
        Severity.MINOR,
        Source.MOCK,
        4,
        "voided",
    ),
    (
        "s14",
        "乱堆乱放",
        "东华第2社区自行车棚内废旧自行车长期堆放。",
        "东华第2社区自行车棚",
        "东华第2社区",
        "东华第2社区",
        Severity.MINOR,
        Source.CITIZEN,
        1,
        "registered",
    ),
    (
        "s15",
        "车辆乱停乱放",
        "新市街道商业街机动车违停，占用消防通道。",
        "新市商业街北口",
        "新市街道",
        None,
        Severity.SERIOUS,
        Source.CITIZEN,
        0,
        "registered",
    ),
    (
        "s16",
        "设施破损",
        "东城区图书馆门前无障碍坡道扶手损坏。",
        "东城区图书馆正门",
        "东城区",
        "东城区",
        Severity.MINOR,
        Source.UNDERCOVER,
        12,
        "assigned_overdue_key",
    ),
]

MEASURES = {
    "s1": "街道城管中队联合市场监管所劝离流动摊点，设置临时疏导点，安排专人每日早晚巡查。",
    "s2": "组织环卫工人彻底清运垃圾，冲洗墙面，增设垃圾桶2个，明确保洁责任人。",
    "s3": "社区网格员入户宣传，清理楼道杂物3车，拆除飞线，引导居民到集中充电桩充电。",
    "s4": "已更换破损画面6幅，补齐灯箱2处，纳入公交站台公益广告日常巡查。",
    "s5": "已施划非机动车停放线，安排志愿者引导停放。",
    "s11": "取缔占道早餐摊点，引导入室经营，清洗路面油污。",
    "s12": "清运建筑垃圾约5吨，补种绿植，设立警示牌。",
}


def _photo(name, *, clean, seed):
    """A placeholder photo made with Pillow: a 'street' scene, littered before, tidy after."""
    rng = random.Random(seed)
    image = Image.new("RGB", (800, 600), (176, 196, 222))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 380, 800, 600], fill=(150, 150, 150) if clean else (120, 110, 95))
    for x in range(40, 800, 180):
        h = rng.randint(160, 300)
        draw.rectangle([x, 380 - h, x + 120, 380], fill=(rng.randint(180, 230), 200, 190))
    if clean:
        for x in range(60, 800, 160):
            draw.rectangle([x, 440, x + 90, 450], fill=(250, 250, 250))
        draw.ellipse([620, 400, 700, 480], fill=(46, 125, 50))
    else:
        for _ in range(40):
            x, y = rng.randint(0, 780), rng.randint(390, 590)
            color = rng.choice([(90, 60, 30), (200, 60, 40), (230, 230, 80), (60, 60, 60)])
            draw.ellipse([x, y, x + rng.randint(10, 40), y + rng.randint(8, 25)], fill=color)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile(f"{name}.jpg", buffer.getvalue(), content_type="image/jpeg")


def _backdate(finding, found_on):
    """Move a finding's dates and its events back so the demo reads like weeks of work."""
    events = list(finding.events.order_by("at", "pk"))
    start = timezone.make_aware(datetime.datetime.combine(found_on, datetime.time(9, 30)))
    step = datetime.timedelta(
        days=max(1, (timezone.localdate() - found_on).days // (len(events) + 1))
    )
    for index, event in enumerate(events):
        # Demo seeding only: events are append-only everywhere else.
        models.QuerySet.update(FindingEvent.objects.filter(pk=event.pk), at=start + step * index)
    values = {"found_on": found_on, "created_at": start}
    if finding.assigned_at:
        values["assigned_at"] = start + datetime.timedelta(hours=2)
    Finding.objects.filter(pk=finding.pk).update(**values)


def seed(campaign):
    """Create the demo ledger for `campaign` unless it has findings already. Returns how many."""
    if Finding.objects.filter(campaign=campaign).exists():
        return 0
    people = {p.username: p for p in Person.objects.filter(memberships__campaign=campaign)}
    office, inspector, inspector2 = (
        people.get("office"),
        people.get("inspector"),
        people.get("inspector2"),
    )
    if not (office and inspector and inspector2):
        return 0
    units = {u.name: u for u in Unit.objects.filter(campaign=campaign)}
    ensure_categories(campaign)
    categories = {c.name: c for c in FindingCategory.objects.filter(campaign=campaign)}
    if "农贸市场秩序" in categories and not categories["农贸市场秩序"].department_id:
        categories["农贸市场秩序"].department = units.get("市市场监管局")
        categories["农贸市场秩序"].save(update_fields=["department"])
    standards = list(Standard.objects.filter(system__campaign=campaign).order_by("position")[:40])
    today = timezone.localdate()
    inspection = Inspection.objects.create(
        campaign=campaign,
        kind=Source.UNDERCOVER,
        date=today - datetime.timedelta(days=21),
        team="市创建办第一督查组",
        area=units.get("东城区"),
        notes="按照《全国文明城市测评体系》实地考察项目，对东城区主次干道、农贸市场、背街小巷进行暗访。",
        created_by=inspector,
    )

    # Each street's first demo point (fieldwork seeds before the ledger) gets its findings.
    points = {}
    for point in Point.objects.filter(campaign=campaign).select_related("unit").order_by("pk"):
        points.setdefault(point.unit.name, point)

    def unit_actor(unit):
        """Someone who acts for the unit: its own liaison or leader, else one above it."""
        for person in people.values():
            scope_units = [m.unit for m in person.memberships.all() if m.unit_id]
            if any(unit.path.startswith(u.path) for u in scope_units):
                return person
        return office

    count = 0
    for index, (
        key,
        category,
        text,
        address,
        territory,
        unit_name,
        severity,
        source,
        days_ago,
        final,
    ) in enumerate(FINDINGS):
        found_on = today - datetime.timedelta(days=days_ago)
        logger = inspector if index % 2 == 0 else inspector2
        unit = units.get(unit_name) if unit_name else None
        standard = next(
            (s for s in standards if category[:2] in s.text),
            standards[index % len(standards)] if standards else None,
        )
        finding = log_finding(
            campaign=campaign,
            actor=None if source == Source.CITIZEN and final == "registered" else logger,
            photos=[_photo(f"{key}-before", clean=False, seed=index)],
            inspection=inspection if source == Source.UNDERCOVER and days_ago >= 12 else None,
            source=source,
            found_on=found_on,
            description=text,
            category=categories.get(category),
            severity=severity,
            standard=standard,
            address=address,
            territory=units.get(territory),
            point=points.get(territory),
            reporter_name="热心市民" if source == Source.CITIZEN else "",
        )
        count += 1
        if final == "registered":
            _backdate(finding, found_on)
            continue
        if final == "voided":
            finding.void(actor=office, reason="经核实与第2期暗访问题重复登记，予以作废。")
            _backdate(finding, found_on)
            continue
        # Deadlines count from the day it was found, so old findings are overdue.
        finding.assign(
            actor=office if index % 3 == 0 else logger,
            unit=unit,
            deadline=Finding.deadline_for(campaign, severity, start=found_on),
            note="请按照测评标准限期整改到位，整改前后照片上传系统。",
        )
        doer = unit_actor(unit)
        if final.startswith("assigned"):
            _backdate(finding, found_on)
            continue
        finding.acknowledge(actor=doer, note="已签收，立即组织整改。")
        if final == "disputed":
            finding.dispute(
                actor=doer,
                reason="农贸市场内部经营秩序属市场监管部门职责，不属于城管执法范围，建议改由市市场监管局牵头、南湖街道配合。",
            )
            _backdate(finding, found_on)
            continue
        if final.startswith("rectifying"):
            _backdate(finding, found_on)
            continue
        finding.submit_rectification(
            actor=doer,
            measures=MEASURES.get(key, "已完成整改。"),
            photos=[_photo(f"{key}-after", clean=True, seed=index + 100)],
        )
        if final == "awaiting":
            _backdate(finding, found_on)
            continue
        verifier = inspector2 if logger == inspector else inspector
        if final == "returned":
            finding.verify(
                actor=verifier,
                passed=False,
                note="复查发现盲道上仍有车辆停放，停放线施划不完整，整改不到位，退回重改。",
            )
            _backdate(finding, found_on)
            continue
        finding.verify(actor=verifier, passed=True, note="现场复核，整改到位，同意销号。")
        if final == "closed_relapsed":
            new = finding.record_relapse(
                actor=inspector,
                description="复查发现新市菜市场后巷再次出现垃圾堆积，问题反弹。",
                photos=[_photo(f"{key}-relapse", clean=False, seed=index + 200)],
            )
            count += 1
            _backdate(new, today - datetime.timedelta(days=2))
        _backdate(finding, found_on)

    # Move the deadlines of the overdue examples well back, then let the daily job escalate.
    late = {
        "assigned_overdue": 4,
        "rectifying_overdue": 12,
        "assigned_overdue_key": 15,
    }
    for _key, _c, text, *_r, final in FINDINGS:
        if final in late:
            Finding.objects.filter(campaign=campaign, description=text).update(
                deadline=today - datetime.timedelta(days=late[final])
            )
    escalate_overdue(on=today)
    return count
