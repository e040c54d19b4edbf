"""The weekly bulletin: made once per week, numbered, frozen, rendered, published, e-mailed."""

import datetime
import io
import zoneinfo

import pypdf
import pytest
from django.core import mail
from django.core.management import call_command

from campaign.documents import LocalFilesOnly
from campaign.outbox import relay
from campaign.transitions import DomainError
from inspections.models import Severity, Status
from reports.bulletins import make_bulletin, produce_due_bulletins, refresh_bulletin
from reports.models import Bulletin, BulletinSettings, UnitSnapshot
from reports.periods import due_period

from .conftest import WEEK, day, make_finding

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(city):
    c = city.campaign
    make_finding(c, city.donghua1, found_on=day(1), deadline=day(2), severity=Severity.SERIOUS)
    make_finding(c, city.xiguan1, found_on=day(2), status=Status.CLOSED, closed_on=day(3))
    make_finding(c, city.chengguan, found_on=day(-6), deadline=day(-4))
    return city


def pdf_text(bulletin):
    relay()  # the PDF is rendered after commit by the outbox
    bulletin.refresh_from_db()
    with bulletin.pdf.open("rb") as handle:
        reader = pypdf.PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def test_a_week_gets_one_bulletin_however_often_it_is_made(ledger, bulletin_settings):
    first, created = make_bulletin(campaign=ledger.campaign, period=WEEK)
    again, created_again = make_bulletin(campaign=ledger.campaign, period="2026-w45")
    assert created and not created_again
    assert again.pk == first.pk
    assert Bulletin.objects.count() == 1
    assert first.number == 1
    assert first.document_number == f"创文办〔{datetime.date.today().year}〕1号"


def test_issue_and_document_numbers_run_on(ledger, bulletin_settings):
    make_bulletin(campaign=ledger.campaign, period="2026-W44")
    second, _ = make_bulletin(campaign=ledger.campaign, period=WEEK)
    assert second.number == 2
    assert second.document_number.endswith("〕2号")


def test_the_pdf_has_the_chinese_headings_and_unit_names(ledger, bulletin_settings):
    bulletin, _ = make_bulletin(campaign=ledger.campaign, period=WEEK)
    text, reader = pdf_text(bulletin)
    for expected in (
        "创建全国文明城市工作通报",
        "第1期",
        bulletin.document_number,
        "总体进展",
        "红黑榜",
        "逾期和反弹问题",
        "下周工作要求",
        "东城区",
        "西关街道",
        "市城管局",
        "某市创建全国文明城市工作领导小组办公室",
    ):
        assert expected in text, expected
    fonts = set()
    for page in reader.pages:
        for font in (page.get("/Resources") or {}).get("/Font", {}).values():
            fonts.add(str(font.get_object().get("/BaseFont")))
    # Subsets of the Noto CJK faces are embedded.
    assert any("Noto-Serif-CJK-SC" in f for f in fonts)  # body (Song style)
    assert any("Noto-Sans-CJK-SC" in f for f in fonts)  # headings (Hei style)


def test_a_published_bulletin_does_not_change_when_the_ledger_does(ledger, bulletin_settings):
    bulletin, _ = make_bulletin(campaign=ledger.campaign, period=WEEK)
    bulletin.publish(actor=None)
    relay()  # the final PDF is rendered after commit by the outbox
    bulletin.refresh_from_db()
    data, pdf_name = bulletin.data, bulletin.pdf.name
    with bulletin.pdf.open("rb") as handle:
        pdf_bytes = handle.read()
    frozen_rows = list(UnitSnapshot.objects.values_list("unit_name", "found_week", "score"))

    for _n in range(3):
        make_finding(ledger.campaign, ledger.east, found_on=day(3), severity=Severity.CRITICAL)
    with pytest.raises(DomainError):
        refresh_bulletin(bulletin, actor=None)
    again, created = make_bulletin(campaign=ledger.campaign, period=WEEK)

    bulletin.refresh_from_db()
    assert not created and again.pk == bulletin.pk
    assert bulletin.data == data
    assert bulletin.pdf.name == pdf_name
    with bulletin.pdf.open("rb") as handle:
        assert handle.read() == pdf_bytes
    assert list(UnitSnapshot.objects.values_list("unit_name", "found_week", "score")) == frozen_rows


def test_a_draft_can_be_recomputed_until_it_is_published(ledger, bulletin_settings):
    bulletin, _ = make_bulletin(campaign=ledger.campaign, period=WEEK)
    assert bulletin.data["headline"]["found_week"] == 2
    make_finding(ledger.campaign, ledger.east, found_on=day(3))
    refresh_bulletin(bulletin, actor=None)
    bulletin.refresh_from_db()
    assert bulletin.data["headline"]["found_week"] == 3
    assert "3" in bulletin.summary


