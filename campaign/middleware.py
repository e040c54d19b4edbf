from .models import Campaign

SESSION_KEY = "campaign_id"


def current_campaign(request):
    """The campaign the person is working in: the one chosen this session, else the newest visible."""
    if not request.user.is_authenticated:
        return None
    campaigns = Campaign.objects.visible_to(request.user)
    chosen = request.session.get(SESSION_KEY)
    if chosen:
        campaign = campaigns.filter(pk=chosen).first()
        if campaign:
            return campaign
    return campaigns.first()


class CurrentCampaignMiddleware:
    """Puts `request.campaign` on every request (None for anonymous visitors)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.campaign = current_campaign(request)
        return self.get_response(request)
