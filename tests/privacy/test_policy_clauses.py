"""Every promise of the two seed policies, kept by the code: one behaviour test per clause.

shared/seeds/000_f12970aae08f8b9b.txt (AnyPic, profiles/selfie-studio.toml) and
shared/seeds/004_17ae1a10b54da199.txt (As Pretty As A Picture, profiles/photo-coach.toml)
are the specification. tests/privacy/test_policy_page.py checks that the policy page
*states* each fact; these tests check that the service *does* what the sentence says,
through its real entry points: pages (django.test.Client), the queue (drained as a
worker would), the daily retention sweep, the `darkroom privacy` command, and the
providers' official SDKs against local fakes of their APIs.

Each test is named ``test_<seed>_<clause>_…`` and runs as the service its seed describes
(the ``seed_profile`` fixture below reads the seed from the name). Its docstring quotes
the sentence. Every time limit is tested by moving a ``time_machine`` clock, never by
sleeping. A promise the code does not keep yet is an ``xfail(strict=True)`` test that
shows the gap and says what is missing.
"""

from __future__ import annotations

import base64
import datetime
import io
import json
import re
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from allauth.usersessions.models import UserSession
from django.contrib.auth.hashers import identify_hasher
from django.contrib.staticfiles import finders
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from PIL import Image
from pytest_django.fixtures import Settings as SettingsWrapper

from darkroom.accounts import codes
from darkroom.accounts.config import allauth_settings
from darkroom.accounts.models import User
from darkroom.billing import ledger, plans
from darkroom.billing.models import LedgerEntry, Order, Wallet
from darkroom.notify.models import Notification, OutboxSms
from darkroom.photos import storage
from darkroom.photos.models import Photo
from darkroom.privacy.erasure import do_request_deletion
from darkroom.privacy.models import (
    Erasure,
    Export,
    PolicyAcceptance,
    PolicyNotice,
    PolicyVersion,
    Transfer,
    UsageEvent,
)
from darkroom.privacy.policy import current_digest
from darkroom.privacy.policy_tasks import policy_notices_catch_up_task
from darkroom.privacy.processors import processor_record
from darkroom.profile import Profile
from darkroom.studio import chain
from darkroom.studio.models import Job
from tests.accounts.conftest import adult_birth_date, code_sent_to, phone_signup, texts_to, use_profile
from tests.accounts.test_signup import confirm_email_from_mail
from tests.billing.conftest import SECRET_KEY as STRIPE_SECRET_KEY
from tests.billing.conftest import WEBHOOK_SECRET as STRIPE_WEBHOOK_SECRET
from tests.billing.conftest import deliver, make_event
from tests.billing.fake_stripe import FakeStripe
from tests.conftest import drain, fetch_signed, fund, stored_objects
from tests.notify.fake_vendor import FakeVendor
from tests.privacy.clause_helpers import (
    PACKAGE,
    PASSWORD,
    assert_everything_of_theirs_is_gone,
    buy_on_the_test_gateway,
    card_numbers_in,
    card_numbers_stored,
    data_uri_bytes,
    describe_image,
    kling_clip,
    objects_of,
    past_the_text_a_minute_limit,
    phone_person,
    places_holding,
    rows_of,
    run_job,
    selfie_jpeg,
    settings_of,
    sign_in_by_code,
    sign_in_by_password,
    signed_in,
    simulated_job_result,
    subscribe_to_pro,
    sweep,
    training_calls_in_package,
    upload,
)
from tests.privacy.page_facts import run_as_photo_coach, run_as_selfie_studio

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
ALICE_PHONE = "+6591234567"  # a Singapore mobile (selfie-studio texts SG and MY numbers only)
BOB_PHONE = "+60123456789"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
SEEDS = {"000": "selfie-studio", "004": "photo-coach"}
# Everyone seed 000 §3 names, as the policy page names them (test_policy_page.py).
SEED_000_PARTIES = {
    "OpenAI",
    "Replicate",
    "Kling",
    "Stripe",
    "Supabase",
    "Cloudflare R2",
    "Vercel",
    "Alibaba Cloud International",
}
# Seed 004 §5: "We share data only with: Stripe … Replicate, Anthropic … AWS: For email delivery (SES)".
SEED_004_PARTIES = {"Stripe", "Replicate", "Anthropic", "AWS (Amazon SES)"}
# The image edit endpoint's documented parameters (https://platform.openai.com/docs/api-reference/images/createEdit).
OPENAI_PARAMETERS = {
    "model",
    "n",
    "size",
    "quality",
    "background",
    "input_fidelity",
    "output_format",
    "output_compression",
    "moderation",
}


