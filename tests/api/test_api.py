from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from darkroom.accounts.actions import do_issue_api_token
from darkroom.accounts.models import ApiToken, User
from darkroom.photos.models import Photo
from darkroom.studio.models import Job
from tests.conftest import drain, make_photo, stored_objects

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _alice_has_credits(funded_alice: None) -> None:
    """Jobs cost credits; these tests are about jobs, not buying (tests/billing).

    Here and not in conftest.py: tests/api/test_auth_api.py switches profile (and password hasher)
    before it makes alice, which an autouse fixture asking for alice would pre-empt.
    """


def _bearer(user: User) -> dict[str, str]:
    _, raw = do_issue_api_token(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _upload(client: Client, auth: dict[str, str], data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/api/v1/photos", {"file": SimpleUploadedFile("p.jpg", data)}, **auth)


def test_tokens_are_stored_hashed(alice: User) -> None:
    _, raw = do_issue_api_token(alice, "laptop")
    token = ApiToken.objects.get()
    assert raw not in token.digest
    assert token.digest != raw
    assert len(token.digest) == 64


def test_it_refuses_requests_without_credentials(client: Client) -> None:
    assert client.get("/api/v1/photos").status_code == 401
    assert client.get("/api/v1/photos", HTTP_AUTHORIZATION="Bearer drk_nope").status_code == 401


def test_upload_enhance_and_fetch_through_the_api(client: Client, alice: User, huey_queue: Any) -> None:
    auth = _bearer(alice)
    response = _upload(client, auth, make_photo())
    assert response.status_code == 201, response.content
    photo_id = response.json()["id"]
    response = client.post(
        "/api/v1/jobs", {"kind": "enhance", "photo": photo_id}, content_type="application/json", **auth
    )
    assert response.status_code == 201
    job_id = response.json()["id"]
    assert response.json()["state"] == "queued"
    drain(huey_queue)
    job = client.get(f"/api/v1/jobs/{job_id}", **auth).json()
    assert job["state"] == "succeeded"
    assert job["result"]["kind"] == "result"
    assert [p["id"] for p in client.get("/api/v1/photos", **auth).json()] == [job["result"]["id"], photo_id]
    assert [p["id"] for p in client.get("/api/v1/photos?kind=upload", **auth).json()] == [photo_id]
    assert client.get("/api/v1/photos?kind=nonsense", **auth).status_code == 422


def test_the_api_offers_the_existing_photo_for_a_duplicate(client: Client, alice: User) -> None:
    auth = _bearer(alice)
    data = make_photo()
    first = _upload(client, auth, data).json()
    response = _upload(client, auth, data)
    assert response.status_code == 409
    assert response.json()["photo"]["id"] == first["id"]
    assert "already uploaded" in response.json()["detail"]
    assert Photo.objects.count() == 1


def test_the_api_asks_for_the_file_field(client: Client, alice: User) -> None:
    response = client.post("/api/v1/photos", {"picture": "x"}, **_bearer(alice))
    assert response.status_code == 400
    assert "multipart field 'file'" in response.json()["detail"]


def test_the_api_refuses_bad_uploads_with_a_reason(client: Client, alice: User) -> None:
    response = _upload(client, _bearer(alice), b"%PDF-1.7 not an image")
    assert response.status_code == 415
    assert "not a photo we can read" in response.json()["detail"]
    assert not Photo.objects.exists()


def test_the_api_refuses_unknown_job_kinds(client: Client, alice: User) -> None:
    auth = _bearer(alice)
    photo_id = _upload(client, auth, make_photo()).json()["id"]
    response = client.post(
        "/api/v1/jobs", {"kind": "teleport", "photo": photo_id}, content_type="application/json", **auth
    )
    assert response.status_code == 422
    assert "Unknown job type" in response.json()["detail"]
    assert not Job.objects.exists()


def test_mallory_gets_404_for_alices_photos_and_jobs(client: Client, alice: User, mallory: User) -> None:
    alice_auth, mallory_auth = _bearer(alice), _bearer(mallory)
    photo_id = _upload(client, alice_auth, make_photo()).json()["id"]
    job_id = client.post(
        "/api/v1/jobs", {"kind": "enhance", "photo": photo_id}, content_type="application/json", **alice_auth
    ).json()["id"]
    assert client.get(f"/api/v1/photos/{photo_id}", **mallory_auth).status_code == 404
    assert client.delete(f"/api/v1/photos/{photo_id}", **mallory_auth).status_code == 404
    assert client.get(f"/api/v1/jobs/{job_id}", **mallory_auth).status_code == 404
    response = client.post(
        "/api/v1/jobs", {"kind": "enhance", "photo": photo_id}, content_type="application/json", **mallory_auth
    )
    assert response.status_code == 404
    assert client.get("/api/v1/photos", **mallory_auth).json() == []


def test_deleting_through_the_api_removes_the_files(client: Client, alice: User) -> None:
    auth = _bearer(alice)
    photo_id = _upload(client, auth, make_photo()).json()["id"]
    assert len(stored_objects()) == 3
    assert client.delete(f"/api/v1/photos/{photo_id}", **auth).status_code == 204
    assert stored_objects() == []


def test_the_openapi_page_is_served(client: Client) -> None:
    assert client.get("/api/docs").status_code == 200
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/photos" in spec["paths"]
    assert "/api/v1/jobs" in spec["paths"]


def test_browsers_can_use_their_session(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.get("/api/v1/photos").status_code == 200


def test_a_critique_through_the_api_returns_its_scores_and_advice(client: Client, alice: User, huey_queue: Any) -> None:
    import io

    from PIL import Image
    from skimage import data

    auth = _bearer(alice)
    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buffer, "PNG")
    photo_id = _upload(client, auth, buffer.getvalue()).json()["id"]
    response = client.post(
        "/api/v1/jobs", {"kind": "critique", "photo": photo_id}, content_type="application/json", **auth
    )
    assert response.status_code == 201
    drain(huey_queue)
    job = client.get(f"/api/v1/jobs/{response.json()['id']}", **auth).json()
    assert job["state"] == "succeeded"
    assert 0 <= job["report"]["critique"]["overall"] <= 100
    assert len(job["report"]["critique"]["advice"]) == 3
    assert job["report"]["input_moderation"]["allowed"] is True


def test_the_api_refuses_job_options_out_of_range_with_the_reason(client: Client, alice: User) -> None:
    auth = _bearer(alice)
    photo_id = _upload(client, auth, make_photo()).json()["id"]
    body = {"kind": "upscale", "photo": photo_id, "params": {"scale": 3}}
    response = client.post("/api/v1/jobs", body, content_type="application/json", **auth)
    assert response.status_code == 422
    assert response.json()["detail"] == "Scale must be 2 or 4."
    assert not Job.objects.exists()
