from django.apps import AppConfig


class RastersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rasters"

    def ready(self) -> None:
        from rasters import signals

        signals.connect()