# --- the service each seed describes -------------------------------------------------------------
@pytest.fixture(autouse=True)
def seed_profile(request: pytest.FixtureRequest, settings: SettingsWrapper) -> Profile:
    """``test_000_…`` runs as selfie-studio, ``test_004_…`` as photo-coach, with that profile's ways in.

    Autouse, so it runs before the named users are made: they sign up under, and accept, the seed's policy.
    Passwords are hashed with MD5 here (argon2 and bcrypt take a quarter of a second each, for nothing
    these tests are about) except in the §9 test, which hashes as the profile's settings do.
    """
    seed = request.node.name.split("_")[1]
    assert seed in SEEDS, f"name the test test_<seed>_<clause>_…, the seed one of {sorted(SEEDS)}"
    chosen = use_profile(settings, SEEDS[seed])
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return chosen


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def providers(fakes: dict[str, Any], settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Every provider's key set, each pointing at its fake; the seed's profile (its chains) unchanged."""
    for name, fake in fakes.items():
        if name == "anthropic":
            fake.requests.clear()
            fake.replies.clear()
        else:
            fake.reset()
    settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL = "sk-test", fakes["openai"].url
    settings.REPLICATE_API_TOKEN, settings.REPLICATE_BASE_URL = "r8_test", fakes["replicate"].url
    settings.KLING_ACCESS_KEY, settings.KLING_SECRET_KEY = fakes["kling"].access_key, fakes["kling"].secret_key
    settings.KLING_BASE_URL = fakes["kling"].url
    settings.ANTHROPIC_API_KEY, settings.ANTHROPIC_BASE_URL = fakes["anthropic"].api_key, fakes["anthropic"].url
    monkeypatch.setattr(chain, "backoff", lambda _attempt, _retry_after: 0.0)  # retry at once in tests
    return fakes


@pytest.fixture(scope="module")
def _stripe_server() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def stripe(_stripe_server: FakeStripe, settings: SettingsWrapper) -> FakeStripe:
    """Stripe keys set (as both seeds run), the SDK pointed at the local fake of Stripe's API."""
    _stripe_server.reset()
    settings.STRIPE_SECRET_KEY = STRIPE_SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET
    settings.STRIPE_API_BASE = _stripe_server.url
    return _stripe_server


# ==================================================================================================
# Seed 000: AnyPic (profiles/selfie-studio.toml)
# ==================================================================================================
def test_000_intro_signing_up_records_acceptance_of_the_policy_in_force(
    client: Client, clock: time_machine.Coordinates
) -> None:
    """Intro: "By using the Service, you agree to this policy." Sign-up records which version, and when."""
    assert phone_signup(client, "+65 9123 4567").status_code == 302
    assert client.post("/accounts/phone/verify/", {"code": code_sent_to(ALICE_PHONE)}).status_code == 302
    user = User.objects.get(phone=ALICE_PHONE)
    acceptance = PolicyAcceptance.objects.get(user=user)
    assert acceptance.version.digest == current_digest() == user.policy_version_accepted
    assert (acceptance.via, acceptance.accepted_at) == (PolicyAcceptance.Via.SIGN_UP, T0)
    # No agreement, no account.
    refused = Client().post("/accounts/signup/", {"phone": BOB_PHONE, "birth_date": adult_birth_date()})
    assert refused.status_code == 400
    assert not User.objects.filter(phone=BOB_PHONE).exists()


def test_000_1_registration_and_login_are_by_phone_number_and_sms_code(client: Client, alice: User) -> None:
    """§1 "Account info: phone number used for registration and login"."""
    sign_up = client.get("/accounts/signup/").content.decode()
    assert 'type="tel" name="phone"' in sign_up
    assert 'name="email"' not in sign_up
    assert 'name="password1"' not in sign_up
    sign_in = client.get("/accounts/login/").content.decode()
    assert 'type="tel" name="login"' in sign_in
    assert 'name="password"' not in sign_in
    phone_person(ALICE_PHONE)
    answer = client.post("/accounts/login/", {"login": "+65 9123 4567"})
    assert answer["Location"] == "/accounts/login/code/confirm/"
    assert "is your AnyPic code" in texts_to(ALICE_PHONE)[-1]
    assert client.post("/accounts/login/code/confirm/", {"code": code_sent_to(ALICE_PHONE)}).status_code == 302
    assert client.get("/photos/").status_code == 200
    # An email address and a password are no way in.
    other = Client()
    assert other.post("/accounts/login/", {"login": alice.email, "password": PASSWORD}).status_code == 400
    assert other.get("/photos/").status_code == 302


def test_000_1_sms_codes_are_discarded_after_verification(client: Client, clock: time_machine.Coordinates) -> None:
    """§1 "SMS verification codes (discarded after verification)": at sign-up and at every sign-in."""
    phone_signup(client, ALICE_PHONE)
    code = code_sent_to(ALICE_PHONE)
    assert places_holding(code) == ["notify_outboxsms.body"], "until used, only the outbox (the phone) has it"
    assert client.post("/accounts/phone/verify/", {"code": code}).status_code == 302
    assert places_holding(code) == []
    assert places_holding(codes.digest(code)) == [], "not even its HMAC"
    assert not OutboxSms.objects.exists()

    client.post("/accounts/logout/")
    past_the_text_a_minute_limit(clock, ALICE_PHONE)
    assert client.post("/accounts/login/", {"login": ALICE_PHONE}).status_code == 302
    second = code_sent_to(ALICE_PHONE)
    assert client.post("/accounts/login/code/confirm/", {"code": second}).status_code == 302
    assert client.get("/photos/").status_code == 200
    assert places_holding(second) == []
    assert places_holding(codes.digest(second)) == []


def _buy_through_stripe_checkout(client: Client, stripe: FakeStripe, pack: str) -> Order:
    """Buy a pack as a person does with Stripe keys set: redirected to Stripe's page, paid there, told by webhook."""
    response = client.post(f"/billing/buy/{pack}/")
    order = Order.objects.latest("id")
    # The card is typed on Stripe's own page: the service never sees a form with card fields.
    assert response["Location"] == f"https://checkout.stripe.com/c/pay/{order.gateway_session_id}"
    session = stripe.complete_session(order.gateway_session_id)
    deliver(client, make_event("checkout.session.completed", session))
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    return order


def _no_card_fields(html: str) -> None:
    fields = re.findall(r'<input[^>]*name="([^"]+)"', html)
    assert not [name for name in fields if re.search(r"card|cvc|cvv|pan|expir", name, re.IGNORECASE)], fields


def test_000_1_payments_go_through_stripe_checkout_and_no_card_number_is_stored(
    client: Client, alice: User, stripe: FakeStripe
) -> None:
    """§1 "order records processed by Stripe (amount, time, order ID). We do not store your card number or
    payment passwords"; §3 "Stripe (payments): all payments are processed by Stripe"."""
    assert card_numbers_in("paid with 4242 4242 4242 4242 today") == ["4242424242424242"], "the scan finds one"
    client.force_login(alice)
    _no_card_fields(client.get("/billing/").content.decode())
    order = _buy_through_stripe_checkout(client, stripe, "popular")
    assert (order.amount, order.currency, order.gateway) == (999, "usd", "stripe")
    assert order.paid_at is not None
    assert ledger.balance(alice) == 40
    assert card_numbers_stored() == []


def test_000_1_a_card_number_or_payment_password_posted_to_the_checkout_is_not_kept(
    client: Client, alice: User
) -> None:
    """§1 "We do not store your card number or payment passwords": a checkout post carrying them keeps neither."""
    client.force_login(alice)
    link = client.post("/billing/buy/try/")["Location"]
    _no_card_fields(client.get(link).content.decode())
    client.post(link, {"card_number": "4242 4242 4242 4242", "cvc": "123", "password": "hunter2hunter2"})
    assert Order.objects.get().status == Order.Status.PAID
    assert card_numbers_stored() == []
    assert places_holding("hunter2hunter2") == []


def test_000_1_usage_data_is_the_feature_the_device_type_and_the_browser() -> None:
    """§1 "Usage data: logs, device type, browser info — used for debugging and improving the service"."""
    person = phone_person(ALICE_PHONE)
    client = sign_in_by_code(ALICE_PHONE, REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT=IPHONE)
    upload(client)
    event = UsageEvent.objects.get()
    assert (event.owner, event.feature, event.device_type, event.browser_family) == (
        person,
        "upload",
        "phone",
        "Mobile Safari",
    )
    held = set(places_holding("203.0.113.9")) | set(places_holding(IPHONE))
    assert not [where for where in held if where.startswith("privacy_")], "no IP address, no user agent in usage"
    # Where they are: the list of signed-in devices (the "logs"), and the texts-per-network limit (an hour).
    assert held <= {"usersessions_usersession.ip", "usersessions_usersession.user_agent", "darkroom_cache.cache_key"}
    assert {field.name for field in UsageEvent._meta.concrete_fields} == {
        "id",
        "owner",
        "feature",
        "device_type",
        "browser_family",
        "created_at",
    }


def test_000_2_payments_are_processed_and_the_credit_balance_kept(client: Client, alice: User) -> None:
    """§2 "To process payments and maintain your credit balance"."""
    client.force_login(alice)
    buy_on_the_test_gateway(client, "try")
    assert ledger.balance(alice) == 10
    assert re.search(r'id="balance">10<', client.get("/billing/").content.decode())


def test_000_2_usage_data_serves_to_prevent_abuse_of_the_sms_codes(client: Client) -> None:
    """§2 "To analyze usage, improve the product, and prevent abuse": numbers and networks limit who gets texts."""
    refused = phone_signup(client, "+1 212 555 0123")  # not a country the service texts: no SMS-pumping bill
    assert refused.status_code == 400
    assert not User.objects.exists()
    phone_person(ALICE_PHONE)
    assert Client().post("/accounts/login/", {"login": ALICE_PHONE}).status_code == 302
    assert Client().post("/accounts/login/", {"login": ALICE_PHONE}).status_code == 429, "one text a minute"
    assert len(texts_to(ALICE_PHONE)) == 1


@pytest.mark.django_db(transaction=True)  # the job runs from the queue, on its own transactions, as on a worker
def test_000_2_a_finished_generation_is_announced_in_the_app(
    providers: dict[str, Any], alice: User, huey_queue: Any
) -> None:
    """§2 "To send service-related notifications (generation complete, order status, etc.)": generation complete."""
    fund(alice)
    client = signed_in(alice)
    job = run_job(client, huey_queue, upload(client), "generate", preset="studio-grey")
    assert job.state == Job.State.SUCCEEDED, job.error
    notice = Notification.objects.get(user=alice, kind="job_finished")
    assert (notice.shown, notice.link, notice.photo) == (True, f"/jobs/{job.public_id}/", job.result)
    assert notice.title in client.get("/notifications/").content.decode()


def test_000_2_order_status_is_announced_in_the_app(
    client: Client, alice: User, django_capture_on_commit_callbacks: Any
) -> None:
    """§2 "To send service-related notifications (generation complete, order status, etc.)": order status."""
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):  # the notice is made once the payment commits
        order = buy_on_the_test_gateway(client, "try")
    notice = Notification.objects.get(user=alice, kind="receipt")
    assert (notice.shown, notice.link) == (True, f"/billing/orders/{order.public_id}/")
    assert notice.title in client.get("/notifications/").content.decode()


