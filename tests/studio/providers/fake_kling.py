"""A small local fake of Kling's API, speaking its documented JSON over real HTTP.

It checks every API request's JWT the way Kling does (HS256, signed with the
secret key, ``iss`` = the access key, ``exp`` and ``nbf`` present), creates
image-to-video tasks, answers task queries (by task id or external task id)
with ``processing`` until the task is done, and serves the finished MP4 from
its own "CDN" path. Tests queue canned answers (status + recorded fixture or
raw bytes) per route, add delays, and read what was received.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jwt

from tests.local_server import LocalServer

FIXTURES = Path(__file__).parent / "fixtures"

# The smallest thing that starts like an MP4: an "ftyp" box, then some payload.
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00\x00\x00\x08free" + bytes(64)

ROUTES = ("create", "query", "video")


def fixture(name: str) -> dict[str, Any]:
    """A recorded-shape Kling answer from ``fixtures/``."""
    return json.loads((FIXTURES / name).read_text())  # type: ignore[no-any-return]


@dataclass
class Received:
    """One request as the fake saw it."""

    route: str
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


@dataclass
class Canned:
    """One queued answer: a status and a fixture's JSON, or raw bytes."""

    status: int
    fixture: str | None = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


class FakeKling(LocalServer):
    """State of the fake account; tests queue answers and read ``received`` and ``tokens``."""

    def __init__(self) -> None:
        # At least 32 bytes each: PyJWT warns about shorter HS256 keys.
        self.access_key = "ak_test_darkroom_00000000000001"
        self.secret_key = "sk_test_darkroom_secret_0123456789ab"
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.reset()
        self._listen(_handler_for(self))

    def reset(self) -> None:
        self.tasks: dict[str, dict[str, Any]] = {}
        self.received: list[Received] = []
        self.tokens: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (JWT header, claims), as decoded
        self.canned: dict[str, list[Canned]] = {route: [] for route in ROUTES}
        self.delays: dict[str, float] = dict.fromkeys(ROUTES, 0.0)
        self.polls_until_done = 1  # answers "processing" this many times, then the outcome
        self.outcome = "kling_task_succeed.json"
        self.failure_message: str | None = None  # overrides task_status_msg of a failed outcome
        self.video = MP4

    # --- for tests ---------------------------------------------------------
    def answer(self, route: str, status: int, fixture: str | None = None, **options: Any) -> None:
        """Queue one answer for the next request on ``route`` (create, query or video)."""
        self.canned[route].append(Canned(status, fixture, **options))

    def requests_to(self, route: str) -> list[Received]:
        return [r for r in self.received if r.route == route]

    # --- routes -----------------------------------------------------------
    def handle(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, bytes, dict[str, str]]:
        route = _route(method, path)
        body = json.loads(raw) if raw else None
        with self._lock:
            self.received.append(Received(route, method, path, headers, body))
        if route == "video":
            return self._video(path)
        if route == "unknown":
            return _json(404, {"code": 1202, "message": "The requested method is invalid", "request_id": "r-404"})
        refusal = self._check_token(headers.get("authorization", ""))
        if refusal:
            return refusal
        if route == "create":
            return self._create(body or {})
        return self._query(unquote(path.rsplit("/", 1)[1]))

    def _check_token(self, authorization: str) -> tuple[int, bytes, dict[str, str]] | None:
        scheme, _, token = authorization.partition(" ")
        try:
            if scheme != "Bearer":
                raise jwt.InvalidTokenError("no bearer token")
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(
                token,
                self.secret_key,
                algorithms=["HS256"],
                issuer=self.access_key,
                options={"require": ["iss", "exp", "nbf"]},
            )
        except jwt.InvalidTokenError:
            return _json(401, fixture("kling_error_auth.json"))
        with self._lock:
            self.tokens.append((header, claims))
        return None

    def _canned(self, route: str) -> tuple[int, bytes, dict[str, str]] | None:
        with self._lock:
            canned = self.canned[route].pop(0) if self.canned[route] else None
        if canned is None:
            return None
        if canned.raw is not None:
            return canned.status, canned.raw, {"Content-Type": "text/html", **canned.headers}
        status, data, headers = _json(canned.status, fixture(canned.fixture or "kling_error_server.json"))
        return status, data, {**headers, **canned.headers}

    def _create(self, body: dict[str, Any]) -> tuple[int, bytes, dict[str, str]]:
        canned = self._canned("create")
        if canned:
            time.sleep(self.delays["create"])
            return canned
        task_id = f"CjMT{next(self._ids):06d}AAAAAALvB3g"
        with self._lock:
            self.tasks[task_id] = {"body": body, "external": body.get("external_task_id"), "polls": 0}
        # The task exists before the answer goes out: a client that gives up
        # waiting has still paid for it, as with the real Kling.
        time.sleep(self.delays["create"])
        answer = fixture("kling_create.json")
        answer["data"]["task_id"] = task_id
        if body.get("external_task_id"):
            answer["data"]["task_info"] = {"external_task_id": body["external_task_id"]}
        return _json(200, answer)

    def _query(self, key: str) -> tuple[int, bytes, dict[str, str]]:
        time.sleep(self.delays["query"])
        canned = self._canned("query")
        if canned:
            return canned
        with self._lock:
            found = next(((i, t) for i, t in self.tasks.items() if key in (i, t["external"])), None)
            if found is None:
                return _json(404, fixture("kling_error_not_found.json"))
            task_id, task = found
            task["polls"] += 1
            done = task["polls"] > self.polls_until_done
        answer = fixture(self.outcome if done else "kling_task_processing.json")
        data = answer["data"]
        data["task_id"] = task_id
        if task["external"]:
            data["task_info"] = {"external_task_id": task["external"]}
        if data.get("task_status") == "failed" and self.failure_message is not None:
            data["task_status_msg"] = self.failure_message
        for video in (data.get("task_result") or {}).get("videos", []):
            video["url"] = f"{self.url}/kcdn/{task_id}.mp4"  # the fake's own "CDN"
        return _json(200, answer)

    def _video(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        time.sleep(self.delays["video"])
        canned = self._canned("video")
        if canned:
            return canned
        return 200, self.video, {"Content-Type": "video/mp4"}


def _route(method: str, path: str) -> str:
    if method == "POST" and path == "/v1/videos/image2video":
        return "create"
    if method == "GET" and path.startswith("/v1/videos/image2video/"):
        return "query"
    if method == "GET" and path.startswith("/kcdn/"):
        return "video"
    return "unknown"


def _json(status: int, body: dict[str, Any]) -> tuple[int, bytes, dict[str, str]]:
    return status, json.dumps(body).encode(), {"Content-Type": "application/json"}


def _handler_for(fake: FakeKling) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {key.lower(): value for key, value in self.headers.items()}
            status, data, extra = fake.handle(method, urlsplit(self.path).path, headers, raw)
            try:
                self.send_response(status)
                for key, value in extra.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and left, as the timeout tests intend

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
