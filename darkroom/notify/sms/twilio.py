"""Twilio Programmable Messaging through the official SDK (its HTTP client is requests).

Errors come back as an HTTP status with a JSON body carrying Twilio's own
``code`` (https://www.twilio.com/docs/api/errors): 21211 "invalid To number"
and its kin are permanent; HTTP 429 / code 20429 (too many requests) and
5xx are transient.
"""

from __future__ import annotations

from django.conf import settings

from darkroom.notify.sms import CodeMessage, SmsError, TextMessage

# The number cannot receive this message, whatever we do.
PERMANENT_CODES = {21211, 21214, 21408, 21610, 21612, 21614, 21617, 21635}
TRANSIENT_CODES = {20429, 20003, 30001, 21611}


class TwilioBackend:
    def send_code(self, message: CodeMessage) -> str:
        return self._send(message.to, message.text)

    def send_text(self, message: TextMessage) -> str:
        return self._send(message.to, message.text)

    def _send(self, to: str, text: str) -> str:
        import requests
        from twilio.base.exceptions import TwilioException, TwilioRestException
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=TwilioHttpClient(timeout=10),
        )
        if settings.TWILIO_API_BASE:  # tests point the SDK at a local fake of api.twilio.com
            client.api.base_url = settings.TWILIO_API_BASE
        sender = settings.TWILIO_FROM
        extra = {"messaging_service_sid": sender} if sender.startswith("MG") else {"from_": sender}
        try:
            sent = client.messages.create(to=to, body=text, **extra)
        except TwilioRestException as exc:
            transient = exc.status == 429 or exc.status >= 500 or exc.code in TRANSIENT_CODES
            permanent = not transient or exc.code in PERMANENT_CODES
            raise SmsError(
                f"Twilio refused the message: {exc.code or exc.status} {exc.msg}", permanent=permanent
            ) from exc
        except (TwilioException, requests.RequestException) as exc:  # connection errors, timeouts
            raise SmsError(f"Twilio could not be reached: {exc}", permanent=False) from exc
        return str(sent.sid)
