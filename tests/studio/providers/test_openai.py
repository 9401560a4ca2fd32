"""OpenAI portraits at the HTTP boundary: the official SDK against a local fake speaking OpenAI's documented JSON."""

from __future__ import annotations

import base64
import email.utils
import socket
import time
from collections.abc import Iterator

import pytest

from darkroom.studio.providers import openai as provider
from darkroom.studio.providers.base import Failed, ImageAnswer, Rejected, Sent, Transient
from tests.conftest import make_photo
from tests.studio.providers.fake_openai import FakeOpenAI, fixture

API_KEY = "sk-proj-darkroom-test-key-wxyz"
PROMPT = "alice as a 1920s film star, soft studio light, black and white"


@pytest.fixture(scope="module")
def _openai_server() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_openai(_openai_server: FakeOpenAI) -> FakeOpenAI:
    _openai_server.reset()
    return _openai_server


@pytest.fixture
def selfies() -> list[bytes]:
    return [make_photo(96, 128), make_photo(96, 128, fmt="PNG")]


@pytest.fixture
def sent() -> list[Sent]:
    """What the provider reported as sent, in order: the processor log's view of the call."""
    return []


def generate(
    fake: FakeOpenAI,
    selfies: list[bytes],
    sent: list[Sent],
    *,
    model: str = provider.DEFAULT_MODEL,
    size: str = "1024x1536",
    timeout: float = 10.0,
) -> ImageAnswer:
    return provider.generate_portrait(
        selfies,
        PROMPT,
        api_key=API_KEY,
        base_url=fake.url,
        model=model,
        size=size,
        timeout=timeout,
        on_sent=sent.append,
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# --- success ---------------------------------------------------------------
def test_it_returns_the_image_openai_made(fake_openai: FakeOpenAI, selfies: list[bytes], sent: list[Sent]) -> None:
    answer = generate(fake_openai, selfies, sent)

    expected = base64.b64decode(fixture("edit_success")["body"]["data"][0]["b64_json"])
    assert answer.data == expected
    assert answer.content_type == "image/png"
    assert answer.request_id.startswith("req_")


def test_it_sends_the_selfies_prompt_and_model_as_a_multipart_edit(
    fake_openai: FakeOpenAI, selfies: list[bytes], sent: list[Sent]
) -> None:
    generate(fake_openai, selfies, sent, model="gpt-image-2.6-flare", size="1024x1024")

    [request] = fake_openai.requests
    assert (request.method, request.path) == ("POST", "/v1/images/edits")
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.fields == {"model": "gpt-image-2.6-flare", "prompt": PROMPT, "size": "1024x1024", "n": "1"}
    assert [(f.field, f.filename, f.content_type) for f in request.files] == [
        ("image[]", "selfie-1.jpg", "image/jpeg"),
        ("image[]", "selfie-2.png", "image/png"),
    ]
    assert [f.data for f in request.files] == selfies


def test_it_uses_a_current_model_and_a_portrait_size_by_default(
    fake_openai: FakeOpenAI, selfies: list[bytes], sent: list[Sent]
) -> None:
    generate(fake_openai, selfies, sent)

    [request] = fake_openai.requests
    assert request.fields["model"] == provider.DEFAULT_MODEL == "gpt-image-2.6-sunburst"
    assert request.fields["size"] == "1024x1536"


def test_it_reports_what_was_sent_with_openais_request_id(
    fake_openai: FakeOpenAI, selfies: list[bytes], sent: list[Sent]
) -> None:
    answer = generate(fake_openai, selfies, sent)

    assert sent == [Sent("OpenAI", ("image", "prompt"), answer.request_id, provider.RETENTION)]
    assert "30 days" in provider.RETENTION


# --- refusals ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("moderation_blocked_input", "OpenAI's safety system refused this photo or prompt (flagged: sexual)"),
        (
            "moderation_blocked_output",
            "OpenAI's safety system refused the picture it made from this photo and prompt (flagged: sexual)",
        ),
        ("content_policy_violation", "OpenAI's safety system refused this photo or prompt"),
    ],
)
def test_it_turns_a_safety_refusal_into_rejected(
    fake_openai: FakeOpenAI, selfies: list[bytes], sent: list[Sent], name: str, message: str
) -> None:
    fake_openai.reply_with(name)

    with pytest.raises(Rejected) as refused:
        generate(fake_openai, selfies, sent)

    assert refused.value.provider == "OpenAI"
    assert refused.value.message == message
    # A refused request still reached OpenAI, and refusals are what abuse monitoring keeps.
    [report] = sent
    assert report.data == ("image", "prompt")
    assert report.request_id.startswith("req_")


# --- requests OpenAI will not take ---------------------------------------------
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("invalid_size", "OpenAI could not accept the request (invalid_value: size)"),
        ("invalid_api_key", "the operator's OpenAI key was refused"),
        ("unsupported_country", "OpenAI does not serve the country or region this server runs in"),
        ("model_not_found", "OpenAI has no model 'gpt-image-1' for this key (it may be retired); choose a current one"),
        ("credit_balance_exhausted", "the operator's OpenAI account is out of credit or over its spending limit"),
    ],
)
def test_it_fails_what_a_retry_would_not_fix(
    fake_openai: FakeOpenAI, selfies: list[bytes], sent: list[Sent], name: str, message: str
) -> None:
    fake_openai.reply_with(name)

    with pytest.raises(Failed) as failed:
        generate(fake_openai, selfies, sent, model="gpt-image-1")

    assert failed.value.message == message
    assert "sk-" not in failed.value.message
    assert len(sent) == 1


