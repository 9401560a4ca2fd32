"""The SMS back-ends, each at its HTTP boundary: the vendor's documented requests, answers and errors."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from darkroom.notify.actions import do_discard_code_messages, do_purge_expired_outbox
from darkroom.notify.models import OutboxSms
from darkroom.notify.sms import CodeMessage, SmsError, backend
from tests.notify.fake_vendor import FakeVendor

MESSAGE = CodeMessage(
    to="+6591234567",
    code="123456",
    code_digest="d" * 64,
    text="123456 is your AnyPic code.",
    expires_at=timezone.now() + datetime.timedelta(minutes=10),
)


# --- outbox ---------------------------------------------------------------
@pytest.mark.django_db
def test_it_keeps_texts_in_the_outbox_until_the_code_is_used_or_expires(settings: SettingsWrapper) -> None:
    assert settings.SMS_BACKEND == "outbox"
    backend().send_code(MESSAGE)
    assert list(OutboxSms.objects.values_list("to", "body")) == [(MESSAGE.to, MESSAGE.text)]
    assert do_purge_expired_outbox() == 0
    assert do_discard_code_messages(MESSAGE.code_digest) == 1
    backend().send_code(MESSAGE)
    OutboxSms.objects.update(expires_at=timezone.now())
    assert do_purge_expired_outbox() == 1


@pytest.mark.django_db
def test_it_shows_the_outbox_on_the_dev_page_only_with_debug(settings: SettingsWrapper, client: Any) -> None:
    backend().send_code(MESSAGE)
    assert client.get("/dev/sms/").status_code == 404
    settings.DEBUG = True
    page = client.get("/dev/sms/")
    assert page.status_code == 200
    assert MESSAGE.text in page.content.decode()


# --- Alibaba Cloud SMS ----------------------------------------------------
def _alibaba(settings: SettingsWrapper, answer: Any) -> FakeVendor:
    fake = FakeVendor(answer)
    settings.SMS_BACKEND = "alibaba"
    settings.ALIBABA_ACCESS_KEY_ID = "LTAI-test"
    settings.ALIBABA_ACCESS_KEY_SECRET = "test-secret"
    settings.ALIBABA_SMS_SIGN_NAME = "AnyPic"
    settings.ALIBABA_SMS_TEMPLATE_CODE = "SMS_123456789"
    settings.ALIBABA_SMS_ENDPOINT = fake.url
    return fake


def test_it_sends_by_alibaba_cloud(settings: SettingsWrapper) -> None:
    ok = {"Code": "OK", "Message": "OK", "BizId": "9006197469364984^0", "RequestId": "F655A8D5-B967-440B-8683"}
    with _alibaba(settings, lambda path, fields: (200, ok)) as fake:
        assert backend().send_code(MESSAGE) == "9006197469364984^0"
    ((_path, fields),) = fake.requests
    # The SDK signs with ACS3-HMAC-SHA256: action and version travel as headers.
    assert fields["header:x-acs-action"] == "SendSms"
    assert fields["header:x-acs-version"] == "2017-05-25"
    assert fields["header:authorization"].startswith("ACS3-HMAC-SHA256 Credential=LTAI-test,")
    assert fields["PhoneNumbers"] == "6591234567"
    assert fields["SignName"] == "AnyPic"
    assert fields["TemplateCode"] == "SMS_123456789"
    assert fields["TemplateParam"] == '{"code": "123456"}'


@pytest.mark.parametrize(
    ("code", "permanent"),
    [
        ("isv.MOBILE_NUMBER_ILLEGAL", True),
        ("isv.TEMPLATE_MISSING_PARAMETERS", True),
        ("isv.BUSINESS_LIMIT_CONTROL", False),
    ],
)
def test_it_tells_alibaba_errors_apart(settings: SettingsWrapper, code: str, permanent: bool) -> None:
    answer = {"Code": code, "Message": "refused", "RequestId": "F655A8D5"}
    with _alibaba(settings, lambda path, fields: (200, answer)), pytest.raises(SmsError) as error:
        backend().send_code(MESSAGE)
    assert error.value.permanent is permanent
    assert code in error.value.message


def test_it_treats_an_alibaba_http_throttle_as_transient(settings: SettingsWrapper) -> None:
    answer = {"Code": "Throttling.User", "Message": "Request was denied due to user flow control.", "RequestId": "x"}
    with _alibaba(settings, lambda path, fields: (400, answer)), pytest.raises(SmsError) as error:
        backend().send_code(MESSAGE)
    assert error.value.permanent is False


# --- Twilio ---------------------------------------------------------------
SID = "AC" + "0" * 32


def _twilio(settings: SettingsWrapper, answer: Any) -> FakeVendor:
    fake = FakeVendor(answer)
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = SID
    settings.TWILIO_AUTH_TOKEN = "test-token"
    settings.TWILIO_FROM = "+15005550006"
    settings.TWILIO_API_BASE = fake.url
    return fake


def test_it_sends_by_twilio(settings: SettingsWrapper) -> None:
    created = {"sid": "SM" + "1" * 32, "status": "queued", "to": MESSAGE.to, "body": MESSAGE.text}
    with _twilio(settings, lambda path, fields: (201, created)) as fake:
        assert backend().send_code(MESSAGE) == "SM" + "1" * 32
    ((path, fields),) = fake.requests
    assert path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert {k: v for k, v in fields.items() if not k.startswith("header:")} == {
        "To": MESSAGE.to,
        "Body": MESSAGE.text,
        "From": "+15005550006",
    }
    assert fields["header:authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    ("status", "code", "permanent"),
    [(400, 21211, True), (400, 21614, True), (429, 20429, False), (503, 20500, False)],
)
def test_it_tells_twilio_errors_apart(settings: SettingsWrapper, status: int, code: int, permanent: bool) -> None:
    answer = {"code": code, "message": "The 'To' number is not a valid phone number.", "status": status}
    with _twilio(settings, lambda path, fields: (status, answer)), pytest.raises(SmsError) as error:
        backend().send_code(MESSAGE)
    assert error.value.permanent is permanent
    assert str(code) in error.value.message
