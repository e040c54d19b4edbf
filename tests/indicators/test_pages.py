"""Every evaluation-system URL × persona gets the status it must: 200, 403 (read-only) or 404."""

import pytest
from django.urls import reverse

from campaign.models import Standard

OK, FORBIDDEN, NOT_FOUND = 200, 403, 404


@pytest.fixture
def standards(sample_system):
    """One standard of 城市建设指挥部 that 各街道 share, and one of no command office that only municipal departments share."""
    city_works = Standard.objects.get(system=sample_system, text__startswith="沿街店铺门头牌匾")
    departments_only = Standard.objects.get(system=sample_system, text__startswith="政府机构无失信")
    return city_works, departments_only


def urls(system, city_works, departments_only):
    return {
        "list": reverse("campaign:system_list"),
        "tree": reverse("campaign:system_detail", args=[system.pk]),
        "score": reverse("campaign:system_score", args=[system.pk]),
        "archive": reverse("campaign:evidence_archive", args=[system.pk]),
        "export": reverse("campaign:system_export", args=[system.pk]),
        "import": reverse("campaign:system_import"),
        "system_edit": reverse("campaign:system_edit", args=[system.pk]),
        "own": reverse("campaign:standard_detail", args=[city_works.pk]),
        "own_edit": reverse("campaign:standard_edit", args=[city_works.pk]),
        "other": reverse("campaign:standard_detail", args=[departments_only.pk]),
        "other_edit": reverse("campaign:standard_edit", args=[departments_only.pk]),
    }


EXPECTED = {
    #                  list tree score archive export import s_edit own own_edit other other_edit
    "office_admin":    (OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK),
    "leader":          (OK, OK, OK, OK, OK, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK, FORBIDDEN),
    "inspector":       (OK, OK, OK, OK, OK, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK, FORBIDDEN),
    "command_staff":   (OK, OK, OK, OK, OK, FORBIDDEN, FORBIDDEN, OK, OK, NOT_FOUND, NOT_FOUND),
    "street_leader":   (OK, OK, OK, OK, OK, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, NOT_FOUND, NOT_FOUND),
    "other_district_leader": (OK, OK, OK, OK, OK, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, NOT_FOUND, NOT_FOUND),
}  # fmt: skip


@pytest.mark.parametrize("persona", EXPECTED)
def test_every_indicator_url_answers_each_persona_as_it_must(
    persona, personas, sample_system, standards, client_for
):
    client = client_for(getattr(personas, persona))
    pages = urls(sample_system, *standards)
    got = {name: client.get(url).status_code for name, url in pages.items()}
    assert got == dict(zip(pages, EXPECTED[persona], strict=True))
