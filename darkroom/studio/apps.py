from django.apps import AppConfig


class StudioConfig(AppConfig):
    name = "darkroom.studio"
    label = "studio"
