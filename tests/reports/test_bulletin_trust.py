"""A bulletin leaders trust (issue 15): each fault found in the bulletin has a test here.

Typical cases are the office's choice; red/black lists need activity and name at most N
units with ties marked 并列; chart and tables read one frozen snapshot; headings follow
一、（一）1.（1）; back-filled weeks are marked 补发; weeks read 2026年第45周（11月2日—11月8日）.
"""

import io
import re
from collections import Counter
from decimal import Decimal

import docx
import pypdf
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from campaign.outbox import relay
from campaign.templatetags.site_tags import week
from campaign.transitions import DomainError
from inspections.models import FindingPhoto, Status
from reports.bulletins import choose_cases, make_bulletin
from reports.exports import RankingExport, bulletin_context, render_bulletin_docx_bytes
from reports.models import Bulletin, BulletinSettings
from reports.rankings import ANGLE_BY_KEY, red_black_lists

from .conftest import WEEK, day, make_finding
from .test_ranking_arithmetic import snapshot_row

pytestmark = pytest.mark.django_db


def photo(finding, kind):
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (200, 30, 30) if kind == "before" else (30, 160, 60)).save(
        buffer, "JPEG"
    )
    item = FindingPhoto(finding=finding, kind=kind)
    item.image.save(f"{kind}.jpg", ContentFile(buffer.getvalue()), save=False)
    item.thumbnail = item.image.name
    item.save()
    return item


def pdf_text(bulletin):
    relay()
    bulletin.refresh_from_db()
    with bulletin.pdf.open("rb") as handle:
        reader = pypdf.PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def docx_document(bulletin):
    return docx.Document(io.BytesIO(render_bulletin_docx_bytes(bulletin)))


def docx_text(document):
    """Body text in reading order: paragraphs and table cells."""
    parts = []
    body = document.element.body
    for child in body.iterchildren():
        if child.tag.endswith("}p") or child.tag.endswith("}tbl"):
            parts.append("".join(t.text or "" for t in child.iter() if t.tag.endswith("}t")))
    return "\n".join(parts)


# --- 1. Typical cases ---------------------------------------------------------------------


@pytest.fixture
def cases(city, bulletin_settings):
    c = city.campaign
    good = make_finding(c, city.donghua1, found_on=day(1), description="商业街占道经营整改案例")
    photo(good, "before"), photo(good, "after")
    unassigned = make_finding(
        c, city.xinshi1, found_on=day(1), status=Status.REGISTERED, description="未交办的问题"
    )
    unassigned.unit = None
    unassigned.save(update_fields=["unit"])
    photo(unassigned, "before"), photo(unassigned, "after")
    before_only = make_finding(c, city.xiguan1, found_on=day(2), description="只有整改前照片")
    photo(before_only, "before")
    return city, good, unassigned, before_only


def test_typical_cases_are_only_suggested_until_the_office_chooses(cases):
    city, good, unassigned, before_only = cases
    bulletin, _ = make_bulletin(campaign=city.campaign, period=WEEK)
    # Only the assigned finding with before AND after photos is suggested, nothing is printed.
    assert bulletin.data["suggested_cases"] == [good.pk]
    assert bulletin.data["cases"] == []
    assert "商业街占道经营整改案例" not in pdf_text(bulletin)


def test_an_office_chosen_case_appears_in_the_pdf_and_the_docx_with_its_unit(
    cases, personas, client_for
):
    city, good, *_ = cases
    bulletin, _ = make_bulletin(campaign=city.campaign, period=WEEK)
    response = client_for(personas.office_admin).post(
        reverse("reports:bulletin_cases", args=[bulletin.pk]),
        {"findings": [good.pk], "version": bulletin.version},
    )
    assert response.status_code == 302
    bulletin.refresh_from_db()
    assert [c["code"] for c in bulletin.data["cases"]] == [good.code]
    text = pdf_text(bulletin)
    assert "东华第1社区" in text and "商业街占道经营整改案例" in text
    document = docx_document(bulletin)
    assert "东华第1社区" in docx_text(document)
    assert "商业街占道经营整改案例" in docx_text(document)
    assert len(document.inline_shapes) == 2  # before and after photos


