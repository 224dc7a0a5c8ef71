from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _


class QAFinding(models.Model):
    """One result of an automatic check of a revision, with the place to show on the map."""

    class Severity(models.TextChoices):
        ERROR = "error", _("Error")
        WARNING = "warning", _("Warning")

    revision = models.ForeignKey("Revision", on_delete=models.CASCADE, related_name="findings")
    rule = models.CharField(max_length=64)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    # The message is rendered from the rule's template and these values at display time,
    # in the reader's language (planning.qa.message_of).
    params = models.JSONField(default=dict)
    geom = models.GeometryField(srid=settings.PLANNING_STORAGE_SRID, null=True, blank=True)
    feature = models.ForeignKey(
        "Feature",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["revision", "severity", "rule", "id"]
        indexes = [models.Index(fields=["revision", "severity"])]

    def __str__(self) -> str:
        return f"{self.severity} {self.rule} {self.params}"


class Comment(models.Model):
    """A review comment pinned to a point, line, area or feature of a revision; threaded."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    revision = models.ForeignKey("Revision", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    body = models.TextField(max_length=10_000)
    geom = models.GeometryField(srid=settings.PLANNING_STORAGE_SRID, null=True, blank=True)
    feature = models.ForeignKey(
        "Feature",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment {self.pk} on revision {self.revision_id}"


class SupersededFeature(models.Model):
    """A lot of another project's plan in force that an approval replaced, with the
    approver's confirmation, or what that plan placed on it (planning.supersession).
    Revisions stay immutable: supersession is recorded beside them and every in-force rule
    (planning.visibility, the in-force view) leaves these out."""

    feature = models.ForeignKey(
        "Feature", on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    by_revision = models.ForeignKey("Revision", on_delete=models.CASCADE, related_name="+")
    superseded_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["feature"], name="feature_superseded_once")]

    def __str__(self) -> str:
        return f"feature {self.feature_id} superseded by revision {self.by_revision_id}"
