"""3D planning layers: massing, zoning envelopes and 3D Tiles."""

from django.apps import AppConfig


class ThreedConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "threed"

    def ready(self) -> None:
        from planning.signals import plan_in_force_changed
        from threed.tasks import on_plan_in_force_changed

        plan_in_force_changed.connect(on_plan_in_force_changed, dispatch_uid="threed-in-force")
