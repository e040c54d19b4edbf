"""Who may do what to a finding: used to show the right buttons.

The model methods on `Finding` enforce the same rules on the server; these predicates
only decide which forms a page offers.
"""

from campaign.access import scope_for

from .models import OPEN, UNIT_PENDING, FindingEvent, Source, Status

# The steps a unit takes itself: the only ones whose author it sees on a 暗访 finding.
UNIT_ACTIONS = {
    FindingEvent.Action.ACKNOWLEDGE,
    FindingEvent.Action.SUBMIT,
    FindingEvent.Action.DISPUTE,
}


def can_log(user, campaign):
    scope = scope_for(user)
    return scope.is_office_admin(campaign) or scope.is_inspector(campaign)


def hides_checkers(user, finding):
    """An undercover visit (暗访) stays unannounced: outside the office and the inspectors,
    its finding names neither the inspection nor who logged, verified or supervised it."""
    undercover = finding.source == Source.UNDERCOVER or (
        finding.inspection_id is not None and finding.inspection.kind == Source.UNDERCOVER
    )
    return undercover and not can_log(user, finding.campaign)


def allowed_actions(user, finding):
    """The names of the actions this person could take on the finding now."""
    scope = scope_for(user)
    campaign = finding.campaign
    office = scope.is_office_admin(campaign)
    checker = office or scope.is_inspector(campaign)
    unit_person = finding.unit_id is not None and scope.acts_for_unit(finding.unit)
    member = finding.unit_id is not None and scope.is_member_of_unit(finding.unit)
    status = finding.status
    actions = set()
    if status == Status.REGISTERED and checker:
        actions.add("assign")
    if status == Status.ASSIGNED and unit_person:
        actions.add("acknowledge")
    if status in (Status.RECTIFYING, Status.RETURNED) and unit_person:
        actions.add("submit")
    if status in (Status.ASSIGNED, Status.RECTIFYING, Status.RETURNED) and unit_person:
        actions.add("dispute")
    if status == Status.AWAITING and checker and not member:
        actions.add("verify")
    if status == Status.DISPUTED and office:
        actions.add("decide")
    if status in OPEN and office:
        actions.add("void")
    if status in UNIT_PENDING and office and finding.supervision_level < 3:
        actions.add("supervise")
    if status == Status.CLOSED and checker:
        actions.add("relapse")
    return actions
