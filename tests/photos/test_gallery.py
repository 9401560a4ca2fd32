"""The gallery: filters, keyset pages, bulk delete, retention notes."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from darkroom import profile
from darkroom.accounts.models import User
from darkroom.photos.actions import do_mark_generated, do_store_result, do_upload_photo, load_image
from darkroom.photos.models import Photo
from darkroom.photos.retention import retention_note
from darkroom.photos.views import PAGE_SIZE
from tests.conftest import make_photo, stored_objects


def _upload(user: User, width: int = 64, height: int = 48) -> Photo:
    data = make_photo(width, height)
    return do_upload_photo(user, io.BytesIO(data), len(data))


def _ids(page: str, photos: list[Photo]) -> list[bool]:
    return [str(photo.public_id) in page for photo in photos]


@pytest.mark.django_db
def test_it_filters_uploads_and_results(client: Client, alice: User) -> None:
    upload = _upload(alice)
    result = do_store_result(alice, load_image(upload))
    client.force_login(alice)
    assert _ids(client.get("/photos/?show=upload").content.decode(), [upload, result]) == [True, False]
    assert _ids(client.get("/photos/?show=result").content.decode(), [upload, result]) == [False, True]
    assert _ids(client.get("/photos/").content.decode(), [upload, result]) == [True, True]


@pytest.mark.django_db
def test_it_pages_through_the_gallery_by_keyset(client: Client, alice: User) -> None:
    base = timezone.now()
    photos = [_upload(alice, 16, 16) for _ in range(PAGE_SIZE + 5)]
    for index, photo in enumerate(photos):  # distinct, known times; two share one to test the tie-break
        Photo.objects.filter(pk=photo.pk).update(created_at=base - datetime.timedelta(seconds=index // 2 * 2))
    client.force_login(alice)
    first = client.get("/photos/")
    seen = [p.public_id for p in first.context["photos"]]
    assert len(seen) == PAGE_SIZE
    second = client.get(f"/photos/?after={first.context['next_after']}")
    seen += [p.public_id for p in second.context["photos"]]
    assert second.context["next_after"] is None
    assert sorted(map(str, seen)) == sorted(str(p.public_id) for p in photos)  # every photo once
    assert len(set(seen)) == len(photos)


@pytest.mark.django_db
def test_a_page_cursor_from_someone_else_is_ignored(client: Client, alice: User, mallory: User) -> None:
    alices = _upload(alice)
    _upload(mallory)
    client.force_login(mallory)
    response = client.get(f"/photos/?after={alices.public_id}")
    assert response.status_code == 200
    assert len(response.context["photos"]) == 1


@pytest.mark.django_db
def test_bulk_delete_removes_only_my_checked_photos_and_their_files(
    client: Client, alice: User, bob: User, django_capture_on_commit_callbacks: Any
) -> None:
    keep, first, second = _upload(alice), _upload(alice), _upload(alice)
    bobs = _upload(bob)
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/photos/delete/", {"photo": [str(first.public_id), str(second.public_id), str(bobs.public_id), "junk"]}
        )
    assert response.status_code == 302
    assert set(Photo.objects.values_list("pk", flat=True)) == {keep.pk, bobs.pk}
    assert stored_objects() == sorted(keep.storage_keys + bobs.storage_keys)


@pytest.mark.django_db
def test_bulk_delete_with_nothing_checked_says_so(client: Client, alice: User) -> None:
    _upload(alice)
    client.force_login(alice)
    response = client.post("/photos/delete/", {}, follow=True)
    assert "Select the photos to delete first." in response.content.decode()
    assert Photo.objects.count() == 1


@pytest.mark.django_db
def test_uploads_are_kept_until_deleted_where_the_profile_says_so(alice: User, settings: Any) -> None:
    settings.PROFILE = profile.load("photo-coach")
    photo = _upload(alice)
    assert retention_note(photo) == "Kept until you delete it or your account."


@pytest.mark.django_db
def test_selfies_show_their_deletion_date_once_used(alice: User, settings: Any) -> None:
    settings.PROFILE = profile.load("selfie-studio")
    photo = _upload(alice)
    assert "deleted 30 days later" in retention_note(photo)
    do_mark_generated(photo)
    photo.refresh_from_db()
    expected = (photo.last_generation_at + datetime.timedelta(days=30)).strftime("%-d %B %Y")
    assert retention_note(photo) == f"Deleted automatically on {expected}."


@pytest.mark.django_db
def test_the_photo_page_shows_the_retention_note(client: Client, alice: User) -> None:
    photo = _upload(alice)
    client.force_login(alice)
    page = client.get(f"/photos/{photo.public_id}/").content.decode()
    assert retention_note(photo).replace("'", "&#x27;") in page


@pytest.mark.django_db
def test_a_result_page_compares_before_and_after(client: Client, alice: User) -> None:
    from darkroom.studio.models import Job

    upload = _upload(alice)
    result = do_store_result(alice, load_image(upload))
    Job.objects.create(owner=alice, kind="enhance", input=upload, result=result, state="succeeded")
    client.force_login(alice)
    page = client.get(f"/photos/{result.public_id}/").content.decode()
    assert f"/photos/{upload.public_id}/file/preview" in page
    assert f"/photos/{result.public_id}/file/preview" in page
    assert 'class="compare-slider"' in page
