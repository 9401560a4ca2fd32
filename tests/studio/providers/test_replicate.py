"""Replicate through its official SDK against a local fake: predictions, resuming, errors, downloads, webhooks."""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from darkroom.studio.providers import replicate as provider
from darkroom.studio.providers.base import Failed, Rejected, Sent, Transient
from tests.conftest import make_photo
from tests.studio.providers.fake_replicate import OUTPUT_PNG, FakeReplicate, OutputFile, signed_headers

TOKEN = "r8_TestTokenNotARealOne0123456789abcdef"
VERSION = "2e4785a4d80dadf580077b2244c8d7c05d8e3faac04a04c02d8e099dd2876789"
WEBHOOK = "https://darkroom.example/hooks/replicate"


@pytest.fixture(autouse=True)
def _alice_has_credits() -> None:
    """Overrides tests/studio's fixture: these tests call a fake Replicate, not jobs, and need no database."""


@pytest.fixture(scope="module")
def server() -> Iterator[FakeReplicate]:
    fake = FakeReplicate()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def fake(server: FakeReplicate) -> FakeReplicate:
    server.reset()
    return server


class WorkerDied(Exception):
    """Stands for a SIGKILL while waiting: nothing after it runs."""


@dataclass
class Worker:
    """What the caller passes in: where ids are remembered, the processor log, and a clock that sleeps instantly."""

    remembered: list[str] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    slept: list[float] = field(default_factory=list)
    now: float = 1000.0
    die_while_waiting: bool = False

    def remember(self, prediction_id: str) -> None:
        self.remembered.append(prediction_id)

    def on_sent(self, sent: Sent) -> None:
        self.sent.append(sent)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        if self.die_while_waiting:
            raise WorkerDied

    def clock(self) -> float:
        return self.now


@pytest.fixture
def worker() -> Worker:
    return Worker()


def run(fake: FakeReplicate, worker: Worker, inputs: dict[str, Any] | None = None, **options: Any) -> Any:
    arguments: dict[str, Any] = {
        "api_token": TOKEN,
        "base_url": fake.url,
        "webhook_url": WEBHOOK,
        "recalled": None,
        "remember": worker.remember,
        "on_sent": worker.on_sent,
        "poll_interval": 0.5,
        "deadline": 60.0,
        "timeout": 2.0,
        "sleep": worker.sleep,
        "clock": worker.clock,
        **options,
    }
    if inputs is None:
        inputs = {"image": make_photo(320, 240, seed=7), "prompt": "a portrait in a sunlit studio"}
    return provider.run_prediction(VERSION, inputs, **arguments)


def decode_data_uri(uri: str) -> tuple[str, bytes]:
    header, encoded = uri.split(",", 1)
    assert header.startswith("data:")
    assert header.endswith(";base64")
    return header[5:-7], base64.b64decode(encoded)


# --- a prediction from start to result ----------------------------------------
def test_it_runs_a_prediction_and_downloads_its_first_output(fake: FakeReplicate, worker: Worker) -> None:
    selfie = make_photo(320, 240, seed=7)
    answer = run(fake, worker, {"image": selfie, "prompt": "a portrait in a sunlit studio", "num_steps": 20})

    assert answer.data == OUTPUT_PNG
    assert answer.content_type == "image/png"
    assert answer.request_id == worker.remembered[0]
    assert answer.output_urls[0].startswith(fake.url)
    assert answer.output_urls[0].endswith("/out-0.png")
    assert answer.as_image().data == OUTPUT_PNG

    create = fake.api_requests("POST")[0]
    assert create.path == "/v1/predictions"
    assert create.body["version"] == VERSION
    assert create.body["input"]["prompt"] == "a portrait in a sunlit studio"
    assert create.body["input"]["num_steps"] == 20
    assert decode_data_uri(create.body["input"]["image"]) == ("image/jpeg", selfie)
    assert create.body["webhook"] == WEBHOOK
    assert create.body["webhook_events_filter"] == ["start", "completed"]
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in fake.api_requests())


def test_it_logs_what_it_sent_under_the_prediction_id(fake: FakeReplicate, worker: Worker) -> None:
    answer = run(fake, worker)
    assert worker.sent == [
        Sent(provider="Replicate", data=("image", "prompt"), request_id=answer.request_id, retention=provider.RETENTION)
    ]
    assert "one hour" in provider.RETENTION