@pytest.mark.parametrize("which", ["unassigned", "before_only"])
def test_a_finding_without_a_unit_or_an_after_photo_cannot_be_a_typical_case(
    cases, personas, which
):
    city, good, unassigned, before_only = cases
    bulletin, _ = make_bulletin(campaign=city.campaign, period=WEEK)
    chosen = {"unassigned": unassigned, "before_only": before_only}[which]
    with pytest.raises(DomainError):
        choose_cases(bulletin, actor=personas.office_admin, finding_ids=[chosen.pk])
    bulletin.refresh_from_db()
    assert bulletin.data["cases"] == []


def test_a_finding_of_an_unreleased_sampling_round_is_never_a_typical_case(cases, personas):
    """Even handed to a unit and photographed before and after (data from before the rule),
    a withheld round's finding is neither suggested nor accepted as a case."""
    from fieldwork.models import Round
    from inspections.models import Inspection, Source

    city, good, *_ = cases
    inspection = Inspection.objects.create(campaign=city.campaign, kind=Source.MOCK, date=day(1))
    the_round = Round.objects.create(
        campaign=city.campaign,
        name="第二轮模拟测评",
        inspection=inspection,
        status=Round.Status.COMPLETED,
    )
    withheld = make_finding(
        city.campaign, city.donghua1, found_on=day(1), inspection=inspection, severity="critical"
    )
    photo(withheld, "before"), photo(withheld, "after")
    bulletin, _ = make_bulletin(campaign=city.campaign, period=WEEK)
    assert bulletin.data["suggested_cases"] == [good.pk]
    with pytest.raises(DomainError):
        choose_cases(bulletin, actor=personas.office_admin, finding_ids=[withheld.pk])
    bulletin.refresh_from_db()
    assert bulletin.data["cases"] == []
    # Once the round is released, the same finding may be a case.
    the_round.status = Round.Status.RELEASED
    the_round.save(update_fields=["status"])
    choose_cases(bulletin, actor=personas.office_admin, finding_ids=[withheld.pk])
    bulletin.refresh_from_db()
    assert [c["code"] for c in bulletin.data["cases"]] == [withheld.code]


def test_only_the_office_may_choose_typical_cases(cases, personas, client_for):
    city, good, *_ = cases
    bulletin, _ = make_bulletin(campaign=city.campaign, period=WEEK)
    Bulletin.objects.filter(pk=bulletin.pk).update(status=Bulletin.Status.PUBLISHED)
    response = client_for(personas.leader).post(
        reverse("reports:bulletin_cases", args=[bulletin.pk]),
        {"findings": [good.pk], "version": bulletin.version},
    )
    assert response.status_code in (302, 403)
    bulletin.refresh_from_db()
    assert bulletin.data["cases"] == []


# --- 2. Red and black lists -----------------------------------------------------------------


def test_units_without_activity_are_on_neither_list():
    rows = [snapshot_row(n, f"/{n}/", score=Decimal(100)) for n in range(1, 6)]
    rows.append(snapshot_row(6, "/6/", score=Decimal(96), found_week=4, open_count=4))
    red, black = red_black_lists(rows, size=3, min_activity=1)
    assert [i.row.unit_id for i in red.named] == [6] or [i.row.unit_id for i in black.named] == [6]
    named = {i.row.unit_id for i in red.named + black.named}
    assert named == {6}


def test_a_list_names_at_most_n_units_and_says_bing_lie_for_a_tie_at_the_cut_off():
    # Six active units; three tie for second place at 95 (and on every tie-break).
    spec = [(1, 99), (2, 95), (3, 95), (4, 95), (5, 80), (6, 70)]
    rows = [
        snapshot_row(n, f"/{n}/", score=Decimal(s), found_week=3, open_count=1) for n, s in spec
    ]
    red, black = red_black_lists(rows, size=2, min_activity=1)
    assert len(red.named) <= 2 and len(black.named) <= 2
    assert [i.row.unit_id for i in red.named] == [1]
    assert red.tied_out == {"rank": 2, "count": 3, "value": Decimal(95)}
    assert [i.row.unit_id for i in black.named] == [6, 5]


def test_the_tie_break_is_the_closure_rate_then_the_fewest_open():
    rows = [
        snapshot_row(n, f"/{n}/", score=Decimal(90), found_week=1, found_total=10, **figures)
        for n, figures in [
            (1, {"closed_total": 5, "open_count": 5}),
            (2, {"closed_total": 9, "open_count": 1}),
            (3, {"closed_total": 9, "open_count": 0}),
        ]
    ]
    red, _black = red_black_lists(rows, size=1, min_activity=1)
    assert [i.row.unit_id for i in red.named] == [3]


