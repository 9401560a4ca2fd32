from __future__ import annotations

from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "darkroom.billing"
    label = "billing"

    def ready(self) -> None:
        from darkroom.billing import checks, signals  # noqa: F401 - registers the check, connects the receivers
