from __future__ import annotations

import io
import os
import time
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from darkroom.accounts.models import User
from darkroom.photos.actions import do_upload_photo
from darkroom.photos.models import Photo
from tests.conftest import fetch_signed, make_photo, stored_objects


def _photo_of(user: User) -> Photo:
    data = make_photo()
    return do_upload_photo(user, io.BytesIO(data), len(data))


@pytest.fixture
def alices_photo(alice: User) -> Photo:
    return _photo_of(alice)


def _signed_url(client: Client, photo: Photo, variant: str = "original", download: bool = False) -> str:
    response = client.get(f"/photos/{photo.public_id}/file/{variant}" + ("?download=1" if download else ""))
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    return response["Location"]


def test_it_serves_the_owner_through_a_signed_url(client: Client, alice: User, alices_photo: Photo) -> None:
    client.force_login(alice)
    status, body, headers = fetch_signed(client, _signed_url(client, alices_photo))
    assert status == 200
    assert body[:3] == b"\xff\xd8\xff"
    assert headers.get("X-Content-Type-Options", "nosniff") == "nosniff"


def test_it_offers_downloads_as_attachments(client: Client, alice: User, alices_photo: Photo) -> None:
    client.force_login(alice)
    status, _, headers = fetch_signed(client, _signed_url(client, alices_photo, download=True))
    assert status == 200
    assert headers["Content-Disposition"].startswith("attachment;")


def test_mallory_gets_404_for_everything_of_alices(
    client: Client, alice: User, mallory: User, alices_photo: Photo
) -> None:
    client.force_login(alice)
    signed = _signed_url(client, alices_photo)
    client.force_login(mallory)
    pid = alices_photo.public_id
    assert client.get(f"/photos/{pid}/").status_code == 404
    assert client.get(f"/photos/{pid}/file/original").status_code == 404
    assert client.get(f"/photos/{pid}/file/thumb").status_code == 404
    assert client.post(f"/photos/{pid}/delete/").status_code == 404
    if not signed.startswith("http"):  # the local back-end checks the owner too
        assert client.get(signed).status_code == 404
    assert Photo.objects.filter(pk=alices_photo.pk).exists()


def test_nobody_else_can_fetch_the_file_without_a_valid_signature(
    client: Client, alice: User, alices_photo: Photo
) -> None:
    client.force_login(alice)
    signed = _signed_url(client, alices_photo)
    if signed.startswith("http"):
        # S3: the bucket is private; the object without its signature is refused.
        import urllib.error
        import urllib.request

        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(signed.split("?", 1)[0])
        assert refused.value.code in (400, 403)  # AWS answers 403, rclone 400: both refuse
        return
    client.logout()
    assert client.get(signed).status_code == 404


def test_a_tampered_signed_url_is_refused(client: Client, alice: User, alices_photo: Photo) -> None:
    client.force_login(alice)
    signed = _signed_url(client, alices_photo)
    tampered = signed[:-3] + ("AAA" if not signed.endswith("AAA") else "BBB")
    status, _, _ = fetch_signed(client, tampered) if not signed.startswith("http") else (403, b"", {})
    assert status in (403, 404)


def test_a_signed_url_expires(client: Client, alice: User, alices_photo: Photo) -> None:
    import time_machine

    client.force_login(alice)
    signed = _signed_url(client, alices_photo)
    if signed.startswith("http"):
        assert f"X-Amz-Expires={settings.PROFILE.photos.signed_url_seconds}" in signed
        return
    with time_machine.travel(time.time() + settings.PROFILE.photos.signed_url_seconds + 5):
        response = client.get(signed)
    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_deleting_a_photo_removes_every_stored_object(
    client: Client, alice: User, alices_photo: Photo, django_capture_on_commit_callbacks: Any
) -> None:
    other = _photo_of(alice)
    client.force_login(alice)
    assert len(stored_objects()) == 6
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/photos/{alices_photo.public_id}/delete/")
    assert response.status_code == 302
    assert not Photo.objects.filter(pk=alices_photo.pk).exists()
    assert stored_objects() == sorted(other.storage_keys)


def test_the_gallery_shows_only_my_photos(client: Client, alice: User, bob: User, alices_photo: Photo) -> None:
    bobs = _photo_of(bob)
    client.force_login(alice)
    page = client.get("/photos/").content.decode()
    assert str(alices_photo.public_id) in page
    assert str(bobs.public_id) not in page


@pytest.mark.skipif(
    os.environ.get("DARKROOM_TEST_S3") == "1",
    reason="on S3 the object store answers byte ranges itself (rclone's test server ignores them); "
    "this is the local back-end's own signed view",
)
def test_it_answers_byte_ranges_so_videos_play_and_seek(client: Client, alice: User, alices_photo: Photo) -> None:
    client.force_login(alice)
    url = _signed_url(client, alices_photo)
    whole = fetch_signed(client, url)[1]
    partial = client.get(url, HTTP_RANGE="bytes=10-19")
    assert partial.status_code == 206
    assert partial.content == whole[10:20]
    assert partial["Content-Range"] == f"bytes 10-19/{len(whole)}"
    tail = client.get(url, HTTP_RANGE="bytes=-5")
    assert tail.content == whole[-5:]
    open_ended = client.get(url, HTTP_RANGE=f"bytes={len(whole) - 3}-")
    assert open_ended.content == whole[-3:]
    beyond = client.get(url, HTTP_RANGE=f"bytes={len(whole)}-")
    assert beyond.status_code == 416
    assert beyond["Content-Range"] == f"bytes */{len(whole)}"
    garbled = client.get(url, HTTP_RANGE="bytes=abc")
    assert garbled.status_code == 200  # an unreadable Range is ignored, as RFC 9110 allows
    assert b"".join(garbled.streaming_content) == whole  # type: ignore[attr-defined]