def test_list_size_and_minimum_activity_are_bulletin_settings(city, bulletin_settings):
    bulletin_settings.list_size = 1
    bulletin_settings.list_min_activity = 1
    bulletin_settings.save()
    c = city.campaign
    make_finding(c, city.donghua1, found_on=day(1))
    make_finding(c, city.xiguan1, found_on=day(1))
    make_finding(c, city.xiguan1, found_on=day(2))
    bulletin, _ = make_bulletin(campaign=c, period=WEEK)
    text = pdf_text(bulletin)
    streets = next(x for x in bulletin.data["lists"] if x["kind"] == "street")
    assert [i["unit"] for i in streets["red"]] == ["东华街道"]
    assert [i["unit"] for i in streets["black"]] == ["西关街道"]
    # 新市街道 had nothing to do: not on a list. The department had nothing either.
    lists_part = text.split("红黑榜")[1].split("四、")[0]
    assert "新市街道" not in lists_part and "市城管局" not in lists_part


def test_a_tie_at_the_cut_off_reads_bing_lie_in_the_bulletin(city, bulletin_settings):
    bulletin_settings.list_size = 1
    bulletin_settings.list_min_activity = 1
    bulletin_settings.save()
    c = city.campaign
    for unit in (city.donghua1, city.xinshi1, city.xiguan1):
        make_finding(c, unit, found_on=day(1))
    bulletin, _ = make_bulletin(campaign=c, period=WEEK)
    assert "并列" in pdf_text(bulletin)


# --- 3. One frozen snapshot ----------------------------------------------------------------


def test_the_chart_counts_what_the_table_counts(city, bulletin_settings):
    c = city.campaign
    make_finding(c, city.donghua1, found_on=day(1))
    make_finding(c, city.xiguan1, found_on=day(2))
    unassigned = make_finding(c, city.xinshi1, found_on=day(3), status=Status.REGISTERED)
    unassigned.unit = None
    unassigned.save(update_fields=["unit"])
    bulletin, _ = make_bulletin(campaign=c, period=WEEK)
    this_week = bulletin.data["weekly"][-1]
    assert this_week["period"] == WEEK
    assert this_week["opened"] == bulletin.data["headline"]["found_week"] == 2
    assert this_week["closed"] == bulletin.data["headline"]["closed_week"]


def test_the_task_figures_read_as_words_not_slashes(city, bulletin_settings):
    make_finding(city.campaign, city.donghua1, found_on=day(1))
    bulletin, _ = make_bulletin(campaign=city.campaign, period=WEEK)
    text = pdf_text(bulletin)
    assert not re.search(r"\d+ ?/ ?\d+", text)
    assert "→" not in text


# --- 4. Heading numbers --------------------------------------------------------------------


def test_headings_follow_the_official_numbering_without_restarting(city, bulletin_settings):
    make_finding(city.campaign, city.donghua1, found_on=day(1))
    bulletin, _ = make_bulletin(campaign=city.campaign, period=WEEK)
    text = pdf_text(bulletin)
    tops = re.findall(r"^([一二三四五六七八九十]+)、", text, flags=re.MULTILINE)
    assert tops == ["一", "二", "三", "四", "五", "六"]
    requirements = text.split("六、")[1]
    assert "（一）" in requirements and "（二）" in requirements
    assert not re.search(r"^一、", requirements, flags=re.MULTILINE)


# --- 5. Archive order and back-fills --------------------------------------------------------


def test_a_back_filled_week_is_marked_and_the_archive_is_in_week_order(
    city, bulletin_settings, personas, client_for
):
    c = city.campaign
    make_finding(c, city.donghua1, found_on=day(1))
    w45, _ = make_bulletin(campaign=c, period="2026-W45")
    w46, _ = make_bulletin(campaign=c, period="2026-W46")
    w44, _ = make_bulletin(campaign=c, period="2026-W44")
    assert (w45.number, w46.number, w44.number) == (1, 2, 3)
    assert not w45.is_backfill and not w46.is_backfill and w44.is_backfill
    assert "补发" in pdf_text(w44) and "补发" not in pdf_text(w45)
    page = client_for(personas.office_admin).get(reverse("reports:bulletin_list"))
    html = page.content.decode()
    rows = [html.index(week(p)) for p in ("2026-W46", "2026-W45", "2026-W44")]
    assert rows == sorted(rows)
    assert html.count("补发") == 1


