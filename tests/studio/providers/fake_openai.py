"""A small local fake of OpenAI's image edit endpoint, speaking the documented JSON over real HTTP.

The official SDK talks to it unchanged through ``base_url``: the SDK now sends
with httpx2, which respx cannot intercept, and a real socket also exercises
the SDK's multipart encoding, its error mapping and its timeouts. Each reply
is a recorded-shape response from ``fixtures/openai_*.json``:
``{"status": ..., "headers": {...}, "body": {...}}``, or ``"text"`` instead of
``"body"`` for an answer that is not JSON.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.local_server import LocalServer

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict[str, Any]:
    """A recorded response, by the part of its file name after ``openai_``."""
    loaded: dict[str, Any] = json.loads((FIXTURES / f"openai_{name}.json").read_text())
    return loaded


@dataclass(frozen=True)
class Upload:
    """One file part of a multipart request."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class Received:
    """What the fake was sent: the request line, headers and the decoded multipart form."""

    method: str
    path: str
    headers: dict[str, str]
    fields: dict[str, str] = field(default_factory=dict)
    files: list[Upload] = field(default_factory=list)


@dataclass(frozen=True)
class Reply:
    response: dict[str, Any]
    delay: float = 0.0


class FakeOpenAI(LocalServer):
    """Tests queue replies with ``reply_with`` and read ``requests``; with nothing queued it succeeds."""

    def __init__(self) -> None:
        self.reset()
        self._listen(_handler_for(self))
        self._counter = 0
        self._lock = threading.Lock()

    def reset(self) -> None:
        self.requests: list[Received] = []
        self.replies: list[Reply] = []

    @property
    def url(self) -> str:
        return f"{self.origin}/v1"  # the SDK's base URL includes the version

    def reply_with(self, name: str, *, delay: float = 0.0, **overrides: Any) -> None:
        """Answer the next request with fixture ``openai_<name>.json`` (after ``delay`` seconds)."""
        self.replies.append(Reply({**fixture(name), **overrides}, delay))

    def next_request_id(self) -> str:
        with self._lock:
            self._counter += 1
            return f"req_{self._counter:032x}"

    def handle(self, received: Received) -> Reply:
        self.requests.append(received)
        if received.method != "POST" or received.path != "/v1/images/edits":
            return Reply(fixture("not_found"))
        return self.replies.pop(0) if self.replies else Reply(fixture("edit_success"))


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], list[Upload]]:
    """multipart/form-data back into fields and files, with the standard library's MIME parser."""
    message = BytesParser(policy=policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body
    )
    fields: dict[str, str] = {}
    files: list[Upload] = []
    for part in message.iter_parts():
        name = str(part.get_param("name", header="content-disposition"))
        payload = part.get_payload(decode=True)
        payload = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            fields[name] = payload.decode()
        else:
            files.append(Upload(name, filename, part.get_content_type(), payload))
    return fields, files


def _handler_for(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            received = Received("POST", self.path, {k.lower(): v for k, v in self.headers.items()})
            content_type = self.headers.get("Content-Type", "")
            if content_type.startswith("multipart/form-data"):
                received.fields, received.files = _parse_multipart(content_type, body)
            self._answer(fake.handle(received))

        def do_GET(self) -> None:
            self._answer(fake.handle(Received("GET", self.path, {k.lower(): v for k, v in self.headers.items()})))

        def _answer(self, reply: Reply) -> None:
            if reply.delay:
                time.sleep(reply.delay)
            response = reply.response
            if "text" in response:
                data = response["text"].encode()
                content_type = response.get("content_type", "application/json")
            else:
                data = json.dumps(response["body"]).encode()
                content_type = "application/json"
            try:
                self.send_response(response.get("status", 200))
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-request-id", fake.next_request_id())
                self.send_header("openai-processing-ms", "1234")
                for name, value in response.get("headers", {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and hung up, as a timeout test wants

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
