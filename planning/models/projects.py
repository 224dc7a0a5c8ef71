from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Project(models.Model):
    """A planning project (đồ án quy hoạch)."""

    class Level(models.TextChoices):
        GENERAL = "general", _("General plan")
        ZONING = "zoning", _("Zoning plan")
        DETAILED = "detailed", _("Detailed plan")

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=300)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    scale = models.PositiveIntegerField(_("scale denominator"), help_text="500 for 1/500")
    admin_area = models.CharField(_("administrative area"), max_length=200, blank=True)
    agency = models.CharField(_("responsible agency"), max_length=200, blank=True)
    boundary = models.MultiPolygonField(
        _("boundary"), srid=settings.PLANNING_STORAGE_SRID, null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        # Django's own messages name the model ("… with this code already exists.").
        verbose_name = _("planning project")
        verbose_name_plural = _("planning projects")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Membership(models.Model):
    """A user's role in one project; object-level permissions derive from it."""

    class Role(models.TextChoices):
        PLANNER = "planner", _("Planner")
        REVIEWER = "reviewer", _("Reviewer")
        APPROVER = "approver", _("Approver")

    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("planning project"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["project", "user", "role"], name="unique_membership")
        ]

    def __str__(self) -> str:
        # Shown in the admin's Vietnamese messages and delete pages.
        return gettext("%(user)s: %(role)s of %(project)s") % {
            "user": self.user,
            "role": self.get_role_display(),
            "project": self.project.code,
        }
