"""Who may do what to a finding. Reading is `Finding.objects.visible_to(user)`; acting is the
rule table `Finding.RULES` (inspections/models.py), read by the page's buttons (through
`campaign.transitions.allowed_actions`), the action views and the model methods alike.
"""

from campaign.access import scope_for

from .models import FindingEvent, Source

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