def test_it_remembers_the_prediction_before_it_waits(fake: FakeReplicate, worker: Worker) -> None:
    seen_at_first_sleep: list[tuple[list[str], int, int]] = []

    def sleep(seconds: float) -> None:
        seen_at_first_sleep.append((list(worker.remembered), len(worker.sent), len(fake.api_requests("GET"))))

    answer = run(fake, worker, sleep=sleep)
    assert seen_at_first_sleep[0] == ([answer.request_id], 1, 0)


def test_it_polls_until_the_prediction_is_done(fake: FakeReplicate, worker: Worker) -> None:
    fake.plan = ["prediction_processing", "prediction_processing", "prediction_succeeded"]
    run(fake, worker)
    assert len(fake.api_requests("GET")) == 3
    assert worker.slept == [0.5, 0.5, 0.5]


def test_it_does_not_ask_for_a_webhook_without_one(fake: FakeReplicate, worker: Worker) -> None:
    run(fake, worker, webhook_url=None)
    body = fake.api_requests("POST")[0].body
    assert "webhook" not in body
    assert "webhook_events_filter" not in body


def test_it_reads_a_model_that_returns_one_url(fake: FakeReplicate, worker: Worker) -> None:
    fake.plan = ["prediction_succeeded_upscale"]
    answer = run(fake, worker, {"image": make_photo(64, 64, fmt="PNG", seed=3), "scale": 2, "face_enhance": False})
    assert answer.output_urls == (f"{fake.url}/pbxt/Kf8rQ3cJ9sZ2yXn0aW4VbDmEoLpTgHu1iR6kNwYx7Cq/output.png",)
    assert worker.sent[0].data == ("image",)
    mime, _ = decode_data_uri(fake.api_requests("POST")[0].body["input"]["image"])
    assert mime == "image/png"


def test_it_sends_several_photos_as_a_list_of_data_uris(fake: FakeReplicate, worker: Worker) -> None:
    photos = [make_photo(64, 64, seed=1), make_photo(64, 64, seed=2)]
    run(fake, worker, {"images": photos, "prompt": "two friends"})
    sent = fake.api_requests("POST")[0].body["input"]["images"]
    assert [decode_data_uri(uri)[1] for uri in sent] == photos


def test_it_sniffs_the_content_type_of_an_untyped_result(fake: FakeReplicate, worker: Worker) -> None:
    fake.output = OutputFile(content_type="application/octet-stream")
    assert run(fake, worker).content_type == "image/png"


# --- a worker that dies never pays twice -----------------------------------------
def test_it_resumes_the_same_prediction_after_the_worker_died(fake: FakeReplicate, worker: Worker) -> None:
    worker.die_while_waiting = True
    with pytest.raises(WorkerDied):
        run(fake, worker)
    worker.die_while_waiting = False

    answer = run(fake, worker, recalled=worker.remembered[0])
    assert answer.request_id == worker.remembered[0]
    assert len(fake.api_requests("POST")) == 1
    assert len(worker.sent) == 1  # the resumed attempt sent nothing new


def test_it_resumes_a_prediction_without_creating_one(fake: FakeReplicate, worker: Worker) -> None:
    earlier = fake.seed(plan=["prediction_succeeded"])
    answer = run(fake, worker, recalled=earlier)
    assert answer.request_id == earlier
    assert answer.data == OUTPUT_PNG
    assert fake.api_requests("POST") == []
    assert worker.remembered == []
    assert worker.sent == []


def test_it_says_still_running_after_the_deadline_and_resumes_later(fake: FakeReplicate, worker: Worker) -> None:
    fake.plan = ["prediction_processing"]
    with pytest.raises(Transient, match="still working on this after 2 s"):
        run(fake, worker, deadline=2.0)
    assert sum(worker.slept) == pytest.approx(2.0)
    assert len(fake.api_requests("POST")) == 1

    fake.plan = ["prediction_succeeded"]
    answer = run(fake, worker, recalled=worker.remembered[0], deadline=2.0)
    assert answer.request_id == worker.remembered[0]
    assert len(fake.api_requests("POST")) == 1


def test_it_fails_when_the_recalled_prediction_is_gone(fake: FakeReplicate, worker: Worker) -> None:
    with pytest.raises(Failed, match="no longer knows this prediction"):
        run(fake, worker, recalled="gone0000000000000000000000")


def test_it_cancels_a_prediction_it_gave_up_on(fake: FakeReplicate) -> None:
    earlier = fake.seed(plan=["prediction_processing"])
    provider.cancel_prediction(earlier, api_token=TOKEN, base_url=fake.url, timeout=2.0)
    assert fake.predictions[earlier].canceled
    assert fake.api_requests("POST")[0].path == f"/v1/predictions/{earlier}/cancel"


