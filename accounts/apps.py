from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and security")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from .services import record_sign_in, record_sign_out

        user_logged_in.connect(record_sign_in, dispatch_uid="accounts.record_sign_in")
        user_logged_out.connect(record_sign_out, dispatch_uid="accounts.record_sign_out")
