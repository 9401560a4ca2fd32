from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "darkroom.web"
    label = "web"
