"""Amazon SES's tracking webhook: bounces and complaints, through SNS, suppress an address.

SES publishes events of the configuration set to an SNS topic; SNS posts
them here (``/notify/ses/tracking/``, with the basic auth of
``ANYMAIL_WEBHOOK_SECRET`` in the subscription URL). Three checks before
anything happens: anymail's basic auth and header checks, Amazon's message
signature (``notify.email.sns``), and, when ``AMAZON_SES_SNS_TOPIC_ARNS`` is
set, the topic. A failed check answers 400 and changes nothing. Then a
permanent bounce or a complaint stops all mail to the address; a transient
bounce (a full mailbox) is only recorded on the delivery.
"""

from __future__ import annotations

import logging
from typing import Any

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.signals import AnymailTrackingEvent, EventType, tracking
from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView
from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from darkroom.notify.email import do_suppress
from darkroom.notify.email.sns import SignatureInvalid, verify
from darkroom.notify.models import Delivery, Suppression

log = logging.getLogger(__name__)


class SignedSesTrackingView(AmazonSESTrackingWebhookView):  # type: ignore[misc]  # anymail ships no types
    """anymail's view, plus the SNS signature and the topic; anymail runs every ``validate_request`` in the chain."""

    def validate_request(self, request: HttpRequest) -> None:
        message = self._parse_sns_message(request)
        try:
            verify(message)
        except SignatureInvalid as exc:
            raise AnymailWebhookValidationFailure(f"Amazon SNS signature refused: {exc}") from exc
        allowed = settings.AMAZON_SES_SNS_TOPIC_ARNS
        if allowed and message.get("TopicArn") not in allowed:
            raise AnymailWebhookValidationFailure("the SNS topic is not one of AMAZON_SES_SNS_TOPIC_ARNS")


_view = SignedSesTrackingView.as_view()


@csrf_exempt
def ses_tracking(request: HttpRequest) -> HttpResponse:
    """The SNS endpoint; 404 until the webhook's basic auth is configured (an open webhook takes anyone's word)."""
    if not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        return HttpResponse("The SES tracking webhook is not configured (ANYMAIL_WEBHOOK_SECRET).", status=404)
    response: HttpResponse = _view(request)
    return response


_STATUS = {
    EventType.DELIVERED: Delivery.Status.DELIVERED,
    EventType.BOUNCED: Delivery.Status.BOUNCED,
    EventType.COMPLAINED: Delivery.Status.COMPLAINED,
}


def _permanent_bounce(event: AnymailTrackingEvent) -> bool:
    esp_event: dict[str, Any] = event.esp_event or {}
    return str(esp_event.get("bounce", {}).get("bounceType", "")) == "Permanent"


def handle_event(event: AnymailTrackingEvent) -> str:
    """Apply one SES event; what happened, for the log. Replays change nothing more (both steps are idempotent)."""
    recipient = str(event.recipient or "")
    outcome = "ignored"
    if event.event_type == EventType.COMPLAINED and recipient:
        do_suppress(recipient, Suppression.Reason.COMPLAINT, str(event.description or ""))
        outcome = "suppressed (complaint)"
    elif event.event_type == EventType.BOUNCED and recipient:
        if _permanent_bounce(event):
            do_suppress(recipient, Suppression.Reason.BOUNCE, str(event.description or ""))
            outcome = "suppressed (bounce)"
        else:
            outcome = "transient bounce"
    status = _STATUS.get(event.event_type)
    if status and event.message_id:
        deliveries = Delivery.objects.filter(provider_message_id=event.message_id, channel=Delivery.Channel.EMAIL)
        if status == Delivery.Status.DELIVERED:
            deliveries = deliveries.filter(status=Delivery.Status.SENT)  # a bounce reported first stays a bounce
        deliveries.update(status=status)
    return outcome


@receiver(tracking, dispatch_uid="darkroom.notify.ses_tracking")
def on_tracking(sender: object, event: AnymailTrackingEvent, esp_name: str, **kwargs: object) -> None:
    outcome = handle_event(event)
    # The event type and outcome only: the address is personal, and the suppression row holds it.
    log.info("%s %s event: %s", esp_name, event.event_type, outcome)
