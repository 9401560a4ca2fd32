"""Alibaba Cloud SMS (Dysmsapi 2017-05-25, SendSms) through the official SDK.

Alibaba sends only pre-approved templates: ``ALIBABA_SMS_TEMPLATE_CODE`` names
one whose text contains ``${code}``, signed with ``ALIBABA_SMS_SIGN_NAME``.
Notices use one template per kind (``ALIBABA_SMS_NOTICE_TEMPLATES``, e.g.
``job_finished:SMS_1,job_failed:SMS_2``), whose variables are the notice's
``params`` (``${brand}``, ``${job}``, ``${link}``).
SendSms answers HTTP 200 with ``{"Code": "OK", "BizId": …}``, or with an error
``Code`` in the same shape (https://help.aliyun.com/document_detail/101346.html);
throttles may also come back as HTTP 4xx, which the SDK raises.
"""

from __future__ import annotations

import json

from django.conf import settings

from darkroom.notify.sms import CodeMessage, SmsError, TextMessage

# Error codes worth retrying later; any other error code is permanent.
TRANSIENT_CODES = {
    "isv.BUSINESS_LIMIT_CONTROL",  # per-number / per-day throttle
    "isv.DAY_LIMIT_CONTROL",
    "isv.OUT_OF_SERVICE",  # account in arrears: the operator must top up, then it works again
    "isv.AMOUNT_NOT_ENOUGH",
    "isp.SYSTEM_ERROR",
    "isp.RAM_PERMISSION_DENY",
    "SignatureNonceUsed",
    "Throttling.User",
    "Throttling.Api",
    "ServiceUnavailable",
}


def _client() -> object:
    from alibabacloud_dysmsapi20170525.client import Client
    from alibabacloud_tea_openapi.utils_models import Config

    endpoint: str = settings.ALIBABA_SMS_ENDPOINT or ""
    protocol = "http" if endpoint.startswith("http://") else "https"
    config = Config(
        access_key_id=settings.ALIBABA_ACCESS_KEY_ID,
        access_key_secret=settings.ALIBABA_ACCESS_KEY_SECRET,
        endpoint=endpoint.split("://", 1)[-1],
        protocol=protocol,
        connect_timeout=5_000,
        read_timeout=10_000,
    )
    return Client(config)


class AlibabaBackend:
    def send_code(self, message: CodeMessage) -> str:
        return self._send(message.to, settings.ALIBABA_SMS_TEMPLATE_CODE or "", {"code": message.code})

    def send_text(self, message: TextMessage) -> str:
        template = settings.ALIBABA_SMS_NOTICE_TEMPLATES.get(message.kind)
        if not template:
            raise SmsError(f"no approved Alibaba Cloud template for {message.kind} notices", permanent=True)
        return self._send(message.to, template, message.params)

    def _send(self, to: str, template: str, params: dict[str, str]) -> str:
        from alibabacloud_dysmsapi20170525 import models
        from darabonba.runtime import RuntimeOptions
        from Tea.exceptions import TeaException, UnretryableException

        request = models.SendSmsRequest(
            # Alibaba wants international numbers without the "+".
            phone_numbers=to.lstrip("+"),
            sign_name=settings.ALIBABA_SMS_SIGN_NAME,
            template_code=template,
            template_param=json.dumps(params),
        )
        # One attempt: a request retried by the SDK could reach the phone twice (notices retry on the queue).
        runtime = RuntimeOptions(autoretry=False, connect_timeout=5_000, read_timeout=10_000)
        try:
            response = _client().send_sms_with_options(request, runtime)  # type: ignore[attr-defined]
        except UnretryableException as exc:  # connection refused, timeout
            raise SmsError("Alibaba Cloud SMS could not be reached", permanent=False) from exc
        except TeaException as exc:
            code = str(getattr(exc, "code", "") or "")
            status = getattr(exc, "status_code", None) or getattr(exc, "statusCode", None)
            transient = code in TRANSIENT_CODES or code.startswith("Throttling") or (status or 0) >= 500
            raise SmsError(f"Alibaba Cloud SMS refused the message: {code or status}", permanent=not transient) from exc
        body = response.body
        if body.code != "OK":
            code = body.code or "unknown"
            raise SmsError(
                f"Alibaba Cloud SMS refused the message: {code} ({body.message})",
                permanent=code not in TRANSIENT_CODES,
            )
        return str(body.biz_id)
