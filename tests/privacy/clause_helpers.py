"""For the clause tests: act as people do (sign in, upload, pay, run a job), then read what the service holds.

tests/privacy/test_policy_clauses.py checks that each promise of the seed
policies is kept by the code. Several promises are about what is *not*
kept anywhere (an SMS code after use, a card number), so the checks here
read every table of the database (not only the models someone thought of),
the decoded sessions and the cache; others are about what a provider was
sent, or what the code calls.
"""

from __future__ import annotations

import base64
import functools
import io
import itertools
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from PIL import Image
from skimage import data

from darkroom.accounts.models import User
from darkroom.billing.models import Order
from darkroom.photos.actions import do_store_result
from darkroom.photos.models import Photo
from darkroom.privacy.actions import do_record_transfer
from darkroom.privacy.archive import NotLinked, owner_path
from darkroom.privacy.inventory import INVENTORY, Personal, Retention
from darkroom.privacy.models import Export, PolicyAcceptance
from darkroom.privacy.policy_versions import do_accept_policy
from darkroom.privacy.tasks import retention_sweep_task
from darkroom.studio.models import Job
from tests.accounts.conftest import code_sent_to, phone_user
from tests.conftest import drain, stored_objects

PACKAGE = Path(__file__).resolve().parents[2] / "darkroom"
PASSWORD = "correct horse battery staple"  # tests/conftest.py's named users


# --- everything the database and the cache hold -----------------------------------------------
def stored_values() -> Iterator[tuple[str, str]]:
    """``(where, text)`` for every value in every table, every decoded session and every cache entry."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            # The table names come from the database's own catalogue, not from input.
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    text = value.decode("latin-1") if isinstance(value, bytes | memoryview) else str(value)
                    yield f"{table}.{column}", text
                    if table.endswith("cache") and column == "value":
                        # Django's database cache stores base64 of a pickle: what it holds is readable decoded.
                        yield f"{table}.{column} (decoded)", base64.b64decode(text).decode("latin-1")
    for session in Session.objects.all():
        yield f"session {session.session_key}", str(session.get_decoded())
    if isinstance(cache, RedisCache):
        client = cache._cache.get_client(None, write=False)
        for key in client.scan_iter(match=f"{cache.key_prefix}:*"):
            raw = client.get(key)
            if raw is not None:
                yield f"cache {key!r}", bytes(raw).decode("latin-1")


def places_holding(needle: str) -> list[str]:
    """Every table column, session or cache entry whose stored text holds ``needle`` as a whole token.

    A token, so that a 6-digit code is not "found" inside a hash, a UUID's hex or a longer number.
    """
    token = re.compile(rf"(?<![0-9A-Za-z]){re.escape(needle)}(?![0-9A-Za-z])")
    return sorted({where for where, text in stored_values() if token.search(text)})


# A card number standing alone (not a run of digits inside a hex id or a hash), with optional
# spaces or dashes between groups as people type them: 13 to 19 digits (ISO/IEC 7812).
_CARD_LIKE = re.compile(r"(?<![0-9A-Za-z])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z])")


def luhn_valid(digits: str) -> bool:
    """The Luhn check every payment card number passes."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def card_numbers_in(text: str) -> list[str]:
    found = []
    for match in _CARD_LIKE.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            found.append(digits)
    return found


def card_numbers_stored() -> list[str]:
    """Where a Luhn-valid card number sits in the database, the sessions or the cache."""
    return [f"{where}: {number}" for where, text in stored_values() for number in card_numbers_in(text)]


# --- one person's rows and files ---------------------------------------------------------------
def personal_labels() -> list[str]:
    """Every model the inventory says holds personal data."""
    return [label for label, fields in INVENTORY.items() if any(isinstance(e, Personal) for e in fields.values())]


def is_transaction_record(label: str) -> bool:
    """Records the policies keep for their legal period after the account goes (orders, the ledger)."""
    return any(
        isinstance(e, Personal) and e.retention is Retention.TRANSACTION_RECORDS for e in INVENTORY[label].values()
    )


def rows_of(user_id: int) -> dict[str, set[Any]]:
    """The primary keys of the person's rows in every model with personal data, found through its owner links."""
    found = {}
    for label in personal_labels():
        model = apps.get_model(label)
        try:
            path = owner_path(model)
        except NotLinked:
            continue
        lookup = {path: user_id} if path else {"pk": user_id}
        found[label] = set(model._default_manager.filter(**lookup).values_list("pk", flat=True))
    return found


