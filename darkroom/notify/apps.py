from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "darkroom.notify"
    label = "notify"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Connects the triggers (jobs, payments, sign-up) and the SES tracking receiver.
        from darkroom.notify import receivers  # noqa: F401
        from darkroom.notify.email import webhooks  # noqa: F401
