from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RevisionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    APPROVED = "approved", _("Approved (in force)")
    SUPERSEDED = "superseded", _("Superseded")


# States whose revisions have been published (in force now or in the past).
PUBLISHED_STATES = (RevisionState.APPROVED, RevisionState.SUPERSEDED)


class Revision(models.Model):
    """One version of a project's plan. Editable while draft, frozen once submitted.

    The plan in force of a project is its approved revision; approving another one marks
    the previous as superseded, so "in force on date D" is
    approved_at <= D and (superseded_at is null or superseded_at > D).
    """

    project = models.ForeignKey("Project", on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    state = models.CharField(
        max_length=20, choices=RevisionState.choices, default=RevisionState.DRAFT, db_index=True
    )
    # The revision this one answers (changes requested): its layers were copied.
    based_on = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="answers"
    )
    note = models.TextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    review_started_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_number = models.CharField(max_length=100, blank=True)
    decision_date = models.DateField(null=True, blank=True)
    decision_signer = models.CharField(max_length=200, blank=True)
    decision_note = models.TextField(blank=True)
    decision_document = models.FileField(upload_to="decisions/%Y/", blank=True)
    # The balance table the planner declares in the dossier ({category code: area m²});
    # QA compares it with the table computed from the lots.
    declared_balance = models.JSONField(default=dict, blank=True)
    # When the automatic checks (planning.qa) last ran, and whether their findings still
    # describe the content: database triggers (migration 0010) clear qa_current whenever
    # the revision's features, layers or declared balance change, whatever the path.
    qa_checked_at = models.DateTimeField(null=True, blank=True)
    qa_current = models.BooleanField(default=False)

    class Meta:
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="unique_revision_number"),
            # At most one plan in force per project.
            models.UniqueConstraint(
                fields=["project"], condition=Q(state="approved"), name="one_in_force_per_project"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} r{self.number} ({self.state})"

    @property
    def is_editable(self) -> bool:
        return self.state == RevisionState.DRAFT

    @property
    def is_in_force(self) -> bool:
        return self.state == RevisionState.APPROVED
