"""3D planning layers: massing, zoning envelopes and 3D Tiles."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ThreedConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "threed"
    verbose_name = _("3D planning")

    def ready(self) -> None:
        from planning.signals import plan_in_force_changed
        from threed.tasks import on_plan_in_force_changed

        plan_in_force_changed.connect(on_plan_in_force_changed, dispatch_uid="threed-in-force")
