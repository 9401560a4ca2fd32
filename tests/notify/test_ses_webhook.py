"""Amazon SES's tracking webhook (SNS): only Amazon's signed messages count; a bounce or complaint suppresses."""

from __future__ import annotations

import base64
import datetime
import json
import uuid
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from django.core import mail
from django.test import Client

from darkroom.accounts.models import User
from darkroom.notify.delivery import do_deliver
from darkroom.notify.email import sns
from darkroom.notify.models import Delivery, Suppression
from tests.notify.conftest import send

pytestmark = pytest.mark.django_db

URL = "/notify/ses/tracking/"
SECRET = "sns:webhook-test-secret"
CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem"
TOPIC = "arn:aws:sns:us-east-1:123456789012:ses-events"


def _key_and_cert(common_name: str = "sns.amazonaws.com") -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM)


AMAZON_KEY, AMAZON_CERT = _key_and_cert()
MALLORY_KEY, _ = _key_and_cert("mallory")


@pytest.fixture(autouse=True)
def amazon(settings: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The webhook configured; the signing certificate "downloaded" from Amazon (the test cannot reach AWS)."""
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}
    fetched: list[str] = []

    def download(url: str) -> bytes:
        fetched.append(url)
        return AMAZON_CERT

    sns._certificates.clear()
    monkeypatch.setattr(sns, "_download", download)
    return fetched


def _ses_event(kind: str, address: str, message_id: str, bounce_type: str = "Permanent") -> dict[str, Any]:
    mail_object = {"messageId": message_id, "destination": [address], "timestamp": "2026-11-03T09:30:00.000Z"}
    if kind == "Bounce":
        detail: dict[str, Any] = {
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": address, "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
        }
        return {"eventType": "Bounce", "bounce": detail, "mail": mail_object}
    if kind == "Complaint":
        detail = {"complainedRecipients": [{"emailAddress": address}], "complaintFeedbackType": "abuse"}
        return {"eventType": "Complaint", "complaint": detail, "mail": mail_object}
    return {"eventType": "Delivery", "delivery": {"recipients": [address]}, "mail": mail_object}


def _signed(event: dict[str, Any], *, key: rsa.RSAPrivateKey = AMAZON_KEY, version: str = "1", **changes: Any) -> dict:
    message = {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": TOPIC,
        "Message": json.dumps(event),
        "Timestamp": "2026-11-03T09:30:01.000Z",
        "SignatureVersion": version,
        "SigningCertURL": CERT_URL,
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    }
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303 - SNS SignatureVersion 1 is SHA-1
    signature = key.sign(sns.string_to_sign(message), padding.PKCS1v15(), algorithm)
    message["Signature"] = base64.b64encode(signature).decode()
    message.update(changes)
    return message


def _post(client: Client, message: dict[str, Any], *, auth: str = SECRET) -> Any:
    headers = {
        "HTTP_X_AMZ_SNS_MESSAGE_TYPE": message["Type"],
        "HTTP_X_AMZ_SNS_MESSAGE_ID": message["MessageId"],
        "HTTP_X_AMZ_SNS_TOPIC_ARN": message["TopicArn"],
    }
    if auth:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(auth.encode()).decode()
    return client.post(URL, data=json.dumps(message), content_type="text/plain; charset=UTF-8", **headers)


def _sent(alice: User) -> Delivery:
    notification = send(alice, now=True)
    assert notification is not None
    return notification.deliveries.get(channel="email")


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_permanent_bounce_suppresses_the_address(client: Client, alice: User, version: str) -> None:
    delivery = _sent(alice)
    Delivery.objects.filter(pk=delivery.pk).update(provider_message_id="0100-ses-1")
    answer = _post(client, _signed(_ses_event("Bounce", "alice@example.com", "0100-ses-1"), version=version))
    assert answer.status_code == 200
    suppression = Suppression.objects.get()
    assert (suppression.address, suppression.reason, suppression.user) == ("alice@example.com", "bounce", alice)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.BOUNCED
    # Further mail to the address is not sent.
    later = send(alice, key="later", now=True)
    assert later is not None
    assert later.deliveries.get().status == Delivery.Status.SUPPRESSED
    assert len(mail.outbox) == 1


def test_a_complaint_suppresses_the_address(client: Client, alice: User) -> None:
    assert _post(client, _signed(_ses_event("Complaint", "alice@example.com", "0100-ses-2"))).status_code == 200
    assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINT


def test_a_transient_bounce_suppresses_nothing(client: Client, alice: User) -> None:
    event = _ses_event("Bounce", "alice@example.com", "0100-ses-3", bounce_type="Transient")
    assert _post(client, _signed(event)).status_code == 200
    assert not Suppression.objects.exists()


def test_a_delivery_is_recorded(client: Client, alice: User) -> None:
    delivery = _sent(alice)
    Delivery.objects.filter(pk=delivery.pk).update(provider_message_id="0100-ses-4")
    assert _post(client, _signed(_ses_event("Delivery", "alice@example.com", "0100-ses-4"))).status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED


def test_a_bad_signature_is_refused(client: Client, alice: User) -> None:
    """Signed by someone else's key: 400, and the address stays open."""
    forged = _signed(_ses_event("Bounce", "alice@example.com", "0100-ses-5"), key=MALLORY_KEY)
    assert _post(client, forged).status_code == 400
    assert not Suppression.objects.exists()


def test_a_message_changed_after_signing_is_refused(client: Client, alice: User) -> None:
    message = _signed(_ses_event("Bounce", "bob@example.com", "0100-ses-6"))
    message["Message"] = json.dumps(_ses_event("Bounce", "alice@example.com", "0100-ses-6"))
    assert _post(client, message).status_code == 400
    assert not Suppression.objects.exists()


def test_a_certificate_from_anywhere_but_amazon_is_refused(client: Client, amazon: list[str]) -> None:
    message = _signed(
        _ses_event("Bounce", "alice@example.com", "0100-ses-7"), SigningCertURL="https://evil.example.com/sns.pem"
    )
    assert _post(client, message).status_code == 400
    assert amazon == []  # never fetched
    assert not Suppression.objects.exists()


def test_an_unsigned_message_is_refused(client: Client) -> None:
    message = _signed(_ses_event("Bounce", "alice@example.com", "0100-ses-8"))
    del message["Signature"]
    assert _post(client, message).status_code == 400


def test_without_the_basic_auth_it_is_refused(client: Client) -> None:
    message = _signed(_ses_event("Bounce", "alice@example.com", "0100-ses-9"))
    assert _post(client, message, auth="").status_code == 401  # the challenge SNS needs before it sends the auth
    assert _post(client, message, auth="sns:wrong").status_code == 400
    assert not Suppression.objects.exists()


def test_another_topic_is_refused_when_topics_are_listed(client: Client, settings: Any) -> None:
    settings.AMAZON_SES_SNS_TOPIC_ARNS = ["arn:aws:sns:us-east-1:123456789012:other"]
    assert _post(client, _signed(_ses_event("Complaint", "alice@example.com", "0100-ses-10"))).status_code == 400
    settings.AMAZON_SES_SNS_TOPIC_ARNS = [TOPIC]
    assert _post(client, _signed(_ses_event("Complaint", "alice@example.com", "0100-ses-10"))).status_code == 200


def test_the_certificate_is_fetched_once(client: Client, amazon: list[str]) -> None:
    for number in range(3):
        _post(client, _signed(_ses_event("Delivery", "alice@example.com", f"0100-ses-{number}")))
    assert amazon == [CERT_URL]


def test_without_a_webhook_secret_the_webhook_is_off(client: Client, settings: Any) -> None:
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": None}
    assert _post(client, _signed(_ses_event("Complaint", "alice@example.com", "x"))).status_code == 404
    assert not Suppression.objects.exists()


def test_a_suppressed_address_is_skipped_by_allauth_mail_too(client: Client, alice: User) -> None:
    _post(client, _signed(_ses_event("Complaint", "alice@example.com", "0100-ses-11")))
    mail.outbox.clear()
    client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    assert mail.outbox == []
    client.post("/accounts/password/reset/", {"email": "bob@example.com"})  # no such account: allauth's own mail
    assert len(mail.outbox) <= 1


def test_a_delivery_ignores_bounces_it_did_not_send(alice: User) -> None:
    delivery = _sent(alice)
    assert do_deliver(delivery.pk) == ""  # already sent
