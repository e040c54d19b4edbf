from .access import scope_for


def navigation(request):
    """What the navigation bar needs: the current campaign and the person's roles in it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    campaign = getattr(request, "campaign", None)
    scope = scope_for(user)
    roles = scope.roles(campaign) if campaign else set()
    return {
        "current_campaign": campaign,
        "nav_roles": roles,
        "nav_is_office_admin": bool(campaign) and scope.is_office_admin(campaign),
        # Kept on the person's row, read by every request already (no count per page).
        "nav_unread_count": user.unread_notifications,
    }