def test_publishing_emails_the_pdf_to_the_distribution_list_once(
    ledger, bulletin_settings, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    bulletin, _ = make_bulletin(campaign=ledger.campaign, period=WEEK)
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        bulletin.publish(actor=None)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["chuangwenban@example.cn", "shizhang@example.cn"]
    assert bulletin.document_number in message.subject
    name, content, mimetype = message.attachments[0]
    assert mimetype == "application/pdf" and content.startswith(b"%PDF")

    from reports.bulletins import email_bulletin

    assert email_bulletin(bulletin_id=bulletin.pk) == 0  # already sent: nothing twice
    assert len(mail.outbox) == 1
    with pytest.raises(DomainError):
        bulletin.publish(actor=None)


def test_a_campaign_can_have_its_bulletins_published_automatically(ledger, bulletin_settings):
    bulletin_settings.auto_publish = True
    bulletin_settings.save()
    bulletin, _ = make_bulletin(campaign=ledger.campaign, period=WEEK)
    assert bulletin.status == Bulletin.Status.PUBLISHED
    assert "-draft" not in bulletin.pdf.name


SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_the_bulletin_is_due_from_the_configured_weekday_and_time(campaign):
    item = BulletinSettings(campaign=campaign, weekday=0, time=datetime.time(9, 0))
    monday = datetime.datetime(2026, 11, 9, 8, 59, tzinfo=SHANGHAI)
    assert due_period(item, monday) is None
    assert due_period(item, monday.replace(hour=9, minute=0)) == "2026-W45"  # last week
    assert due_period(item, monday + datetime.timedelta(days=3)) == "2026-W45"
    item.covers = BulletinSettings.Covers.THIS_WEEK
    item.weekday, item.time = 4, datetime.time(16, 30)
    assert due_period(item, datetime.datetime(2026, 11, 13, 16, 0, tzinfo=SHANGHAI)) is None
    assert due_period(item, datetime.datetime(2026, 11, 13, 16, 30, tzinfo=SHANGHAI)) == "2026-W46"


def test_the_beat_job_makes_the_due_bulletin_once(ledger, bulletin_settings):
    now = datetime.datetime(2026, 11, 9, 9, 15, tzinfo=SHANGHAI)
    assert produce_due_bulletins(now) == [(ledger.campaign.pk, WEEK)]
    assert produce_due_bulletins(now) == []
    relay()  # the queued maker runs
    assert list(Bulletin.objects.values_list("period", flat=True)) == [WEEK]


def test_the_beat_job_skips_campaigns_that_switched_it_off(ledger, bulletin_settings):
    bulletin_settings.is_enabled = False
    bulletin_settings.save()
    assert produce_due_bulletins(datetime.datetime(2026, 11, 9, 10, tzinfo=SHANGHAI)) == []


def test_the_command_prints_the_same_bulletin_when_run_again(ledger, bulletin_settings):
    out1, out2 = io.StringIO(), io.StringIO()
    call_command("make_bulletin", campaign=ledger.campaign.pk, period=WEEK, stdout=out1)
    call_command("make_bulletin", campaign=ledger.campaign.pk, period=WEEK, stdout=out2)
    bulletin = Bulletin.objects.get()
    first, second = out1.getvalue().splitlines(), out2.getvalue().splitlines()
    assert first[0].startswith(f"{bulletin.document_number} 第1期 {WEEK}")
    assert first[1] == second[1] == bulletin.pdf.path
    assert second[0].startswith(first[0].split(" (")[0])


def test_the_pdf_renderer_fetches_no_network_url():
    fetcher = LocalFilesOnly()
    with pytest.raises(ValueError):
        fetcher.fetch("http://example.com/logo.png")
    with pytest.raises(ValueError):
        fetcher.fetch("file:///etc/passwd")
    with pytest.raises(ValueError):
        fetcher.fetch("media:../../etc/passwd")
    assert fetcher.fetch("static:reports/bulletin.css").read().startswith(b"/*")


def test_a_week_that_has_not_begun_gets_no_bulletin(ledger, bulletin_settings):
    from reports.periods import PeriodError, iso_period

    next_week = iso_period(datetime.date.today() + datetime.timedelta(days=7))
    with pytest.raises(PeriodError):
        make_bulletin(campaign=ledger.campaign, period=next_week)
    assert not Bulletin.objects.exists()


def test_a_ranking_longer_than_a_page_repeats_its_header_on_every_page(city, bulletin_settings):
    from campaign.models import Unit

    for n in range(70):
        Unit(
            campaign=city.campaign, name=f"第{n + 1}街道", kind=Unit.Kind.STREET, parent=city.west
        ).save()
    bulletin, _ = make_bulletin(campaign=city.campaign, period=WEEK)
    _text, reader = pdf_text(bulletin)
    pages = [page.extract_text() for page in reader.pages]
    # Pages of the ranking section (before the red and black lists) that list streets.
    end = next(i for i, p in enumerate(pages) if "三、红黑榜" in p)
    with_streets = [p for p in pages[: end + 1] if "街道" in p.split("三、红黑榜")[0]]
    assert len(with_streets) >= 2
    assert all("名次" in p and "较上周" in p for p in with_streets)


def test_a_campaign_without_saved_settings_runs_on_the_defaults(ledger):
    # Default: Mondays at 09:00, covering the previous week.
    now = datetime.datetime(2026, 11, 9, 9, 0, tzinfo=SHANGHAI)
    assert produce_due_bulletins(now) == [(ledger.campaign.pk, WEEK)]


def test_publishing_is_in_the_audit_log(ledger, bulletin_settings):
    from campaign.models import AuditEntry

    bulletin, _ = make_bulletin(campaign=ledger.campaign, period=WEEK)
    bulletin.publish(actor=None)
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.PUBLISH, object_id=str(bulletin.pk)
    ).exists()
