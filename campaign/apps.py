from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignConfig(AppConfig):
    name = "campaign"
    verbose_name = _("Campaign and organisation")

    def ready(self):
        from celery.signals import task_postrun
        from django.contrib.auth.signals import user_logged_in
        from django.core.signals import request_finished
        from django.db.models.signals import post_delete

        from config.celery import log_execution_mode

        from . import choices_cache, tree_cache
        from .middleware import renewed_at_sign_in
        from .models import Notification, notification_deleted
        from .uploads import discard_rolled_back_files

        log_execution_mode()
        user_logged_in.connect(renewed_at_sign_in, dispatch_uid="campaign.renewed-at-sign-in")
        tree_cache.connect()
        choices_cache.connect()
        post_delete.connect(
            notification_deleted, sender=Notification, dispatch_uid="unread-count-deleted"
        )
        # Files written by a transaction that rolled back go when the request or job ends.
        request_finished.connect(discard_rolled_back_files, dispatch_uid="discard-files")
        task_postrun.connect(discard_rolled_back_files, dispatch_uid="discard-files")