def test_it_never_repeats_openais_own_message(fake_openai: FakeOpenAI, selfies: list[bytes], sent: list[Sent]) -> None:
    """OpenAI's messages may quote the request (or a masked key); the person sees only the code."""
    fake_openai.reply_with("invalid_size")

    with pytest.raises(Failed) as failed:
        generate(fake_openai, selfies, sent)

    assert "Supported values" not in failed.value.message


# --- worth retrying ------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "message", "retry_after"),
    [
        ("rate_limit_exceeded", "OpenAI is busy (rate limit); retrying", 12.0),
        ("slow_down", "OpenAI is busy (rate limit); retrying", 2.5),
        ("server_error", "OpenAI had a server error (500); retrying", None),
        ("server_overloaded", "OpenAI is overloaded; retrying", 30.0),
    ],
)
def test_it_asks_for_a_retry_after_a_rate_limit_or_server_error(
    fake_openai: FakeOpenAI, selfies: list[bytes], sent: list[Sent], name: str, message: str, retry_after: float | None
) -> None:
    fake_openai.reply_with(name)

    with pytest.raises(Transient) as busy:
        generate(fake_openai, selfies, sent)

    assert busy.value.message == message
    assert busy.value.retry_after == retry_after
    assert len(sent) == 1


def test_it_leaves_retries_to_the_job_runner(fake_openai: FakeOpenAI, selfies: list[bytes], sent: list[Sent]) -> None:
    """The SDK would retry a 500 twice on its own: three paid attempts, and the backoff hidden from the chain."""
    fake_openai.reply_with("server_error")
    fake_openai.reply_with("server_error")

    with pytest.raises(Transient):
        generate(fake_openai, selfies, sent)

    assert len(fake_openai.requests) == 1


def test_it_gives_up_waiting_after_the_timeout(fake_openai: FakeOpenAI, selfies: list[bytes], sent: list[Sent]) -> None:
    fake_openai.reply_with("edit_success", delay=2.0)

    started = time.monotonic()
    with pytest.raises(Transient) as slow:
        generate(fake_openai, selfies, sent, timeout=0.3)

    assert time.monotonic() - started < 1.5
    assert slow.value.message == "OpenAI did not answer within 0.3 seconds; retrying"
    # The photos were uploaded before the wait began: logged, without a request id.
    assert sent == [Sent("OpenAI", ("image", "prompt"), "", provider.RETENTION)]


def test_it_retries_when_openai_cannot_be_reached_and_logs_nothing(selfies: list[bytes], sent: list[Sent]) -> None:
    with pytest.raises(Transient) as unreachable:
        provider.generate_portrait(
            selfies, PROMPT, api_key=API_KEY, base_url=f"http://127.0.0.1:{closed_port()}/v1", on_sent=sent.append
        )

    assert unreachable.value.message == "could not reach OpenAI; retrying"
    assert sent == []


def test_it_reads_a_retry_after_date() -> None:
    in_a_minute = email.utils.formatdate(time.time() + 60, usegmt=True)

    wait = provider._retry_after({"retry-after": in_a_minute})

    assert wait is not None
    assert 55 <= wait <= 61


# --- malformed answers -----------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("truncated_body", "OpenAI's answer could not be read"),
        ("html_page", "OpenAI's answer could not be read"),
        ("no_images", "OpenAI answered without an image"),
        ("not_base64", "OpenAI's image could not be decoded"),
        ("not_an_image", "OpenAI's answer was not a PNG, JPEG or WebP image"),
    ],
)
def test_it_fails_on_a_malformed_answer(
    fake_openai: FakeOpenAI, selfies: list[bytes], sent: list[Sent], name: str, message: str
) -> None:
    fake_openai.reply_with(name)

    with pytest.raises(Failed) as failed:
        generate(fake_openai, selfies, sent)

    assert failed.value.message == message
    [report] = sent
    assert report.request_id.startswith("req_")


# --- before anything is sent ------------------------------------------------------
def test_it_refuses_a_photo_openai_cannot_read_without_sending_anything(
    fake_openai: FakeOpenAI, sent: list[Sent]
) -> None:
    gif = make_photo(32, 32, fmt="GIF")

    with pytest.raises(Failed) as failed:
        generate(fake_openai, [make_photo(32, 32), gif], sent)

    assert failed.value.message == "OpenAI accepts only JPEG, PNG or WebP photos"
    assert fake_openai.requests == []
    assert sent == []


@pytest.mark.parametrize("count", [0, 17])
def test_it_takes_one_to_sixteen_selfies(fake_openai: FakeOpenAI, sent: list[Sent], count: int) -> None:
    with pytest.raises(ValueError, match="1 to 16 images"):
        generate(fake_openai, [make_photo(16, 16, seed=1)] * count, sent)

    assert fake_openai.requests == []


def test_it_fails_without_a_key_before_sending_anything(fake_openai: FakeOpenAI, selfies: list[bytes]) -> None:
    sent: list[Sent] = []

    with pytest.raises(Failed) as failed:
        provider.generate_portrait(selfies, PROMPT, api_key="", base_url=fake_openai.url, on_sent=sent.append)

    assert failed.value.message == "the operator has not set an OpenAI key"
    assert fake_openai.requests == []
    assert sent == []
