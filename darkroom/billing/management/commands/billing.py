"""`darkroom billing reconcile`: fetch recent Stripe events and process any that never arrived."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from darkroom.billing import gateways, reconcile
from darkroom.billing.gateways import GatewayError


class Command(BaseCommand):
    help = "Billing operations. reconcile: list recent Stripe events and process any that never arrived."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["reconcile"])
        parser.add_argument(
            "--days", type=int, default=reconcile.RECONCILE_DAYS, help="how far back to look (1-30, default 3)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days: int = options["days"]
        if not 1 <= days <= 30:
            raise CommandError("--days must be between 1 and 30: Stripe lists the events of the last 30 days.")
        if not gateways.stripe_configured():
            raise CommandError(
                "Stripe is not configured (STRIPE_SECRET_KEY): the test gateway has no events to reconcile."
            )
        try:
            report = reconcile.reconcile(days)
        except GatewayError as exc:
            raise CommandError(f"Could not list events from Stripe: {exc}") from exc
        self.stdout.write(
            f"{report['listed']} event(s) of the last {days} day(s) listed by Stripe; "
            f"{report['new']} had not arrived by webhook. "
            f"{report['processed']} processed, {report['failed']} failed."
        )
        if report["failed"]:
            raise CommandError(
                f"{report['failed']} event(s) could not be processed; their errors are in the operator pages "
                "(Billing › Webhook events)."
            )
