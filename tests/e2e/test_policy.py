"""The privacy policy in a real browser: the notice of a change, review, accept; the cookies it promises; a phone.

With DARKROOM_SCREENSHOTS=1 it saves docs/screenshots/policy.png and phone-policy.png.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from darkroom import profile
from darkroom.accounts.models import User
from darkroom.privacy import policy
from darkroom.privacy.models import PolicyAcceptance
from darkroom.privacy.policy_versions import do_accept_policy
from tests.e2e.conftest import screenshot
from tests.privacy.page_facts import run_as_photo_coach

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


def test_a_changed_policy_is_announced_reviewed_and_accepted(
    signed_in_page: Page, live_server: LiveServer, settings: object, alice: User
) -> None:
    page = signed_in_page
    settings.PROFILE = profile.load("photo-coach")  # type: ignore[attr-defined]
    do_accept_policy(alice, via=PolicyAcceptance.Via.SIGN_UP)  # alice signed up to photo-coach, no vendor yet
    page.goto(f"{live_server.url}/photos/")
    expect(page.get_by_role("region", name="Privacy policy changed")).to_have_count(0)

    run_as_photo_coach(settings)  # the operator sets the keys: Stripe, Replicate, Anthropic, SES, behind TLS
    page.goto(f"{live_server.url}/photos/")
    notice = page.get_by_role("region", name="Privacy policy changed")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("New third party: Replicate")

    notice.get_by_role("link", name="Review").click()
    expect(page.get_by_role("heading", name="What changed since you last accepted it")).to_be_visible()
    expect(page.locator('[data-fact="operator"]')).to_have_text("KasmoK LLC")
    expect(page.locator('[data-fact="third-party"][data-key="Anthropic"]')).to_be_visible()
    screenshot(page, "policy.png")

    page.get_by_role("button", name="Accept this policy").click()
    expect(page.get_by_text("you accepted the privacy policy")).to_be_visible()
    expect(page.get_by_role("region", name="Privacy policy changed")).to_have_count(0)
    alice.refresh_from_db()
    assert alice.policy_version_accepted == policy.current_digest()
    assert PolicyAcceptance.objects.filter(user=alice, via="notice").count() == 1


def test_the_browser_holds_only_what_the_policy_lists(page: Page, live_server: LiveServer, alice: User) -> None:
    page.goto(f"{live_server.url}/privacy/")
    listed = page.locator('[data-fact="browser"]')
    cookies = set(
        listed.and_(page.locator('[data-kind="cookie"]')).evaluate_all("(els) => els.map(e => e.dataset.key)")
    )
    stored = set(
        listed.and_(page.locator('[data-kind="localStorage"]')).evaluate_all("(els) => els.map(e => e.dataset.key)")
    )
    page.get_by_role("button", name="Switch dark or light mode").click()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(alice.email or "")
    page.get_by_label("Password").first.fill("correct horse battery staple")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Your photos")).to_be_visible()
    assert {cookie["name"] for cookie in page.context.cookies()} <= cookies
    assert set(page.evaluate("() => Object.keys(localStorage)")) <= stored
    assert page.evaluate("() => localStorage.getItem('darkroom-theme')") in {"dark", "light"}


def test_the_policy_reads_on_a_phone(phone_page: Page, live_server: LiveServer, settings: object) -> None:
    run_as_photo_coach(settings)
    phone_page.goto(f"{live_server.url}/privacy/")
    expect(phone_page.get_by_role("heading", name="How long we keep it")).to_be_visible()
    assert phone_page.evaluate(NO_SIDEWAYS_SCROLL), "the policy must not scroll sideways on a phone"
    screenshot(phone_page, "phone-policy.png")
