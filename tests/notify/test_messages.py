"""Every message, rendered for both services: its subject and text body match the stored snapshot.

The snapshots are files under tests/notify/snapshots/<profile>/<kind>.txt. After
changing a message on purpose, regenerate them and read the diff before committing:

    DARKROOM_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/notify/test_messages.py
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from darkroom import profile
from darkroom.notify.messages import CATEGORIES, MESSAGES, Category, render
from tests.notify.messages_data import CONTEXTS

SNAPSHOTS = Path(__file__).parent / "snapshots"
PROFILES = ("selfie-studio", "photo-coach")
UPDATE = os.environ.get("DARKROOM_UPDATE_SNAPSHOTS") == "1"


def _snapshot(settings: Any, slug: str, kind: str) -> tuple[str, Any]:
    settings.PROFILE = profile.load(slug)
    context, link = CONTEXTS[kind]
    rendered = render(kind, context, name="Alice", link=link)
    return f"Subject: {rendered.subject}\n\n{rendered.text}", rendered


@pytest.mark.parametrize("slug", PROFILES)
@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_it_renders_each_message_as_its_snapshot(settings: Any, slug: str, kind: str) -> None:
    text, _ = _snapshot(settings, slug, kind)
    path = SNAPSHOTS / slug / f"{kind}.txt"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no snapshot {path}: regenerate with DARKROOM_UPDATE_SNAPSHOTS=1 (see this module)"
    assert text == path.read_text(encoding="utf-8")


def test_every_message_has_a_context_and_a_snapshot_per_profile() -> None:
    assert set(CONTEXTS) == set(MESSAGES)
    for slug in PROFILES:
        assert {path.stem for path in (SNAPSHOTS / slug).glob("*.txt")} == set(MESSAGES)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links += [value or "" for name, value in attrs if name == "href"]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.mark.parametrize("slug", PROFILES)
@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_the_html_body_speaks_in_the_brands_name_and_links_to_the_same_page(
    settings: Any, slug: str, kind: str
) -> None:
    _, rendered = _snapshot(settings, slug, kind)
    brand = settings.PROFILE.brand.name
    parsed = _Collector()
    parsed.feed(rendered.html)
    words = " ".join(" ".join(parsed.text).split())
    assert brand in words
    assert settings.PROFILE.operator.name in words
    _, link = CONTEXTS[kind]
    target = settings.PROFILE.operator.website.rstrip("/") + link
    assert target in parsed.links, f"{kind}: the HTML body must link to {target}"
    assert target in rendered.text


@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_no_body_holds_a_signed_link_a_code_or_a_token(settings: Any, kind: str) -> None:
    """A message links to the page of what it is about, which asks for a sign-in: nothing that works without one."""
    _, rendered = _snapshot(settings, "photo-coach", kind)
    for body in (rendered.text, rendered.html, rendered.sms):
        assert "/files/" not in body  # photos.storage's signed URLs
        assert "X-Amz-Signature" not in body
        assert "Signature=" not in body
        assert not re.search(r"\b\d{6}\b", body), f"{kind}: six digits look like a code"
        assert "key=" not in body
        assert "token" not in body.lower()


def test_a_finished_job_says_why_it_holds_no_picture(settings: Any) -> None:
    _, rendered = _snapshot(settings, "photo-coach", "job_finished")
    assert "no picture and no link that works without signing in" in rendered.text
    assert "<img" not in rendered.html


def test_only_job_notices_can_be_turned_off_and_there_is_no_marketing() -> None:
    assert [category for category, info in CATEGORIES.items() if info.optional] == [Category.JOBS]
    assert "marketing" not in {str(category) for category in Category}
    assert all(not message.closed_accounts or not message.in_app for message in MESSAGES.values())