# --- the model's answers ---------------------------------------------------------
@pytest.mark.parametrize("outcome", ["prediction_failed_nsfw", "prediction_failed_sensitive"])
def test_it_passes_on_a_safety_refusal_as_rejected(fake: FakeReplicate, worker: Worker, outcome: str) -> None:
    fake.plan = [outcome]
    with pytest.raises(Rejected) as refused:
        run(fake, worker)
    assert refused.value.provider == "Replicate"
    assert refused.value.message == "Replicate's safety filter refused this photo or prompt"
    assert len(worker.sent) == 1


def test_it_fails_with_the_models_reason(fake: FakeReplicate, worker: Worker) -> None:
    fake.plan = ["prediction_failed_no_face"]
    with pytest.raises(Failed, match="Cannot find any face in the image"):
        run(fake, worker)


def test_it_keeps_inline_files_and_tokens_out_of_a_models_reason(fake: FakeReplicate, worker: Worker) -> None:
    blob = base64.b64encode(b"\xff\xd8\xff" * 100).decode()
    fake.reply_to_poll(
        "prediction_failed_no_face",
        update={"error": f"bad input data:image/jpeg;base64,{blob} with {TOKEN}"},
    )
    with pytest.raises(Failed) as failed:
        run(fake, worker)
    assert blob not in failed.value.message
    assert TOKEN not in failed.value.message
    assert "[file]" in failed.value.message


def test_it_fails_when_the_prediction_was_canceled(fake: FakeReplicate, worker: Worker) -> None:
    fake.plan = ["prediction_canceled"]
    with pytest.raises(Failed, match="canceled on Replicate"):
        run(fake, worker)


def test_it_fails_when_the_model_returned_nothing(fake: FakeReplicate, worker: Worker) -> None:
    fake.plan = ["prediction_succeeded_no_output"]
    with pytest.raises(Failed, match="returned no file"):
        run(fake, worker)


# --- the API's errors ------------------------------------------------------------
def test_it_retries_a_rate_limit_after_the_time_replicate_gave(fake: FakeReplicate, worker: Worker) -> None:
    fake.reply_to_create("error_throttled")
    with pytest.raises(Transient) as busy:
        run(fake, worker)
    assert busy.value.retry_after == 7.0
    assert "busy" in busy.value.message
    assert worker.remembered == []
    # The request carrying the photo went out, so it is logged, with no prediction id to name.
    assert [(s.data, s.request_id) for s in worker.sent] == [(("image", "prompt"), "")]


def test_it_reads_the_retry_time_from_the_body_without_a_header(fake: FakeReplicate, worker: Worker) -> None:
    fake.reply_to_create("error_throttled_no_header")
    with pytest.raises(Transient) as busy:
        run(fake, worker)
    assert busy.value.retry_after == 30.0


def test_it_lets_the_sdk_retry_a_throttled_poll(fake: FakeReplicate, worker: Worker) -> None:
    fake.reply_to_poll("error_throttled", headers={"retry-after": "0"})
    assert run(fake, worker).data == OUTPUT_PNG
    assert len(fake.api_requests("GET")) == 3


def test_it_retries_a_server_error_on_create(fake: FakeReplicate, worker: Worker) -> None:
    fake.reply_to_create("error_server")
    with pytest.raises(Transient, match="trouble on its side"):
        run(fake, worker)


def test_it_retries_a_server_error_while_polling_and_then_resumes(fake: FakeReplicate, worker: Worker) -> None:
    fake.reply_to_poll("error_server")
    with pytest.raises(Transient):
        run(fake, worker)
    answer = run(fake, worker, recalled=worker.remembered[0])
    assert answer.data == OUTPUT_PNG
    assert len(fake.api_requests("POST")) == 1


def test_it_retries_when_create_times_out(fake: FakeReplicate, worker: Worker) -> None:
    fake.reply_to_create("prediction_starting", delay=1.5)
    started = time.monotonic()
    with pytest.raises(Transient, match="did not answer in time"):
        run(fake, worker, timeout=0.3)
    assert time.monotonic() - started < 1.2
    assert [s.request_id for s in worker.sent] == [""]


def test_it_retries_when_a_poll_times_out(fake: FakeReplicate, worker: Worker) -> None:
    fake.reply_to_poll("prediction_processing", delay=1.5)
    with pytest.raises(Transient, match="did not answer in time"):
        run(fake, worker, timeout=0.3)
    assert len(worker.remembered) == 1


def test_it_logs_nothing_when_replicate_cannot_be_reached(worker: Worker) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(Transient, match="could not reach Replicate"):
        run_against(closed, worker)
    assert worker.sent == []


