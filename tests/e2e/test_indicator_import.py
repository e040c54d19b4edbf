"""Browser journey: the creation office imports the sample evaluation system through the preview."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from campaign.services import apply_organisation, read_organisation

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DATA = Path(__file__).resolve().parent.parent / "data"


def test_office_imports_the_sample_workbook_and_sees_the_tree_with_its_total_points(
    browser_page, live_server, personas, campaign
):
    plan = read_organisation((DATA / "organisation.xlsx").read_bytes(), campaign=campaign)
    apply_organisation(plan, campaign=campaign, actor=personas.office_admin)
    page = browser_page
    login(page, live_server, "office")

    page.get_by_role("link", name="测评体系", exact=True).first.click()
    page.wait_for_url(f"{live_server.url}/org/systems/")
    assert "尚未导入测评体系" in page.content()
    page.get_by_role("link", name="导入表格").first.click()

    page.set_input_files("#id_file", str(DATA / "indicator-system.xlsx"))
    page.get_by_role("button", name="检查并预览").click()

    # The preview: counts per level and the total, before anything is saved.
    summary = page.locator("#import-summary")
    summary.wait_for()
    assert "测评体系任务分解" in summary.inner_text()
    assert page.locator("#import-total-points").inner_text() == "31.5"
    for label, count in (("测评项目", "9"), ("测评内容", "22"), ("测评标准", "28")):
        assert label in summary.inner_text() and count in summary.inner_text()
    expect(page.locator("#unit-mapping")).to_have_count(0)

    page.get_by_role("button", name="确认导入").click()
    page.wait_for_url(f"{live_server.url}/org/systems/*/")
    assert "已导入" in page.locator(".alert-success").inner_text()
    assert page.locator("#tree-total-points").inner_text() == "31.5"
    tree = page.locator("#system-tree").inner_text()
    assert "思想道德建设" in tree and "城市空气质量" in tree

    # The search narrows the tree without reloading the page.
    page.fill("#id_q", "垃圾分类")
    page.wait_for_function("() => document.querySelector('#tree-total-points').innerText === '1.5'")
    assert "思想道德建设" not in page.locator("#system-tree").inner_text()
