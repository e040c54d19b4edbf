from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def bulletin_settings_changed(sender, instance, **kwargs):
    """The bulletin archive keeps the settings per campaign version (views.bulletin_list):
    saving or deleting them changes the version in the same transaction."""
    from campaign import choices_cache

    choices_cache.touch(instance.campaign_id)


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .models import BulletinSettings

        for signal in (post_save, post_delete):
            signal.connect(
                bulletin_settings_changed,
                sender=BulletinSettings,
                dispatch_uid="bulletin-settings-kept",
            )