def test_000_3_sign_in_codes_go_through_alibaba_cloud_and_are_kept_nowhere(
    client: Client, settings: SettingsWrapper
) -> None:
    """§3 "Alibaba Cloud International (SMS delivery)"; §1 codes "discarded after verification"."""
    ok = {"Code": "OK", "Message": "OK", "BizId": "9006197469364984^0", "RequestId": "F655A8D5-B967-440B-8683"}
    phone_person(ALICE_PHONE)
    with FakeVendor(lambda _path, _fields: (200, ok)) as alibaba:
        settings.SMS_BACKEND = "alibaba"
        settings.ALIBABA_ACCESS_KEY_ID, settings.ALIBABA_ACCESS_KEY_SECRET = "LTAI-test", "test-secret"
        settings.ALIBABA_SMS_SIGN_NAME, settings.ALIBABA_SMS_TEMPLATE_CODE = "AnyPic", "SMS_123456789"
        settings.ALIBABA_SMS_ENDPOINT = alibaba.url
        assert client.post("/accounts/login/", {"login": ALICE_PHONE}).status_code == 302
    ((_path, sent),) = alibaba.requests
    assert sent["header:x-acs-action"] == "SendSms"
    assert sent["PhoneNumbers"] == ALICE_PHONE.lstrip("+")
    code = json.loads(sent["TemplateParam"])["code"]
    assert places_holding(code) == [], "the code went to Alibaba; nothing here keeps it in clear"
    assert client.post("/accounts/login/code/confirm/", {"code": code}).status_code == 302
    assert client.get("/photos/").status_code == 200
    assert places_holding(codes.digest(code)) == []


@pytest.mark.django_db(transaction=True)
def test_000_3_openai_receives_the_selfie_and_the_scene_prompt(
    providers: dict[str, Any], alice: User, huey_queue: Any
) -> None:
    """§3 "OpenAI (image generation): your selfie and scene prompt are sent to the OpenAI API"."""
    fund(alice)
    client = signed_in(alice)
    selfie = upload(client)
    job = run_job(client, huey_queue, selfie, "generate", preset="studio-grey", prompt="on a beach at sunset")
    assert job.state == Job.State.SUCCEEDED, job.error
    (request,) = providers["openai"].requests
    assert (request.method, request.path) == ("POST", "/v1/images/edits")
    assert "on a beach at sunset" in request.fields["prompt"]
    # The model's own parameters beside the prompt; nothing that says who she is (no "user" field).
    assert set(request.fields) - {"prompt"} <= OPENAI_PARAMETERS, request.fields
    (image,) = request.files
    assert Image.open(io.BytesIO(image.data)).size == (selfie.width, selfie.height), "the selfie"
    assert list(Transfer.objects.filter(job=job).values_list("provider", "data", "photo")) == [
        ("OpenAI", ["image", "prompt"], selfie.pk)
    ]
    assert providers["replicate"].api_requests() == []


@pytest.mark.django_db(transaction=True)
def test_000_3_replicate_instantid_is_used_only_when_openai_rejects(
    providers: dict[str, Any], alice: User, huey_queue: Any, seed_profile: Profile
) -> None:
    """§3 "Replicate / InstantID (fallback image generation): used when OpenAI rejects a request"."""
    fund(alice)
    client = signed_in(alice)
    selfie = upload(client)
    made_by_openai = run_job(client, huey_queue, selfie, "generate", preset="studio-grey")
    assert made_by_openai.state == Job.State.SUCCEEDED, made_by_openai.error
    assert providers["replicate"].api_requests() == [], "OpenAI made it: Replicate is not asked"

    providers["openai"].reply_with("moderation_blocked_input")
    job = run_job(client, huey_queue, selfie, "generate", preset="studio-grey")
    assert job.state == Job.State.SUCCEEDED, job.error
    steps = [(step["provider"], step["outcome"]) for step in job.report["providers"]]
    assert steps == [("openai", "refused"), ("replicate", "made it")]
    (created,) = providers["replicate"].api_requests("POST")
    assert created.body["version"] == seed_profile.providers.replicate.instantid_version
    assert list(Transfer.objects.filter(job=job).order_by("sent_at", "id").values_list("provider", flat=True)) == [
        "OpenAI",
        "Replicate",
    ]


@pytest.mark.django_db(transaction=True)
def test_000_3_kling_powers_image_to_video(providers: dict[str, Any], alice: User, huey_queue: Any) -> None:
    """§3 "Kling AI (video generation): powers the image-to-video feature"."""
    providers["kling"].video = kling_clip()
    fund(alice)
    client = signed_in(alice)
    job = run_job(client, huey_queue, upload(client), "animate", seconds="5")
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.result is not None
    assert job.result.is_video
    assert storage.get(job.result.file_key) == kling_clip()
    assert "create" in {received.route for received in providers["kling"].received}
    assert list(Transfer.objects.filter(job=job).values_list("provider", flat=True)) == ["Kling"]
    assert providers["openai"].requests == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")  # run_as_selfie_studio: read for the record only
def test_000_3_no_third_party_outside_the_policy_receives_data(
    providers: dict[str, Any], settings: SettingsWrapper, huey_queue: Any, seed_profile: Profile
) -> None:
    """§3 "To provide the service, we transmit necessary data to the following third parties: …" and no other."""
    person = phone_person(ALICE_PHONE)
    fund(person)
    client = sign_in_by_code(ALICE_PHONE)
    selfie = upload(client)
    providers["kling"].video = kling_clip()
    offered = {kind for kind, on in seed_profile.features.model_dump().items() if on}
    assert offered == {"enhance", "generate", "animate"}
    for kind, options in (("generate", {"preset": "studio-grey"}), ("animate", {"seconds": "5"}), ("enhance", {})):
        job = run_job(client, huey_queue, selfie, kind, **options)
        assert job.state == Job.State.SUCCEEDED, job.error
    buy_on_the_test_gateway(client, "try")
    # Anthropic's key is set too, and it is in no chain of this service: it hears nothing.
    assert providers["anthropic"].requests == []
    assert set(Transfer.objects.values_list("provider", flat=True)) == {"OpenAI", "Kling"}
    run_as_selfie_studio(settings)  # the seed's vendors: Stripe, Alibaba SMS, R2, Supabase, Vercel
    named = {processor.name for processor in processor_record(person)}
    assert named <= SEED_000_PARTIES, f"not in the policy: {named - SEED_000_PARTIES}"
    assert {"OpenAI", "Kling", "Alibaba Cloud International", "Cloudflare R2", "Supabase", "Vercel"} <= named


