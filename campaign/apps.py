from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignConfig(AppConfig):
    name = "campaign"
    verbose_name = _("Campaign and organisation")

    def ready(self):
        from config.celery import log_execution_mode

        log_execution_mode()
