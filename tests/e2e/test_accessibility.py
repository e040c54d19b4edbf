"""Accessibility (issue 12, defect 7): axe-core, vendored for tests, finds no WCAG 2 A/AA
violation on any main page for the office, a unit liaison and a leader."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from campaign.models import EvaluationSystem, IndicatorNode, Standard
from inspections.models import Finding, Severity, Source, Status
from reports.bulletins import make_bulletin
from tasks.models import Task
from tests.conftest import MAIN_PAGES

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG2_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def campaign_at_work(city, personas):
    """A little of everything a main page shows: tasks, findings, a standard, a bulletin."""
    today = datetime.date.today()
    system = EvaluationSystem.objects.create(
        campaign=city.campaign, name="全国文明城市测评体系", level_names=["测评项目", "测评内容"]
    )
    item = IndicatorNode.objects.create(system=system, level=0, name="公共环境")
    content = IndicatorNode.objects.create(system=system, parent=item, level=1, name="市容市貌")
    standard = Standard.objects.create(
        system=system,
        node=content,
        code="1.1.1",
        text="背街小巷干净整洁",
        points=Decimal("2"),
        lead_command_office=city.command_office,
        lead_unit=city.donghua,
    )
    for n, (status, days) in enumerate(
        [(Task.Status.NOT_STARTED, 20), (Task.Status.IN_PROGRESS, -2), (Task.Status.SUBMITTED, 3)]
    ):
        task = Task.objects.create(
            campaign=city.campaign,
            title=f"背街小巷环境卫生整治{n}",
            lead_unit=city.donghua,
            command_office=city.command_office,
            standard=standard if n == 0 else None,
            item=item,
            status=status,
            progress=30 * n,
            deadline=today + datetime.timedelta(days=days),
        )
        task.responsible_units.set([city.donghua1])
    for status, level in [(Status.ASSIGNED, 0), (Status.RECTIFYING, 1), (Status.AWAITING, 0)]:
        Finding.objects.create(
            campaign=city.campaign,
            source=Source.ROUTINE,
            found_on=today,
            description="流动摊点占道经营",
            address="东华路1号",
            severity=Severity.MINOR,
            unit=city.donghua,
            territory=city.donghua,
            status=status,
            standard=standard,
            deadline=today + datetime.timedelta(days=-1 if level else 5),
            supervision_level=level,
        )
    bulletin, _created = make_bulletin(
        campaign=city.campaign, period="2026-W47", actor=personas.office_admin
    )
    return [
        task.get_absolute_url(),
        Finding.objects.first().get_absolute_url(),
        standard.get_absolute_url(),
        system.get_absolute_url(),
        f"/org/systems/{system.pk}/score/",
        bulletin.get_absolute_url(),
    ]


@pytest.fixture
def axe_page(browser):
    # The site's Content-Security-Policy forbids injected scripts; only this test's context
    # lifts it, to add axe.
    context = browser.new_context(bypass_csp=True, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def violations(page):
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => [v.id, v.impact, v.nodes.length,"
        " v.nodes.slice(0, 2).map(n => n.target.join(' '))]))",
        WCAG2_A_AA,
    )
    return found


@pytest.mark.parametrize("username", ["office", "donghua_ll", "leader"])
def test_no_main_page_violates_wcag2_a_or_aa(username, axe_page, live_server, campaign_at_work):
    page = axe_page
    login(page, live_server, username)
    failures = {}
    for path in MAIN_PAGES + campaign_at_work:
        response = page.goto(f"{live_server.url}{path}")
        if response.status != 200:
            continue
        page.wait_for_load_state("networkidle")
        found = violations(page)
        if found:
            failures[path] = found
    assert failures == {}
