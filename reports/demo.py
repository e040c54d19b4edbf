"""Demo reports for the demo city: scoring rules, bulletin settings and one published
bulletin for last week. Idempotent: what exists is left as it is."""

import datetime

from django.conf import settings
from django.utils import timezone, translation

from .bulletins import make_bulletin
from .models import Bulletin, BulletinSettings, ScoringRule
from .periods import iso_period


def seed(campaign):
    """Scoring rules and settings with their defaults, and last week's bulletin, published."""
    ScoringRule.objects.get_or_create(campaign=campaign)
    BulletinSettings.objects.get_or_create(
        campaign=campaign,
        defaults={
            "masthead": "创建全国文明城市工作通报",
            "issuing_office": f"{campaign.city}创建全国文明城市工作领导小组办公室",
            "document_prefix": "创文办",
        },
    )
    last_week = iso_period(timezone.localdate() - datetime.timedelta(days=7))
    if Bulletin.objects.filter(campaign=campaign, period=last_week).exists():
        return
    from campaign.models import Membership, Role

    office = (
        Membership.objects.filter(campaign=campaign, role=Role.OFFICE_ADMIN)
        .select_related("person")
        .first()
    )
    actor = office.person if office else None
    with translation.override(settings.LANGUAGE_CODE):
        bulletin, _created = make_bulletin(
            campaign=campaign, period=last_week, actor=actor, auto_publish=False
        )
        if bulletin.is_draft:
            bulletin.publish(actor=actor)
