"""The privacy centre: what is held (by category, with counts), who received it, when it goes, and its buttons."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
import time_machine
from django.test import Client

from darkroom.accounts.models import User
from darkroom.photos.actions import do_mark_generated, do_upload_photo
from darkroom.photos.models import Photo
from darkroom.privacy.actions import do_record_transfer
from darkroom.privacy.centre import centre_of
from darkroom.privacy.models import UsageEvent
from tests.conftest import make_photo, stored_objects
from tests.privacy.test_retention import use_profile

pytestmark = pytest.mark.django_db


def _upload(user: User, width: int = 160) -> Photo:
    data = make_photo(width, 120)
    return do_upload_photo(user, io.BytesIO(data), len(data))


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


def _held(user: User) -> dict[str, int]:
    return {held.what: held.count for group in centre_of(user).groups for held in group.records}


def test_it_counts_what_is_held_by_kind_and_leaves_out_what_there_is_none_of(alice: User, bob: User) -> None:
    _upload(alice)
    _upload(alice, 170)
    _upload(bob)
    held = _held(alice)
    assert held["photos you uploaded"] == 2
    assert "results made for you" not in held  # none yet
    assert held[next(what for what in held if what.startswith("your account"))] == 1


def test_each_kind_says_how_long_it_is_kept_with_the_profiles_numbers(alice: User, settings: object) -> None:
    use_profile(settings, "selfie-studio")
    _upload(alice)
    kept = {held.what: held.kept for group in centre_of(alice).groups for held in group.records}
    assert "30 days after the last job that used them" in kept["photos you uploaded"]


def test_it_says_when_the_next_photo_goes(alice: User, settings: object) -> None:
    use_profile(settings, "selfie-studio")
    selfie = _upload(alice)
    assert "None of your photos is due" in centre_of(alice).next_photo_deletion
    with time_machine.travel(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC), tick=False):
        do_mark_generated(selfie)
    assert centre_of(alice).next_photo_deletion.endswith("goes on 31 December 2026.")


def test_it_lists_who_received_alices_photos_and_no_one_elses(alice: User, bob: User) -> None:
    selfie = _upload(alice)
    do_record_transfer(alice, provider="OpenAI", data=("image", "prompt"), photo=selfie, job=None,
                       request_id="req_1", provider_retention="30 days")  # fmt: skip
    bobs = _upload(bob)
    do_record_transfer(bob, provider="Kling", data=("image",), photo=bobs, job=None,
                       request_id="k1", provider_retention="30 days")  # fmt: skip
    names = {party.name for party in centre_of(alice).processors}
    assert "OpenAI" in names
    assert "Kling" not in names


def test_the_page_shows_it_all_with_the_four_buttons(alice_client: Client, alice: User) -> None:
    _upload(alice)
    page = alice_client.get("/privacy/me/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-held="photos you uploaded"' in html
    for button in ("centre-export", "centre-opt-out", "centre-delete-photos", "centre-delete-account"):
        assert f'id="{button}"' in html


def test_someone_signed_out_is_sent_to_sign_in(client: Client) -> None:
    response = client.get("/privacy/me/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_deleting_all_photos_needs_the_word_and_then_removes_every_copy(
    alice_client: Client, alice: User, bob: User, django_capture_on_commit_callbacks: Any
) -> None:
    _upload(alice)
    _upload(alice, 180)
    bobs = _upload(bob)
    refused = alice_client.post("/privacy/me/delete-photos/", {"confirm": "yes"}, follow=True)
    assert "Nothing was deleted" in refused.content.decode()
    assert Photo.objects.filter(owner=alice).count() == 2
    with django_capture_on_commit_callbacks(execute=True):  # the files go once the rows' deletion commits
        done = alice_client.post("/privacy/me/delete-photos/", {"confirm": "delete"}, follow=True)
    assert "Deleted 2 photos" in done.content.decode()
    assert not Photo.objects.filter(owner=alice).exists()
    assert sorted(stored_objects()) == sorted(bobs.storage_keys)  # only bob's files are left


def test_opting_out_from_the_centre_stops_usage_events(alice_client: Client, alice: User) -> None:
    alice_client.post("/account/usage/", {"usage": "off"})
    alice.refresh_from_db()
    assert alice.usage_opt_out
    assert "You opted out" in alice_client.get("/privacy/me/").content.decode()
    assert not UsageEvent.objects.filter(owner=alice).exists()
