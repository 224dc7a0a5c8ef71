from django.apps import AppConfig


class TilesConfig(AppConfig):
    name = "tiles"
