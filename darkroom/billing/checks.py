"""`manage check --deploy`: a public server without Stripe gives credits away through the test gateway."""

from __future__ import annotations

from typing import Any

from django.core import checks

from darkroom.billing import gateways


@checks.register(checks.Tags.security, deploy=True)
def test_gateway_in_production(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    if gateways.stripe_configured():
        return []
    # Info, not a warning: a private demo runs this way on purpose.
    return [
        checks.Info(
            "Stripe is not configured, so purchases go through the test gateway: anyone signed in can add "
            "credits without paying.",
            hint="Set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET before opening the service to the public "
            "(docs/billing.md).",
            id="billing.I001",
        )
    ]
