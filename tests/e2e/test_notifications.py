"""The notification centre in a real browser: the bell's count, the list, opening one, marking all read.

With DARKROOM_SCREENSHOTS=1 it saves docs/screenshots/notifications.png.
"""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from darkroom.accounts.models import User
from darkroom.billing import actions as billing_actions
from darkroom.billing.gateways import test as test_gateway
from darkroom.billing.models import Order
from darkroom.photos.actions import do_upload_photo
from darkroom.studio import runner
from darkroom.studio.actions import do_create_job
from tests.conftest import make_photo
from tests.e2e.conftest import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _buy_and_enhance(alice: User) -> Order:
    """A paid credit pack and a finished job: their notices are made by the real triggers."""
    url = billing_actions.do_start_pack_checkout(alice, "starter", success_url="http://testserver/s", cancel_url="/c")
    session_id, request = test_gateway.read_checkout(url.rstrip("/").rsplit("/", 1)[-1], alice)
    test_gateway.pay(alice, session_id, request)
    data = make_photo(480, 360)
    photo = do_upload_photo(alice, io.BytesIO(data), len(data))
    runner.run(do_create_job(alice, "enhance", photo).pk)
    return Order.objects.get(user=alice)


def test_the_bell_counts_and_the_centre_lists_opens_and_marks_read(
    page: Page, live_server: LiveServer, alice: User
) -> None:
    order = _buy_and_enhance(alice)
    sign_in(page, live_server.url, alice.email or "")
    bell = page.get_by_role("link", name=re.compile(r"^Notifications"))
    expect(bell).to_contain_text("2")

    bell.click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    items = page.locator(".notify-item")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("Done: Enhance")
    expect(page.locator(".notify-item .notify-thumb")).to_have_count(1)  # the result, through a signed URL
    expect(page.locator(".notify-item.unread")).to_have_count(2)
    screenshot(page, "notifications.png")

    page.get_by_role("button", name=re.compile(r"^Your receipt")).click()
    expect(page).to_have_url(re.compile(rf"/billing/orders/{order.public_id}/$"))
    expect(page.get_by_role("link", name=re.compile(r"^Notifications"))).to_contain_text("1")

    page.goto(f"{live_server.url}/notifications/")
    expect(page.locator(".notify-item.unread")).to_have_count(1)
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.locator(".notify-item.unread")).to_have_count(0)
    expect(page.locator("#notify-bell-count")).to_be_hidden()


def test_job_emails_can_be_turned_off_from_the_account_page(page: Page, live_server: LiveServer, alice: User) -> None:
    sign_in(page, live_server.url, alice.email or "")
    page.goto(f"{live_server.url}/account/")
    section = page.locator("#notifications")
    expect(section.get_by_label("Your account: Email")).to_be_disabled()  # always sent
    jobs_email = section.get_by_label("Finished jobs: Email")
    expect(jobs_email).to_be_checked()
    jobs_email.uncheck()
    section.get_by_role("button", name="Save notification settings").click()
    expect(page.get_by_text("Your notification settings were saved.")).to_be_visible()
    expect(page.locator("#notifications").get_by_label("Finished jobs: Email")).not_to_be_checked()
