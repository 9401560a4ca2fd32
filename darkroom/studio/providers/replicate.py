"""Replicate: run one model version as a prediction, wait for it, and fetch its first output file.

Replicate is asynchronous and bills per prediction, so ``run_prediction``
hands the prediction id to ``remember`` before it waits: a worker that dies
while waiting is re-run with that id as ``recalled`` and resumes the same
prediction instead of paying for a second one. A webhook (``webhook_url``,
checked with ``verify_webhook``) tells Darkroom early that a prediction
completed; polling is the fallback that works without it.

This module is named like the SDK; ``from __future__ import annotations``
and absolute imports make ``import replicate`` below the installed SDK, never
this file. The SDK (pydantic, httpx) is imported inside the functions that
call it, so a web process that only checks webhooks does not load it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar
from urllib.parse import urlsplit

from darkroom.studio.providers.base import Failed, ImageAnswer, OnSent, Rejected, Sent, Transient

if TYPE_CHECKING:
    import httpx
    from replicate.client import Client
    from replicate.exceptions import ReplicateError
    from replicate.prediction import Prediction

PROVIDER = "Replicate"

# "For predictions created through the API, all input parameters, output
# values, output files, and logs are automatically removed after an hour, by
# default." (https://replicate.com/docs/topics/predictions/data-retention)
RETENTION = "Replicate deletes the inputs, outputs and logs of API predictions one hour after they run"

# Replicate takes a file inline as a data URI, "only recommended if the file
# is less than 1MB" (https://replicate.com/docs/topics/predictions/input-files);
# larger photos are refused here, before anything is sent, and must be
# downscaled by the caller (a 1024 px JPEG of a selfie is well under this).
MAX_INLINE_BYTES = 1_000_000

# A generous cap for one result image: Real-ESRGAN's 4x upscale of a 12 MP
# photo as PNG stays below it; anything larger is not a photo we asked for.
MAX_OUTPUT_BYTES = 50 * 1024 * 1024

DEFAULT_API = "https://api.replicate.com"
TERMINAL = frozenset({"succeeded", "failed", "canceled"})

# How models on Replicate report a safety refusal in ``prediction.error``:
# Stable Diffusion's cog: "NSFW content detected. Try running it again, or try
# a different prompt."; SDXL / Flux safety checkers: "All generated images
# contained NSFW content. Try running it again with a different prompt.";
# Replicate's platform filter: "The input or output was flagged as sensitive.
# Please try again with different inputs. (E005)".
_SAFETY_ERRORS = re.compile(r"nsfw|flagged as sensitive|\(E005\)|safety (?:checker|filter|system)", re.IGNORECASE)

_IMAGE_TYPES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)

T = TypeVar("T")


@dataclass(frozen=True)
class PredictionAnswer:
    """A finished prediction: its output URLs and the first output file, downloaded."""

    output_urls: tuple[str, ...]
    data: bytes
    content_type: str
    request_id: str  # the prediction id, as Replicate's dashboard shows it

    def as_image(self) -> ImageAnswer:
        """The first output as the studio's ``ImageAnswer``."""
        return ImageAnswer(data=self.data, content_type=self.content_type, request_id=self.request_id)


