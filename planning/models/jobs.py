"""Background jobs (run by the Procrastinate worker) and named CAD mapping presets."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobState(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)


class Job(models.Model):
    """One background job as users see it: state, progress, report, result.

    The Procrastinate job row only says whether the worker picked the task up; this row
    carries what the product shows, and is written outside the task's own transaction."""

    kind = models.CharField(max_length=40, db_index=True)
    state = models.CharField(
        max_length=10, choices=JobState.choices, default=JobState.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.TextField(blank=True, default="")
    report = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    params = models.JSONField(default=dict, blank=True)
    cancel_requested = models.BooleanField(default=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    revision = models.ForeignKey(
        "Revision", on_delete=models.CASCADE, null=True, blank=True, related_name="jobs"
    )
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    procrastinate_job_id = models.BigIntegerField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES


class MappingPreset(models.Model):
    """A named CAD/GIS layer mapping an institute reuses across projects."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    mapping = models.JSONField(_("layer mapping"), default=dict)
    encoding = models.CharField(_("text encoding"), max_length=10, default="auto")
    crs = models.CharField(_("CRS"), max_length=100, blank=True, default="")
    description = models.TextField(_("description"), blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created = models.DateTimeField(_("created at"), auto_now_add=True)
    updated = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mapping preset")
        verbose_name_plural = _("mapping presets")

    def __str__(self) -> str:
        return self.name
