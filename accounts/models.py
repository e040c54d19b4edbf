from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ActivationQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(used_at__isnull=True, expires_at__gt=timezone.now())


class Activation(models.Model):
    """A one-time code (printed, or sent as a link) with which a person whose account was made
    for them, e.g. by an import, chooses their first password. Only its hash is stored."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="activations",
        verbose_name=_("person"),
    )
    code_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    objects = ActivationQuerySet.as_manager()

    class Meta:
        verbose_name = _("account activation")
        verbose_name_plural = _("account activations")
        ordering = ["-issued_at"]

    def __str__(self):
        return f"{self.person} {self.issued_at:%Y-%m-%d}"