def run_prediction(
    version: str,
    inputs: Mapping[str, Any],
    *,
    api_token: str,
    base_url: str | None = None,
    webhook_url: str | None = None,
    recalled: str | None,
    remember: Callable[[str], None],
    on_sent: OnSent,
    poll_interval: float = 2.0,
    deadline: float = 600.0,
    timeout: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    max_inline_bytes: int = MAX_INLINE_BYTES,
    max_output_bytes: int = MAX_OUTPUT_BYTES,
) -> PredictionAnswer:
    """Run ``version`` on ``inputs`` (``bytes`` values become data URIs) and download its first output file.

    With ``recalled`` (an id that an earlier attempt passed to ``remember``)
    no prediction is created: that one is fetched and waited for, and
    ``on_sent`` is not called again, since nothing new leaves. Otherwise the
    prediction is created, ``remember(id)`` and ``on_sent`` are called before
    any waiting, and ``on_sent`` is also called when the create request was
    sent but then failed.

    Raises ``Rejected`` when the model's safety filter refused, ``Failed``
    for a failed or canceled prediction, a refused token or bad inputs, and
    ``Transient`` for timeouts, 429, 5xx, and a prediction still running
    after ``deadline`` seconds of polling: it is still running (and paid
    for) on Replicate, so the retry should resume it through ``recalled``;
    the job's own deadline decides when to give up, then ``cancel_prediction``.
    A failed prediction is never Transient: resuming it would only fail again.

    Every HTTP call has ``timeout`` seconds; note that the SDK itself retries
    a GET answered 429/503/504 (up to 10 times, honouring Retry-After) before
    this function sees the error.
    """
    if not api_token:
        raise Failed(PROVIDER, "Replicate is not configured: the operator has set no API token")
    encoded, sent_data = ({}, ()) if recalled else _encode_inputs(inputs, max_inline_bytes)
    client, last_response = _client(api_token, base_url, timeout)
    try:
        if recalled:
            prediction = _call(lambda: client.predictions.get(recalled), last_response, lookup=True)
        else:
            prediction = _create(client, last_response, version, encoded, webhook_url, sent_data, remember, on_sent)
        prediction = _wait(client, last_response, prediction, poll_interval, deadline, sleep, clock)
        return _answer(client, prediction, base_url, timeout, clock, max_output_bytes)
    finally:
        client._client.close()


def cancel_prediction(
    prediction_id: str, *, api_token: str, base_url: str | None = None, timeout: float = 30.0
) -> None:
    """Stop a prediction Darkroom gave up on, so Replicate stops billing for it.

    Cancelling a prediction that already finished is harmless; errors map as
    in ``run_prediction``.
    """
    client, last_response = _client(api_token, base_url, timeout)
    try:
        _call(lambda: client.predictions.cancel(prediction_id), last_response, lookup=True)
    finally:
        client._client.close()


def verify_webhook(
    headers: Mapping[str, str], body: bytes, secret: str, *, tolerance: int = 300, now: float | None = None
) -> dict[str, Any]:
    """Check a webhook delivery's signature and return its body, the prediction as JSON.

    Replicate signs ``"{webhook-id}.{webhook-timestamp}.{raw body}"`` with
    HMAC-SHA256 under the base64 key after ``whsec_`` of the account's
    signing secret; ``webhook-signature`` lists space-separated
    ``v1,<base64>`` signatures, any one of which may match
    (https://replicate.com/docs/topics/webhooks/verify-webhook). A timestamp
    more than ``tolerance`` seconds from ``now`` is refused, so a captured
    delivery cannot be replayed later. Raises ``ValueError`` with the reason,
    which never includes the secret.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    webhook_id = lowered.get("webhook-id", "").strip()
    timestamp = lowered.get("webhook-timestamp", "").strip()
    signatures = lowered.get("webhook-signature", "").strip()
    for name, value in (
        ("webhook-id", webhook_id),
        ("webhook-timestamp", timestamp),
        ("webhook-signature", signatures),
    ):
        if not value:
            raise ValueError(f"the {name} header is missing")
    if not timestamp.isdigit():
        raise ValueError("the webhook-timestamp header is not a Unix time")
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance:
        raise ValueError(f"the webhook timestamp is more than {tolerance} s from now (a replayed or delayed delivery)")
    prefix, _, encoded_key = secret.partition("_")
    if prefix != "whsec" or not encoded_key:
        raise ValueError("the webhook signing secret is not a whsec_ key")
    try:
        key = base64.b64decode(encoded_key, validate=True)
    except binascii.Error:
        raise ValueError("the webhook signing secret is not valid base64 after whsec_") from None
    expected = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    if not any(hmac.compare_digest(candidate, expected) for candidate in _v1_signatures(signatures)):
        raise ValueError("the webhook signature does not match its body")
    try:
        payload = json.loads(body)
    except ValueError:
        raise ValueError("the webhook body is not JSON") from None
    if not isinstance(payload, dict):
        raise ValueError("the webhook body is not a JSON object")
    return payload


# --- inputs -----------------------------------------------------------------
def _encode_inputs(inputs: Mapping[str, Any], limit: int) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Photos (``bytes``, alone or in a list) as data URIs; and what the processor log says was sent."""
    encoded: dict[str, Any] = {}
    images = 0
    for name, value in inputs.items():
        if isinstance(value, bytes):
            encoded[name] = _data_uri(value, limit)
            images += 1
        elif isinstance(value, list | tuple) and value and all(isinstance(item, bytes) for item in value):
            encoded[name] = [_data_uri(item, limit) for item in value]
            images += len(value)
        else:
            encoded[name] = value
    prompt = isinstance(inputs.get("prompt"), str) and bool(inputs["prompt"].strip())
    return encoded, ("image",) * bool(images) + ("prompt",) * prompt


