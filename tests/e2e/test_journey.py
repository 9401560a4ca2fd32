"""A new customer's whole journey in a real browser, against the live server and a real worker.

Sign up, upload, enhance (the job page polls with htmx while a real `darkroom worker`
process runs the job), download the result, delete it; then the dark-mode toggle
and the phone layout. With DARKROOM_SCREENSHOTS=1 the tests also save screenshots
to docs/screenshots/.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Dialog, Page, expect
from pytest_django.live_server_helper import LiveServer

from darkroom.accounts.models import User
from darkroom.photos.actions import do_store_result, do_upload_photo, load_image
from darkroom.photos.models import Photo
from darkroom.studio.models import Job
from tests.conftest import WorkerProcess, fund, make_photo, stored_objects
from tests.e2e.conftest import PASSWORD, screenshot, sign_in

pytestmark = pytest.mark.e2e

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
JOB_TIMEOUT_MS = 60_000

ALL_LOADED = """(selector) => {
  const images = [...document.querySelectorAll(selector)];
  return images.length > 0 && images.every((image) => image.complete && image.naturalWidth > 0);
}"""
NATURAL_WIDTHS = "(selector) => [...document.querySelectorAll(selector)].map((image) => image.naturalWidth)"


def _adult_birth_date() -> str:
    return f"{timezone.localdate().year - 30}-01-01"


def _wait_until_loaded(page: Page, selector: str) -> list[int]:
    """Wait until every image matching ``selector`` has really loaded; return their natural widths."""
    page.wait_for_function(ALL_LOADED, arg=selector)
    widths: list[int] = page.evaluate(NATURAL_WIDTHS, selector)
    return widths


@pytest.mark.slow
def test_it_takes_a_new_user_from_sign_up_to_a_deleted_result(
    page: Page, live_server: LiveServer, worker_process: type[WorkerProcess], tmp_path: Path
) -> None:
    # 1. Sign up from the home page.
    page.goto(live_server.url)
    page.get_by_role("link", name="Sign up", exact=True).click()
    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_label(re.compile(r"^Password \(again\)")).fill(PASSWORD)
    page.get_by_label("Date of birth").fill(_adult_birth_date())
    page.get_by_label("I have read the privacy policy").check()
    page.get_by_role("button", name=re.compile(r"^sign up$", re.IGNORECASE)).click()
    # Verification is mandatory: open the link from the email (Django's outbox, in-process).
    expect(page.get_by_role("heading", name=re.compile("verify your email", re.IGNORECASE))).to_be_visible()
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    page.goto(link.group(0))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Your photos")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/photos/")
    user = User.objects.get(email="newcomer@example.com")
    assert user.age_confirmed_at is not None

    # 2. Upload a JPEG and a text file: each gets its own progress row and verdict;
    #    the photo's link opens its page.
    upload_file = tmp_path / "holiday.jpg"
    upload_file.write_bytes(make_photo(1200, 800))
    notes = tmp_path / "notes.jpg"
    notes.write_bytes(b"not a photo at all")
    page.get_by_role("link", name="Upload", exact=True).click()
    expect(page.locator("html.js")).to_have_count(1)  # the uploader is listening
    page.locator("#id_photo").set_input_files([upload_file, notes])
    rows = page.locator("#upload-list li")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="notes.jpg")).to_contain_text("not a photo we can read")
    expect(rows.filter(has_text="holiday.jpg").locator("progress")).to_have_attribute("value", "100")
    rows.filter(has_text="holiday.jpg").get_by_role("link", name=re.compile("Uploaded")).click()
    expect(page).to_have_url(re.compile(rf"/photos/{UUID}/$"))
    expect(page.get_by_role("heading", name="Your photo")).to_be_visible()
    assert _wait_until_loaded(page, "img.photo-large") == [1200]
    upload = Photo.objects.get(owner=user)
    assert upload.kind == Photo.Kind.UPLOAD

    # 3. Enhance (it costs a credit: the newcomer has bought some, as test_billing.py's journey
    #    does in the browser), with a real worker process; the job page polls until it succeeds.
    fund(user, 10)
    worker = worker_process()
    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url) if request.url.endswith("/status") else None)
    page.get_by_role("button", name="Enhance").click()
    expect(page).to_have_url(re.compile(rf"/jobs/{UUID}/$"))
    status = page.locator("#job-status .status")
    expect(status).to_have_attribute("data-state", re.compile(r"^(queued|running|succeeded)$"))
    # The page polls only while the job is not final (the worker usually still starts up here).
    rendered_unfinished = page.locator("#job-status[hx-get]").count() == 1
    try:
        expect(status).to_have_attribute("data-state", "succeeded", timeout=JOB_TIMEOUT_MS)
    except AssertionError as failure:
        raise AssertionError(f"the job did not succeed; worker log:\n{worker.output()}") from failure
    expect(status).to_have_text("Succeeded")
    if rendered_unfinished:
        assert polls, "the status changed without htmx polling"
    before = page.get_by_role("img", name="Original photo")
    after = page.get_by_role("img", name="Enhance result")
    expect(before).to_be_visible()
    expect(after).to_be_visible()
    widths = _wait_until_loaded(page, "#job-status .pair img")
    assert len(widths) == 2
    assert all(width > 0 for width in widths)
    job = Job.objects.select_related("result").get(owner=user)
    assert job.state == Job.State.SUCCEEDED
    result = job.result
    assert result is not None
    screenshot(page, "job-result.png")

    # 4. Download the result: a non-empty JPEG, the very bytes that were stored.
    with page.expect_download() as download_info:
        page.locator("#download-result").click()
    download = download_info.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".jpg")
    data = Path(download.path()).read_bytes()
    assert data[:3] == b"\xff\xd8\xff"
    assert len(data) == result.byte_size > 0

    # The gallery now shows the upload and the result.
    page.get_by_role("link", name="Photos", exact=True).click()
    expect(page.get_by_role("heading", name="Your photos")).to_be_visible()
    expect(page.locator(".gallery .tile > a")).to_have_count(2)
    expect(page.locator(".gallery .badge:not(.expiry)")).to_have_text(["Enhance"])
    _wait_until_loaded(page, ".gallery img")
    screenshot(page, "gallery.png")

    # 5. Open the result and delete it, accepting the confirmation.
    page.locator(".gallery .tile > a", has=page.locator(".badge:not(.expiry)")).click()
    expect(page).to_have_url(f"{live_server.url}/photos/{result.public_id}/")
    expect(page.get_by_role("heading", name="Enhance result")).to_be_visible()
    # Before and after, one over the other, split by a slider.
    assert _wait_until_loaded(page, ".compare img") == [1200, 1200]
    page.locator(".compare-slider").fill("80")
    assert page.evaluate("getComputedStyle(document.querySelector('.compare')).getPropertyValue('--split')") == "80%"
    screenshot(page, "compare.png")
    result_keys = result.storage_keys
    assert set(result_keys) <= set(stored_objects())
    dialogs: list[tuple[str, str]] = []

    def accept(dialog: Dialog) -> None:
        dialogs.append((dialog.type, dialog.message))
        dialog.accept()

    page.on("dialog", accept)
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("The photo and all its files were deleted.")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/photos/")
    assert [kind for kind, _ in dialogs] == ["confirm"]
    expect(page.locator(".gallery .tile > a")).to_have_count(1)
    assert not Photo.objects.filter(pk=result.pk).exists()
    remaining = set(stored_objects())
    assert remaining.isdisjoint(result_keys)
    assert set(upload.storage_keys) <= remaining  # the original is untouched


def test_it_remembers_the_dark_mode_choice_in_local_storage_not_a_cookie(
    signed_in_page: Page, live_server: LiveServer
) -> None:
    page = signed_in_page
    root = page.locator("html")
    expect(root).not_to_have_attribute("data-theme", re.compile(".*"))  # no choice yet: the system's
    background_before = page.evaluate("getComputedStyle(document.body).backgroundColor")

    page.locator("#theme-toggle").click()
    expect(root).to_have_attribute("data-theme", "dark")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert page.evaluate("localStorage.getItem('darkroom-theme')") == "dark"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != background_before

    page.reload()
    expect(root).to_have_attribute("data-theme", "dark")
    assert page.evaluate("localStorage.getItem('darkroom-theme')") == "dark"

    page.locator("#theme-toggle").click()
    expect(root).to_have_attribute("data-theme", "light")
    page.reload()
    expect(root).to_have_attribute("data-theme", "light")
    assert page.evaluate("localStorage.getItem('darkroom-theme')") == "light"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == background_before

    names = {cookie["name"] for cookie in page.context.cookies()}
    assert "sessionid" in names
    assert names <= {"sessionid", "csrftoken"}


def _phone_gallery_photos(owner: User) -> None:
    """A few uploads of awkward shapes, and a result (it carries a badge)."""
    for width, height in [(640, 480), (480, 640), (2400, 400), (400, 1600), (800, 800)]:
        data = make_photo(width, height)
        do_upload_photo(owner, io.BytesIO(data), len(data))
    upload = Photo.objects.filter(owner=owner).first()
    assert upload is not None
    do_store_result(owner, load_image(upload))


def test_it_fits_the_gallery_on_a_phone_without_horizontal_scrolling(
    phone_page: Page, live_server: LiveServer, alice: User
) -> None:
    _phone_gallery_photos(alice)
    page = phone_page
    sign_in(page, live_server.url, alice.email)
    page.reload()  # without the one-off "signed in" message
    expect(page.locator(".gallery .tile > a")).to_have_count(6)
    _wait_until_loaded(page, ".gallery img")
    sizes: dict[str, Any] = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})"
    )
    assert sizes["client"] == 390
    assert sizes["scroll"] <= sizes["client"], sizes
    screenshot(page, "phone-gallery.png")
