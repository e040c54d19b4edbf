"""Every error answers a Chinese page in the site's style saying what happened and what to do."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from campaign import errors

CHINESE_500 = "系统出错了"


@pytest.fixture
def failing_urls(settings):
    settings.ROOT_URLCONF = "tests.reliability.urls"
    settings.DEBUG = False


def anonymous():
    client = Client()
    client.raise_request_exception = False
    return client


def test_the_500_page_renders_without_a_request_context_or_the_database():
    # No django_db mark: any query here would fail the test.
    response = errors.server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert CHINESE_500 in html and "错误已经记录" in html and "返回首页" in html
    assert "Server Error" not in html and "bootstrap" in html


@pytest.mark.django_db
def test_a_bug_answers_the_chinese_500_page(failing_urls):
    response = anonymous().get("/test-fail/")
    html = response.content.decode()
    assert response.status_code == 500
    assert CHINESE_500 in html and "Server Error" not in html


@pytest.mark.django_db
def test_a_lost_database_answers_a_retryable_503(failing_urls):
    response = anonymous().get("/test-lose-database/")
    html = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"]
    assert "系统暂时不可用" in html and "没有保存" in html and "重试" in html


@pytest.mark.django_db
def test_an_expired_form_answers_a_chinese_403_not_djangos_csrf_page():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "x", "password": "y"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "页面已过期" in html and "刷新页面" in html and "verification failed" not in html


@pytest.mark.django_db
def test_a_bad_request_answers_a_chinese_400():
    response = anonymous().get("/login/", HTTP_HOST="evil.example")
    html = response.content.decode()
    assert response.status_code == 400
    assert "请求无法处理" in html and "Bad Request" not in html


@pytest.mark.django_db
def test_a_page_outside_ones_scope_answers_the_chinese_404(personas, client_for):
    response = client_for(personas.office_admin).get("/no-such-page/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()


@pytest.mark.django_db
def test_opening_a_buttons_address_as_a_link_answers_a_chinese_405(
    make_finding, client_for, personas
):
    finding = make_finding("rectifying")
    response = client_for(personas.street_liaison).get(
        reverse("inspections:finding_submit", args=[finding.pk])
    )
    html = response.content.decode()
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert response["X-Frame-Options"] == "DENY"
    assert "按钮" in html and "返回首页" in html