# --- 6. Weeks written one way ---------------------------------------------------------------


def test_the_week_is_written_one_way_in_the_documents_and_pages(
    city, bulletin_settings, personas, client_for
):
    make_finding(city.campaign, city.donghua1, found_on=day(1))
    bulletin, _ = make_bulletin(campaign=city.campaign, period=WEEK)
    assert week(WEEK) == "2026年第45周（11月2日—11月8日）"
    assert week(WEEK) in re.sub(r"\s", "", pdf_text(bulletin))
    assert week(WEEK) in docx_text(docx_document(bulletin))
    page = client_for(personas.office_admin).get(bulletin.get_absolute_url()).content.decode()
    assert week(WEEK) in page
    assert "2026-W45" not in re.sub(r'(value|href|name)="[^"]*"', "", page)
    export = RankingExport(
        items=[], angle=ANGLE_BY_KEY["composite"], kind_label="县区", period=WEEK, frozen=True
    )
    assert week(WEEK) in export.get_title()
    assert week(WEEK) in str(bulletin)


# --- The .docx -----------------------------------------------------------------------------


def test_the_docx_has_official_styles_cjk_fonts_tables_and_the_pdfs_text(
    cases, personas, client_for
):
    city, good, *_ = cases
    bulletin, _ = make_bulletin(campaign=city.campaign, period=WEEK)
    choose_cases(bulletin, actor=personas.office_admin, finding_ids=[good.pk])
    relay()  # the job renders the PDF and the .docx after commit
    bulletin.refresh_from_db()
    response = client_for(personas.office_admin).get(
        reverse("reports:bulletin_docx", args=[bulletin.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    document = docx.Document(io.BytesIO(b"".join(response.streaming_content)))
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    styles = {p.style.name for p in document.paragraphs}
    assert {"Title", "Heading 1", "Heading 2"} <= styles
    qn = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia"
    east_asian = {
        el.get(qn) for el in document.element.iter() if el.tag.endswith("}rFonts") and el.get(qn)
    }
    for style in ("Normal", "Heading 1", "Title"):
        fonts = document.styles[style].element.rPr.rFonts
        assert fonts.get(qn), style
    assert {"仿宋", "黑体"} <= east_asian
    assert len(document.tables) >= 4
    figures = document.tables[0]
    assert figures.rows[0].cells[0].text  # a header row
    # The same words as the PDF, whatever the layout: compare the characters, leaving out
    # the page numbers and the chart drawings (the .docx carries their figures as tables).
    pdf = pdf_text(bulletin)
    # The draft mark is drawn on every page of the PDF, in the header of the .docx.
    pdf = re.sub(r"— \d+ —", "", pdf).replace("草稿 · 未印发", "")
    drawings = "".join(b.svg for b in bulletin_context(bulletin)["doc"].blocks if b.kind == "chart")
    chart_words = "".join(re.findall(r"<text[^>]*>([^<]*)</text>", drawings))
    flat_pdf, flat_docx = re.sub(r"\s", "", pdf), re.sub(r"\s", "", docx_text(document))
    # A table's header row is printed again on each page it runs onto.
    for table in document.tables:
        header = "".join(cell.text for cell in table.rows[0].cells)
        flat_pdf = flat_pdf.replace(header, "", flat_pdf.count(header) - flat_docx.count(header))
    pdf_chars = Counter(flat_pdf) - Counter(re.sub(r"\s", "", chart_words))
    docx_chars = Counter(flat_docx)
    assert pdf_chars == docx_chars
    assert "商业街占道经营整改案例" in docx_text(document)


def test_the_docx_download_is_scoped_and_audited(cases, personas, client_for):
    from campaign.models import AuditEntry

    city, *_ = cases
    bulletin, _ = make_bulletin(campaign=city.campaign, period=WEEK)
    relay()
    url = reverse("reports:bulletin_docx", args=[bulletin.pk])
    # A draft is the office's: others get 404, as for the PDF.
    assert client_for(personas.district_leader).get(url).status_code == 404
    office = client_for(personas.office_admin)
    before = AuditEntry.objects.count()
    assert office.get(url).status_code == 200
    assert AuditEntry.objects.count() == before + 1
    assert BulletinSettings.objects.count() == 1
