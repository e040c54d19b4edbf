"""Whatever a person types into a search box or an address bar, no page answers 500:
superscript digits (²), huge numbers and stray text in number and choice fields."""

from tests.test_every_url import URLS

HOSTILE = ["²", "2026-²", "9" * 30]
# Read by hand in views (search, paging, years), then the filter forms' own fields: a bad
# filter field turns the whole filter form invalid, so the two groups go separately.
TYPED = ["q", "page", "year"]
FILTERED = ["unit", "district", "category", "territory", "standard", "status", "sort", "todo"]


def test_no_page_fails_on_hostile_query_strings(personas, client_for):
    client = client_for(personas.office_admin)  # sees every page and every filter
    client.raise_request_exception = False  # collect every 500, not just the first
    failures = set()
    for route, url, has_args in URLS:
        if has_args:  # pages of one object: their filters are the lists'
            continue
        for value in HOSTILE:
            for names in (TYPED, FILTERED):
                if client.get(url, dict.fromkeys(names, value)).status_code >= 500:
                    failures.add((route, value))
    assert failures == set()
