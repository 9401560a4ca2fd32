"""Every local job kind, run as a job: options checked up front, moderation both ways, results stored."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest
from django.conf import settings
from django.test import Client
from PIL import Image
from skimage import data

from darkroom.accounts.models import User
from darkroom.photos.actions import do_upload_photo
from darkroom.photos.models import Photo
from darkroom.photos.storage import get
from darkroom.studio import runner
from darkroom.studio.actions import JobRefused, do_create_job
from darkroom.studio.models import Job
from tests.conftest import fetch_signed, make_photo, stored_objects

pytestmark = pytest.mark.django_db(transaction=True)


def _upload(user: User, pixels: np.ndarray, fmt: str = "PNG") -> Photo:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, fmt)
    return do_upload_photo(user, io.BytesIO(buffer.getvalue()), len(buffer.getvalue()))


@pytest.fixture
def selfie(alice: User) -> Photo:
    """The astronaut's portrait (scikit-image's sample): one face, a person to cut out."""
    return _upload(alice, data.astronaut())


@pytest.fixture
def nobody(alice: User) -> Photo:
    return _upload(alice, data.coffee())


def _run(job: Job) -> Job:
    runner.run(job.pk)
    job.refresh_from_db()
    return job


def _result_pixels(job: Job) -> np.ndarray:
    assert job.result is not None
    return np.asarray(Image.open(io.BytesIO(get(job.result.file_key))).convert("RGB"))


def test_enhance_runs_with_its_strength_and_reports_what_it_changed(alice: User, selfie: Photo) -> None:
    job = _run(do_create_job(alice, "enhance", selfie, {"strength": "0.5"}))
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.params == {"strength": 0.5}
    assert _result_pixels(job).shape == (512, 512, 3)
    assert "enhance" in job.report
    assert job.report["input_moderation"]["allowed"] is True
    assert job.report["result_moderation"]["allowed"] is True


def test_critique_stores_the_annotated_copy_and_the_measured_report(alice: User, selfie: Photo) -> None:
    job = _run(do_create_job(alice, "critique", selfie))
    assert job.state == Job.State.SUCCEEDED, job.error
    critique = job.report["critique"]
    assert 0 <= critique["overall"] <= 100
    assert 1 <= len(critique["advice"]) <= 3
    assert len(critique["faces"]) == 1
    overlay = _result_pixels(job)
    assert overlay.shape == (512, 512, 3)
    assert not np.array_equal(overlay, data.astronaut())  # annotated, not the photo back


def test_generate_places_the_person_on_a_backdrop(alice: User, selfie: Photo) -> None:
    job = _run(do_create_job(alice, "generate", selfie, {"preset": "studio-grey", "look": "film"}))
    assert job.state == Job.State.SUCCEEDED, job.error
    portrait = _result_pixels(job)
    assert portrait.shape[0] > portrait.shape[1]  # a portrait ratio
    assert job.report["scene"]["preset"] == "studio-grey"
    assert job.report["scene"]["look"] == "film"


def test_generate_says_so_when_there_is_nobody_in_the_photo(alice: User, nobody: Photo) -> None:
    job = _run(do_create_job(alice, "generate", nobody, {"preset": "studio-grey"}))
    assert job.state == Job.State.FAILED
    assert "No person was found" in job.error
    assert job.result is None


def test_generate_refuses_a_written_prompt_and_unknown_scenes_before_any_job(alice: User, selfie: Photo) -> None:
    with pytest.raises(JobRefused, match="ready-made scenes"):
        do_create_job(alice, "generate", selfie, {"preset": "studio-grey", "prompt": "on the moon"})
    with pytest.raises(JobRefused, match="is not offered; choose one of"):
        do_create_job(alice, "generate", selfie, {"preset": "the moon"})
    with pytest.raises(JobRefused, match="Choose a scene"):
        do_create_job(alice, "generate", selfie, {})
    assert not Job.objects.exists()


def test_animate_stores_a_playable_clip_with_a_poster(alice: User, selfie: Photo) -> None:
    job = _run(do_create_job(alice, "animate", selfie, {"style": "push-in", "seconds": "2"}))
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.result is not None
    assert job.result.is_video
    assert job.result.content_type == "video/mp4"
    with av.open(io.BytesIO(get(job.result.file_key))) as clip:
        stream = clip.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert min(stream.codec_context.width, stream.codec_context.height) == 720
        frames = sum(1 for _ in clip.decode(video=0))
    assert frames == job.report["animate"]["frames"]
    assert len(stored_objects()) == 3 + 3  # the upload's three objects; the clip, its poster and thumbnail


def test_upscale_doubles_the_photo(alice: User) -> None:
    small = _upload(alice, np.ascontiguousarray(data.astronaut()[::2, ::2]))
    job = _run(do_create_job(alice, "upscale", small, {"scale": "2"}))
    assert job.state == Job.State.SUCCEEDED, job.error
    assert _result_pixels(job).shape == (512, 512, 3)


def test_upscale_refuses_a_photo_over_the_tiers_cap_with_the_numbers(alice: User) -> None:
    large = do_upload_photo(alice, io.BytesIO(body := make_photo(1200, 1000)), len(body))
    with pytest.raises(JobRefused, match=r"4× takes photos of up to 0\.25 MP .* this one is 1\.2 MP \(1200×1000\)"):
        do_create_job(alice, "upscale", large, {"scale": "4"})
    with pytest.raises(JobRefused, match=r"Pro upscales photos of up to 1 MP 4×"):
        do_create_job(alice, "upscale", large, {"scale": "4"})
    assert do_create_job(alice, "upscale", large, {"scale": "2"}).params == {"scale": 2}  # 2× takes up to 2 MP
    with pytest.raises(JobRefused, match="Scale must be 2 or 4"):
        do_create_job(alice, "upscale", large, {"scale": "3"})


def test_a_job_whose_model_file_is_missing_fails_at_once_with_a_reason(
    alice: User, selfie: Photo, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from darkroom.engine.models import ModelStore
    from darkroom.studio import engine

    monkeypatch.setattr(engine, "engine_store", lambda: ModelStore(tmp_path))  # type: ignore[arg-type]
    job = _run(do_create_job(alice, "critique", selfie))
    assert job.state == Job.State.FAILED
    assert job.attempts == 1  # not retried: retrying cannot bring the file back
    assert "a file it needs is missing on its server" in job.error


@pytest.mark.parametrize(
    ("kind", "options", "reason"),
    [
        ("enhance", {"strength": "loud"}, "Strength must be a number"),
        ("enhance", {"strength": "7"}, "between 0 and 1"),
        ("animate", {"style": "spin"}, "Style 'spin' is not offered"),
        ("animate", {"seconds": "600"}, "Length must be between 2 and 10"),
        ("critique", {"colour": "red"}, "colour: not an option"),
    ],
)
def test_it_refuses_options_out_of_range_before_the_job_exists(
    alice: User, selfie: Photo, kind: str, options: dict[str, str], reason: str
) -> None:
    with pytest.raises(JobRefused, match=reason):
        do_create_job(alice, kind, selfie, options)
    assert not Job.objects.exists()


def test_pro_only_kinds_are_refused_to_the_free_tier(alice: User, selfie: Photo) -> None:
    assert "restore_faces" in settings.PROFILE.billing.pro.pro_only_features  # the demo profile
    with pytest.raises(JobRefused, match="part of Pro"):
        do_create_job(alice, "restore-faces", selfie)


def test_a_photo_the_safety_check_flags_is_refused_and_nothing_is_stored(
    alice: User, selfie: Photo, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = settings.PROFILE.engine.model_copy(update={"moderation_threshold": 1e-6})
    monkeypatch.setattr(settings, "PROFILE", settings.PROFILE.model_copy(update={"engine": engine}))
    before = stored_objects()
    job = _run(do_create_job(alice, "enhance", selfie))
    assert job.state == Job.State.FAILED
    assert "flagged by the safety check" in job.error
    assert "no work was done" in job.error
    assert stored_objects() == before
    assert not Photo.objects.filter(kind=Photo.Kind.RESULT).exists()


def test_the_job_page_shows_the_critique_and_the_clip(alice: User, selfie: Photo) -> None:
    client = Client()
    client.force_login(alice)
    critique = _run(do_create_job(alice, "critique", selfie))
    page = client.get(f"/jobs/{critique.public_id}/status").content.decode()
    assert "Overall" in page
    for advice in critique.report["critique"]["advice"]:
        assert advice["text"][:40] in page
    clip = _run(do_create_job(alice, "animate", selfie, {"seconds": "2"}))
    page = client.get(f"/jobs/{clip.public_id}/status").content.decode()
    assert "<video" in page


def test_the_photo_page_offers_every_kind_of_the_profile_with_its_options(alice: User, selfie: Photo) -> None:
    client = Client()
    client.force_login(alice)
    page = client.get(f"/photos/{selfie.public_id}/").content.decode()
    for kind in ("enhance", "critique", "generate", "animate", "upscale", "restore-faces"):
        assert f'data-kind="{kind}"' in page
    assert 'name="preset"' in page
    assert "Part of Pro." in page  # restore-faces on the demo profile's free tier


def test_a_clips_own_page_plays_it_and_its_download_is_an_mp4(alice: User, selfie: Photo) -> None:
    client = Client()
    client.force_login(alice)
    clip = _run(do_create_job(alice, "animate", selfie, {"seconds": "2", "style": "pan"}))
    assert clip.result is not None
    page = client.get(f"/photos/{clip.result.public_id}/").content.decode()
    assert "<video" in page
    assert 'class="compare"' not in page
    signed = client.get(f"/photos/{clip.result.public_id}/file/original?download=1")["Location"]
    status, body, headers = fetch_signed(client, signed)  # the local signed view, or the S3 server
    assert status == 200
    assert body[4:8] == b"ftyp"  # an MP4's first box
    assert headers["Content-Type"] == "video/mp4"
    assert ".mp4" in headers["Content-Disposition"]
