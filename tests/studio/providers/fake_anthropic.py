"""A small local fake of Anthropic's Messages API, speaking the documented JSON over real HTTP.

The official SDK talks to it unchanged (``base_url``), so the tests exercise the
SDK's request encoding, headers and error classes. It answers ``POST /v1/messages``
with recorded-shape responses from ``fixtures/anthropic_*.json`` (status, headers,
body), checks the API key as Anthropic does (``x-api-key``, or the bearer token the
current SDK sends), and stamps every answer with a ``request-id`` header (and the
error body's ``request_id``), as the API does.
"""

from __future__ import annotations

import itertools
import json
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.local_server import LocalServer

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict[str, Any]:
    """A recorded response: ``{"status": …, "headers": {…}, "body": …}``."""
    recorded: dict[str, Any] = json.loads((FIXTURES / f"anthropic_{name}.json").read_text())
    return recorded


class FakeAnthropic(LocalServer):
    """The fake's state; tests queue ``replies`` (fixture names) and read ``requests``."""

    def __init__(self, api_key: str = "sk-ant-api03-test-key") -> None:
        self.api_key = api_key
        self._ids = itertools.count(1)
        self.requests: list[dict[str, Any]] = []  # {"path", "headers", "body"} as received
        self.replies: list[str] = []  # fixture names, answered in order; then "success"
        self.delay = 0.0  # seconds to sleep before answering, to outlast a client's timeout
        self.request_ids: list[str] = []  # the request-id of each answer, in order
        self._listen(_handler_for(self))

    def answer(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for one request."""
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw.decode(errors="replace")
        self.requests.append({"path": path, "headers": headers, "body": body})
        request_id = f"req_011CZfake{next(self._ids):08d}"
        self.request_ids.append(request_id)
        if path != "/v1/messages":
            recorded = fixture("not_found")
        elif self.api_key not in (headers.get("x-api-key"), headers.get("authorization", "").removeprefix("Bearer ")):
            recorded = fixture("authentication")
        else:
            recorded = fixture(self.replies.pop(0) if self.replies else "success")
        payload = recorded["body"]
        if isinstance(payload, dict) and payload.get("type") == "error":
            payload = {**payload, "request_id": request_id}
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        return recorded["status"], {**recorded["headers"], "request-id": request_id}, data


def _handler_for(fake: FakeAnthropic) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            headers = {key.lower(): value for key, value in self.headers.items()}
            status, reply_headers, data = fake.answer(self.path, headers, raw)
            if fake.delay:
                time.sleep(fake.delay)
            try:
                self.send_response(status)
                for key, value in reply_headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test): nothing to answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
