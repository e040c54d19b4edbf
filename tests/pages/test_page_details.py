"""Small things every page gets right (issue 12, defect 8): translated sort options, dates a
date input can read, a favicon, weeks in words, ids used once, items named with their system."""

import datetime
import re
from collections import Counter

import pytest
from django.contrib.staticfiles import finders
from django.template import Context, Template

from campaign.models import EvaluationSystem, IndicatorNode
from inspections.models import FindingCategory, Severity
from inspections.services import log_finding
from tasks.models import Task
from tests.inspections.conftest import make_photo

pytestmark = pytest.mark.django_db


def repeated_ids(html):
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    return sorted(name for name, n in ids.items() if n > 1)


def test_ledger_sort_options_are_all_in_chinese(personas, client_for):
    html = client_for(personas.office_admin).get("/ledger/").content.decode()
    assert "(descending)" not in html
    assert "发现日期（降序）" in html


def test_a_date_input_is_prefilled_in_the_format_it_reads(personas, client_for):
    html = client_for(personas.inspector).get("/ledger/new/").content.decode()
    found_on = re.search(r'<input[^>]*name="found_on"[^>]*>', html).group(0)
    today = datetime.date.today().isoformat()
    assert f'value="{today}"' in found_on


def test_every_page_names_a_favicon_that_exists(personas, client_for):
    html = client_for(personas.leader).get("/").content.decode()
    href = re.search(r'<link rel="icon"[^>]*href="/static/([^"]+)"', html).group(1)
    assert finders.find(href)


def test_a_week_reads_as_year_week_and_dates():
    rendered = Template("{% load site_tags %}{{ '2026-W47'|week }}").render(Context())
    assert rendered == "2026年第47周（11月16日—11月22日）"


def test_weeks_on_the_rankings_page_read_in_words(personas, client_for):
    html = client_for(personas.leader).get("/reports/rankings/?period=2026-W47").content.decode()
    assert "2026年第47周（11月16日—11月22日）" in html
    assert "2026-W47（" not in html and "第 2026-W47" not in html


def test_a_finding_page_with_several_action_forms_uses_each_id_once(city, personas, client_for):
    finding = log_finding(
        campaign=city.campaign,
        actor=personas.inspector,
        photos=[make_photo()],
        description="东华路口流动摊点占道经营",
        category=FindingCategory.objects.create(campaign=city.campaign, name="占道经营"),
        severity=Severity.MINOR,
        address="东华路1号",
        territory=city.donghua,
    )
    finding.assign(
        actor=personas.office_admin, unit=city.donghua, deadline=datetime.date(2026, 3, 10)
    )
    html = client_for(personas.office_admin).get(f"/ledger/findings/{finding.pk}/").content
    assert repeated_ids(html.decode()) == []


def test_the_task_list_uses_each_id_once(personas, client_for):
    html = client_for(personas.office_admin).get("/tasks/").content.decode()
    assert repeated_ids(html) == []


def test_the_item_filter_tells_systems_apart(city, personas, client_for):
    for name in ("全国文明城市测评体系", "未成年人思想道德建设测评体系"):
        system = EvaluationSystem.objects.create(campaign=city.campaign, name=name)
        item = IndicatorNode.objects.create(system=system, level=0, name="思想道德建设")
        Task.objects.create(
            campaign=city.campaign,
            title=f"{name}任务",
            lead_unit=city.donghua,
            item=item,
            deadline=datetime.date(2026, 12, 1),
        )
    html = client_for(personas.office_admin).get("/tasks/").content.decode()
    select = re.search(r'<select name="item".*?</select>', html, re.S).group(0)
    labels = [label.strip() for label in re.findall(r">([^<]+)</option>", select)]
    assert len([label for label in labels if "思想道德建设" in label]) == 2
    assert len(set(labels)) == len(labels)
