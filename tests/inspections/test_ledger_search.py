"""The ledger's search (`?q=`): a finding whose address or description holds the text, in
any case, whatever the text's length; and text that no case mapping changes is compared as
written, at half the cost of upper-casing each row."""

import pytest
from django.db import connection
from django.http import QueryDict

from inspections.filters import ledger_filter

TEXTS = [
    ("垃圾站旁", "绿化带内垃圾堆积"),
    ("人民路AB区", "广告牌破损"),
    ("东华路1号", "ab街 占道"),
    ("建设路12号", "井盖缺失（100%）"),
    ("和平里", "İstanbul 路灯"),
]
SEARCHES = [
    "垃圾", "圾", "ab", "AB", "aB", "a", "路1", "1", "建设路1", "100%", "%", "_", "井盖缺",
    "İ", "灯 ", "AB街", "ab区", "东华路1",
]  # fmt: skip


@pytest.mark.parametrize("text", SEARCHES)
def test_a_search_finds_what_holds_the_text_in_any_case_whatever_its_length(
    city, personas, make_finding, text
):
    made = [make_finding("assigned", address=a, description=d).pk for a, d in TEXTS]
    asked = text.strip().upper()
    wanted = {
        pk
        for (address, description), pk in zip(TEXTS, made, strict=True)
        if asked in address.upper()
        or asked in description.upper()
        or asked.isdecimal()
        and int(asked) == pk  # "12" also finds finding 2026-00012
    }
    found = ledger_filter(personas.office_admin, city.campaign, QueryDict(f"q={text}")).qs
    assert set(found.filter(pk__in=made).values_list("pk", flat=True)) == wanted


def searched_sql(city, person, text):
    filtered = ledger_filter(person, city.campaign, QueryDict(f"q={text}")).qs
    return filtered.query.sql_with_params()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's LIKE and ILIKE")
def test_a_search_compares_the_text_as_written_unless_a_case_changes_it(city, personas):
    """Text without cased letters (Chinese, digits) is compared as written, whatever its
    length: upper-casing each row's address and description to compare them cost twice the
    comparison itself. Where the person's findings are read one by one (a one- or
    two-character search, which gives the trigram indexes nothing to look up: the office's
    垃圾 at city size, 188 → 95 ms), and where a search walks the ledger newest first past
    the findings that do not match (the office's 建设路1 at city size: 1,369 rows for its
    page, 2.3 → 1.1 ms), and on every match a trigram index offers, which is checked on its
    row. Text with letters is compared in any case, as ILIKE, which the same trigram indexes
    serve (tests/inspections/test_ledger_plans.py), not as Django's UPPER(…) LIKE UPPER(…)."""
    for text in ["垃圾", "路1", "圾", "建设路1", "井盖缺失", "100%"]:
        sql = searched_sql(city, personas.office_admin, text)
        assert "UPPER(" not in sql and "ILIKE" not in sql, (text, sql)
        assert '"inspections_finding"."address"::text LIKE' in sql, sql
    for text in ["建设路A", "ab", "A", "İ"]:
        sql = searched_sql(city, personas.office_admin, text)
        assert "UPPER(" not in sql, (text, sql)
        assert '"inspections_finding"."address"::text ILIKE' in sql, (text, sql)
