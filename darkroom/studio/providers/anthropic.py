"""Anthropic (Claude): a photo critique, as JSON validated against ``CritiqueAnswer``.

One operation, ``critique_photo``: the photo goes to the Messages API as a
base64 image block, followed by the instructions, with structured outputs
(``output_config.format``, a JSON schema made from ``CritiqueAnswer``) so the
model's text is JSON of that shape. That is Anthropic's current way to get
JSON (platform.claude.com/docs/en/build-with-claude/structured-outputs); the
older one, forced tool use, is a 400 on Claude Sonnet 5.5, as are thinking
budgets, sampling parameters, prefill and disabled thinking, none of which
are sent (platform.claude.com/docs/en/models/sonnet-5-5/migration-guide).
The answer is validated again here, because the schema the API enforces
cannot carry every constraint (the SDK moves score ranges and "exactly
three" into descriptions); an invalid answer is asked for again, up to
``max_attempts``, then ``Failed``.

Errors follow platform.claude.com/docs/en/api/errors: 429 (rate limit) and
529 (overloaded) are ``Transient`` with the ``retry-after`` header, except a
429 for the tier's monthly spend cap, which has no ``retry-after`` and does
not clear by waiting; other 5xx are ``Transient``; 4xx are ``Failed``. A
refusal arrives as HTTP 200 with ``stop_reason: "refusal"`` and is ``Rejected``.

Named ``anthropic.py`` like its siblings. Python 3 imports are absolute, so
``import anthropic`` below finds the SDK on ``sys.path``, never this module
(which only ``from . import anthropic`` would reach); a test checks it.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Annotated

import anthropic as anthropic_sdk
import httpx2
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from darkroom.studio.providers.base import Failed, OnSent, Rejected, Sent, Transient

__all__ = ["DEFAULT_MODEL", "PROVIDER", "RETENTION", "AspectScore", "Aspects", "CritiqueAnswer", "critique_photo"]

PROVIDER = "Anthropic"
# The current Sonnet (platform.claude.com/docs/en/models/sonnet-5/overview: "Claude
# Sonnet 5 is a legacy model; Claude Sonnet 5.5 is the current Sonnet model"); the
# profile may name another.
DEFAULT_MODEL = "claude-sonnet-5-5"
# Pinned so that an ANTHROPIC_BASE_URL in the worker's environment cannot redirect photos.
DEFAULT_BASE_URL = "https://api.anthropic.com"
# privacy.anthropic.com/en/articles/7996866 ("How long do you store my organization's
# data?", commercial products): API inputs and outputs are deleted within 30 days,
# kept up to 2 years when flagged as violating the Usage Policy.
RETENTION = (
    "Anthropic deletes API inputs and outputs within 30 days, "
    "or keeps them up to 2 years if its safety classifiers flag them"
)

# Thinking (on by default on current models) counts against max_tokens; a critique
# needs a few hundred tokens of answer, so this leaves room without inviting essays.
_MAX_TOKENS = 8192
_MAX_REASON = 240
_MAX_ADVICE = 400
_MAX_API_MESSAGE = 200


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


OneLine = Annotated[str, AfterValidator(_one_line), Field(min_length=1, max_length=_MAX_REASON)]
Advice = Annotated[str, AfterValidator(_one_line), Field(min_length=1, max_length=_MAX_ADVICE)]
Score = Annotated[int, Field(ge=0, le=100)]


class AspectScore(BaseModel):
    """One aspect of the photo: a score and the reason for it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    score: Score = Field(description="0 (very poor) to 100 (excellent)")
    reason: OneLine = Field(description="One short sentence saying why, about this photo")


class Aspects(BaseModel):
    """The five aspects every critique scores."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # What each one covers is in _PROMPT: the API's schema keeps no description beside a $ref.
    sharpness: AspectScore
    exposure: AspectScore
    colour: AspectScore
    composition: AspectScore
    subject: AspectScore


class CritiqueAnswer(BaseModel):
    """What Claude must answer: an overall score, five aspect scores and exactly three pieces of advice."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    overall: Score = Field(description="The photo's overall quality, 0 to 100")
    aspects: Aspects
    advice: list[Advice] = Field(
        min_length=3,
        max_length=3,
        description="Exactly three pieces of advice, most useful first, in plain language for a beginner",
    )