@pytest.mark.django_db(transaction=True)
def test_000_4_selfies_are_kept_30_days_after_generation_for_re_download_then_deleted(
    providers: dict[str, Any], alice: User, huey_queue: Any, clock: time_machine.Coordinates
) -> None:
    """§4 "Uploaded selfies: retained for 30 days after generation for re-download, then auto-deleted"."""
    fund(alice)
    client = signed_in(alice)
    selfie = upload(client)
    job = run_job(client, huey_queue, selfie, "generate", preset="studio-grey")
    assert job.state == Job.State.SUCCEEDED, job.error
    selfie.refresh_from_db()
    assert selfie.last_generation_at == T0
    assert job.result is not None
    selfie_keys, result_keys = set(selfie.storage_keys), set(job.result.storage_keys)

    clock.shift(29 * DAY)
    sweep()
    assert Photo.objects.filter(pk=selfie.pk).exists()
    client = signed_in(alice)  # she comes back (her earlier session has long ended)
    link = client.get(f"/photos/{selfie.public_id}/file/original?download=1")["Location"]
    status, body, _headers = fetch_signed(client, link)
    assert (status, body) == (200, storage.get(selfie.file_key)), "day 29: it can be downloaded again"

    clock.shift(2 * DAY)  # day 31
    assert sweep()["photos/uploads"] == 1
    assert not Photo.objects.filter(pk=selfie.pk).exists()
    assert client.get(f"/photos/{selfie.public_id}/").status_code == 404
    assert not selfie_keys & set(stored_objects()), "the original, its preview and its thumbnail"
    assert result_keys <= set(stored_objects()), "the result stays (§4: until the user deletes it)"


