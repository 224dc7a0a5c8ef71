from django.apps import AppConfig


class ThreedConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "threed"
