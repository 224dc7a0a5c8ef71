from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RastersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rasters"
    verbose_name = _("Rasters")

    def ready(self) -> None:
        from rasters import signals

        signals.connect()
