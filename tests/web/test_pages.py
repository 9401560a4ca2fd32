from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from darkroom import profile
from darkroom.accounts.models import User


@pytest.mark.django_db
def test_healthz_reports_database_storage_and_queue(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    report = json.loads(response.content)
    assert report["ok"] is True
    assert {"database", "storage", "queue"} <= set(report)
    assert all(report[part]["ok"] for part in ("database", "storage", "queue"))


@pytest.mark.django_db
def test_healthz_answers_503_when_a_part_is_down(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from huey.contrib.djhuey import HUEY

    def down() -> int:
        raise ConnectionError("queue unreachable")

    monkeypatch.setattr(HUEY, "pending_count", down)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["queue"] == {"ok": False, "error": "ConnectionError"}


@pytest.mark.django_db
def test_only_essential_cookies_are_set(client: Client, alice: User) -> None:
    client.get("/accounts/login/")
    client.post("/accounts/login/", {"login": alice.email, "password": "correct horse battery staple"})
    client.get("/photos/")
    assert set(client.cookies) <= {"sessionid", "csrftoken"}


@pytest.mark.django_db
def test_the_pages_load_htmx_and_the_theme_locally(client: Client) -> None:
    page = client.get("/").content.decode()
    assert "/static/vendor/htmx.min.js" in page
    assert "/static/web/theme.js" in page
    assert "https://" not in page.split("<body")[0]  # no CDN in <head>


@pytest.mark.django_db
def test_the_privacy_page_states_the_profile_facts(client: Client) -> None:
    page = client.get("/privacy/").content.decode()
    assert "Darkroom Demo Operator" in page
    assert "at least 13" in page
    assert "7 years" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "says", "never_says"),
    [
        ("selfie-studio", "your phone number", "hashed password"),
        ("photo-coach", "Google account id", "your phone number"),
    ],
)
def test_the_privacy_page_names_only_the_sign_in_data_the_profile_collects(
    client: Client, settings: Any, name: str, says: str, never_says: str
) -> None:
    settings.PROFILE = profile.load(name)
    page = client.get("/privacy/").content.decode()
    assert says in page
    assert never_says not in page


@pytest.mark.django_db
def test_signed_in_visitors_go_to_their_gallery(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.get("/")["Location"] == "/photos/"
