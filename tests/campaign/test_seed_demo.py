"""The demo city: realistic size, every role present, and a second run changes nothing."""

import io

from django.apps import apps
from django.core.management import call_command

from campaign.models import CommandOffice, Membership, Role, Unit


def table_counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"campaign", "tasks", "inspections", "reports"}
    }


def test_seed_demo_builds_a_realistic_city(db):
    call_command("seed_demo", stdout=io.StringIO())
    kinds = {kind: Unit.objects.filter(kind=kind).count() for kind in Unit.Kind.values}
    assert kinds["district"] >= 4
    assert kinds["street"] >= 12
    assert kinds["community"] >= 30
    assert kinds["department"] >= 15
    assert CommandOffice.objects.count() >= 4
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values)


def test_seed_demo_twice_changes_nothing(db):
    call_command("seed_demo", stdout=io.StringIO())
    first = table_counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert table_counts() == first


def test_seed_demo_prints_the_demo_logins(db, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "office" in out and "donghua" in out and "demo1234" in out
