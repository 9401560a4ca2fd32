"""OpenAI: a portrait from one or more selfies and a scene prompt, through the image edit endpoint.

One call, ``POST /v1/images/edits`` with the selfies as multipart files,
through the official SDK (``openai``; it sends with httpx2). GPT Image models
answer with base64 image data (``b64_json``), never a URL, so nothing is
fetched afterwards. The outcome is mapped onto ``base``: refusals by OpenAI's
safety system are ``Rejected`` (the chain falls back, e.g. to Replicate),
rate limits, timeouts and server errors are ``Transient``, the rest ``Failed``.

This module is named like the SDK: inside it ``import openai`` still means
the SDK, because imports are absolute; the SDK is imported inside the function
(as ``openai_sdk``) so the web process does not load it at start-up.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from darkroom.studio.providers.base import Failed, ImageAnswer, OnSent, Rejected, Sent, Transient

if TYPE_CHECKING:
    import openai as openai_sdk
    from openai.types import ImagesResponse

PROVIDER = "OpenAI"

# OpenAI's "Data controls in the OpenAI platform" (developers.openai.com/api/docs/guides/your-data,
# read 2026-12-01): API data is not used for training unless the organization opts in; abuse
# monitoring logs, which may hold prompts and images, are kept "for up to 30 days, unless longer
# retention is required by law, or is reasonably necessary to protect our services or any third
# party from harm". An organization approved for Zero Data Retention keeps less; the profile can
# say so, this is the default every key gets.
RETENTION = (
    "kept by OpenAI for up to 30 days for abuse monitoring (longer only where the law requires it "
    "or to prevent harm), not used for training"
)

# gpt-image-1 was shut down on 2026-10-23 and gpt-image-1.5 / -1-mini on 2026-12-01; OpenAI's
# deprecations page names gpt-image-2.6-sunburst or -flare as the replacement. Sunburst is the
# one that "keeps subjects and lighting consistent", which is what a likeness needs.
DEFAULT_MODEL = "gpt-image-2.6-sunburst"

# The image edit reference: "You can provide up to 16 images", each a png, webp or jpg file.
MAX_IMAGES = 16
_IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}

# Error codes of a content refusal: ``moderation_blocked`` (GPT Image models, with
# ``moderation_details.moderation_stage`` "input" or "output") and ``content_policy_violation``
# (the older wording, still returned on some requests).
_REFUSALS = frozenset({"moderation_blocked", "content_policy_violation"})

# 429s that are billing, not pace: OpenAI's error codes guide says retrying them "won't restore
# access" until someone adds credit or raises a limit. They all carry type ``insufficient_quota``.
_BILLING = frozenset(
    {
        "insufficient_quota",
        "credit_balance_exhausted",
        "organization_spend_limit_exceeded",
        "project_spend_limit_exceeded",
        "organization_usage_limit_exceeded",
    }
)


def generate_portrait(
    selfies: list[bytes],
    prompt: str,
    *,
    api_key: str,
    base_url: str | None = None,
    model: str = DEFAULT_MODEL,
    size: str = "1024x1536",
    timeout: float = 120.0,
    on_sent: OnSent,
) -> ImageAnswer:
    """Edit the selfies into one portrait as ``prompt`` describes; the encoded image OpenAI made.

    ``selfies`` are JPEG, PNG or WebP bytes (1 to 16). ``timeout`` bounds each
    phase of the one HTTP call (connect, upload, waiting for the answer); the
    SDK's own retries are off because the job runner retries ``Transient``
    with backoff and jitter, and a hidden retry would double both the wait and
    the bill. ``on_sent`` is called once, before this returns or raises,
    whenever the selfies and prompt may have reached OpenAI, with the request
    id OpenAI gave (``x-request-id``), "" when no answer came.

    Raises ``Rejected`` when OpenAI's safety system refuses the photos, the
    prompt or its own result; ``Transient`` on a timeout, a lost connection, a
    rate limit (with ``retry_after`` from the answer) or a server error;
    ``Failed`` on anything else, with a message a person can act on.
    """
    import httpx2
    import openai as openai_sdk
    from openai.types import ImagesResponse

    if not api_key:
        raise Failed(PROVIDER, "the operator has not set an OpenAI key")
    if not 1 <= len(selfies) <= MAX_IMAGES:
        raise ValueError(f"OpenAI edits 1 to {MAX_IMAGES} images, not {len(selfies)}")
    uploads = [_upload(number, data) for number, data in enumerate(selfies, 1)]

    def report(request_id: str | None) -> None:
        on_sent(Sent(PROVIDER, ("image", "prompt"), request_id or "", RETENTION))

    try:
        with openai_sdk.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0) as client:
            raw = client.images.with_raw_response.edit(model=model, image=uploads, prompt=prompt, size=size, n=1)
            request_id = raw.request_id
            try:
                parsed = raw.parse()
            except (ValueError, openai_sdk.APIResponseValidationError):
                parsed = None
    except openai_sdk.APIStatusError as error:
        report(error.request_id)
        raise _status_error(error, model) from error
    except openai_sdk.APIConnectionError as error:
        # A refused or timed-out connect, or no free connection, means no byte of the request left;
        # anything later (upload cut, answer too slow) may have delivered the photos.
        if not isinstance(error.__cause__, httpx2.ConnectError | httpx2.ConnectTimeout | httpx2.PoolTimeout):
            report(None)
        if isinstance(error, openai_sdk.APITimeoutError):
            raise Transient(PROVIDER, f"OpenAI did not answer within {timeout:g} seconds; retrying") from error
        raise Transient(PROVIDER, "could not reach OpenAI; retrying") from error

    report(request_id)
    if not isinstance(parsed, ImagesResponse):
        raise Failed(PROVIDER, "OpenAI's answer could not be read")
    return ImageAnswer(*_image(parsed), request_id=request_id or "")


def _upload(number: int, data: bytes) -> tuple[str, bytes, str]:
    """A multipart file part, named by position: the person's own file name never leaves."""
    content_type = _sniff(data)
    if content_type not in _IMAGE_TYPES:
        raise Failed(PROVIDER, "OpenAI accepts only JPEG, PNG or WebP photos")
    return (f"selfie-{number}.{_IMAGE_TYPES[content_type]}", data, content_type)