def run_against(base_url: str, worker: Worker) -> Any:
    return provider.run_prediction(
        VERSION,
        {"image": make_photo(32, 32, seed=5)},
        api_token=TOKEN,
        base_url=base_url,
        recalled=None,
        remember=worker.remember,
        on_sent=worker.on_sent,
        timeout=1.0,
        sleep=worker.sleep,
    )


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ("error_unauthenticated", "the operator's Replicate API token was refused"),
        ("error_insufficient_credit", "the operator's Replicate account has run out of credit"),
        ("error_invalid_version", "the Replicate model version in the profile does not exist or may not be used"),
        ("error_invalid_input", "Replicate refused the model inputs as invalid; check the profile's model settings"),
    ],
)
def test_it_fails_on_a_refused_request(fake: FakeReplicate, worker: Worker, reply: str, message: str) -> None:
    fake.reply_to_create(reply)
    with pytest.raises(Failed) as failed:
        run(fake, worker)
    assert failed.value.message == message
    assert TOKEN not in str(failed.value)
    assert worker.remembered == []


@pytest.mark.parametrize("reply", ["truncated_body", "html_page", "not_a_prediction"])
def test_it_fails_on_an_answer_it_cannot_read(fake: FakeReplicate, worker: Worker, reply: str) -> None:
    fake.reply_to_create(reply)
    with pytest.raises(Failed, match="could not read"):
        run(fake, worker)


def test_it_fails_on_an_unreadable_poll(fake: FakeReplicate, worker: Worker) -> None:
    fake.reply_to_poll("html_page")
    with pytest.raises(Failed, match="could not read"):
        run(fake, worker)


# --- what is sent ----------------------------------------------------------------
def test_it_refuses_a_photo_too_large_to_send_inline(fake: FakeReplicate, worker: Worker) -> None:
    with pytest.raises(Failed, match="too large to send to Replicate"):
        run(fake, worker, max_inline_bytes=1000)
    assert fake.requests == []
    assert worker.sent == []
    assert provider.MAX_INLINE_BYTES == 1_000_000


def test_it_refuses_bytes_that_are_not_a_photo(fake: FakeReplicate, worker: Worker) -> None:
    with pytest.raises(Failed, match="not in a format"):
        run(fake, worker, {"image": b"%PDF-1.7 not a photo"})
    assert fake.requests == []
    assert worker.sent == []


def test_it_refuses_to_run_without_a_token(fake: FakeReplicate, worker: Worker) -> None:
    with pytest.raises(Failed, match="no API token"):
        run(fake, worker, api_token="")
    assert fake.requests == []


# --- the result file -------------------------------------------------------------
def test_it_does_not_send_the_api_token_to_the_file_server(fake: FakeReplicate, worker: Worker) -> None:
    run(fake, worker)
    downloads = [r for r in fake.requests if not r.path.startswith("/v1/")]
    assert [r.path for r in downloads] == ["/xezq/6bGf8kPvXHmKqLw3xz0nEJuvKpYtYfbDkR5ht6NTaIw/out-0.png"]
    assert "authorization" not in downloads[0].headers


@pytest.mark.parametrize("chunked", [False, True])
def test_it_refuses_a_result_over_the_size_cap(fake: FakeReplicate, worker: Worker, chunked: bool) -> None:
    fake.output = OutputFile(data=OUTPUT_PNG * 40, chunked=chunked)
    with pytest.raises(Failed, match="larger than"):
        run(fake, worker, max_output_bytes=len(OUTPUT_PNG) * 10)


def test_it_reads_a_chunked_result_under_the_cap(fake: FakeReplicate, worker: Worker) -> None:
    fake.output = OutputFile(data=OUTPUT_PNG * 3, chunked=True)
    assert run(fake, worker).data == OUTPUT_PNG * 3


def test_it_fails_when_the_result_file_is_gone(fake: FakeReplicate, worker: Worker) -> None:
    fake.output = OutputFile(status=404)
    with pytest.raises(Failed, match="result file on Replicate is gone"):
        run(fake, worker)


def test_it_retries_when_the_file_server_errs_or_is_slow(fake: FakeReplicate, worker: Worker) -> None:
    fake.output = OutputFile(status=500)
    with pytest.raises(Transient, match="busy"):
        run(fake, worker)
    fake.output = OutputFile(delay=1.5)
    with pytest.raises(Transient, match="timed out"):
        run(fake, worker, recalled=worker.remembered[0], timeout=0.3)
    assert len(fake.api_requests("POST")) == 1