def _data_uri(data: bytes, limit: int) -> str:
    if len(data) > limit:
        raise Failed(
            PROVIDER,
            f"this photo is too large to send to Replicate ({len(data):,} bytes; the limit is {limit:,}): "
            "it must be made smaller first",
        )
    content_type = _sniff(data)
    if not content_type.startswith("image/"):
        raise Failed(PROVIDER, "this photo is not in a format Replicate's models read (JPEG, PNG, WebP or GIF)")
    return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"


def _sniff(data: bytes) -> str:
    for magic, content_type in _IMAGE_TYPES:
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


# --- the SDK ------------------------------------------------------------------
def _client(api_token: str, base_url: str | None, timeout: float) -> tuple[Client, dict[str, httpx.Response]]:
    """An SDK client with our timeout, and a slot holding the last response (for its Retry-After header)."""
    import httpx
    from replicate.client import Client

    last_response: dict[str, httpx.Response] = {}
    limits = httpx.Timeout(timeout).as_dict()

    def bound(request: httpx.Request) -> None:
        # replicate 1.0.7 sends predictions.create with timeout=None (no limit at all) unless
        # ``wait`` is used, overriding the client's timeout; every request gets ours back here.
        request.extensions["timeout"] = limits

    def keep(response: httpx.Response) -> None:
        last_response["response"] = response

    # base_url is always passed, so REPLICATE_BASE_URL in the environment cannot redirect the token.
    client = Client(
        api_token=api_token,
        base_url=base_url or DEFAULT_API,
        timeout=httpx.Timeout(timeout),
        event_hooks={"request": [bound], "response": [keep]},
    )
    return client, last_response


class _NotSent(Transient):
    """A connection that failed before the request left: retry, and log no transfer."""


def _create(
    client: Client,
    last_response: dict[str, httpx.Response],
    version: str,
    encoded: dict[str, Any],
    webhook_url: str | None,
    sent_data: tuple[str, ...],
    remember: Callable[[str], None],
    on_sent: OnSent,
) -> Prediction:
    def create() -> Prediction:
        if webhook_url:
            # "start" names the prediction even if this worker dies before it hears the id
            # (the webhook records it on the job); "completed" tells its end. No "output"/"logs":
            # each event is a request to our server.
            return client.predictions.create(
                version=version, input=encoded, webhook=webhook_url, webhook_events_filter=["start", "completed"]
            )
        return client.predictions.create(version=version, input=encoded)

    try:
        prediction = _call(create, last_response, lookup=False)
    except _NotSent:
        raise  # the connection failed before the request: nothing left this machine
    except (Transient, Failed):
        # The request went out (a timeout or an error answer): the data may be at Replicate, with no id to name.
        on_sent(Sent(provider=PROVIDER, data=sent_data, request_id="", retention=RETENTION))
        raise
    try:
        remember(prediction.id)
    finally:
        # Also when remember fails: the data has left either way, and the processor log must say so.
        on_sent(Sent(provider=PROVIDER, data=sent_data, request_id=prediction.id, retention=RETENTION))
    return prediction


