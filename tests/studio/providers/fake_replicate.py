"""A small local fake of Replicate's predictions API and file server, speaking the documented JSON over real HTTP.

The official SDK talks to it unchanged through ``base_url`` (the SDK's httpx
client, its retry transport and its error mapping all run). Each reply is a
recorded-shape response from ``fixtures/replicate_*.json``:
``{"status": ..., "headers": {...}, "body": {...}}``, or ``"text"`` instead of
``"body"`` for an answer that is not JSON. Addresses in the fixtures
(``https://api.replicate.com``, ``https://replicate.delivery``) are rewritten
to the fake's own, so output files are fetched from it too.

A prediction answers its polls along ``plan`` (fixture names, the last one
repeating): by default it is processing once, then succeeded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from PIL import Image

from tests.local_server import LocalServer

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_ID = "ufawqhfynnddngldkgtslldrkq"  # the prediction id written in the fixtures


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


OUTPUT_PNG = _png()


def fixture(name: str) -> dict[str, Any]:
    """A recorded response, by the part of its file name after ``replicate_``."""
    loaded: dict[str, Any] = json.loads((FIXTURES / f"replicate_{name}.json").read_text())
    return loaded


@dataclass
class Received:
    """What the fake was sent: the request line, headers and the JSON body."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any = None


@dataclass(frozen=True)
class Reply:
    response: dict[str, Any]
    delay: float = 0.0


@dataclass
class OutputFile:
    """What the file server answers for any output URL."""

    data: bytes = OUTPUT_PNG
    content_type: str = "image/png"
    status: int = 200
    chunked: bool = False  # no Content-Length: the size is known only by reading
    delay: float = 0.0


@dataclass
class Prediction:
    id: str
    version: str
    input: dict[str, Any]
    polls: int = 0
    canceled: bool = False
    plan: list[str] = field(default_factory=list)
    webhook: str | None = None


class FakeReplicate(LocalServer):
    """Tests set ``plan``, queue replies with ``reply_to_create`` / ``reply_to_poll``, and read ``requests``."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.reset()
        self._listen(_handler_for(self))

    def reset(self) -> None:
        self.requests: list[Received] = []
        self.predictions: dict[str, Prediction] = {}
        self.plan: list[str] = ["prediction_processing", "prediction_succeeded"]
        self.create_replies: list[Reply] = []
        self.poll_replies: list[Reply] = []
        self.output = OutputFile()
        # The create's answer comes this late, after the prediction exists (and is billed):
        # a worker killed meanwhile never learns its id.
        self.create_delay = 0.0
        # With a key, a create that names a webhook gets its "start" event, signed, as Replicate sends it.
        self.webhook_key: bytes | None = None
        self.webhooks: list[tuple[str, int]] = []  # (url, status code of our service's answer)

    def reply_to_create(self, name: str, *, delay: float = 0.0, headers: dict[str, str] | None = None) -> None:
        """Answer the next create with fixture ``replicate_<name>.json`` (after ``delay`` seconds)."""
        self.create_replies.append(Reply(_with(fixture(name), headers, None), delay))

    def reply_to_poll(
        self,
        name: str,
        *,
        delay: float = 0.0,
        headers: dict[str, str] | None = None,
        update: dict[str, Any] | None = None,
    ) -> None:
        """Answer the next GET of a prediction with this fixture (its body ``update``-d) instead of the plan's."""
        self.poll_replies.append(Reply(_with(fixture(name), headers, update), delay))

    def api_requests(self, method: str | None = None) -> list[Received]:
        """Requests to the API (not to the file server), optionally of one method."""
        return [r for r in self.requests if r.path.startswith("/v1/") and method in (None, r.method)]

    def seed(self, *, plan: list[str] | None = None) -> str:
        """A prediction created earlier (by a worker that then died); its id."""
        prediction = self._new("v" * 64, {"prompt": "earlier"})
        prediction.plan = plan or []
        return prediction.id

    # --- routes -------------------------------------------------------------
    def handle(self, received: Received) -> Reply | OutputFile:
        with self._lock:
            self.requests.append(received)
        parts = received.path.strip("/").split("/")
        if parts[:2] == ["v1", "predictions"]:
            if received.method == "POST" and len(parts) == 2:
                return self._create(received.body or {})
            prediction = self.predictions.get(parts[2]) if len(parts) > 2 else None
            if prediction is None:
                return Reply(fixture("error_not_found"))
            if received.method == "POST" and parts[3:] == ["cancel"]:
                prediction.canceled = True
                return Reply(self._render(prediction, "prediction_canceled"))
            if received.method == "GET" and len(parts) == 3:
                return self._poll(prediction)
            return Reply(fixture("error_not_found"))
        if received.method == "GET" and parts[0] in ("xezq", "pbxt"):
            return self.output
        return Reply(fixture("error_not_found"))

    def _new(self, version: str, inputs: dict[str, Any]) -> Prediction:
        with self._lock:
            number = next(self._ids)
        prediction = Prediction(id=f"dr{number:08d}fakepredictionq", version=version, input=inputs)
        self.predictions[prediction.id] = prediction
        return prediction

    def _create(self, body: dict[str, Any]) -> Reply:
        if self.create_replies:
            return self.create_replies.pop(0)
        prediction = self._new(body.get("version", ""), body.get("input", {}))
        prediction.webhook = body.get("webhook")
        if prediction.webhook and self.webhook_key:
            threading.Thread(target=self._send_start, args=(prediction,), daemon=True).start()
        return Reply(self._render(prediction, "prediction_starting"), self.create_delay)

    def _send_start(self, prediction: Prediction) -> None:
        import httpx

        assert prediction.webhook
        assert self.webhook_key
        raw = json.dumps({"id": prediction.id, "status": "starting", "version": prediction.version}).encode()
        headers = signed_headers(raw, self.webhook_key, timestamp=int(time.time()), msg_id=f"msg_{prediction.id}")
        try:
            answer = httpx.post(prediction.webhook, content=raw, headers=headers, timeout=10)
            status = answer.status_code
        except httpx.HTTPError:
            status = 0  # Replicate would retry; a dead service is what the polling fallback is for
        with self._lock:
            self.webhooks.append((prediction.webhook, status))

    def _poll(self, prediction: Prediction) -> Reply:
        if self.poll_replies:
            reply = self.poll_replies.pop(0)
            if "body" in reply.response:
                return Reply({**reply.response, "body": self._fill(prediction, reply.response["body"])}, reply.delay)
            return reply
        plan = prediction.plan or self.plan
        step = plan[min(prediction.polls, len(plan) - 1)]
        prediction.polls += 1
        return Reply(self._render(prediction, "prediction_canceled" if prediction.canceled else step))

    def _render(self, prediction: Prediction, name: str) -> dict[str, Any]:
        response = fixture(name)
        response["body"] = self._fill(prediction, response["body"])
        return response

    def _fill(self, prediction: Prediction, body: Any) -> Any:
        """A fixture as this prediction: its id, version and input (Replicate echoes the input back)."""
        if isinstance(body, dict) and "status" in body and "id" in body:
            body = {**body, "version": prediction.version, "input": prediction.input}
        text = json.dumps(body).replace(FIXTURE_ID, prediction.id)
        return json.loads(text)

    def rewrite(self, text: str) -> str:
        return text.replace("https://api.replicate.com", self.url).replace("https://replicate.delivery", self.url)


