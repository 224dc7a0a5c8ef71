from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TilesConfig(AppConfig):
    name = "tiles"
    verbose_name = _("Map tiles")

    def ready(self) -> None:
        """Drop the MapProxy app and old tile caches when what is in force changes."""
        from planning.signals import plan_in_force_changed
        from tiles import vtile_cache
        from tiles.mount import on_plan_in_force_changed

        plan_in_force_changed.connect(
            on_plan_in_force_changed, dispatch_uid="tiles.purge_on_plan_in_force_changed"
        )
        plan_in_force_changed.connect(
            vtile_cache.on_plan_in_force_changed, dispatch_uid="tiles.purge_vector_tile_cache"
        )