def _wait(
    client: Client,
    last_response: dict[str, httpx.Response],
    prediction: Prediction,
    poll_interval: float,
    deadline: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> Prediction:
    prediction_id = prediction.id
    give_up_at = clock() + deadline
    while prediction.status not in TERMINAL:
        remaining = give_up_at - clock()
        if remaining <= 0:
            raise Transient(
                PROVIDER, f"Replicate is still working on this after {deadline:g} s; Darkroom will check again"
            )
        sleep(min(poll_interval, remaining))
        prediction = _call(lambda: client.predictions.get(prediction_id), last_response, lookup=True)
    if prediction.status == "canceled":
        raise Failed(PROVIDER, "the prediction was canceled on Replicate")
    if prediction.status == "failed":
        error = str(prediction.error or "")
        if _SAFETY_ERRORS.search(error):
            raise Rejected(PROVIDER, "Replicate's safety filter refused this photo or prompt")
        reason = _clean(error)
        raise Failed(
            PROVIDER, f"the model on Replicate failed: {reason}" if reason else "the model on Replicate failed"
        )
    return prediction


def _call(step: Callable[[], T], last_response: dict[str, httpx.Response], *, lookup: bool) -> T:
    """One SDK call, its outcomes mapped to Rejected / Transient / Failed; ``lookup``: about an existing prediction."""
    import httpx
    from replicate.exceptions import ReplicateError

    try:
        return step()
    except ReplicateError as error:
        _raise_for_status(error, last_response.get("response"), lookup=lookup)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
        raise _NotSent(PROVIDER, "Darkroom could not reach Replicate; retrying") from None
    except httpx.TimeoutException:
        raise Transient(PROVIDER, "Replicate did not answer in time; retrying") from None
    except httpx.TransportError:
        raise Transient(PROVIDER, "the connection to Replicate broke; retrying") from None
    except (ValueError, TypeError, AttributeError, KeyError):
        # Not JSON, or JSON that is not a prediction (pydantic's errors are ValueErrors).
        raise Failed(PROVIDER, "Replicate sent an answer Darkroom could not read") from None


def _raise_for_status(error: ReplicateError, response: httpx.Response | None, *, lookup: bool) -> NoReturn:
    status = int(error.status or 0)
    if status == 429:
        raise Transient(PROVIDER, "Replicate is busy (rate limit); retrying", retry_after=_retry_after(error, response))
    if status >= 500:
        raise Transient(PROVIDER, "Replicate is having trouble on its side; retrying")
    if status == 401:
        raise Failed(PROVIDER, "the operator's Replicate API token was refused")
    if status == 402:
        raise Failed(PROVIDER, "the operator's Replicate account has run out of credit")
    if status == 403:
        raise Failed(PROVIDER, "the operator's Replicate account may not use this model")
    if status == 404 and lookup:
        raise Failed(PROVIDER, "Replicate no longer knows this prediction (it may have expired)")
    # A missing version is a 422 "Invalid version or not permitted", or a 404 on older API paths.
    if status == 404 or (status == 422 and "version" in str(error.title or "").lower()):
        raise Failed(PROVIDER, "the Replicate model version in the profile does not exist or may not be used")
    if status in (400, 422):
        raise Failed(PROVIDER, "Replicate refused the model inputs as invalid; check the profile's model settings")
    raise Failed(PROVIDER, f"Replicate refused the request (HTTP {status})")


def _retry_after(error: ReplicateError, response: httpx.Response | None) -> float | None:
    header = response.headers.get("retry-after", "") if response is not None else ""
    if header.strip().isdigit():
        return float(header)
    # Replicate's documented 429 body: "Request was throttled. Your rate limit resets in ~30s."
    found = re.search(r"(\d+)\s*s(?:econds?)?\b", str(error.detail or ""))
    return float(found.group(1)) if found else None


def _clean(error: str) -> str:
    """A model's error text, safe to show: no inline files, no tokens, no long blobs, short."""
    text = re.sub(r"data:[^\s'\"]+", "[file]", error)
    text = re.sub(r"r8_[A-Za-z0-9]+", "[token]", text)
    text = re.sub(r"[A-Za-z0-9+/=_-]{64,}", "…", text)
    text = " ".join(text.split())
    return text if len(text) <= 200 else text[:199] + "…"


# --- outputs ------------------------------------------------------------------
def _answer(
    client: Client,
    prediction: Prediction,
    base_url: str | None,
    timeout: float,
    clock: Callable[[], float],
    limit: int,
) -> PredictionAnswer:
    urls = tuple(_urls(prediction.output))
    if not urls:
        raise Failed(PROVIDER, "the model on Replicate returned no file")
    data, content_type = _download(client, urls[0], base_url, timeout, clock, limit)
    return PredictionAnswer(output_urls=urls, data=data, content_type=content_type, request_id=prediction.id)


def _urls(output: Any) -> Iterator[str]:
    """Output file URLs in the model's order: a URL, a list of them, or a dict holding them."""
    if isinstance(output, str):
        if output.startswith(("https://", "http://")):
            yield output
    elif isinstance(output, list | tuple):
        for item in output:
            yield from _urls(item)
    elif isinstance(output, dict):
        for item in output.values():
            yield from _urls(item)


def _download(
    client: Client, url: str, base_url: str | None, timeout: float, clock: Callable[[], float], limit: int
) -> tuple[bytes, str]:
    """Fetch an output file through the SDK's own httpx client: timeout, size cap, no API token sent."""
    import httpx

    api = urlsplit(base_url or DEFAULT_API)
    target = urlsplit(url)
    # Plain http only to the API's own host (a local proxy or test server), never to anywhere else.
    if target.scheme != "https" and (target.scheme, target.netloc) != (api.scheme, api.netloc):
        raise Failed(PROVIDER, "Replicate returned a result address Darkroom will not fetch")
    http = client._client
    request = http.build_request("GET", url)
    # Output files are served from replicate.delivery without auth; the API token stays with the API.
    request.headers.pop("Authorization", None)
    started = clock()
    try:
        response = http.send(request, stream=True)
        try:
            data = _read_capped(response, started, timeout, clock, limit)
        finally:
            response.close()
    except httpx.TimeoutException:
        raise Transient(PROVIDER, "downloading the result from Replicate timed out; retrying") from None
    except httpx.TransportError:
        raise Transient(PROVIDER, "Darkroom could not download the result from Replicate; retrying") from None
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if not data:
        raise Failed(PROVIDER, "the result file from Replicate is empty")
    if not content_type or content_type == "application/octet-stream":
        content_type = _sniff(data)
    return data, content_type


def _read_capped(
    response: httpx.Response, started: float, timeout: float, clock: Callable[[], float], limit: int
) -> bytes:
    status = response.status_code
    if status == 429 or status >= 500:
        raise Transient(PROVIDER, "Replicate's file server is busy; retrying")
    if status in (403, 404, 410):
        raise Failed(PROVIDER, "the result file on Replicate is gone (it deletes API results after an hour)")
    if status != 200:
        raise Failed(PROVIDER, f"Replicate's file server refused the result (HTTP {status})")
    too_large = Failed(PROVIDER, f"the result from Replicate is larger than {limit:,} bytes")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    received = 0
    for chunk in response.iter_bytes():
        received += len(chunk)
        if received > limit:
            raise too_large
        # httpx's timeout is per read; this bounds a server that trickles bytes forever.
        if clock() - started > timeout:
            raise Transient(PROVIDER, "downloading the result from Replicate took too long; retrying")
        chunks.append(chunk)
    return b"".join(chunks)


def _v1_signatures(header: str) -> Iterator[bytes]:
    for entry in header.split():
        version, _, encoded = entry.partition(",")
        if version != "v1":
            continue
        try:
            yield base64.b64decode(encoded, validate=True)
        except binascii.Error:
            continue
