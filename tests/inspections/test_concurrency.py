"""Two people acting on one finding at once: one wins, the other is told, nothing is overwritten.

The real race needs PostgreSQL's row locks (SQLite serialises whole transactions), so the
threaded test runs only there; the stale-version rule itself is tested on every database.
"""

import threading
import time

import pytest
from django.db import connection

from campaign.transitions import ConflictError, DomainError
from inspections.models import Finding, Status

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locks"
)


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_verifiers_at_once_one_wins_and_the_other_gets_a_clear_message(
    make_finding, personas, monkeypatch
):
    finding = make_finding("awaiting")
    version = finding.version
    original = Finding._change

    def slow_change(self, action, **kwargs):
        check = kwargs.get("check")

        def slow_check(current):
            time.sleep(0.5)  # hold the row lock long enough for the other thread to queue
            if check:
                check(current)

        return original(self, action, **{**kwargs, "check": slow_check})

    monkeypatch.setattr(Finding, "_change", slow_change)
    barrier = threading.Barrier(2)
    results = {}

    def act(name, actor, passed):
        try:
            barrier.wait()
            Finding.objects.get(pk=finding.pk).verify(
                actor=actor, passed=passed, note="复核意见", expected_version=version
            )
            results[name] = "ok"
        except DomainError as exc:
            results[name] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=("pass", personas.inspector, True)),
        threading.Thread(target=act, args=("fail", personas.office_admin, False)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    outcomes = sorted(results.values(), key=lambda r: r != "ok")
    assert outcomes[0] == "ok"
    assert isinstance(outcomes[1], ConflictError)
    assert "刚刚已被他人处理" in str(outcomes[1])
    finding.refresh_from_db()
    winner = next(name for name, r in results.items() if r == "ok")
    assert finding.status == (Status.CLOSED if winner == "pass" else Status.RETURNED)
    assert finding.version == version + 1
    assert finding.events.filter(action__in=["pass", "fail"]).count() == 1


@pytest.mark.django_db
def test_a_second_action_from_the_same_stale_page_is_refused(make_finding, personas):
    finding = make_finding("assigned")
    version = finding.version
    finding.acknowledge(actor=personas.street_liaison, expected_version=version)
    with pytest.raises(ConflictError):
        Finding.objects.get(pk=finding.pk).dispute(
            actor=personas.street_leader, reason="非本单位", expected_version=version
        )