def _sniff(data: bytes) -> str | None:
    """The image type named by the first bytes, for the upload and for OpenAI's answer."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _image(answer: ImagesResponse) -> tuple[bytes, str]:
    """The one image of an answer and its type, or ``Failed`` when there is none to show."""
    encoded = answer.data[0].b64_json if answer.data else None
    if not encoded:
        raise Failed(PROVIDER, "OpenAI answered without an image")
    try:
        data = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise Failed(PROVIDER, "OpenAI's image could not be decoded") from None
    content_type = _sniff(data)
    if content_type is None:
        raise Failed(PROVIDER, "OpenAI's answer was not a PNG, JPEG or WebP image")
    return data, content_type


def _status_error(error: openai_sdk.APIStatusError, model: str) -> Rejected | Transient | Failed:
    """OpenAI's documented 4xx/5xx answers as what the chain should do next."""
    status, code, body = error.status_code, error.code or "", error.body
    if status == 400 and code in _REFUSALS:
        return Rejected(PROVIDER, _refusal(body))
    if status == 429 and (code in _BILLING or error.type == "insufficient_quota"):
        return Failed(PROVIDER, "the operator's OpenAI account is out of credit or over its spending limit")
    wait = _retry_after(error.response.headers)
    if status == 429:
        return Transient(PROVIDER, "OpenAI is busy (rate limit); retrying", wait)
    if status == 503:
        return Transient(PROVIDER, "OpenAI is overloaded; retrying", wait)
    if status in (408, 409) or status >= 500:
        # 408 and 409 (a lock held by a concurrent request) are what the SDK itself would retry.
        return Transient(PROVIDER, f"OpenAI had a server error ({status}); retrying", wait)
    if status == 401:
        return Failed(PROVIDER, "the operator's OpenAI key was refused")
    if status == 403 and code == "unsupported_country_region_territory":
        return Failed(PROVIDER, "OpenAI does not serve the country or region this server runs in")
    if status == 403:
        return Failed(PROVIDER, "the operator's OpenAI key may not use this model or endpoint")
    if status == 404:
        return Failed(PROVIDER, f"OpenAI has no model {model!r} for this key (it may be retired); choose a current one")
    # OpenAI's own message can quote the request, so only its code and parameter go into ours.
    detail = ": ".join(part for part in (code, error.param or "") if part)
    return Failed(PROVIDER, f"OpenAI could not accept the request ({detail or status})")


def _refusal(body: object) -> str:
    """Which side the safety system refused (the photos and prompt, or its own result) and why."""
    details = body.get("moderation_details") if isinstance(body, Mapping) else None
    details = details if isinstance(details, Mapping) else {}
    categories = details.get("categories")
    named = ", ".join(c for c in categories if isinstance(c, str)) if isinstance(categories, list) else ""
    if details.get("moderation_stage") == "output":
        message = "OpenAI's safety system refused the picture it made from this photo and prompt"
    else:
        message = "OpenAI's safety system refused this photo or prompt"
    return f"{message} (flagged: {named})" if named else message


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait, from ``retry-after-ms`` (OpenAI's) or ``Retry-After`` (seconds or an HTTP date)."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            continue
        return max(seconds, 0.0) if seconds < float("inf") else None
    try:
        when = email.utils.parsedate_to_datetime(headers.get("retry-after", ""))
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)