_SYSTEM = (
    "You are a friendly, honest photography coach. You critique one photo at a time for the person who took it. "
    "Judge what is in the photo, not the person in it: never comment on anyone's looks, age, body or identity."
)
_PROMPT = (
    "Critique this photo. Score its overall quality from 0 to 100, and score each of these aspects from 0 to 100 "
    "with a one-sentence reason about this photo:\n"
    "- sharpness: focus, motion blur, camera shake\n"
    "- exposure: brightness, clipped highlights or shadows, contrast\n"
    "- colour: white balance, colour casts, saturation\n"
    "- composition: framing, balance, a level horizon, distractions at the edges\n"
    "- subject: how clear and engaging the main subject is\n"
    "Then give exactly three pieces of advice the photographer can act on next time, most useful first, "
    "in plain words without jargon. Answer in the JSON format you were given."
)
# The SDK's transform_schema makes the pydantic schema one the API accepts
# (additionalProperties false; unsupported constraints folded into descriptions).
_OUTPUT_FORMAT: anthropic_sdk.types.JSONOutputFormatParam = {
    "type": "json_schema",
    "schema": anthropic_sdk.transform_schema(CritiqueAnswer),
}


class _Block(BaseModel):
    type: str
    text: str | None = None


class _StopDetails(BaseModel):
    explanation: str | None = None


class _Reply(BaseModel):
    """The parts of a Messages API reply this module reads; anything else in the body is ignored."""

    content: list[_Block]
    stop_reason: str | None
    stop_details: _StopDetails | None = None


