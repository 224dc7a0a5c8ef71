from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Append-only record of every state change: who, what, when, from where."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=64)
    project = models.ForeignKey(
        "Project",
        on_delete=models.CASCADE,
        null=True,
        related_name="+",
        verbose_name=_("planning project"),
    )
    revision = models.ForeignKey(
        "Revision",
        on_delete=models.CASCADE,
        null=True,
        related_name="+",
        verbose_name=_("revision"),
    )
    detail = models.JSONField(_("detail"), default=dict)
    remote_addr = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"
