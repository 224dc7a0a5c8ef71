from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models


class AuditEvent(models.Model):
    """Append-only record of every state change: who, what, when, from where."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=64)
    project = models.ForeignKey("Project", on_delete=models.CASCADE, null=True, related_name="+")
    revision = models.ForeignKey("Revision", on_delete=models.CASCADE, null=True, related_name="+")
    detail = models.JSONField(default=dict)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"
