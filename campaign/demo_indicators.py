"""Demo data for the evaluation system: the sample workbook imported, with some self-assessments.

Idempotent: nothing happens when the campaign already has the sample's system.
"""

from pathlib import Path

from django.db import transaction

from .indicator_import import apply_indicators, read_indicators
from .models import EvaluationSystem, Person, Standard

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
    return system
