"""A revised edition shows what it changes and keeps what hangs on the standards that stay."""

import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from campaign.indicator_import import read_indicators
from campaign.models import Evidence, IndicatorNode, Standard

from .conftest import SAMPLE, import_bytes


def revised_sample():
    """The sample with row 4 reworded, row 5's points changed, row 8 emptied and a row added."""
    workbook = load_workbook(SAMPLE)
    sheet = workbook.active
    sheet["D4"] = "市民对理想信念教育活动的知晓率达到85%以上"
    sheet["E5"] = 2
    for column in "ACDEFGHI":  # 公民道德建设: 评选表彰道德模范 (B8 is inside a merged range)
        sheet[f"{column}8"] = None
    new_row = [
        29,
        "文明创建活动",
        "群众满意度",
        "市民对城市文明程度的满意率达到85%以上",
        1,
        "问卷调查",
        "市委宣传部",
        "各县区",
        "2026-10-31",
    ]
    for column, value in zip("ABCDEFGHI", new_row, strict=True):
        sheet[f"{column}31"] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_the_diff_names_added_removed_reworded_and_repointed_standards(org, sample_system):
    plan = read_indicators(revised_sample(), campaign=org, filename="v2.xlsx", system=sample_system)
    diff = plan.diff
    assert plan.all_errors == []
    assert [s.text for s in diff.added] == ["市民对城市文明程度的满意率达到85%以上"]
    assert [s.text[:8] for s in diff.removed] == ["评选表彰道德模范"]
    assert [(s.match.text[-8:], s.text[-8:]) for s in diff.reworded] == [
        ("育活动的知晓率达到80%以上"[-8:], "育活动的知晓率达到85%以上"[-8:])
    ]
    assert [(s.match.points, s.points) for s in diff.points_changed] == [
        (Decimal("1.5"), Decimal("2"))
    ]
    assert diff.unchanged == 25


def test_applying_a_revision_updates_in_place_and_keeps_assessments_and_evidence(
    org, sample_system, personas
):
    reworded = Standard.objects.get(system=sample_system, text__startswith="市民对理想信念教育")
    repointed = Standard.objects.get(system=sample_system, text__startswith="主次干道、商业大街")
    dropped = Standard.objects.get(system=sample_system, text__startswith="评选表彰道德模范")
    reworded.assess(actor=personas.office_admin, status=Standard.Assessment.MOSTLY_MET, note="抽样")
    Evidence.objects.create(
        standard=dropped,
        kind=Evidence.Kind.DOCUMENT,
        file="evidence/x.pdf",
        original_name="x.pdf",
        uploaded_by=personas.office_admin,
    )

    plan, system = import_bytes(revised_sample(), org, personas.office_admin, system=sample_system)

    assert system == sample_system
    reworded.refresh_from_db()
    assert reworded.text == "市民对理想信念教育活动的知晓率达到85%以上"
    assert reworded.assessment == Standard.Assessment.MOSTLY_MET
    assert reworded.assessment_events.count() == 1
    repointed.refresh_from_db()
    assert repointed.points == Decimal("2")
    dropped.refresh_from_db()
    assert dropped.retired_at is not None
    assert dropped.evidence.count() == 1
    current = Standard.objects.filter(system=system).current()
    assert current.count() == 28
    assert sum(s.points for s in current) == Decimal("32")
    retired_node = IndicatorNode.objects.get(system=system, name="公民道德建设")
    assert retired_node.retired_at is not None
    assert IndicatorNode.objects.filter(system=system).current().count() == 9 + 21


def test_the_import_page_shows_the_diff_before_applying_a_revision(
    org, sample_system, personas, client_for
):
    client = client_for(personas.office_admin)
    url = reverse("campaign:system_import")
    response = client.post(
        url,
        {
            "file": SimpleUploadedFile("v2.xlsx", revised_sample()),
            "system": sample_system.pk,
            "preview": "1",
        },
    )
    html = response.content.decode()
    assert 'id="import-diff"' in html
    assert "市民对城市文明程度的满意率达到85%以上" in html
    assert Standard.objects.filter(system=sample_system).count() == 28

    response = client.post(url, {"confirm": "1"})
    assert response.status_code == 302
    assert response["Location"] == sample_system.get_absolute_url()
    assert Standard.objects.filter(system=sample_system).count() == 29
    assert Standard.objects.filter(system=sample_system).current().count() == 28
