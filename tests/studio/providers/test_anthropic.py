"""Anthropic critique at the HTTP boundary: the official SDK against a local fake of the Messages API."""

from __future__ import annotations

import base64
import json
import socket
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from darkroom.studio.providers import anthropic as provider
from darkroom.studio.providers.base import Failed, ProviderError, Rejected, Sent, Transient
from tests.studio.providers.fake_anthropic import FakeAnthropic, fixture


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic()
    server.start()
    yield server
    server.stop()


class Outbox:
    """Collects what ``on_sent`` was told, as the processor log would."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []

    def __call__(self, sent: Sent) -> None:
        self.sent.append(sent)


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


def critique(fake: FakeAnthropic, outbox: Outbox, photo: bytes, **options: object) -> provider.CritiqueAnswer:
    arguments: dict[str, object] = {"api_key": fake.api_key, "base_url": fake.url, "on_sent": outbox, **options}
    return provider.critique_photo(photo, **arguments)  # type: ignore[arg-type]


def sent_for(fake: FakeAnthropic) -> list[Sent]:
    return [
        Sent(provider="Anthropic", data=("image",), request_id=request_id, retention=provider.RETENTION)
        for request_id in fake.request_ids
    ]


# --- the import ------------------------------------------------------------
def test_it_uses_the_real_sdk_not_itself() -> None:
    sdk = vars(provider)["anthropic_sdk"]
    assert sdk is sys.modules["anthropic"]
    assert sdk is not provider
    assert sdk.__name__ == "anthropic"
    assert hasattr(sdk, "Anthropic")


# --- success ---------------------------------------------------------------
def test_it_returns_the_validated_critique(fake: FakeAnthropic, outbox: Outbox, jpeg: bytes) -> None:
    answer = critique(fake, outbox, jpeg)

    assert answer.overall == 68
    assert answer.aspects.exposure.score == 61
    assert answer.aspects.exposure.reason == "The sky is blown out to pure white above the treeline."
    assert answer.aspects.colour.score == 70
    assert len(answer.advice) == 3
    assert answer.advice[0].startswith("Tap the bright sky")


def test_it_reports_the_photo_with_anthropics_request_id(fake: FakeAnthropic, outbox: Outbox, jpeg: bytes) -> None:
    critique(fake, outbox, jpeg)

    assert len(fake.request_ids) == 1
    assert outbox.sent == sent_for(fake)
    assert outbox.sent[0].request_id.startswith("req_")
    assert "30 days" in outbox.sent[0].retention


def test_it_sends_the_photo_the_prompt_and_the_schema(fake: FakeAnthropic, outbox: Outbox, jpeg: bytes) -> None:
    critique(fake, outbox, jpeg, model="claude-opus-5")

    [request] = fake.requests
    assert request["path"] == "/v1/messages"
    assert request["headers"]["authorization"] == f"Bearer {fake.api_key}"
    assert request["headers"]["anthropic-version"]
    body = request["body"]
    assert body["model"] == "claude-opus-5"
    assert body["max_tokens"] > 1000
    assert "photography coach" in body["system"]
    [message] = body["messages"]
    assert message["role"] == "user"
    image, text = message["content"]
    assert image["type"] == "image"
    assert image["source"]["type"] == "base64"
    assert image["source"]["media_type"] == "image/jpeg"
    assert base64.b64decode(image["source"]["data"]) == jpeg
    assert text["type"] == "text"
    assert "exactly three pieces of advice" in text["text"]
    output_format = body["output_config"]["format"]
    assert output_format["type"] == "json_schema"
    schema = output_format["schema"]
    assert schema["required"] == ["overall", "aspects", "advice"]
    assert schema["additionalProperties"] is False
    aspects = schema["$defs"]["Aspects"]["properties"]
    assert set(aspects) == {"sharpness", "exposure", "colour", "composition", "subject"}


def test_it_defaults_to_the_current_sonnet(fake: FakeAnthropic, outbox: Outbox, jpeg: bytes) -> None:
    critique(fake, outbox, jpeg)

    assert fake.requests[0]["body"]["model"] == "claude-sonnet-5-5"


# --- refusal ---------------------------------------------------------------
def test_it_reports_a_refusal_as_rejected(fake: FakeAnthropic, outbox: Outbox, jpeg: bytes) -> None:
    fake.replies = ["refusal"]

    with pytest.raises(Rejected) as refused:
        critique(fake, outbox, jpeg)

    assert refused.value.provider == "Anthropic"
    assert refused.value.message.startswith("Anthropic's safety system declined to critique this photo")
    assert "determined as harmful" in refused.value.message
    assert len(fake.requests) == 1  # a refusal is not asked again: the next provider may accept
    assert outbox.sent == sent_for(fake)


# --- HTTP errors -----------------------------------------------------------
def test_it_retries_a_rate_limit_after_retry_after(fake: FakeAnthropic, outbox: Outbox, jpeg: bytes) -> None:
    fake.replies = ["rate_limit"]

    with pytest.raises(Transient) as limited:
        critique(fake, outbox, jpeg)

    assert limited.value.retry_after == 17.0
    assert limited.value.message == "Anthropic's rate limit was reached; retrying"
    assert len(fake.requests) == 1  # the SDK does not retry on its own: the job runner's backoff does
    assert outbox.sent == sent_for(fake)


def test_it_fails_on_the_monthly_spend_cap(fake: FakeAnthropic, outbox: Outbox, jpeg: bytes) -> None:
    fake.replies = ["spend_limit"]

    with pytest.raises(Failed, match="reached its monthly spend limit"):
        critique(fake, outbox, jpeg)
    assert outbox.sent == sent_for(fake)


def test_it_retries_when_anthropic_is_overloaded(fake: FakeAnthropic, outbox: Outbox, jpeg: bytes) -> None:
    fake.replies = ["overloaded"]

    with pytest.raises(Transient) as busy:
        critique(fake, outbox, jpeg)

    assert busy.value.message == "Anthropic is overloaded; retrying"
    assert busy.value.retry_after is None
    assert outbox.sent == sent_for(fake)


def test_it_retries_a_server_error(fake: FakeAnthropic, outbox: Outbox, jpeg: bytes) -> None:
    fake.replies = ["server_error"]

    with pytest.raises(Transient, match=r"server error \(HTTP 500\)"):
        critique(fake, outbox, jpeg)
    assert outbox.sent == sent_for(fake)


def test_it_reports_a_refused_key(fake: FakeAnthropic, outbox: Outbox, jpeg: bytes) -> None:
    with pytest.raises(Failed) as refused:
        critique(fake, outbox, jpeg, api_key="sk-ant-api03-mallorys-key")

    assert refused.value.message == "the operator's Anthropic key was refused"
    assert outbox.sent == sent_for(fake)


def test_it_fails_on_an_invalid_request_with_anthropics_reason(
    fake: FakeAnthropic, outbox: Outbox, jpeg: bytes
) -> None:
    fake.replies = ["invalid_request"]

    with pytest.raises(Failed) as failed:
        critique(fake, outbox, jpeg)

    assert failed.value.message.startswith("Anthropic refused the request (HTTP 400): ")
    assert "image exceeds 5 MB maximum" in failed.value.message
    assert len(fake.requests) == 1
    assert outbox.sent == sent_for(fake)


def test_it_retries_a_gateway_error_page(fake: FakeAnthropic, outbox: Outbox, jpeg: bytes) -> None:
    fake.replies = ["bad_gateway"]

    with pytest.raises(Transient, match=r"server error \(HTTP 502\)"):
        critique(fake, outbox, jpeg)
    assert outbox.sent == sent_for(fake)


def test_it_needs_a_key(fake: FakeAnthropic, outbox: Outbox, jpeg: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", fake.api_key)  # never used in place of the configured key

    with pytest.raises(Failed, match="no Anthropic key is configured"):
        critique(fake, outbox, jpeg, api_key="")
    assert fake.requests == []
    assert outbox.sent == []


def test_it_names_a_model_anthropic_does_not_have(fake: FakeAnthropic, outbox: Outbox, jpeg: bytes) -> None:
    fake.replies = ["not_found"]

    with pytest.raises(Failed, match="Anthropic has no model called claude-sonnet-9"):
        critique(fake, outbox, jpeg, model="claude-sonnet-9")


# --- timeouts and the network ------------------------------------------------
def test_it_retries_a_timeout(fake: FakeAnthropic, outbox: Outbox, jpeg: bytes) -> None:
    fake.delay = 1.5

    with pytest.raises(Transient, match=r"did not answer within 0\.3 s"):
        critique(fake, outbox, jpeg, timeout=0.3)

    assert len(fake.requests) == 1
    # The photo went out; Anthropic's id for it never came back.
    assert outbox.sent == [Sent(provider="Anthropic", data=("image",), request_id="", retention=provider.RETENTION)]


def test_it_does_not_report_a_photo_that_never_left(outbox: Outbox, jpeg: bytes) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    # Nothing listens on the port now.
    with pytest.raises(Transient, match="could not be reached"):
        provider.critique_photo(jpeg, api_key="sk-ant-api03-x", base_url=f"http://127.0.0.1:{port}", on_sent=outbox)
    assert outbox.sent == []


# --- bad answers -------------------------------------------------------------
def test_it_asks_again_after_an_invalid_answer(fake: FakeAnthropic, outbox: Outbox, jpeg: bytes) -> None:
    fake.replies = ["invalid_answer"]

    answer = critique(fake, outbox, jpeg)

    assert answer.overall == 68
    assert len(fake.requests) == 2
    assert outbox.sent == sent_for(fake)  # both transfers of the photo are in the log


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ("invalid_answer", "overall: Input should be less than or equal to 100"),
        ("truncated", "it was cut off"),
        ("malformed", "the response was not a Messages API reply"),
    ],
)
def test_it_fails_when_every_answer_is_unusable(
    fake: FakeAnthropic, outbox: Outbox, jpeg: bytes, reply: str, problem: str
) -> None:
    fake.replies = [reply, reply, reply]

    with pytest.raises(Failed) as failed:
        critique(fake, outbox, jpeg, max_attempts=2)

    assert failed.value.message == f"Anthropic's answer was not a usable critique ({problem}), 2 times"
    assert len(fake.requests) == 2
    assert outbox.sent == sent_for(fake)


def test_it_asks_once_when_told_to(fake: FakeAnthropic, outbox: Outbox, jpeg: bytes) -> None:
    fake.replies = ["truncated"]

    with pytest.raises(Failed, match=r"cut off\), once"):
        critique(fake, outbox, jpeg, max_attempts=1)
    assert len(fake.requests) == 1


def test_it_refuses_zero_attempts(fake: FakeAnthropic, outbox: Outbox, jpeg: bytes) -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        critique(fake, outbox, jpeg, max_attempts=0)
    assert fake.requests == []
    assert outbox.sent == []


# --- what messages may say ---------------------------------------------------
@pytest.mark.parametrize(
    "reply", ["refusal", "rate_limit", "spend_limit", "overloaded", "server_error", "invalid_request", "not_found"]
)
def test_its_messages_never_carry_the_key_or_the_photo(
    fake: FakeAnthropic, outbox: Outbox, jpeg: bytes, reply: str
) -> None:
    fake.replies = [reply]

    with pytest.raises(ProviderError) as error:
        critique(fake, outbox, jpeg)

    text = str(error.value)
    assert text == error.value.message
    assert fake.api_key not in text
    assert base64.b64encode(jpeg).decode()[:40] not in text


# --- the answer's own rules ----------------------------------------------------
def valid_answer() -> dict[str, Any]:
    answer: dict[str, Any] = json.loads(fixture("success")["body"]["content"][1]["text"])
    return answer


def test_an_answer_needs_exactly_three_pieces_of_advice() -> None:
    answer = valid_answer()
    for advice in (answer["advice"][:2], [*answer["advice"], "And a fourth."]):
        with pytest.raises(ValidationError, match="advice"):
            provider.CritiqueAnswer.model_validate({**answer, "advice": advice})


def test_an_answer_keeps_scores_between_0_and_100() -> None:
    answer = valid_answer()
    with pytest.raises(ValidationError, match="overall"):
        provider.CritiqueAnswer.model_validate({**answer, "overall": -1})


def test_an_answer_refuses_missing_aspects_and_extra_fields() -> None:
    answer = valid_answer()
    aspects = dict(answer["aspects"])
    del aspects["subject"]
    with pytest.raises(ValidationError, match="subject"):
        provider.CritiqueAnswer.model_validate({**answer, "aspects": aspects})
    with pytest.raises(ValidationError, match="mood"):
        provider.CritiqueAnswer.model_validate({**answer, "mood": "sunny"})


def test_an_answer_keeps_reasons_on_one_line() -> None:
    answer = valid_answer()
    aspects = dict(answer["aspects"])
    aspects["sharpness"] = {"score": 50, "reason": "  Soft focus\n on the eyes.  "}

    parsed = provider.CritiqueAnswer.model_validate({**answer, "aspects": aspects})

    assert parsed.aspects.sharpness.reason == "Soft focus on the eyes."
