"""Kling image → video at the HTTP boundary, against a local fake speaking Kling's documented JSON."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import pytest

from darkroom.studio.providers import kling as provider
from darkroom.studio.providers.base import Failed, ProviderError, Rejected, Sent, Transient, VideoAnswer
from tests.studio.providers.fake_kling import FakeKling

PROMPT = "she turns to the camera and smiles, hair moving in the wind"


@pytest.fixture
def kling() -> Iterator[FakeKling]:
    fake = FakeKling()
    fake.start()
    yield fake
    fake.stop()


class Worker:
    """What the job runner hands the provider, and what the provider handed back."""

    def __init__(self) -> None:
        self.remembered: list[str] = []
        self.sent: list[Sent] = []
        self.sleeps: list[float] = []


@pytest.fixture
def worker() -> Worker:
    return Worker()


def animate(kling: FakeKling, worker: Worker, photo: bytes, **overrides: Any) -> VideoAnswer:
    options: dict[str, Any] = {
        "access_key": kling.access_key,
        "secret_key": kling.secret_key,
        "model": "kling-v1-6",
        "base_url": kling.url,
        "recalled": None,
        "remember": worker.remembered.append,
        "on_sent": worker.sent.append,
        "timeout": 2.0,
        "sleep": worker.sleeps.append,
    }
    options.update(overrides)
    return provider.image_to_video(photo, PROMPT, **options)


def refusal(kling: FakeKling, worker: Worker, photo: bytes, **overrides: Any) -> ProviderError:
    """The error a call ends in, checked to carry neither key nor token."""
    with pytest.raises(ProviderError) as caught:
        animate(kling, worker, photo, **overrides)
    text = f"{caught.value} {caught.value.message}"
    assert kling.secret_key not in text
    assert kling.access_key not in text
    for received in kling.received:
        token = received.headers.get("authorization", "").removeprefix("Bearer ")
        assert not token or token not in text
    return caught.value


def sent(request_id: str) -> Sent:
    return Sent("Kling", ("image", "prompt"), request_id, provider.RETENTION)


# --- success ----------------------------------------------------------------
def test_it_animates_a_photo(kling: FakeKling, worker: Worker, jpeg: bytes) -> None:
    answer = animate(kling, worker, jpeg)

    [task_id] = kling.tasks
    assert answer == VideoAnswer(data=kling.video, request_id=task_id)
    [create] = kling.requests_to("create")
    assert create.body is not None
    assert {k: create.body[k] for k in ("model_name", "prompt", "duration", "mode")} == {
        "model_name": "kling-v1-6",
        "prompt": PROMPT,
        "duration": "5",
        "mode": "std",
    }
    # Bare base64 (Kling refuses a "data:" prefix) of exactly the photo.
    assert base64.b64decode(create.body["image"], validate=True) == jpeg
    assert worker.remembered == [task_id]
    assert worker.sent == [sent(task_id)]
    assert len(kling.requests_to("query")) == 2  # processing, then succeed
    assert worker.sleeps == [5.0]


def test_it_signs_every_api_request_with_a_kling_jwt(kling: FakeKling, worker: Worker, jpeg: bytes) -> None:
    before = time.time()
    animate(kling, worker, jpeg)

    # The fake decoded each token with the secret key (HS256) and required iss/exp/nbf.
    assert len(kling.tokens) == len(kling.requests_to("create")) + len(kling.requests_to("query")) == 3
    for header, claims in kling.tokens:
        assert header == {"alg": "HS256", "typ": "JWT"}
        assert claims["iss"] == kling.access_key
        assert before - 5 - 1 <= claims["nbf"] <= time.time() - 5
        assert claims["exp"] - claims["nbf"] == 1800 + 5
    # The MP4 comes from Kling's CDN: the token is not handed to it.
    [download] = kling.requests_to("video")
    assert "authorization" not in download.headers


def test_it_remembers_the_task_before_it_polls(kling: FakeKling, worker: Worker, jpeg: bytes) -> None:
    def remember(task_id: str) -> None:
        assert kling.requests_to("query") == []
        worker.remembered.append(task_id)

    animate(kling, worker, jpeg, remember=remember)

    assert worker.remembered == list(kling.tasks)


def test_it_asks_for_a_ten_second_pro_video(kling: FakeKling, worker: Worker, jpeg: bytes) -> None:
    animate(kling, worker, jpeg, seconds=10, mode="pro", model="kling-v2-1")

    [create] = kling.requests_to("create")
    assert create.body is not None
    assert (create.body["duration"], create.body["mode"], create.body["model_name"]) == ("10", "pro", "kling-v2-1")


# --- surviving a restart ---------------------------------------------------
def test_it_resumes_a_recalled_task_without_creating_another(kling: FakeKling, worker: Worker, jpeg: bytes) -> None:
    kling.polls_until_done = 3
    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    error = refusal(kling, worker, jpeg, deadline=6.0, sleep=sleep, now=lambda: clock[0])
    assert isinstance(error, Transient)
    [task_id] = worker.remembered

    # A new worker, after the first one died: same task, no second create, nothing re-sent.
    restarted = Worker()
    answer = animate(kling, restarted, jpeg, recalled=task_id, remember=restarted.remembered.append)

    assert answer.request_id == task_id
    assert answer.data == kling.video
    assert len(kling.requests_to("create")) == 1
    assert restarted.remembered == []
    assert restarted.sent == []
    assert worker.sent == [sent(task_id)]


def test_it_finds_the_task_whose_create_answer_was_lost(kling: FakeKling, worker: Worker, jpeg: bytes) -> None:
    kling.delays["create"] = 0.6  # Kling creates the task, but the answer comes too late

    error = refusal(kling, worker, jpeg, timeout=0.2, external_task_id="job-7f3a")
    assert isinstance(error, Transient)
    assert worker.remembered == []
    assert worker.sent == [sent("")]  # the photo went out even though no answer came back

    kling.delays["create"] = 0.0
    answer = animate(kling, worker, jpeg, external_task_id="job-7f3a")

    [task_id] = kling.tasks
    assert answer.request_id == task_id
    assert len(kling.requests_to("create")) == 1
    assert worker.remembered == [task_id]


def test_it_creates_the_task_when_no_task_has_the_external_id(kling: FakeKling, worker: Worker, jpeg: bytes) -> None:
    animate(kling, worker, jpeg, external_task_id="job-0001")

    [create] = kling.requests_to("create")
    assert create.body is not None
    assert create.body["external_task_id"] == "job-0001"
    assert kling.requests_to("query")[0].path == "/v1/videos/image2video/job-0001"


# --- refusals -----------------------------------------------------------------
def test_it_passes_a_content_refusal_on_as_rejected(kling: FakeKling, worker: Worker, jpeg: bytes) -> None:
    kling.answer("create", 400, "kling_error_content.json")

    error = refusal(kling, worker, jpeg)

    assert isinstance(error, Rejected)
    assert error.message == "Kling's content policy refused this photo or prompt"
    assert worker.sent == [sent("9984d27b-a408-4073-ae28-17ca6a13622c")]  # Kling's request id
    assert worker.remembered == []


def test_it_rejects_a_task_that_failed_kling_risk_control(kling: FakeKling, worker: Worker, jpeg: bytes) -> None:
    kling.outcome = "kling_task_failed.json"

    error = refusal(kling, worker, jpeg)

    assert isinstance(error, Rejected)
    assert "Failure to pass the risk control system" in error.message


def test_it_fails_a_task_kling_could_not_make(kling: FakeKling, worker: Worker, jpeg: bytes) -> None:
    kling.outcome = "kling_task_failed.json"
    kling.failure_message = "Image resolution too low"

    error = refusal(kling, worker, jpeg)

    assert isinstance(error, Failed)
    assert error.message == "Kling could not make the video (Image resolution too low)"


def test_it_fails_when_kling_refuses_the_operators_keys(kling: FakeKling, worker: Worker, jpeg: bytes) -> None:
    error = refusal(kling, worker, jpeg, secret_key="sk_test_not_the_secret_0123456789abcd")

    assert isinstance(error, Failed)
    assert error.message.startswith("the operator's Kling keys were refused")
    assert worker.sent == [sent("9984d27b-a408-4073-ae28-17ca6a13622a")]
    assert kling.tasks == {}


def test_it_fails_when_the_account_cannot_pay_though_kling_says_429(
    kling: FakeKling, worker: Worker, jpeg: bytes
) -> None:
    kling.answer("create", 429, "kling_error_balance.json")

    error = refusal(kling, worker, jpeg)

    assert isinstance(error, Failed)  # retrying does not top up the resource pack
    assert error.message == "the operator's Kling account has no balance or resource pack left"


# --- worth retrying -----------------------------------------------------------
@pytest.mark.parametrize(
    ("fixture", "words"),
    [("kling_error_rate.json", "rate limit"), ("kling_error_concurrency.json", "as many videos")],
)
def test_it_retries_a_rate_or_concurrency_limit(
    kling: FakeKling, worker: Worker, jpeg: bytes, fixture: str, words: str
) -> None:
    kling.answer("create", 429, fixture, headers={"Retry-After": "7"})

    error = refusal(kling, worker, jpeg)

    assert isinstance(error, Transient)
    assert words in error.message
    assert error.retry_after == 7.0
    assert len(worker.sent) == 1


def test_it_retries_without_a_pause_when_kling_gives_none(kling: FakeKling, worker: Worker, jpeg: bytes) -> None:
    kling.answer("create", 429, "kling_error_concurrency.json")

    error = refusal(kling, worker, jpeg)

    assert isinstance(error, Transient)
    assert error.retry_after is None


@pytest.mark.parametrize(
    "canned",
    [
        {"status": 500, "fixture": "kling_error_server.json"},
        {"status": 503, "raw": b"<html><body>503 Service Temporarily Unavailable</body></html>"},
    ],
)
def test_it_retries_a_server_error(kling: FakeKling, worker: Worker, jpeg: bytes, canned: dict[str, Any]) -> None:
    kling.answer("create", **canned)

    error = refusal(kling, worker, jpeg)

    assert isinstance(error, Transient)
    assert error.message == "Kling is having trouble; retrying"


def test_it_retries_a_server_error_while_polling_and_keeps_the_task(
    kling: FakeKling, worker: Worker, jpeg: bytes
) -> None:
    kling.answer("query", 504, "kling_error_server.json")

    error = refusal(kling, worker, jpeg)

    assert isinstance(error, Transient)
    assert worker.remembered == list(kling.tasks)


def test_it_gives_up_waiting_for_an_answer(kling: FakeKling, worker: Worker, jpeg: bytes) -> None:
    kling.delays["create"] = 0.6

    error = refusal(kling, worker, jpeg, timeout=0.2)

    assert isinstance(error, Transient)
    assert error.message == "Kling did not answer in time; retrying"
    assert worker.sent == [sent("")]


def test_it_gives_up_waiting_for_a_poll(kling: FakeKling, worker: Worker, jpeg: bytes) -> None:
    kling.delays["query"] = 0.6

    error = refusal(kling, worker, jpeg, timeout=0.2)

    assert isinstance(error, Transient)
    assert worker.remembered == list(kling.tasks)


def test_it_stops_polling_at_its_deadline(kling: FakeKling, worker: Worker, jpeg: bytes) -> None:
    kling.polls_until_done = 1000
    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    error = refusal(kling, worker, jpeg, deadline=12.0, sleep=sleep, now=lambda: clock[0])

    assert isinstance(error, Transient)
    assert error.message == provider.STILL_WORKING
    assert len(kling.requests_to("query")) == 3  # at 0, 5 and 10 s; another wait would pass 12 s


def test_it_reports_an_unreachable_kling_without_logging_a_transfer(
    kling: FakeKling, worker: Worker, jpeg: bytes
) -> None:
    url = kling.url
    kling.stop()  # nothing listens there any more

    error = refusal(kling, worker, jpeg, base_url=url)

    assert isinstance(error, Transient)
    assert error.message == "Darkroom could not reach Kling; retrying"
    assert worker.sent == []


# --- bad answers ----------------------------------------------------------------
@pytest.mark.parametrize(
    "canned",
    [
        {"status": 200, "raw": b"<html><body>Welcome to nginx!</body></html>"},
        {"status": 200, "raw": b'{"code": 0, "message": "SUCCEED", "data": {"task_st'},
        {"status": 200, "raw": b'{"code": 0, "message": "SUCCEED", "data": {"task_status": "submitted"}}'},
        {"status": 200, "raw": b'["not", "an", "object"]'},
    ],
)
def test_it_fails_on_a_malformed_create_answer(
    kling: FakeKling, worker: Worker, jpeg: bytes, canned: dict[str, Any]
) -> None:
    kling.answer("create", **canned)

    error = refusal(kling, worker, jpeg)

    assert isinstance(error, Failed)
    assert error.message == "Kling sent an answer Darkroom cannot read"
    assert len(worker.sent) == 1
    assert worker.remembered == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"code": 0, "data": {"task_status": "queued-ish"}}', "Kling sent an answer Darkroom cannot read"),
        (
            b'{"code": 0, "data": {"task_status": "succeed", "task_result": {"videos": []}}}',
            "Kling said the video was ready but gave no address for it",
        ),
        (
            b'{"code": 0, "data": {"task_status": "succeed", "task_result": {"videos": [{"url": "file:///etc/passwd"}]}}}',
            "Kling said the video was ready but gave no address for it",
        ),
    ],
)
def test_it_fails_on_a_malformed_task(kling: FakeKling, worker: Worker, jpeg: bytes, raw: bytes, message: str) -> None:
    kling.answer("query", 200, raw=raw)

    error = refusal(kling, worker, jpeg)

    assert isinstance(error, Failed)
    assert error.message == message


def test_it_refuses_a_download_that_is_not_an_mp4(kling: FakeKling, worker: Worker, jpeg: bytes) -> None:
    kling.video = b"<html><body>Access denied</body></html>"

    error = refusal(kling, worker, jpeg)

    assert isinstance(error, Failed)
    assert error.message == "Kling's download is not an MP4 video"


def test_it_refuses_a_video_larger_than_the_cap(kling: FakeKling, worker: Worker, jpeg: bytes) -> None:
    error = refusal(kling, worker, jpeg, max_bytes=len(kling.video) - 1)

    assert isinstance(error, Failed)
    assert error.message == "Kling's video is larger than Darkroom accepts"


def test_it_fails_when_the_video_is_gone_from_the_cdn(kling: FakeKling, worker: Worker, jpeg: bytes) -> None:
    kling.answer("video", 404, raw=b"Not Found")

    error = refusal(kling, worker, jpeg)

    assert isinstance(error, Failed)
    assert "HTTP 404" in error.message


# --- refused before anything is sent ------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "photo_size", "words"),
    [
        ({"secret_key": ""}, 0, "has not set Kling's access key"),
        ({"seconds": 7}, 0, "5 or 10 seconds"),
        ({}, 10 * 1024 * 1024 + 1, "larger than the 10 MB"),
    ],
)
def test_it_refuses_before_sending_anything(
    kling: FakeKling, worker: Worker, jpeg: bytes, overrides: dict[str, Any], photo_size: int, words: str
) -> None:
    photo = jpeg + bytes(max(0, photo_size - len(jpeg)))

    error = refusal(kling, worker, photo, **overrides)

    assert isinstance(error, Failed)
    assert words in error.message
    assert kling.received == []
    assert worker.sent == []
