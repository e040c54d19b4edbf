"""Demo data for the evaluation system: the sample workbook imported, with some self-assessments.

Idempotent: nothing happens when the campaign already has the sample's system.
"""

import datetime
import io
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image

from .indicator_import import apply_indicators, read_indicators
from .models import EvaluationSystem, Evidence, Person, Standard

WORKBOOK = Path(__file__).resolve().parent / "demo" / "indicator-system.xlsx"

# Self-assessments by standard position: most met, some partly, a few not, the rest unchecked.
A = Standard.Assessment
ASSESSMENTS = {
    0: (A.MET, "学习制度、季度学习记录齐全。"),
    1: (A.MOSTLY_MET, "抽样知晓率约78%，需加强社区宣传。"),
    2: (A.MET, "主干道公益广告已按要求设置。"),
    3: (A.NOT_MET, "部分公交站台公益广告破损褪色，尚未更换。"),
    6: (A.MET, ""),
    7: (A.MOSTLY_MET, "个别农贸市场价签不全。"),
    9: (A.NOT_MET, "东城区背街小巷仍有占道经营。"),
    10: (A.MOSTLY_MET, "沿街门头整治完成约七成。"),
    11: (A.NOT_MET, "老旧小区背街小巷卫生死角较多。"),
    15: (A.MET, ""),
    16: (A.MOSTLY_MET, "共享单车早晚高峰乱停放仍较突出。"),
    22: (A.MET, ""),
    24: (A.MET, "校园周边200米排查完毕。"),
}


@transaction.atomic
def seed(campaign):
    """Import the sample evaluation system into the demo campaign (once) and assess a few standards."""
    data = WORKBOOK.read_bytes()
    plan = read_indicators(data, campaign=campaign, filename=WORKBOOK.name)
    if EvaluationSystem.objects.filter(campaign=campaign, name=plan.title).exists():
        return None
    if plan.all_errors:
        # The demo city's units match the sample; anything else is a bug worth seeing.
        raise RuntimeError("; ".join(str(e) for e in plan.all_errors))
    actor = Person.objects.filter(username="office").first()
    system = apply_indicators(
        plan, campaign=campaign, actor=actor, details={"year": 2026, "issuer": "市创建办"}
    )
    standards = {s.position: s for s in system.standards.all()}
    for position, (status, note) in ASSESSMENTS.items():
        standards[position].assess(actor=actor, status=status, note=note)
    if actor is not None:
        for position, subject, day, place, people in EVIDENCE:
            evidence = Evidence(
                standard=standards[position],
                kind=Evidence.Kind.IMAGE,
                original_name=f"{subject}.png",
                subject=subject,
                taken_on=datetime.date(2026, *day),
                place=place,
                people=people,
                uploaded_by=actor,
            )
            evidence.file.save("demo.png", ContentFile(_placeholder_photo()), save=False)
            evidence.save()
    return system


# Captioned photos for two document-review standards: position, subject, (month, day), place, people.
EVIDENCE = [
    (0, "理论学习中心组第一季度集中学习", (3, 18), "市委宣传部三楼会议室", "中心组成员15人"),
    (0, "理论学习中心组第二季度集中学习", (6, 12), "市委宣传部三楼会议室", ""),
    (5, "2026年第一季度“身边好人”发布会", (3, 28), "市民中心报告厅", "好人代表、市文明办工作人员"),
]


def _placeholder_photo():
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (183, 28, 28)).save(buffer, "PNG")
    return buffer.getvalue()
