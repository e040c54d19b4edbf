"""The ledger's FilterSet copies its declared filters one level down (inspections.filters.
LightFilterSet): two ledgers at once, for two people, never share what either changes."""

from django.http import QueryDict

from inspections.filters import FindingFilter
from inspections.models import Finding, Status


def test_two_ledgers_at_once_keep_their_own_filters_and_choices(make_finding, personas, city):
    campaign = city.campaign
    found = make_finding("registered", address="东华路12号")
    make_finding("assigned", address="西城路3号")
    office = FindingFilter(
        QueryDict("q=东华路&todo=triage"),
        queryset=Finding.objects.all(),
        campaign=campaign,
        user=personas.office_admin,
    )
    liaison = FindingFilter(
        QueryDict("todo=acknowledge"),
        queryset=Finding.objects.all(),
        campaign=campaign,
        user=personas.street_liaison,
    )
    # Each filter is the FilterSet's own, and its method is called on that FilterSet.
    for name in FindingFilter.base_filters:
        assert office.filters[name] is not liaison.filters[name]
        assert office.filters[name] is not FindingFilter.base_filters[name]
    assert office.filters["q"].filter.f is office.filters["q"]
    assert office.filters["q"].parent is office and liaison.filters["q"].parent is liaison
    # Each form offers its person's to-do kinds; the declared filter keeps all of them.
    office_todo = [key for key, _label in office.form.fields["todo"].choices]
    liaison_todo = [key for key, _label in liaison.form.fields["todo"].choices]
    assert "triage" in office_todo and "triage" not in liaison_todo
    assert "acknowledge" in liaison_todo
    assert len(FindingFilter.base_filters["todo"].extra["choices"]) == 8
    assert FindingFilter.base_filters["unit"].queryset.query.is_empty()  # none, as declared
    assert list(office.qs) == [found]
    assert not liaison.errors and all(f.status == Status.ASSIGNED for f in liaison.qs)


def test_an_unbound_ledger_form_is_unbound_and_a_bound_one_validates(personas, city):
    def ledger(data):
        return FindingFilter(data, campaign=city.campaign, user=personas.office_admin)

    assert not ledger(None).form.is_bound
    bound = ledger(QueryDict("found_after=not a date&severity=serious"))
    assert bound.form.is_bound and set(bound.errors) == {"found_after"}
    assert list(bound.form.fields) == list(FindingFilter.base_filters)
