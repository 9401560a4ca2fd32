from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "darkroom.notify"
    label = "notify"
    verbose_name = "Notifications"
