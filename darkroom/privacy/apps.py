from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "darkroom.privacy"
    label = "privacy"
