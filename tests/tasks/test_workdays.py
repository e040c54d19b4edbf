"""Working-day arithmetic over the database calendar: holidays, 调休 and unpublished years."""

import datetime

import pytest

from campaign import workdays
from campaign.models import PublishedHolidayYear, WorkdayOverride
from tasks.services import deadline_from_working_days, unpublished_warning

D = datetime.date
pytestmark = pytest.mark.usefixtures("calendar_seeded")


def test_spring_festival_2026_days_are_holidays_and_the_make_up_saturdays_are_working_days():
    assert not workdays.is_working_day(D(2026, 2, 16))  # Monday in the holiday
    assert not workdays.is_working_day(D(2026, 2, 23))  # the last holiday Monday
    assert workdays.is_working_day(D(2026, 2, 14))  # Saturday 调休上班
    assert workdays.is_working_day(D(2026, 2, 28))  # Saturday 调休上班
    assert not workdays.is_working_day(D(2026, 2, 21))  # an ordinary holiday Saturday


def test_adding_working_days_skips_the_festival_and_counts_the_make_up_saturday():
    # Friday 13 Feb + 1 working day is Saturday 14 Feb (调休), + 2 jumps the whole festival.
    assert workdays.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert workdays.add_working_days(D(2026, 2, 13), 2) == D(2026, 2, 24)
    # Plain weekday counting would have said 17 Feb.
    assert workdays.add_working_days(D(2026, 2, 12), 3) == D(2026, 2, 24)


def test_working_days_between_counts_make_up_days_and_not_holidays():
    # 13 Feb (Fri) → 28 Feb (Sat): 14 Feb, 24–27 Feb, 28 Feb = 6 working days.
    assert workdays.working_days_between(D(2026, 2, 13), D(2026, 2, 28)) == 6
    assert workdays.working_days_between(D(2026, 2, 28), D(2026, 2, 13)) == -6
    assert workdays.working_days_between(D(2026, 3, 2), D(2026, 3, 2)) == 0


def test_backwards_counting_also_respects_holidays():
    assert workdays.add_working_days(D(2026, 2, 24), -1) == D(2026, 2, 14)


def test_each_calculation_reads_the_overrides_in_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        workdays.add_working_days(D(2026, 1, 5), 120)
    with django_assert_num_queries(1):
        workdays.working_days_between(D(2026, 1, 1), D(2026, 12, 31))


def test_a_year_without_a_published_schedule_is_reported_and_counted_as_weekdays():
    assert workdays.unpublished_years(D(2026, 12, 30), D(2027, 1, 15)) == [2027]
    # 2027 is not published: 1 Jan 2027 (Friday) counts as an ordinary working day.
    assert workdays.is_working_day(D(2027, 1, 1))
    assert workdays.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 1)
    warning = unpublished_warning(D(2027, 2, 10))
    assert "2027" in warning


def test_a_deadline_in_working_days_that_lands_in_an_unpublished_year_carries_a_warning():
    deadline, warning = deadline_from_working_days(10, start=D(2026, 12, 24))
    assert deadline.year == 2027
    assert "2027" in warning
    _deadline, no_warning = deadline_from_working_days(5, start=D(2026, 3, 2))
    assert no_warning == ""


def test_office_entries_for_a_new_year_take_effect_and_seeding_again_keeps_them():
    PublishedHolidayYear.objects.create(year=2027, source="国务院办公厅通知")
    WorkdayOverride.objects.create(date=D(2027, 1, 1), is_working_day=False, name="元旦")
    WorkdayOverride.objects.filter(date=D(2026, 2, 14)).update(name="春节调休（办公室核对）")
    result = workdays.seed_from_package()
    assert result["overrides"] == 0
    assert not workdays.is_working_day(D(2027, 1, 1))
    assert workdays.unpublished_years(D(2027, 1, 1)) == []
    assert WorkdayOverride.objects.get(date=D(2026, 2, 14)).name == "春节调休（办公室核对）"


def test_seeding_marks_the_package_years_published_and_warns_about_2027(caplog):
    PublishedHolidayYear.objects.all().delete()
    result = workdays.seed_from_package()
    assert PublishedHolidayYear.objects.filter(year=2026).exists()
    assert not PublishedHolidayYear.objects.filter(year=2027).exists()
    assert result["years"] >= 23


def test_the_office_enters_a_new_years_schedule_on_the_calendar_page(personas, client_for):
    from django.urls import reverse

    client = client_for(personas.office_admin)
    url = reverse("tasks:workday_calendar")
    page = client.get(url, {"year": 2027}).content.decode()
    assert "2027" in page
    client.post(
        url,
        {
            "action": "add",
            "year": 2027,
            "date": "2027-01-01",
            "is_working_day": "0",
            "name": "元旦",
        },
    )
    client.post(url, {"action": "publish", "year": 2027})
    assert not workdays.is_working_day(D(2027, 1, 1))
    assert workdays.unpublished_years(D(2027, 3, 1)) == []
    assert client_for(personas.district_leader).get(url).status_code == 403
