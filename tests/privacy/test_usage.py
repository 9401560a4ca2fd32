"""Usage events: recorded where a feature is used, exactly the data the policies name, and an opt-out."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from darkroom.accounts.actions import do_issue_api_token
from darkroom.accounts.models import User
from darkroom.photos import actions as photo_actions
from darkroom.photos.models import Photo
from darkroom.privacy.models import UsageEvent
from darkroom.privacy.usage import describe_user_agent, do_set_usage_opt_out, record_usage
from tests.conftest import fund, make_photo

pytestmark = pytest.mark.django_db

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)
WINDOWS_EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
    "Safari/537.36 Edg/124.0.0.0"
)


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (IPHONE, ("phone", "Mobile Safari")),
        (IPHONE.replace("iPhone; CPU iPhone OS", "iPad; CPU OS"), ("tablet", "Mobile Safari")),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/124.0.0.0 Mobile Safari/537.36",
            ("phone", "Chrome Mobile"),
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/124.0.0.0 Safari/537.36",
            ("tablet", "Chrome"),
        ),
        (WINDOWS_EDGE, ("desktop", "Edge")),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", ("desktop", "Firefox")),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", ("bot", "Googlebot")),
        ("curl/8.5.0", ("other", "curl")),
        ("python-httpx/0.28.1", ("other", "")),
        ("", ("other", "")),
    ],
)
def test_it_reduces_a_user_agent_to_a_device_type_and_a_browser_family(
    user_agent: str, expected: tuple[str, str]
) -> None:
    assert describe_user_agent(user_agent) == expected


def test_an_event_holds_the_feature_device_and_browser_and_nothing_more() -> None:
    # selfie-studio §1 "device type, browser info"; photo-coach §2 "feature usage". No IP, no user agent.
    fields = {field.name for field in UsageEvent._meta.concrete_fields}
    assert fields == {"id", "owner", "feature", "device_type", "browser_family", "created_at"}


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


def _upload_page(client: Client, **headers: str) -> Any:
    photo = SimpleUploadedFile("me.jpg", make_photo(160, 120), content_type="image/jpeg")
    return client.post("/photos/upload/", {"photo": photo}, headers=headers)


def _photo(user: User) -> Photo:
    data = make_photo(160, 120)
    return photo_actions.do_upload_photo(user, io.BytesIO(data), len(data))


def _events() -> list[tuple[str, str, str]]:
    return list(UsageEvent.objects.order_by("id").values_list("feature", "device_type", "browser_family"))


def test_an_upload_on_the_page_is_recorded_with_the_phone_it_came_from(alice_client: Client, alice: User) -> None:
    assert _upload_page(alice_client, user_agent=IPHONE).status_code == 302
    assert _events() == [("upload", "phone", "Mobile Safari")]
    assert UsageEvent.objects.get().owner == alice


def test_a_refused_upload_is_not_a_use(alice_client: Client) -> None:
    bad = SimpleUploadedFile("notes.jpg", b"not a photo at all", content_type="image/jpeg")
    assert alice_client.post("/photos/upload/", {"photo": bad}).status_code >= 400
    assert _events() == []


def test_uploads_and_jobs_through_the_api_are_recorded(client: Client, alice: User) -> None:
    fund(alice)
    _token, raw = do_issue_api_token(alice, "script")
    auth = {"authorization": f"Bearer {raw}", "user_agent": "curl/8.5.0"}
    photo = SimpleUploadedFile("me.jpg", make_photo(160, 120), content_type="image/jpeg")
    uploaded = client.post("/api/v1/photos", {"file": photo}, headers=auth)
    assert uploaded.status_code == 201
    body = json.dumps({"kind": "enhance", "photo": uploaded.json()["id"]})
    assert client.post("/api/v1/jobs", body, content_type="application/json", headers=auth).status_code == 201
    assert _events() == [("upload", "other", "curl"), ("job:enhance", "other", "curl")]


def test_a_job_started_on_the_photo_page_is_recorded(alice_client: Client, alice: User) -> None:
    fund(alice)
    photo = _photo(alice)
    response = alice_client.post(
        "/jobs/", {"photo": str(photo.public_id), "kind": "enhance"}, headers={"user_agent": WINDOWS_EDGE}
    )
    assert response.status_code == 302
    assert _events() == [("job:enhance", "desktop", "Edge")]


def test_starting_a_purchase_is_recorded(alice_client: Client) -> None:
    assert alice_client.post("/billing/buy/starter/", headers={"user_agent": IPHONE}).status_code == 302
    assert _events() == [("purchase:pack", "phone", "Mobile Safari")]


def test_page_views_are_not_events(alice_client: Client, alice: User) -> None:
    _photo(alice)
    for page in ("/photos/", "/photos/upload/", "/billing/", "/account/"):
        assert alice_client.get(page).status_code == 200
    assert _events() == []


def test_opting_out_stops_collection_at_the_source_and_deletes_what_was_held(
    alice_client: Client, alice: User, bob: User
) -> None:
    record_usage(alice, "upload")
    record_usage(alice, "upload")
    record_usage(bob, "upload")
    page = alice_client.get("/account/").content.decode()
    assert "Turn recording off" in page
    assert "deleted after 90 days" in page
    answer = alice_client.post("/account/usage/", {"usage": "off"}, follow=True).content.decode()
    assert "We no longer record which features you use. The 2 notes we held are deleted." in answer
    assert "Turn recording on" in answer
    alice.refresh_from_db()
    assert alice.usage_opt_out

    assert _upload_page(alice_client, user_agent=IPHONE).status_code == 302
    assert alice_client.post("/billing/buy/starter/").status_code == 302
    record_usage(alice, "job:enhance")
    assert list(UsageEvent.objects.values_list("owner", flat=True)) == [bob.pk]


def test_recording_can_be_turned_on_again(alice_client: Client, alice: User) -> None:
    do_set_usage_opt_out(alice, True)
    answer = alice_client.post("/account/usage/", {"usage": "on"}, follow=True).content.decode()
    assert "We record which features you use again" in answer
    assert _upload_page(alice_client).status_code == 302
    assert _events() == [("upload", "other", "")]


def test_a_form_that_says_neither_changes_nothing(alice_client: Client, alice: User) -> None:
    do_set_usage_opt_out(alice, True)
    assert alice_client.post("/account/usage/", {}).status_code == 302
    alice.refresh_from_db()
    assert alice.usage_opt_out
    assert alice_client.get("/account/usage/").status_code == 405


def test_a_feature_used_without_an_account_has_no_owner(rf: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/", HTTP_USER_AGENT=IPHONE)
    request.user = AnonymousUser()
    record_usage(request, "upload")
    assert UsageEvent.objects.get().owner is None
    assert str(UsageEvent.objects.get()) == "upload on phone (Mobile Safari)"