def test_000_4_results_stay_until_the_user_deletes_them_or_closes_the_account(
    alice: User, clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    """§4 "Generated results: kept in your account until you delete them or close your account"."""
    selfie = upload(signed_in(alice))
    kept, deleted_by_her = simulated_job_result(alice, selfie), simulated_job_result(alice, selfie)
    for _year in range(5):
        clock.shift(365 * DAY)
        sweep()
    assert set(Photo.objects.filter(kind=Photo.Kind.RESULT).values_list("pk", flat=True)) == {
        kept.pk,
        deleted_by_her.pk,
    }
    assert {*kept.storage_keys, *deleted_by_her.storage_keys} <= set(stored_objects())

    client = signed_in(alice)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/photos/{deleted_by_her.public_id}/delete/")["Location"] == "/photos/"
    assert not Photo.objects.filter(pk=deleted_by_her.pk).exists()
    assert not set(deleted_by_her.storage_keys) & set(stored_objects())
    assert Photo.objects.filter(pk=kept.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        do_request_deletion(alice)
        clock.shift(30 * DAY)
        sweep()
    assert not Photo.objects.filter(pk=kept.pk).exists()
    assert not set(kept.storage_keys) & set(stored_objects())


def test_000_4_order_records_are_kept_at_least_5_years(
    alice: User, clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    """§4 "Order and payment records: retained for at least 5 years per tax and regulatory requirements"."""
    order = buy_on_the_test_gateway(signed_in(alice), "try")
    assert order.retain_until == datetime.date(2031, 3, 2)
    with django_capture_on_commit_callbacks(execute=True):  # the account goes; the record does not
        do_request_deletion(alice)
        clock.shift(30 * DAY)
        sweep()
    assert not User.objects.filter(pk=alice.pk).exists()
    order.refresh_from_db()
    assert (order.user, order.email, order.amount, order.credits) == (None, "", 299, 10)
    clock.move_to(datetime.datetime(2031, 3, 2, 23, 0, tzinfo=datetime.UTC))  # 5 years on, the last day
    sweep()
    assert Order.objects.filter(pk=order.pk).exists()
    clock.shift(DAY)
    assert sweep()["transactions/orders past retain_until"] == 1
    assert not Order.objects.filter(pk=order.pk).exists()


def test_000_5_results_can_be_viewed_downloaded_and_deleted_at_any_time(
    alice: User, clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    """§5 "View, download, or delete your generated results at any time"."""
    result = simulated_job_result(alice, upload(signed_in(alice)))
    clock.shift(3 * 365 * DAY)  # years later
    sweep()
    client = signed_in(alice)
    assert str(result.public_id) in client.get("/photos/?show=result").content.decode()
    assert client.get(f"/photos/{result.public_id}/").status_code == 200
    link = client.get(f"/photos/{result.public_id}/file/original?download=1")["Location"]
    status, body, headers = fetch_signed(client, link)
    assert (status, body) == (200, storage.get(result.file_key))
    assert headers["Content-Disposition"].startswith("attachment;")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/photos/{result.public_id}/delete/")["Location"] == "/photos/"
    assert not Photo.objects.filter(pk=result.pk).exists()
    assert not set(result.storage_keys) & set(stored_objects())


def _a_bit_of_everything(client: Client, user: User, capture: Any) -> None:
    """Through the pages: an upload (and its usage event), a result with its job and transfer, a paid order."""
    selfie = upload(client, user_agent=IPHONE)
    simulated_job_result(user, selfie)
    with capture(execute=True):  # the receipt (a notification) is made once the payment commits
        buy_on_the_test_gateway(client, plans.packs()[0].code)


def test_000_5_an_operator_closes_an_account_asked_for_by_email_and_deletes_all_its_data(
    clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    """§5 "Contact us by email to close your account and delete all associated data"."""
    person = phone_person(ALICE_PHONE)
    client = sign_in_by_code(ALICE_PHONE)
    _a_bit_of_everything(client, person, django_capture_on_commit_callbacks)
    before, keys = rows_of(person.pk), objects_of(person)
    order = Order.objects.get(user=person)

    out = io.StringIO()
    call_command("privacy", "delete-account", "+65 9123 4567", stdout=out)  # the operator, on her email
    erasure = Erasure.objects.get()
    assert str(erasure.public_id) in out.getvalue(), "the operator gets the reference to answer her with"
    assert (erasure.state, erasure.deadline) == (Erasure.State.SCHEDULED, T0 + 30 * DAY)
    assert client.get("/photos/").status_code == 302, "signed out at once"
    person.refresh_from_db()
    assert not person.is_active
    past_the_text_a_minute_limit(clock, ALICE_PHONE)
    assert Client().post("/accounts/login/", {"login": ALICE_PHONE}).status_code == 302  # as for any number …
    assert texts_to(ALICE_PHONE) == [], "… but a closed account is sent no code: sign-in is off"
    clock.shift(29 * DAY)
    sweep()
    assert User.objects.filter(pk=person.pk).exists()
    clock.shift(DAY)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep()["accounts/accounts past their deletion date"] == 1
    assert_everything_of_theirs_is_gone(before, keys, person.pk)
    order.refresh_from_db()
    assert (order.user, order.email, order.amount) == (None, "", 299)
    assert order.pseudonymised_at is not None


def test_000_5_the_account_can_also_be_closed_from_the_app(
    clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    """§5 "close your account and delete all associated data": the person's own way, after signing in again."""
    person = phone_person(ALICE_PHONE)
    client = sign_in_by_code(ALICE_PHONE)  # a sign-in of the last few minutes: no second code needed
    _a_bit_of_everything(client, person, django_capture_on_commit_callbacks)
    before, keys = rows_of(person.pk), objects_of(person)
    assert b'href="/privacy/delete/"' in client.get("/account/").content
    assert client.get("/privacy/delete/").status_code == 200
    response = client.post("/privacy/delete/", {"confirm": "delete my account"})
    erasure = Erasure.objects.get()
    assert response["Location"] == f"/privacy/deletion/{erasure.public_id}/"
    clock.shift(30 * DAY)
    with django_capture_on_commit_callbacks(execute=True):
        sweep()
    assert_everything_of_theirs_is_gone(before, keys, person.pk)
    erasure.refresh_from_db()
    assert erasure.state == Erasure.State.COMPLETED
    receipt = Client().get(response["Location"])  # no sign-in: the account is gone
    assert receipt.status_code == 200
    assert str(erasure.public_id) in receipt.content.decode()


def test_000_5_opting_out_of_usage_data_stops_its_collection(client: Client, alice: User) -> None:
    """§5 "Opt out of certain data collection (note: may affect functionality)"."""
    fund(alice)
    client.force_login(alice)
    upload(client)
    assert UsageEvent.objects.filter(owner=alice).count() == 1
    answer = client.post("/account/usage/", {"usage": "off"}, follow=True).content.decode()
    assert "We no longer record which features you use" in answer
    assert not UsageEvent.objects.filter(owner=alice).exists(), "what was held is deleted too"
    photo = upload(client, user_agent=IPHONE)  # the features still work …
    assert client.post("/jobs/", {"photo": str(photo.public_id), "kind": "enhance"})["Location"].startswith("/jobs/")
    assert client.post("/billing/buy/try/").status_code == 302
    assert not UsageEvent.objects.filter(owner=alice).exists(), "… and write no usage row"


def test_000_6_sign_up_is_refused_to_anyone_under_14(client: Client) -> None:
    """§6 "The Service is not intended for users under 14. We do not knowingly collect information from anyone
    under 14"."""
    today = timezone.localdate()
    a_day_short = (today.replace(year=today.year - 14) + DAY).isoformat()
    refused = phone_signup(client, ALICE_PHONE, birth_date=a_day_short)
    assert refused.status_code == 400
    assert "You must be at least 14 years old" in refused.content.decode()
    assert not User.objects.exists()
    assert not OutboxSms.objects.exists(), "not even a text: the number was not used"
    fourteen_today = today.replace(year=today.year - 14).isoformat()
    assert phone_signup(Client(), BOB_PHONE, birth_date=fourteen_today).status_code == 302


def test_000_6_a_reported_minors_account_is_deleted_at_once(django_capture_on_commit_callbacks: Any) -> None:
    """§6 "If you believe a minor has used the Service, please contact us to delete it immediately"."""
    minor = phone_person(ALICE_PHONE)
    _a_bit_of_everything(sign_in_by_code(ALICE_PHONE), minor, django_capture_on_commit_callbacks)
    before, keys = rows_of(minor.pk), objects_of(minor)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("privacy", "delete-account", ALICE_PHONE, "--now", stdout=out)
    assert_everything_of_theirs_is_gone(before, keys, minor.pk)  # no time has passed
    erasure = Erasure.objects.get()
    assert str(erasure.public_id) in out.getvalue()
    assert (erasure.source, erasure.reason, erasure.state) == ("operator", "under-age", "completed")


def _material_change(settings: SettingsWrapper) -> None:
    """A change the policy calls material: the servers move to another country."""
    current = settings.PROFILE
    settings.PROFILE = current.model_copy(
        update={"privacy": current.privacy.model_copy(update={"data_region": "Malaysia"})}
    )


@pytest.mark.django_db(transaction=True)  # the notices go from the queue, as a worker sends them
def test_000_7_material_changes_are_announced_in_the_app_and_by_email(
    settings: SettingsWrapper, alice: User, huey_queue: Any
) -> None:
    """§7 "Material changes will be announced via in-app notice or email": the notice to all, the email once."""
    phone_only = phone_person(ALICE_PHONE)
    phone_client, alice_client = signed_in(phone_only), signed_in(alice)
    for browser in (phone_client, alice_client):
        assert "policy-notice" not in browser.get("/photos/").content.decode(), "both accepted the version in force"
    _material_change(settings)
    mail.outbox.clear()
    page = phone_client.get("/photos/").content.decode()  # the first page after the change records it
    assert 'class="policy-notice"' in page
    assert "Malaysia" in page
    assert 'class="policy-notice"' in alice_client.get("/photos/").content.decode()
    drain(huey_queue)
    policy_notices_catch_up_task.call_local()  # the hourly catch-up: nobody hears twice
    announced = [message.to for message in mail.outbox if "privacy policy has changed" in message.subject]
    assert announced == [["alice@example.com"]], "the phone-only account has no address: the notice is its way"


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="§7 'announced … in advance' is not built: a configuration change is in force as soon as it is "
    "deployed, and its notices go out after (docs/privacy.md, 'Not yet'). Needs a staged next version with a "
    "published_at in the future, announced before then.",
)
@pytest.mark.django_db(transaction=True)
def test_000_7_material_changes_are_announced_in_advance(
    settings: SettingsWrapper, alice: User, huey_queue: Any
) -> None:
    """§7 "Material changes will be announced via in-app notice or email in advance"."""
    _material_change(settings)
    signed_in(alice).get("/photos/")  # the first page after the deploy: the new version is in force from now
    drain(huey_queue)
    version = PolicyVersion.objects.get(digest=current_digest())
    notice = PolicyNotice.objects.get(user=alice, version=version)
    assert notice.sent_at is not None, "the email went"
    assert version.published_at > notice.sent_at, "the change took effect before anyone was told"


def test_000_8_privacy_questions_go_to_hello_at_anypic_app(client: Client) -> None:
    """§8 "For any privacy-related questions, please email hello@anypic.app"."""
    for page in ("/privacy/", "/", "/accounts/login/"):
        assert 'href="mailto:hello@anypic.app"' in client.get(page).content.decode(), page


# ==================================================================================================
# Seed 004: As Pretty As A Picture (profiles/photo-coach.toml)
# ==================================================================================================
def test_004_2_an_account_is_a_name_an_email_and_a_password(client: Client) -> None:
    """§2 "Account information: Name, email address, and password (or Google OAuth profile data)"."""
    passphrase = "a long and unusual passphrase"
    response = client.post(
        "/accounts/signup/",
        {
            "email": "carol@example.com",
            "password1": passphrase,
            "password2": passphrase,
            "birth_date": adult_birth_date(),
            "accept_policy": "on",
        },
    )
    assert response.status_code == 302
    confirm_email_from_mail(client, "carol@example.com")
    assert client.post("/account/", {"name": "Carol Cole"}).status_code == 302
    carol = User.objects.get()
    assert (carol.name, carol.email, carol.phone) == ("Carol Cole", "carol@example.com", None)
    assert carol.check_password(passphrase)
    assert passphrase not in carol.password


def test_004_2_google_sign_in_is_offered_only_when_it_is_configured(
    client: Client, settings: SettingsWrapper, seed_profile: Profile
) -> None:
    """§2 "(or Google OAuth profile data)": the Google button, only when the operator set up Google sign-in."""
    assert "/accounts/google/login/" in client.get("/accounts/login/").content.decode()
    for name, value in allauth_settings(seed_profile, google_client_id=None, google_secret=None).items():
        setattr(settings, name, value)
    page = client.get("/accounts/login/").content.decode()
    assert "/accounts/google/login/" not in page
    assert 'type="email" name="login"' in page
    assert 'type="tel"' not in page


def test_004_2_payments_go_through_stripe_and_no_card_number_is_stored(
    client: Client, alice: User, stripe: FakeStripe
) -> None:
    """§2 "Payment information: Processed securely by Stripe. We do not store credit card numbers on our servers"."""
    client.force_login(alice)
    _no_card_fields(client.get("/billing/").content.decode())
    order = _buy_through_stripe_checkout(client, stripe, "large")
    assert (order.amount, order.gateway, ledger.balance(alice)) == (999, "stripe", 50)
    assert card_numbers_stored() == []


@pytest.mark.django_db(transaction=True)
def test_004_2_history_credit_transactions_and_feature_usage_are_recorded(alice: User, huey_queue: Any) -> None:
    """§2 "Usage data: Enhancement/critique history, credit transactions, and basic analytics (page views,
    feature usage)"."""
    fund(alice, 20)
    client = signed_in(alice)
    photo = upload(client, user_agent=FIREFOX)
    job = run_job(client, huey_queue, photo, "enhance")
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.result is not None
    history = client.get("/photos/?show=result&job=enhance").content.decode()
    assert str(job.result.public_id) in history
    assert client.get(f"/jobs/{job.public_id}/").status_code == 200
    statement = client.get("/billing/").content.decode()
    assert "Enhance" in statement
    assert re.search(r'id="balance">19<', statement)
    assert list(UsageEvent.objects.filter(owner=alice).order_by("id").values_list("feature", "browser_family")) == [
        ("upload", "Firefox"),
        ("job:enhance", ""),
    ]


def test_004_2_technical_data_ip_browser_and_device_are_recorded_per_session(alice: User) -> None:
    """§2 "Technical data: IP address, browser type, and device information collected automatically"."""
    client = sign_in_by_password(alice, HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="198.51.100.7")
    page = client.get("/accounts/sessions/").content.decode()
    assert "198.51.100.7" in page
    assert "Firefox" in page
    device = UserSession.objects.get(user=alice)
    assert (device.ip, device.user_agent) == ("198.51.100.7", FIREFOX)
    assert "signed in on 1 device" in client.get("/account/").content.decode()


@pytest.mark.django_db(transaction=True)  # the emails go from the queue, as a worker sends them
def test_004_3_transactional_emails_password_resets_welcome_and_subscription_receipts(
    client: Client, alice: User, huey_queue: Any
) -> None:
    """§3 "To send transactional emails (password resets, welcome emails, subscription receipts)"."""
    passphrase = "a long and unusual passphrase"
    client.post(
        "/accounts/signup/",
        {
            "email": "carol@example.com",
            "password1": passphrase,
            "password2": passphrase,
            "birth_date": adult_birth_date(),
            "accept_policy": "on",
        },
    )
    confirm_email_from_mail(client, "carol@example.com")
    drain(huey_queue)
    assert "Welcome to As Pretty As A Picture" in [m.subject for m in mail.outbox if m.to == ["carol@example.com"]]

    assert Client().post("/accounts/password/reset/", {"email": alice.email}).status_code == 302
    reset = mail.outbox[-1]
    assert reset.to == [alice.email]
    assert re.search(r"/accounts/password/reset/key/\S+", reset.body)

    subscribe_to_pro(signed_in(alice))
    drain(huey_queue)
    receipts = [m for m in mail.outbox if m.to == [alice.email] and m.subject.startswith("Your receipt")]
    assert len(receipts) == 1
    assert "$9.99" in receipts[0].body


@pytest.mark.django_db(transaction=True)
def test_004_4_the_free_tier_runs_on_self_hosted_models_only(
    providers: dict[str, Any], alice: User, huey_queue: Any
) -> None:
    """§4 "Uploaded images are sent to AI processing services (self-hosted models for free tier; …)"."""
    fund(alice)
    client = signed_in(alice)
    assert plans.tier_of(alice) == "free"
    photo = upload(client, selfie_jpeg(256))
    for kind in ("enhance", "critique", "upscale", "restore-faces"):
        job = run_job(client, huey_queue, photo, kind)
        assert job.state == Job.State.SUCCEEDED, f"{kind}: {job.error}"
        assert [step["provider"] for step in job.report["providers"]] == ["local"], kind
    assert not Transfer.objects.exists()
    assert providers["replicate"].requests == []
    assert providers["anthropic"].requests == []
    assert providers["openai"].requests == []
    assert providers["kling"].received == []


def _pro_jobs(providers: dict[str, Any], alice: User, huey_queue: Any, photo_bytes: bytes) -> dict[str, Job]:
    client = signed_in(alice)
    subscribe_to_pro(client)
    assert plans.tier_of(alice) == "pro"
    photo = upload(client, photo_bytes)
    jobs = {kind: run_job(client, huey_queue, photo, kind) for kind in ("enhance", "critique")}
    for kind, job in jobs.items():
        assert job.state == Job.State.SUCCEEDED, f"{kind}: {job.error}"
    return jobs


@pytest.mark.django_db(transaction=True)
def test_004_4_pro_images_go_to_replicate_and_anthropic(
    providers: dict[str, Any], alice: User, huey_queue: Any
) -> None:
    """§4 "… Replicate and Anthropic APIs for Pro tier"."""
    jobs = _pro_jobs(providers, alice, huey_queue, selfie_jpeg(256))
    assert jobs["enhance"].report["providers"][-1]["provider"] == "replicate"
    assert jobs["critique"].report["critique"]["by"] == "Anthropic"
    assert [Transfer.objects.get(job=job).provider for job in jobs.values()] == ["Replicate", "Anthropic"]
    assert len(providers["replicate"].api_requests("POST")) == 1
    assert len(providers["anthropic"].requests) == 1


# The inference endpoints the providers document; anything else (fine-tuning, trainings) would be a use
# of the images beyond processing them.
INFERENCE = {
    "replicate": re.compile(r"^/v1/predictions(/[a-z0-9]+(/cancel)?)?$|^/(xezq|pbxt)/"),  # runs, polls, outputs
    "anthropic": re.compile(r"^/v1/messages$"),
}


@pytest.mark.django_db(transaction=True)
def test_004_4_images_are_sent_for_processing_only_never_for_training(
    providers: dict[str, Any], alice: User, huey_queue: Any
) -> None:
    """§4 "We do not use your images to train AI models": the providers are asked to run a model, never to train."""
    _pro_jobs(providers, alice, huey_queue, selfie_jpeg(256))
    replicate_paths = [request.path.split("?")[0] for request in providers["replicate"].requests]
    anthropic_paths = [request["path"] for request in providers["anthropic"].requests]
    assert replicate_paths
    assert anthropic_paths
    assert [path for path in replicate_paths if not INFERENCE["replicate"].match(path)] == []
    assert [path for path in anthropic_paths if not INFERENCE["anthropic"].match(path)] == []


def test_004_4_no_code_calls_a_model_training_api() -> None:
    """§4 "We do not use your images to train AI models": no fine-tuning, trainings or back-propagation anywhere."""
    assert training_calls_in_package() == []


def test_004_4_images_are_stored_until_the_account_is_deleted(
    alice: User, clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    """§4 "Images are stored on our servers until you delete your account"; §6 "Uploaded and enhanced images
    are retained until you delete your account"."""
    client = signed_in(alice)
    photo = upload(client)
    result = simulated_job_result(alice, photo)
    photo.refresh_from_db()
    keys = {*photo.storage_keys, *result.storage_keys}
    for _year in range(10):
        clock.shift(365 * DAY)
        sweep()
    assert Photo.objects.filter(owner=alice).count() == 2
    assert keys <= set(stored_objects())
    with django_capture_on_commit_callbacks(execute=True):
        do_request_deletion(alice)
        clock.shift(30 * DAY)
        sweep()
    assert not Photo.objects.exists()
    assert not keys & set(stored_objects())


@pytest.mark.django_db(transaction=True)
@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_004_5_data_is_shared_only_with_the_named_parties_and_only_the_image_goes_to_ai(
    providers: dict[str, Any], alice: User, huey_queue: Any, settings: SettingsWrapper
) -> None:
    """§5 "We share data only with: Stripe … AI service providers … (Replicate, Anthropic). Only the image data
    needed for processing is shared. AWS: For email delivery (SES)"; §4 "subject to those providers' privacy
    policies"."""
    _pro_jobs(providers, alice, huey_queue, selfie_jpeg(2400, with_location=True))
    transfers = list(Transfer.objects.filter(owner=alice))
    assert {transfer.provider for transfer in transfers} == {"Replicate", "Anthropic"}
    assert all(transfer.data == ["image"] for transfer in transfers), "only the image: no prompt, name or email"
    assert all(transfer.provider_retention for transfer in transfers), "their own retention is on record"
    (created,) = providers["replicate"].api_requests("POST")
    to_replicate = data_uri_bytes(created.body["input"]["img"])
    message = providers["anthropic"].requests[0]["body"]["messages"][0]
    (image_block,) = [part for part in message["content"] if part["type"] == "image"]
    to_anthropic = base64.b64decode(image_block["source"]["data"])
    for sent in (to_replicate, to_anthropic):
        (width, height), carries_metadata = describe_image(sent)
        assert max(width, height) <= 1536, "a working copy, never the full original"
        assert not carries_metadata, "no EXIF, no GPS, no camera serial"
    text_sent = json.dumps(providers["anthropic"].requests[0]["body"]) + json.dumps(created.body)
    assert alice.email not in text_sent
    assert str(alice.public_id) not in text_sent, "not even an id that says whose photo it is"
    run_as_photo_coach(settings)  # the seed's vendors: Stripe, Replicate, Anthropic, SES
    named = {processor.name for processor in processor_record(alice)}
    assert named <= SEED_004_PARTIES, f"not in the policy: {named - SEED_004_PARTIES}"
    assert {"Replicate", "Anthropic", "AWS (Amazon SES)"} <= named


def test_004_6_account_data_is_retained_while_the_account_is_active(
    alice: User, clock: time_machine.Coordinates
) -> None:
    """§6 "Account data is retained while your account is active"."""
    User.objects.filter(pk=alice.pk).update(name="Alice Liddell")
    for _year in range(10):
        clock.shift(365 * DAY)
        sweep()
    alice.refresh_from_db()
    assert (alice.is_active, alice.name, alice.email) == (True, "Alice Liddell", "alice@example.com")
    assert sign_in_by_password(alice).get("/account/").status_code == 200


def _delete_from_the_account_settings(client: Client) -> Erasure:
    """Account settings → "Delete my account…" → the password again → the typed words."""
    assert b'href="/privacy/delete/"' in client.get("/account/").content
    assert client.get("/privacy/delete/")["Location"].startswith("/accounts/reauthenticate/")
    assert client.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    response = client.post("/privacy/delete/", {"confirm": "delete my account"})
    erasure = Erasure.objects.get()
    assert response["Location"] == f"/privacy/deletion/{erasure.public_id}/"
    return erasure


def test_004_6_on_deletion_all_personal_data_and_images_are_permanently_deleted_within_30_days(
    alice: User, clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    """§6 "Upon account deletion, all personal data and images are permanently deleted within 30 days"."""
    client = sign_in_by_password(alice)
    _a_bit_of_everything(client, alice, django_capture_on_commit_callbacks)
    before, keys = rows_of(alice.pk), objects_of(alice)
    erasure = _delete_from_the_account_settings(client)
    assert client.get("/photos/").status_code == 302, "signed out"

    clock.shift(29 * DAY)
    sweep()
    refused = Client().post("/accounts/login/", {"login": alice.email, "password": PASSWORD})
    assert refused["Location"] == "/accounts/inactive/", "day 29: closed, sign-in refused"
    assert Photo.objects.filter(owner=alice).count() == 2, "day 29: not purged yet, only hidden"

    clock.shift(DAY)  # day 30
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sweep()
    assert_everything_of_theirs_is_gone(before, keys, alice.pk)
    erasure.refresh_from_db()
    assert erasure.state == Erasure.State.COMPLETED
    assert erasure.completed_at is not None
    assert erasure.completed_at - erasure.requested_at <= 30 * DAY
    (receipt,) = mail.outbox  # sent before her address went
    assert receipt.to == ["alice@example.com"]
    assert str(erasure.public_id) in receipt.body, "the receipt, with its reference"
    clock.shift(DAY)
    assert sweep().get("accounts/accounts past their deletion date", 0) == 0


def test_004_6_transaction_records_are_kept_up_to_7_years(
    alice: User, clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    """§6 "Transaction records may be retained for up to 7 years for legal and tax purposes"."""
    order = buy_on_the_test_gateway(signed_in(alice), "small")
    assert order.retain_until == datetime.date(2033, 3, 2)
    entries = LedgerEntry.objects.filter(wallet__user=alice).count()
    assert entries == 1, "the pack's credits"
    with django_capture_on_commit_callbacks(execute=True):
        do_request_deletion(alice)
        clock.shift(30 * DAY)
        sweep()
    clock.move_to(datetime.datetime(2033, 3, 1, 12, 0, tzinfo=datetime.UTC))  # 7 years less a day
    sweep()
    order.refresh_from_db()
    assert order.user is None, "kept, without the person"
    assert LedgerEntry.objects.count() == entries
    clock.move_to(datetime.datetime(2033, 3, 3, 12, 0, tzinfo=datetime.UTC))  # past the 7 years
    tallies = sweep()
    assert tallies["transactions/orders past retain_until"] == 1
    assert not Order.objects.filter(pk=order.pk).exists()
    assert not LedgerEntry.objects.exists()
    assert not Wallet.objects.exists()


class _Resources(HTMLParser):
    """Every address a page makes the browser load by itself: scripts, frames, images, styles, embeds."""

    LOADS = {
        "script": "src",
        "iframe": "src",
        "img": "src",
        "link": "href",
        "embed": "src",
        "object": "data",
        "source": "src",
        "video": "src",
        "audio": "src",
    }

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = self.LOADS.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.found.append(value)


def _third_party(addresses: list[str]) -> list[str]:
    return [address for address in addresses if urlsplit(address).netloc not in ("", "testserver")]


def test_004_7_essential_cookies_only_and_no_third_party_tracking(alice: User) -> None:
    """§7 "We use essential cookies for authentication and session management. … We do not use third-party
    tracking cookies"."""
    set_cookies: set[str] = set()
    loaded: list[str] = []
    visitor = Client()
    pages = ["/", "/privacy/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
    for page in pages:
        response = visitor.get(page)
        set_cookies |= set(response.cookies)
        reader = _Resources()
        reader.feed(response.content.decode())
        loaded += reader.found
    response = visitor.post("/accounts/login/", {"login": alice.email, "password": PASSWORD})
    set_cookies |= set(response.cookies)
    for page in ("/photos/", "/photos/upload/", "/billing/", "/account/", "/notifications/", "/privacy/me/"):
        response = visitor.get(page)
        assert response.status_code == 200, page
        set_cookies |= set(response.cookies)
        reader = _Resources()
        reader.feed(response.content.decode())
        loaded += reader.found
    assert set_cookies == {"sessionid", "csrftoken"}
    assert visitor.cookies["sessionid"]["httponly"]
    assert loaded, "the pages load their own scripts and styles"
    assert _third_party(loaded) == [], "nothing from another site: no tracker, no embed, no CDN"


def test_004_7_dark_mode_is_kept_in_local_storage_not_in_a_cookie(client: Client) -> None:
    """§7 "We use localStorage for dark mode preference". (tests/e2e/test_policy.py presses the switch in Chromium.)"""
    page = client.get("/").content.decode()
    assert '<script src="/static/web/theme.js"></script>' in page
    assert 'id="theme-toggle"' in page
    found = finders.find("web/theme.js")
    assert isinstance(found, str)
    script = Path(found).read_text()
    assert "localStorage.setItem(KEY" in script
    assert 'KEY = "darkroom-theme"' in script
    scripts = [*PACKAGE.glob("*/static/**/*.js"), *PACKAGE.glob("*/static/**/*.mjs")]
    assert len(scripts) > 1
    for static in scripts:
        assert "document.cookie" not in static.read_text(), f"{static.name} sets a cookie"


def test_004_8_personal_data_can_be_accessed_and_corrected_in_account_settings(client: Client, alice: User) -> None:
    """§8 "Access your personal data via your account settings. Update or correct your information"."""
    client.force_login(alice)
    account = client.get("/account/").content.decode()
    assert "alice@example.com" in account
    assert 'href="/privacy/me/"' in account, "and the privacy page: everything held, by category"
    assert client.get("/privacy/me/").status_code == 200
    assert client.post("/account/", {"name": "Alice Liddell"}).status_code == 302
    alice.refresh_from_db()
    assert alice.name == "Alice Liddell"
    assert 'value="Alice Liddell"' in client.get("/account/").content.decode()
    assert client.get("/accounts/email/").status_code == 200, "the address is corrected there, once verified"


def test_004_8_the_account_and_all_associated_data_can_be_deleted(
    alice: User, clock: time_machine.Coordinates, django_capture_on_commit_callbacks: Any
) -> None:
    """§8 "Delete your account and all associated data"."""
    client = sign_in_by_password(alice)
    upload(client)
    before, keys = rows_of(alice.pk), objects_of(alice)
    _delete_from_the_account_settings(client)
    clock.shift(30 * DAY)
    with django_capture_on_commit_callbacks(execute=True):
        sweep()
    assert_everything_of_theirs_is_gone(before, keys, alice.pk)


@pytest.mark.django_db(transaction=True)  # the archive is built by the queue, as a worker builds it
def test_004_8_data_can_be_exported_on_request(client: Client, alice: User, huey_queue: Any) -> None:
    """§8 "Export your data upon request"."""
    User.objects.filter(pk=alice.pk).update(name="Alice Liddell")
    client.force_login(alice)
    photo = upload(client)
    assert client.post("/privacy/export/").status_code == 302
    drain(huey_queue)
    export = Export.objects.get(owner=alice)
    assert export.state == Export.State.READY
    link = client.get(f"/privacy/export/{export.public_id}/download")["Location"]
    status, body, _ = fetch_signed(client, link)
    assert status == 200
    archive = zipfile.ZipFile(io.BytesIO(body))
    names = archive.namelist()
    assert "account.json" in names
    account = json.loads(archive.read("account.json"))
    (person,) = account["records"]["accounts.User"]
    assert (person["email"], person["name"]) == ("alice@example.com", "Alice Liddell")
    assert [row["public_id"] for row in account["records"]["photos.Photo"]] == [str(photo.public_id)]
    (upload_name,) = [name for name in names if name.startswith("photos/uploads/")]
    assert archive.read(upload_name) == storage.get(photo.file_key)


def test_004_9_passwords_are_hashed_with_bcrypt(client: Client, settings: SettingsWrapper) -> None:
    """§9 "hashed passwords (bcrypt)": as the service's own settings hash them under this profile."""
    served = settings_of(DARKROOM_PROFILE="photo-coach")
    assert served["PASSWORD_HASHERS"][0] == "django.contrib.auth.hashers.BCryptSHA256PasswordHasher"
    settings.PASSWORD_HASHERS = served["PASSWORD_HASHERS"]
    passphrase = "a long and unusual passphrase"
    client.post(
        "/accounts/signup/",
        {
            "email": "carol@example.com",
            "password1": passphrase,
            "password2": passphrase,
            "birth_date": adult_birth_date(),
            "accept_policy": "on",
        },
    )
    carol = User.objects.get(email="carol@example.com")
    assert identify_hasher(carol.password).algorithm == "bcrypt_sha256"
    assert re.match(r"^bcrypt_sha256\$\$2b\$\d\d\$", carol.password), "a bcrypt hash ($2b$, its cost)"
    assert carol.check_password(passphrase)


def test_004_9_connections_are_encrypted_with_tls(alice: User, settings: SettingsWrapper) -> None:
    """§9 "encryption in transit (TLS)": behind TLS (DARKROOM_HTTPS) plain HTTP is redirected, cookies are
    Secure and browsers are told to use HTTPS only (HSTS)."""
    served = settings_of(DARKROOM_PROFILE="photo-coach", DARKROOM_HTTPS="true")
    for name in ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS"):
        setattr(settings, name, served[name])
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = served["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    settings.SECURE_PROXY_SSL_HEADER = tuple(served["SECURE_PROXY_SSL_HEADER"])
    plain = Client().get("/accounts/login/")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/accounts/login/"
    browser = Client()
    page = browser.get("/accounts/login/", headers={"x-forwarded-proto": "https"})  # the TLS proxy says so
    assert page.status_code == 200
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    answer = browser.post(
        "/accounts/login/", {"login": alice.email, "password": PASSWORD}, headers={"x-forwarded-proto": "https"}
    )
    assert answer.status_code == 302
    assert answer.cookies["sessionid"]["secure"]
    assert browser.cookies["csrftoken"]["secure"]


def test_004_9_access_controls_keep_each_persons_photos_theirs(alice: User, mallory: User) -> None:
    """§9 "access controls": another person cannot see, download or delete alice's photo."""
    owner = signed_in(alice)
    photo = upload(owner)
    link = owner.get(f"/photos/{photo.public_id}/file/original")["Location"]
    stranger = signed_in(mallory)
    for address in (f"/photos/{photo.public_id}/", f"/photos/{photo.public_id}/file/original"):
        assert stranger.get(address).status_code == 404, address
    assert stranger.post(f"/photos/{photo.public_id}/delete/").status_code == 404
    if not link.startswith("http"):  # the local back-end's signed view checks the owner too
        assert stranger.get(link).status_code == 404
    assert str(photo.public_id) not in stranger.get("/photos/").content.decode()
    assert Client().get(f"/photos/{photo.public_id}/")["Location"].startswith("/accounts/login/")
    assert Photo.objects.filter(pk=photo.pk).exists()


def test_004_10_sign_up_is_refused_to_children_under_13(client: Client) -> None:
    """§10 "The Service is not intended for children under 13. We do not knowingly collect personal information
    from children under 13"."""
    today = timezone.localdate()
    passphrase = "a long and unusual passphrase"
    form = {"password1": passphrase, "password2": passphrase, "accept_policy": "on"}
    young = (today.replace(year=today.year - 13) + DAY).isoformat()
    refused = client.post("/accounts/signup/", {**form, "email": "young@example.com", "birth_date": young})
    assert refused.status_code == 400
    assert "You must be at least 13 years old" in refused.content.decode()
    assert not User.objects.exists()
    assert not mail.outbox, "not even a confirmation email: the address was not used"
    thirteen = today.replace(year=today.year - 13).isoformat()
    accepted = Client().post("/accounts/signup/", {**form, "email": "teen@example.com", "birth_date": thirteen})
    assert accepted.status_code == 302


@pytest.mark.django_db(transaction=True)  # the emails go from the queue, as a worker sends them
def test_004_11_material_changes_are_emailed_and_continued_use_goes_on(
    settings: SettingsWrapper, alice: User, bob: User, huey_queue: Any
) -> None:
    """§11 "We will notify you of material changes via email. Continued use constitutes acceptance"."""
    client = signed_in(alice)
    assert "policy-notice" not in client.get("/photos/").content.decode(), "she accepted the version in force"
    mail.outbox.clear()
    settings.ANTHROPIC_API_KEY = "sk-ant-test"  # a new third party: Pro critiques now go to Anthropic
    page = client.get("/photos/").content.decode()  # the first page after the change records it
    assert 'class="policy-notice"' in page
    drain(huey_queue)
    policy_notices_catch_up_task.call_local()
    emails = [message for message in mail.outbox if "privacy policy has changed" in message.subject]
    assert sorted(message.to[0] for message in emails) == ["alice@example.com", "bob@example.com"], "once each"
    assert all("New third party: Anthropic" in message.body for message in emails)
    assert all("https://asprettyasapicture.com/privacy/" in message.body for message in emails)
    # Continued use: the service goes on working for someone who has not pressed Accept (no lock-out).
    upload(client)
    assert client.get("/photos/").status_code == 200


def test_004_12_privacy_questions_go_to_privacy_at_asprettyasapicture_com(client: Client) -> None:
    """§12 "For privacy questions, contact us at privacy@asprettyasapicture.com"."""
    page = client.get("/privacy/").content.decode()
    assert 'href="mailto:privacy@asprettyasapicture.com"' in page
    assert "privacy@asprettyasapicture.com" in client.get("/").content.decode()
