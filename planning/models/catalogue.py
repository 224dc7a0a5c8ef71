from __future__ import annotations

from django.contrib.gis.db import models
from django.core.validators import RegexValidator
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from planning.catalogue import CODE_PATTERN


class LandUseCategory(models.Model):
    """A land-use category with its map colour; configurable per deployment."""

    class System(models.TextChoices):
        LAND_LAW = "land_law", _("Land-law code")
        PLANNING = "planning", _("Planning function")

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        validators=[
            RegexValidator(
                CODE_PATTERN,
                _(
                    "Upper-case letters A–Z, digits, '_', '.' or '-', at most 32: as map styles read codes."
                ),
            )
        ],
    )
    system = models.CharField(_("code system"), max_length=16, choices=System.choices)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    colour = models.CharField(
        _("colour"),
        max_length=7,
        validators=[RegexValidator(r"^#[0-9A-Fa-f]{6}$")],
        default="#CCCCCC",
    )
    source = models.TextField(_("source"), blank=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["system", "sort_order", "code"]
        verbose_name = _("land-use category")
        verbose_name_plural = _("land-use categories")

    def __str__(self) -> str:
        return f"{self.code} {self.name_vi}"

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "vi").startswith("en") else self.name_vi