def test_it_will_not_fetch_a_result_over_plain_http_elsewhere(fake: FakeReplicate, worker: Worker) -> None:
    fake.reply_to_poll("prediction_succeeded", update={"output": ["http://169.254.169.254/latest"]})
    with pytest.raises(Failed, match="will not fetch"):
        run(fake, worker)


def test_it_imports_the_installed_sdk_and_not_itself() -> None:
    import replicate

    assert replicate.__file__ != provider.__file__
    client, _ = provider._client(TOKEN, None, 1.0)
    assert type(client).__module__ == "replicate.client"


# --- webhooks --------------------------------------------------------------------
KEY = b"darkroom-test-signing-key-32-bytes!!"
SECRET = "whsec_" + base64.b64encode(KEY).decode()
BODY = json.dumps(
    {"id": "ufawqhfynnddngldkgtslldrkq", "status": "succeeded", "output": ["https://x/out-0.png"]}
).encode()
SENT_AT = 1_780_000_000


def signed(
    body: bytes = BODY, *, key: bytes = KEY, timestamp: int = SENT_AT, msg_id: str = "msg_2Lh9"
) -> dict[str, str]:
    return signed_headers(body, key, timestamp=timestamp, msg_id=msg_id)


def test_it_accepts_a_webhook_signed_with_the_secret() -> None:
    assert provider.verify_webhook(signed(), BODY, SECRET, now=SENT_AT + 10)["status"] == "succeeded"


def test_its_check_agrees_with_the_sdks() -> None:
    from replicate.webhook import Webhooks, WebhookSigningSecret

    Webhooks.validate(headers=signed(), body=BODY.decode(), secret=WebhookSigningSecret(key=SECRET))


def test_it_reads_headers_in_any_case_and_any_of_several_signatures() -> None:
    headers = {name.title(): value for name, value in signed().items()}
    headers["Webhook-Signature"] = "v1,bm90IGl0 v2,whatever " + headers["Webhook-Signature"]
    assert provider.verify_webhook(headers, BODY, SECRET, now=SENT_AT)["id"] == "ufawqhfynnddngldkgtslldrkq"


def test_it_refuses_a_tampered_body() -> None:
    tampered = BODY.replace(b"succeeded", b"failed")
    with pytest.raises(ValueError, match="does not match"):
        provider.verify_webhook(signed(), tampered, SECRET, now=SENT_AT)


def test_it_refuses_a_webhook_signed_with_another_secret() -> None:
    with pytest.raises(ValueError, match="does not match"):
        provider.verify_webhook(signed(key=b"mallory's key"), BODY, SECRET, now=SENT_AT)


@pytest.mark.parametrize("offset", [301, -301])
def test_it_refuses_a_stale_or_future_webhook(offset: int) -> None:
    with pytest.raises(ValueError, match="more than 300 s from now"):
        provider.verify_webhook(signed(), BODY, SECRET, now=SENT_AT + offset)
    assert provider.verify_webhook(signed(), BODY, SECRET, now=SENT_AT + 300)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_it_refuses_a_webhook_missing_a_header(missing: str) -> None:
    headers = signed()
    del headers[missing]
    with pytest.raises(ValueError, match=f"the {missing} header is missing"):
        provider.verify_webhook(headers, BODY, SECRET, now=SENT_AT)


def test_it_refuses_a_timestamp_that_is_not_a_number() -> None:
    with pytest.raises(ValueError, match="not a Unix time"):
        provider.verify_webhook({**signed(), "webhook-timestamp": "yesterday"}, BODY, SECRET, now=SENT_AT)


@pytest.mark.parametrize("secret", ["sk_live_abc", "whsec_", "whsec_not*base64!"])
def test_it_refuses_a_malformed_secret_without_repeating_it(secret: str) -> None:
    with pytest.raises(ValueError, match="signing secret") as refused:
        provider.verify_webhook(signed(), BODY, secret, now=SENT_AT)
    assert str(refused.value) in (
        "the webhook signing secret is not a whsec_ key",
        "the webhook signing secret is not valid base64 after whsec_",
    )


def test_it_refuses_a_signed_body_that_is_not_an_object() -> None:
    body = b"[1, 2]"
    with pytest.raises(ValueError, match="not a JSON object"):
        provider.verify_webhook(signed(body), body, SECRET, now=SENT_AT)


def test_it_uses_the_current_time_by_default() -> None:
    now = int(time.time())
    assert provider.verify_webhook(signed(timestamp=now), BODY, SECRET)["status"] == "succeeded"
