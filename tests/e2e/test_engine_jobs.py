"""The local engine's jobs in a real browser, run by a real worker: results shown as pictures and a clip."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer
from skimage import data

from darkroom.accounts.models import User
from darkroom.photos.actions import do_upload_photo
from darkroom.photos.models import Photo
from tests.conftest import WorkerProcess
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

JOB_TIMEOUT_MS = 120_000
LOADED = "(image) => image.complete && image.naturalWidth > 0"


@pytest.fixture(autouse=True)
def _alice_has_credits(funded_alice: None) -> None:
    """Jobs cost credits; buying them is tests/e2e/test_billing.py's journey."""


def _portrait(owner: User) -> Photo:
    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buffer, "PNG")
    return do_upload_photo(owner, io.BytesIO(buffer.getvalue()), len(buffer.getvalue()))


def _start(page: Page, live_server: LiveServer, photo: Photo, kind: str) -> None:
    page.goto(f"{live_server.url}/photos/{photo.public_id}/")
    page.locator(f'form.offer[data-kind="{kind}"] button[type=submit]').click()
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]{36}/$"))


def _wait_for_success(page: Page, worker: WorkerProcess) -> None:
    status = page.locator("#job-status .status")
    try:
        expect(status).to_have_attribute("data-state", "succeeded", timeout=JOB_TIMEOUT_MS)
    except AssertionError as failure:
        raise AssertionError(f"the job did not succeed; worker log:\n{worker.output()}") from failure


def test_a_critique_shows_the_annotated_photo_the_scores_and_three_tips(
    signed_in_page: Page, live_server: LiveServer, alice: User, worker_process: type[WorkerProcess]
) -> None:
    page = signed_in_page
    photo = _portrait(alice)
    worker = worker_process()
    _start(page, live_server, photo, "critique")
    _wait_for_success(page, worker)
    overlay = page.get_by_role("img", name=re.compile("annotated"))
    expect(overlay).to_be_visible()
    page.wait_for_function(LOADED, arg=overlay.element_handle())
    score = int(page.locator("#overall-score").inner_text().split("/")[0])
    assert 0 <= score <= 100
    expect(page.locator("#advice li")).to_have_count(3)
    expect(page.locator("#aspect-scores meter").first).to_be_visible()
    screenshot(page, "critique.png")


def test_a_scene_portrait_and_an_animation_appear_as_a_picture_and_a_playing_clip(
    signed_in_page: Page, live_server: LiveServer, alice: User, worker_process: type[WorkerProcess]
) -> None:
    page = signed_in_page
    photo = _portrait(alice)
    worker = worker_process()

    page.goto(f"{live_server.url}/photos/{photo.public_id}/")
    scene = page.locator('form.offer[data-kind="generate"]')
    scene.get_by_label("Scene").select_option("bokeh-warm")
    scene.get_by_label("Look").select_option("film")
    scene.get_by_role("button").click()
    _wait_for_success(page, worker)
    result = page.get_by_role("img", name="Portrait in a scene result")
    page.wait_for_function(LOADED, arg=result.element_handle())
    width, height = page.evaluate("(image) => [image.naturalWidth, image.naturalHeight]", result.element_handle())
    assert height > width  # a portrait, from the 512×512 photo
    screenshot(page, "scene.png")

    page.goto(f"{live_server.url}/photos/{photo.public_id}/")
    clip = page.locator('form.offer[data-kind="animate"]')
    clip.get_by_label("Style").select_option("parallax")
    clip.get_by_role("button").click()
    _wait_for_success(page, worker)
    video = page.locator("#result-video")
    expect(video).to_be_visible()
    # The browser decodes and plays it: H.264 in MP4, from a signed URL.
    page.wait_for_function("(video) => video.readyState >= 2 && video.currentTime > 0", arg=video.element_handle())
    duration = page.evaluate("(video) => video.duration", video.element_handle())
    assert 4.5 <= duration <= 5.5
    screenshot(page, "animate.png")
