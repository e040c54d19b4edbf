from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from .services import confirmed_totp_device


class AccountGateMiddleware:
    """Before any other page, a signed-in person must, in this order: give their second factor
    (when they have an authenticator), choose their own password (when someone else set it),
    and enrol an authenticator (when one of their roles requires two-factor sign-in).

    Pages on the way (the gate's own, sign-out, language) stay open. Needs django-otp's
    OTPMiddleware before it.
    """

    OPEN_PREFIXES = ("/account/two-factor/", "/logout/", "/i18n/", "/static/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not request.path.startswith(self.OPEN_PREFIXES):
            target = self.gate(user)
            if target and request.path != target:
                if request.method == "GET":
                    target += "?" + urlencode({"next": request.get_full_path()})
                return redirect(target)
        return self.get_response(request)

    @staticmethod
    def gate(user):
        """The page the person must see first, or None."""
        verified = user.is_verified()
        enrolled = verified or confirmed_totp_device(user) is not None
        if enrolled and not verified:
            return reverse("accounts:two_factor_verify")
        if user.must_change_password:
            return reverse("password_change")
        if not enrolled and user.needs_two_factor():
            return reverse("accounts:two_factor_setup")
        return None
