from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "darkroom.api"
    label = "api"