def critique_photo(
    image_jpeg: bytes,
    *,
    api_key: str,
    on_sent: OnSent,
    base_url: str | None = None,
    model: str = DEFAULT_MODEL,
    timeout: float = 60.0,
    max_attempts: int = 2,
) -> CritiqueAnswer:
    """Ask Claude to critique a JPEG photo; return its answer, validated.

    Each attempt sends the photo once and reports it through ``on_sent``
    (with Anthropic's ``request-id``) before anything else happens, even when
    the answer is an error. An answer that is not a valid critique (bad JSON,
    wrong shape, cut off at ``max_tokens``) is asked for again, at most
    ``max_attempts`` times in all.

    Raises ``Rejected`` when Claude refuses the photo, ``Transient`` for
    timeouts, rate limits and server errors, ``Failed`` otherwise.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if not api_key:
        # The SDK would fall back to ANTHROPIC_API_KEY or a local profile: keys come from settings only.
        raise Failed(PROVIDER, "no Anthropic key is configured")
    content: list[anthropic_sdk.types.ContentBlockParam] = [
        {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/jpeg", "data": base64.b64encode(image_jpeg).decode()},
        },
        # Images before the text: Anthropic's vision guide says Claude does best that way.
        {"type": "text", "text": _PROMPT},
    ]
    with anthropic_sdk.Anthropic(
        api_key=api_key,
        base_url=base_url or DEFAULT_BASE_URL,
        timeout=timeout,
        # The job runner owns retries (backoff, circuit breaker) and each retry here
        # must be reported as a new transfer of the photo, so the SDK makes none.
        max_retries=0,
        # Set explicitly so ANTHROPIC_OPEN_TELEMETRY_* in the environment cannot put
        # the photo's bytes into trace spans (a processor the log would not name).
        open_telemetry={"traces": {"content_mode": "metadata_only"}},
    ) as client:
        problem = ""
        for _attempt in range(max_attempts):
            answer, problem = _attempt_critique(client, content, model=model, timeout=timeout, on_sent=on_sent)
            if answer is not None:
                return answer
    times = "once" if max_attempts == 1 else f"{max_attempts} times"
    raise Failed(PROVIDER, f"Anthropic's answer was not a usable critique ({problem}), {times}")


def _attempt_critique(
    client: anthropic_sdk.Anthropic,
    content: list[anthropic_sdk.types.ContentBlockParam],
    *,
    model: str,
    timeout: float,
    on_sent: OnSent,
) -> tuple[CritiqueAnswer | None, str]:
    """One request: the answer, or ``None`` and what was wrong with it; errors are raised."""
    try:
        raw = client.messages.with_raw_response.create(
            model=model,
            max_tokens=_MAX_TOKENS,
            system=_SYSTEM,
            messages=[{"role": "user", "content": content}],
            output_config={"format": _OUTPUT_FORMAT},
        )
    except anthropic_sdk.APITimeoutError as error:
        _report(on_sent, "")
        raise Transient(PROVIDER, f"Anthropic did not answer within {timeout:g} s; retrying") from error
    except anthropic_sdk.APIConnectionError as error:
        # A refused or failed connection carried nothing; any later failure may have.
        if not isinstance(error.__cause__, httpx2.ConnectError):
            _report(on_sent, "")
        raise Transient(PROVIDER, "Anthropic could not be reached; retrying") from error
    except anthropic_sdk.APIStatusError as error:
        _report(on_sent, error.request_id or "")
        raise _status_error(error, model) from error

    _report(on_sent, raw.request_id or "")
    try:
        reply = _Reply.model_validate_json(raw.http_response.content)
    except ValidationError:
        return None, "the response was not a Messages API reply"
    if reply.stop_reason == "refusal":
        explanation = reply.stop_details.explanation if reply.stop_details else None
        because = f": {_clip(explanation)}" if explanation else ""
        raise Rejected(PROVIDER, f"Anthropic's safety system declined to critique this photo{because}")
    if reply.stop_reason == "max_tokens":
        return None, "it was cut off"
    text = "".join(block.text or "" for block in reply.content if block.type == "text")
    try:
        return CritiqueAnswer.model_validate_json(text), ""
    except ValidationError as error:
        return None, _first_problem(error)


def _report(on_sent: OnSent, request_id: str) -> None:
    # Only the photo is the person's data; the instructions are the operator's own text.
    on_sent(Sent(provider=PROVIDER, data=("image",), request_id=request_id, retention=RETENTION))


def _status_error(error: anthropic_sdk.APIStatusError, model: str) -> Transient | Failed:
    """The outcome for an HTTP error, in words for the person whose job it is."""
    status = error.status_code
    if status == 429:
        # The tier's monthly spend cap is a 429 without retry-after: waiting minutes does not help.
        if error.error_code == "enforced_spend_limit_reached":
            return Failed(PROVIDER, "the operator's Anthropic account reached its monthly spend limit")
        return Transient(PROVIDER, "Anthropic's rate limit was reached; retrying", _retry_after(error.response))
    if status == 529:
        return Transient(PROVIDER, "Anthropic is overloaded; retrying", _retry_after(error.response))
    if status >= 500 or status == 408:
        return Transient(
            PROVIDER, f"Anthropic had a server error (HTTP {status}); retrying", _retry_after(error.response)
        )
    if status == 401:
        return Failed(PROVIDER, "the operator's Anthropic key was refused")
    if status == 402:
        return Failed(PROVIDER, "the operator's Anthropic account has a billing problem")
    if status == 403:
        return Failed(PROVIDER, f"the operator's Anthropic key may not use the model {model}")
    if status == 404:
        return Failed(PROVIDER, f"Anthropic has no model called {model}")
    if status == 413:
        return Failed(PROVIDER, "the photo is too large for Anthropic")
    # Anthropic's own message says what was wrong (a bad image, a spend limit the
    # operator set); it never echoes the key or the image.
    detail = f": {_clip(error.api_message)}" if error.api_message else ""
    return Failed(PROVIDER, f"Anthropic refused the request (HTTP {status}){detail}")


def _retry_after(response: httpx2.Response) -> float | None:
    """Seconds to wait from ``retry-after`` (seconds or an HTTP date), if the response says."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _first_problem(error: ValidationError) -> str:
    first = error.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "the answer"
    return f"{where}: {first['msg']}"


def _clip(text: str) -> str:
    text = _one_line(text)
    return text if len(text) <= _MAX_API_MESSAGE else text[: _MAX_API_MESSAGE - 1] + "…"