def signed_headers(body: bytes, key: bytes, *, timestamp: int, msg_id: str = "msg_2Lh9") -> dict[str, str]:
    """The headers Replicate signs a webhook delivery with (Standard Webhooks: HMAC-SHA256 of id.timestamp.body)."""
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


def _with(response: dict[str, Any], headers: dict[str, str] | None, update: dict[str, Any] | None) -> dict[str, Any]:
    if headers:
        response["headers"] = {**response.get("headers", {}), **headers}
    if update:
        response["body"] = {**response["body"], **update}
    return response


def _handler_for(fake: FakeReplicate) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            body = json.loads(raw) if raw else None
            self._answer(fake.handle(Received("POST", self.path, self._headers(), body)))

        def do_GET(self) -> None:
            self._answer(fake.handle(Received("GET", self.path, self._headers())))

        def _headers(self) -> dict[str, str]:
            return {k.lower(): v for k, v in self.headers.items()}

        def _answer(self, reply: Reply | OutputFile) -> None:
            try:
                if isinstance(reply, OutputFile):
                    self._send_file(reply)
                else:
                    self._send_json(reply)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and hung up, as a timeout test wants

        def _send_json(self, reply: Reply) -> None:
            if reply.delay:
                time.sleep(reply.delay)
            response = reply.response
            if "text" in response:
                data = response["text"].encode()
                content_type = response.get("content_type", "application/json")
            else:
                data = fake.rewrite(json.dumps(response["body"])).encode()
                content_type = "application/json"
            self.send_response(response.get("status", 200))
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in response.get("headers", {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _send_file(self, output: OutputFile) -> None:
            if output.delay:
                time.sleep(output.delay)
            data = output.data if output.status == 200 else b"<?xml version='1.0'?><Error>NoSuchKey</Error>"
            self.send_response(output.status)
            self.send_header("Content-Type", output.content_type if output.status == 200 else "application/xml")
            if output.chunked:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for start in range(0, len(data), 4096):
                    piece = data[start : start + 4096]
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