def objects_of(user: User) -> set[str]:
    """Every stored object that is the person's, as the rows say: photos' three files, export archives."""
    keys = {key for photo in Photo.objects.filter(owner=user) for key in photo.storage_keys}
    return keys | set(Export.objects.filter(owner=user).exclude(file_key="").values_list("file_key", flat=True))


# --- photos ------------------------------------------------------------------------------------
def _spy_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    exif[0xA431] = "SERIAL-123456"  # BodySerialNumber
    exif[0x8825] = {1: "N", 2: (1.0, 17.0, 29.0), 3: "E", 4: (103.0, 51.0, 40.0)}  # GPS: Singapore
    return exif


_selfies = itertools.count(1)


def selfie_jpeg(long_side: int = 512, *, with_location: bool = False) -> bytes:
    """A photo of a person (scikit-image's astronaut), JPEG; optionally with camera and GPS metadata.

    Each call gives different bytes (a corner pixel differs): the same photo twice is refused as a duplicate.
    """
    image = Image.fromarray(data.astronaut())
    image = image.resize((long_side, long_side), Image.Resampling.LANCZOS)
    mark = next(_selfies)
    image.paste((mark % 256, mark // 256 % 256, 255), (0, 0, 8, 8))
    buffer = io.BytesIO()
    extra: dict[str, Any] = {"exif": _spy_exif().tobytes()} if with_location else {}
    image.save(buffer, "JPEG", quality=90, **extra)
    return buffer.getvalue()


def describe_image(sent: bytes) -> tuple[tuple[int, int], bool]:
    """The size of an image a provider received, and whether it carries any metadata (EXIF, GPS, XMP)."""
    with Image.open(io.BytesIO(sent)) as image:
        carries = bool(image.getexif()) or bool({"exif", "xmp", "XML:com.adobe.xmp"} & set(image.info))
        size = image.size
    for marker in (b"SpyCam", b"SERIAL-123456", b"GPS"):
        carries = carries or marker in sent
    return size, carries


def data_uri_bytes(uri: str) -> bytes:
    """The bytes of a ``data:<type>;base64,<data>`` URI, as Replicate receives inline files."""
    assert uri.startswith("data:"), uri[:40]
    return base64.b64decode(uri.split(",", 1)[1])


# --- acting as people do: sign in, upload, run a job, pay -------------------------------------------
def phone_person(phone: str) -> User:
    """A selfie-studio account as sign-up leaves one: a verified phone number, no email, no password."""
    user = phone_user(phone)
    do_accept_policy(user, via=PolicyAcceptance.Via.SIGN_UP)
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sign_in_by_password(user: User, **headers: str) -> Client:
    """Through the sign-in form, so allauth records the device and the time of the sign-in."""
    client = Client(**headers)
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def sign_in_by_code(phone: str, **headers: str) -> Client:
    """Through the sign-in form and a code by SMS, as selfie-studio's people sign in."""
    client = Client(**headers)
    assert client.post("/accounts/login/", {"login": phone}).status_code == 302
    assert client.post("/accounts/login/code/confirm/", {"code": code_sent_to(phone)}).status_code == 302
    return client


def upload(client: Client, photo: bytes | None = None, **headers: str) -> Photo:
    """Upload through the upload page, as a person does; the stored photo."""
    sent = SimpleUploadedFile("me.jpg", photo or selfie_jpeg(), content_type="image/jpeg")
    response = client.post("/photos/upload/", {"photo": sent}, headers=headers)
    assert response.status_code == 302, response.content
    public_id = response["Location"].strip("/").split("/")[-1]
    return Photo.objects.get(public_id=public_id)


def run_job(client: Client, huey_queue: Any, photo: Photo, kind: str, **options: str) -> Job:
    """Start a job on the photo page's form, then let the queue run it as a worker would."""
    response = client.post("/jobs/", {"photo": str(photo.public_id), "kind": kind, **options})
    assert response.status_code == 302, response.content
    assert response["Location"].startswith("/jobs/"), f"the job was refused: {response['Location']}"
    job = Job.objects.get(public_id=response["Location"].strip("/").split("/")[-1])
    drain(huey_queue)
    job.refresh_from_db()
    return job


def buy_on_the_test_gateway(client: Client, pack: str) -> Order:
    """The credit pack bought on the test gateway's checkout page (the same fulfilment as Stripe's)."""
    link = client.post(f"/billing/buy/{pack}/")["Location"]
    assert link.startswith("/billing/test-checkout/"), link
    assert client.post(link).status_code == 302
    order = Order.objects.latest("id")
    assert order.status == Order.Status.PAID
    return order


def subscribe_to_pro(client: Client) -> None:
    link = client.post("/billing/pro/")["Location"]
    assert link.startswith("/billing/test-checkout/"), link
    assert client.post(link).status_code == 302


def simulated_job_result(user: User, photo: Photo) -> Photo:
    """What a finished generation leaves (a result, its job, the processor log's line), made without the models."""
    result = do_store_result(user, Image.new("RGB", (64, 48), "teal"), ai_generated=True)
    job = Job.objects.create(owner=user, kind="generate", input=photo, result=result, state=Job.State.SUCCEEDED)
    do_record_transfer(user, provider="OpenAI", data=("image", "prompt"), photo=photo, job=job)
    return result


@functools.cache
def kling_clip() -> bytes:
    """A real MP4 (the engine's own animation of a portrait), for the fake Kling to hand back."""
    from darkroom.engine.animate import animate

    clip = io.BytesIO()
    animate(data.astronaut(), clip, seconds=1.0, height=240)
    return clip.getvalue()


def sweep() -> dict[str, int]:
    """The daily retention sweep, as the queue's schedule runs it (03:17 UTC)."""
    result: dict[str, int] = retention_sweep_task.call_local()
    return result


def assert_everything_of_theirs_is_gone(before: dict[str, set[Any]], keys: set[str], user_id: int) -> None:
    """No row linked to the person remains; transaction records stay, with no link to them; no object of theirs."""
    assert not User.objects.filter(pk=user_id).exists()
    for label, pks in before.items():
        model = apps.get_model(label)
        remaining = model._default_manager.filter(pk__in=pks)
        if is_transaction_record(label):
            assert remaining.count() == len(pks), f"{label}: transaction records are kept for their period"
        else:
            assert not remaining.exists(), f"{label}: {remaining.count()} of the person's rows are left"
    assert rows_of(user_id) == {label: set() for label in before}, "nothing is linked to the person any more"
    assert keys, "the person had stored objects to delete"
    assert not keys & set(stored_objects()), "every stored object of the person's is deleted"


# --- the code itself ---------------------------------------------------------------------------
# What calling a model-training API looks like in the SDKs Darkroom uses: OpenAI's fine-tuning
# (client.fine_tuning, /v1/fine_tuning/jobs), Replicate's trainings (replicate.trainings,
# /v1/models/…/trainings), and training a network in-process (optimizers, back-propagation).
TRAINING_CALLS = re.compile(r"fine[_-]?tun(e|es|ing)\b|\btrainings\b|\.backward\(|torch\.optim|\boptimizer\b")


def training_calls_in_package() -> list[str]:
    """Every line of darkroom/ that calls, or names, a training API."""
    hits = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if TRAINING_CALLS.search(line):
                hits.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    return hits


# --- the settings a real process has ---------------------------------------------------------------
_SETTINGS_SCRIPT = """
import json
from django.conf import settings
names = json.loads(input())
print(json.dumps({name: getattr(settings, name) for name in names}))
"""
SETTING_NAMES = (
    "PASSWORD_HASHERS",
    "HTTPS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_PROXY_SSL_HEADER",
)


@functools.cache
def _settings_of(environment: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    child = {**os.environ, **dict(environment), "DJANGO_SETTINGS_MODULE": "tests.settings"}
    answer = subprocess.run(
        [sys.executable, "-c", _SETTINGS_SCRIPT],
        input=json.dumps(SETTING_NAMES),
        capture_output=True,
        text=True,
        env=child,
        cwd=PACKAGE.parent,
        timeout=120,
        check=True,
    )
    settings: dict[str, Any] = json.loads(answer.stdout.strip().splitlines()[-1])
    return settings


def settings_of(**environment: str) -> dict[str, Any]:
    """What darkroom/settings.py makes of this environment, read from a fresh process (the settings read it once)."""
    return _settings_of(tuple(sorted(environment.items())))


def past_the_text_a_minute_limit(clock: Any, phone: str) -> None:
    """Two minutes later: the one-text-a-minute slot of ``phone`` has expired.

    The database cache expires by the travelled clock; Redis expires keys by
    its own, which time_machine cannot move, so the slot that would have
    expired is removed as Redis would have removed it (a no-op for the
    database cache, where it has expired already).
    """
    import datetime

    from darkroom.accounts.phone import _number_key

    clock.shift(datetime.timedelta(minutes=2))
    cache.delete(_number_key(phone))
