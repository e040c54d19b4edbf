"""Who may do what to a finding. Reading is `Finding.objects.visible_to(user)`; acting is the
rule table `Finding.RULES` (inspections/models.py), read by the page's buttons (through
`campaign.transitions.allowed_actions`), the action views and the model methods alike.
"""

from campaign.access import scope_for


def can_log(user, campaign):
    scope = scope_for(user)
    return scope.is_office_admin(campaign) or scope.is_inspector(campaign)
