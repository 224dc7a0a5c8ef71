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

    project = models.ForeignKey(
        "Project",
        on_delete=models.CASCADE,
        related_name="revisions",
        verbose_name=_("planning project"),
    )
    number = models.PositiveIntegerField(_("number"))
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=RevisionState.choices,
        default=RevisionState.DRAFT,
        db_index=True,
    )
    # The revision this one answers (changes requested): its layers were copied.
    based_on = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="answers",
        verbose_name=_("based on"),
    )
    note = models.TextField(_("revision note"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)
    review_started_at = models.DateTimeField(_("review started at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_number = models.CharField(_("decision number"), max_length=100, blank=True)
    decision_date = models.DateField(_("decision date"), null=True, blank=True)
    decision_signer = models.CharField(_("decision signer"), max_length=200, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    decision_document = models.FileField(
        _("decision document"), upload_to="decisions/%Y/", blank=True
    )
    # The balance table the planner declares in the dossier ({category code: area m²});
    # QA compares it with the table computed from the lots.
    declared_balance = models.JSONField(default=dict, blank=True)
    # When the automatic checks (planning.qa) last ran, and whether their findings still
    # describe the content: database triggers (migration 0010) clear qa_current whenever
    # the revision's features, layers or declared balance change, whatever the path.
    qa_checked_at = models.DateTimeField(_("QA checked at"), null=True, blank=True)
    qa_current = models.BooleanField(_("QA findings current"), default=False)

    class Meta:
        ordering = ["project", "number"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
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
