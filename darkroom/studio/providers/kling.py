"""Kling: a photo and a prompt become a short video (image → video), over Kling's HTTP API.

Kling has no official Python SDK, so this module speaks its documented JSON
through one ``httpx.Client`` per call. A call creates a task, remembers its
id at once (``remember``), polls until the task ends, then downloads the MP4
from Kling's CDN. A restarted worker passes that id back as ``recalled`` and
resumes polling the same task: a task is paid for when it is created, so it
is never created twice.

Shapes are from Kling's API reference (General Info: authentication, error
codes, content retention; Image to Video: create and query task), read in
the public mirror github.com/inference-sh/grid ``api/klingai/docs/00-general.md``
and ``04-video-image2video.md``.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any, NoReturn
from urllib.parse import quote, urlsplit

import httpx
import jwt

from darkroom.studio.providers.base import Failed, OnSent, Rejected, Sent, Transient, VideoAnswer

PROVIDER = "Kling"

# Kling's docs: "The API endpoint for the new system has been updated from
# https://api.klingai.com to https://api-singapore.klingai.com" (servers
# outside China; https://api-beijing.klingai.com serves mainland China).
DEFAULT_BASE_URL = "https://api-singapore.klingai.com"

# Kling's docs state how long it keeps what it *generates* ("generated images
# and videos are deleted after 30 days", General Info → Content Retention) but
# state no period for the photo and prompt it receives; the log says so
# rather than inventing one.
RETENTION = "Kling states no retention period for inputs; it deletes generated videos after 30 days"

CREATE_PATH = "/v1/videos/image2video"

# Kling's image limits (General Info → File Requirements): JPG/PNG, at most 10 MB.
MAX_IMAGE_BYTES = 10 * 1024 * 1024
# A 10 s 1080p clip is a few tens of MB; anything far larger is not the video we asked for.
MAX_VIDEO_BYTES = 200 * 1024 * 1024
DURATIONS = (5, 10)  # Image to Video → duration: "5" or "10"

# The JWT Kling asks for (General Info → API Authentication): HS256, iss = access
# key, valid 30 minutes, and valid from 5 s ago to absorb clock skew.
TOKEN_LIFETIME = 1800
TOKEN_SKEW = 5

KEYS_REFUSED = "the operator's Kling keys were refused"
NOT_READABLE = "Kling sent an answer Darkroom cannot read"
STILL_WORKING = "Kling has not finished the video yet; checking again later"


def image_to_video(
    image_jpeg: bytes,
    prompt: str,
    *,
    access_key: str,
    secret_key: str,
    model: str,
    recalled: str | None,
    remember: Callable[[str], None],
    on_sent: OnSent,
    base_url: str = DEFAULT_BASE_URL,
    seconds: int = 5,
    mode: str = "std",
    external_task_id: str | None = None,
    poll_interval: float = 5.0,
    deadline: float = 900.0,
    timeout: float = 30.0,
    max_bytes: int = MAX_VIDEO_BYTES,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.time,
) -> VideoAnswer:
    """Animate a photo with Kling and return the MP4.

    ``recalled`` is the task id a previous attempt passed to ``remember``:
    with it, polling resumes and no task is created. Without it, a task is
    created and its id handed to ``remember`` before the first poll.
    ``external_task_id`` (optional, unique per Kling account, e.g. the job's
    id) closes the gap between Kling creating the task and ``remember``: it
    is sent with the task, and a later attempt without ``recalled`` first
    looks the task up by it. ``deadline`` bounds this call's polling: past
    it, ``Transient`` says to come back later (with ``recalled``).

    Raises ``Rejected`` (Kling's content policy), ``Transient`` (timeouts,
    rate and concurrency limits, Kling's server errors, still working) or
    ``Failed`` (keys, balance, a bad request, a bad answer, a download that
    is not an MP4). ``on_sent`` is called once the photo has gone out, even
    when Kling then answers with an error.
    """
    if not access_key or not secret_key:
        raise Failed(PROVIDER, "the operator has not set Kling's access key and secret key")
    if seconds not in DURATIONS:
        raise Failed(PROVIDER, f"Kling makes videos of 5 or 10 seconds, not {seconds}")
    if len(image_jpeg) > MAX_IMAGE_BYTES:
        raise Failed(PROVIDER, "the photo is larger than the 10 MB Kling accepts")
    started = now()
    api = _Api(base_url, access_key, secret_key, timeout)
    with api.client:
        task_id = recalled or (api.find(external_task_id) if external_task_id else None)
        if task_id is None:
            body: dict[str, Any] = {
                "model_name": model,
                # Kling wants bare base64, without a "data:image/jpeg;base64," prefix.
                "image": base64.b64encode(image_jpeg).decode("ascii"),
                "prompt": prompt,
                "duration": str(seconds),
                "mode": mode,
            }
            if external_task_id:
                body["external_task_id"] = external_task_id
            task_id = api.create(body, on_sent)
        if task_id != recalled:
            remember(task_id)
        url = _wait(api, task_id, poll_interval, deadline, started, sleep, now)
        data = _download(api.client, url, max_bytes)
    return VideoAnswer(data=data, request_id=task_id)


class _Api:
    """Kling's two endpoints on one client; a fresh token on every request."""

    def __init__(self, base_url: str, access_key: str, secret_key: str, timeout: float) -> None:
        self.access_key = access_key
        self.secret_key = secret_key
        # No Authorization header on the client itself: the MP4 comes from Kling's
        # CDN through the same client, and the token is for the API only.
        self.client = httpx.Client(base_url=base_url, timeout=httpx.Timeout(timeout), follow_redirects=False)

    def headers(self) -> dict[str, str]:
        # The token speaks to Kling's clock, so it takes the wall clock, never an injected one.
        issued = int(time.time())
        claims = {"iss": self.access_key, "exp": issued + TOKEN_LIFETIME, "nbf": issued - TOKEN_SKEW}
        token = jwt.encode(claims, self.secret_key, algorithm="HS256", headers={"typ": "JWT"})
        return {"Authorization": f"Bearer {token}"}

    def create(self, body: dict[str, Any], on_sent: OnSent) -> str:
        try:
            response = self.client.post(CREATE_PATH, json=body, headers=self.headers())
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise Transient(PROVIDER, "Darkroom could not reach Kling; retrying") from error
        except httpx.HTTPError as error:
            # The photo went out (or partly did) before the answer was lost.
            on_sent(Sent(PROVIDER, ("image", "prompt"), "", RETENTION))
            raise _transport(error) from error
        try:
            data = _data(response)
        except (Rejected, Transient, Failed):
            on_sent(Sent(PROVIDER, ("image", "prompt"), _request_id(response), RETENTION))
            raise
        task_id = data.get("task_id")
        # The task id, not the per-request id, is what names this photo's task at Kling.
        on_sent(Sent(PROVIDER, ("image", "prompt"), task_id if isinstance(task_id, str) else "", RETENTION))
        if not isinstance(task_id, str) or not task_id:
            raise Failed(PROVIDER, NOT_READABLE)
        return task_id

    def query(self, task_id: str) -> dict[str, Any]:
        return _data(self._get(task_id))

    def find(self, external_task_id: str) -> str | None:
        """The task created under ``external_task_id`` by an earlier attempt, if Kling has one."""
        response = self._get(external_task_id)
        # The query path takes a task id or an external task id. "Not found" comes
        # back as a request-parameter error (1200-series, 1203 "the requested
        # resource does not exist"): any of those means no task was created yet.
        code = _body(response).get("code")
        if response.status_code == 404 or (isinstance(code, int) and 1200 <= code < 1300):
            return None
        task_id = _data(response).get("task_id")
        return task_id if isinstance(task_id, str) and task_id else None

    def _get(self, task_id: str) -> httpx.Response:
        try:
            return self.client.get(f"{CREATE_PATH}/{quote(task_id, safe='')}", headers=self.headers())
        except httpx.HTTPError as error:
            raise _transport(error) from error


def _wait(
    api: _Api,
    task_id: str,
    poll_interval: float,
    deadline: float,
    started: float,
    sleep: Callable[[float], None],
    now: Callable[[], float],
) -> str:
    """Poll the task until it succeeds (its video's URL) or fails; Transient past ``deadline``."""
    while True:
        data = api.query(task_id)
        status = data.get("task_status")
        if status == "succeed":
            return _video_url(data)
        if status == "failed":
            _task_failed(data.get("task_status_msg"))
        if status not in ("submitted", "processing"):
            raise Failed(PROVIDER, NOT_READABLE)
        if now() - started + poll_interval > deadline:
            raise Transient(PROVIDER, STILL_WORKING, retry_after=poll_interval)
        sleep(poll_interval)


def _video_url(data: dict[str, Any]) -> str:
    result = data.get("task_result")
    videos = result.get("videos") if isinstance(result, dict) else None
    first = videos[0] if isinstance(videos, list) and videos else None
    url = first.get("url") if isinstance(first, dict) else None
    if not isinstance(url, str) or urlsplit(url).scheme not in ("https", "http"):
        raise Failed(PROVIDER, "Kling said the video was ready but gave no address for it")
    return url


# Kling's reference lists no reasons a task fails after it was accepted; only
# task_status_msg says why. Its moderation of the photo and of the result
# speaks of risk control or content (wording as users report it, e.g. "Failure
# to pass the risk control system", not from the reference), so those words mean Rejected.
_REFUSAL_WORDS = ("risk", "content", "policy", "sensitive", "moderation", "safety", "inappropriate")


def _task_failed(message: object) -> NoReturn:
    text = _short(message)
    if any(word in text.lower() for word in _REFUSAL_WORDS):
        raise Rejected(PROVIDER, f"Kling's content policy refused this photo or prompt ({text})")
    raise Failed(PROVIDER, f"Kling could not make the video ({text or 'no reason given'})")


def _download(client: httpx.Client, url: str, max_bytes: int) -> bytes:
    """The MP4 at ``url``, refused when it is too large or does not start like an MP4."""
    chunks: list[bytes] = []
    size = 0
    try:
        # Kling's CDN may redirect; the API never should, hence per-request.
        with client.stream("GET", url, follow_redirects=True) as response:
            if response.status_code >= 500 or response.status_code == 429:
                raise Transient(PROVIDER, "Kling's video storage is unavailable; retrying")
            if response.status_code != 200:
                raise Failed(PROVIDER, f"Kling's video could not be downloaded (HTTP {response.status_code})")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise Failed(PROVIDER, "Kling's video is larger than Darkroom accepts")
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise Failed(PROVIDER, "Kling's video is larger than Darkroom accepts")
                chunks.append(chunk)
    except httpx.HTTPError as error:
        raise _transport(error) from error
    data = b"".join(chunks)
    # An MP4 (ISO base media file) opens with its "ftyp" box: 4 bytes of size, then b"ftyp".
    if data[4:8] != b"ftyp":
        raise Failed(PROVIDER, "Kling's download is not an MP4 video")
    return data


def _data(response: httpx.Response) -> dict[str, Any]:
    """The ``data`` of a Kling answer, or the error its ``code`` and HTTP status call for."""
    body = _body(response)
    if not isinstance(body.get("code"), int):
        if response.status_code == 429 or response.status_code >= 500:
            raise _error(response, 0, "")
        if response.status_code == 401:
            raise _error(response, 1000, "")
        raise Failed(PROVIDER, NOT_READABLE)
    code = body["code"]
    if code != 0 or response.status_code >= 300:
        raise _error(response, code, body.get("message"))
    data = body.get("data")
    if not isinstance(data, dict):
        raise Failed(PROVIDER, NOT_READABLE)
    return data


def _error(response: httpx.Response, code: int, message: object) -> Rejected | Transient | Failed:
    """Kling's service codes (General Info → Error Code) to the chain's three outcomes.

    1000-1004 authentication (401); 1100-1102 account: exception, arrears,
    resource pack used up (429, yet no retry helps), 1103 no access to the
    model (403); 1200-1203 invalid request (400/404); 1300 platform policy and
    1301 content security policy (400); 1302 rate limit, 1303 concurrency or
    QPS over the resource pack's limit (429); 1304 IP whitelist (429);
    5000-5002 server error, unavailable, timeout (500/503/504).
    """
    status = response.status_code
    retry_after = _retry_after(response)
    if 1000 <= code < 1100:
        return Failed(PROVIDER, f"{KEYS_REFUSED} (check the access key, the secret key and the server's clock)")
    elif code == 1103:
        return Failed(PROVIDER, "the operator's Kling account may not use this model")
    elif 1100 <= code < 1200:
        return Failed(PROVIDER, "the operator's Kling account has no balance or resource pack left")
    elif 1200 <= code < 1300:
        return Failed(PROVIDER, f"Kling refused the request as invalid ({_short(message) or code})")
    elif code in (1300, 1301):
        return Rejected(PROVIDER, "Kling's content policy refused this photo or prompt")
    elif code == 1302:
        return Transient(PROVIDER, "Kling's rate limit was reached; retrying", retry_after)
    elif code == 1303:
        return Transient(
            PROVIDER, "Kling is making as many videos as the operator's plan allows; retrying", retry_after
        )
    elif code == 1304:
        return Failed(PROVIDER, "Kling refused this server's IP address (its IP whitelist policy)")
    elif 5000 <= code < 6000 or status >= 500:
        return Transient(PROVIDER, "Kling is having trouble; retrying", retry_after)
    elif status == 429:
        return Transient(PROVIDER, "Kling is busy; retrying", retry_after)
    elif status == 401:
        return Failed(PROVIDER, KEYS_REFUSED)
    else:
        return Failed(PROVIDER, f"Kling refused the request (HTTP {status}, code {code})")


def _transport(error: httpx.HTTPError) -> Transient:
    if isinstance(error, httpx.TimeoutException):
        return Transient(PROVIDER, "Kling did not answer in time; retrying")
    return Transient(PROVIDER, "the connection to Kling broke; retrying")


def _retry_after(response: httpx.Response) -> float | None:
    # Kling documents no Retry-After header; honour one if a proxy or Kling sends it.
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _body(response: httpx.Response) -> dict[str, Any]:
    """The JSON object Kling answered, or ``{}`` when the answer is not one."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _request_id(response: httpx.Response) -> str:
    request_id = _body(response).get("request_id")
    return request_id if isinstance(request_id, str) else ""


def _short(message: object) -> str:
    # Kling's own words help the operator; bounded, so an echoed parameter cannot flood a page.
    return message.strip()[:160] if isinstance(message, str) else ""
