"""List filters update with htmx: the list's partial on an htmx request, the whole page
otherwise, `Vary: HX-Request` so no cache mixes the two, and the URL kept in the address bar."""

import re

import pytest

pytestmark = pytest.mark.django_db

FILTERED_LISTS = [
    ("/tasks/", "task-table"),
    ("/ledger/", "finding-table"),
    ("/reports/rankings/", "ranking"),
    ("/reports/bulletins/", "bulletin-table"),
]


@pytest.mark.parametrize("url,target", FILTERED_LISTS)
def test_a_filter_change_renders_only_the_list_and_keeps_the_url(url, target, personas, client_for):
    client = client_for(personas.office_admin)
    page = client.get(url)
    html = page.content.decode()
    form = re.search(r"<form [^>]*hx-get=[^>]*>", html).group(0)
    assert f'hx-target="#{target}"' in form and 'hx-push-url="true"' in form
    assert "HX-Request" in page["Vary"]
    partial = client.get(url, headers={"HX-Request": "true"})
    assert "HX-Request" in partial["Vary"]
    assert "<html" not in partial.content.decode()
    assert "<table" in partial.content.decode()


@pytest.mark.parametrize("url", [url for url, _target in FILTERED_LISTS])
def test_every_filter_has_a_label(url, personas, client_for):
    html = client_for(personas.office_admin).get(url).content.decode()
    form = re.search(r"<form [^>]*hx-get=.*?</form>", html, re.S).group(0)
    labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', form))
    fields = re.findall(r'<(?:select|input)[^>]*\sid="([^"]+)"', form)
    assert [f for f in fields if f not in labelled] == []
