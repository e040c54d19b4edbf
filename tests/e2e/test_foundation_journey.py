import pytest

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_unit_leader_signs_in_in_chinese_sees_own_unit_and_not_a_sibling(
    browser_page, live_server, personas, city
):
    page = browser_page
    login(page, live_server, "donghua")

    # The home page speaks Chinese and names the person's role and unit.
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    roles = page.locator("#my-roles")
    assert "单位负责人" in roles.inner_text()
    assert "东华街道" in roles.inner_text()

    roles.get_by_role("link", name="东华街道").click()
    page.wait_for_url(f"{live_server.url}/org/units/{city.donghua.pk}/")
    assert page.locator("h1").inner_text() == "东华街道"
    assert "东华第1社区" in page.content()

    response = page.goto(f"{live_server.url}/org/units/{city.xinshi.pk}/")
    assert response.status == 404
    assert "页面不存在" in page.content()
