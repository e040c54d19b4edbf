"""Every action tried from every state by someone entitled to it: exactly the moves of
DESIGN.md §5 succeed, every other one is refused and leaves the finding untouched."""

import pytest

from campaign.transitions import DomainError
from inspections.models import SupervisionLevel

from .conftest import make_photo

pytestmark = pytest.mark.django_db

STATES = [
    "registered",
    "assigned",
    "rectifying",
    "awaiting",
    "returned",
    "disputed",
    "closed",
    "voided",
]

# action -> (the states it is allowed from, the state it leads to; None = stays where it is)
ALLOWED = {
    "assign": ({"registered"}, "assigned"),
    "acknowledge": ({"assigned"}, "rectifying"),
    "submit": ({"rectifying", "returned"}, "awaiting"),
    "pass": ({"awaiting"}, "closed"),
    "fail": ({"awaiting"}, "returned"),
    "dispute": ({"assigned", "rectifying", "returned"}, "disputed"),
    "uphold": ({"disputed"}, "assigned"),
    "reject": ({"disputed"}, "rectifying"),  # the test's disputes are raised while rectifying
    "void": (
        {"registered", "assigned", "rectifying", "awaiting", "returned", "disputed"},
        "voided",
    ),
    "supervise": ({"assigned", "rectifying", "returned", "disputed"}, None),
    "relapse": ({"closed"}, None),
}


def perform(action, finding, p, city):
    return {
        "assign": lambda: finding.assign(actor=p.office_admin, unit=city.donghua),
        "acknowledge": lambda: finding.acknowledge(actor=p.street_liaison),
        "submit": lambda: finding.submit_rectification(
            actor=p.street_liaison, measures="已整改", photos=[make_photo()]
        ),
        "pass": lambda: finding.verify(actor=p.inspector, passed=True),
        "fail": lambda: finding.verify(actor=p.inspector, passed=False, note="不到位"),
        "dispute": lambda: finding.dispute(actor=p.street_liaison, reason="非本单位职责"),
        "uphold": lambda: finding.decide_dispute(
            actor=p.office_admin, upheld=True, unit=city.chengguan, note="属城管"
        ),
        "reject": lambda: finding.decide_dispute(
            actor=p.office_admin, upheld=False, note="属地负责"
        ),
        "void": lambda: finding.void(actor=p.office_admin, reason="录入错误"),
        "supervise": lambda: finding.supervise(actor=p.office_admin, level=SupervisionLevel.NORMAL),
        "relapse": lambda: finding.record_relapse(actor=p.inspector, description="问题反弹"),
    }[action]()


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(ALLOWED))
def test_each_action_from_each_state(make_finding, personas, city, state, action):
    finding = make_finding(state)
    events_before = finding.events.count()
    allowed_from, target = ALLOWED[action]
    if state in allowed_from:
        perform(action, finding, personas, city)
        finding.refresh_from_db()
        assert finding.status == (target or state)
        assert finding.events.count() == events_before + 1
    else:
        with pytest.raises(DomainError):
            perform(action, finding, personas, city)
        finding.refresh_from_db()
        assert finding.status == state
        assert finding.events.count() == events_before
