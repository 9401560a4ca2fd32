"""A local stand-in for the Amazon SES v2 API: SendEmail answers as AWS documents, from a script of answers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.local_server import LocalServer

# (status, error code or "" for success)
Answer = tuple[int, str]


class FakeSes(LocalServer):
    """``answers`` are used in turn; once they run out every send succeeds."""

    def __init__(self) -> None:
        self.answers: list[Answer] = []
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.requests.append({"path": self.path, "body": json.loads(body or b"{}")})
                status, code = fake.answers.pop(0) if fake.answers else (200, "")
                if status == 200:
                    payload: dict[str, Any] = {"MessageId": f"0100{uuid.uuid4().hex}-000000"}
                    headers = {}
                else:
                    payload = {"message": f"{code} (the fake's words)"}
                    headers = {"x-amzn-ErrorType": f"{code}:http://internal.amazon.com/coral/com.amazonaws.sesv2/"}
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        self._listen(Handler)

    @property
    def sent(self) -> list[dict[str, Any]]:
        return [request for request in self.requests if request["path"] == "/v2/email/outbound-emails"]


@pytest.fixture
def fake_ses(settings: Any) -> Iterator[FakeSes]:
    """Mail goes through django-anymail's Amazon SES back-end (boto3), to the fake."""
    fake = FakeSes()
    fake.start()
    settings.EMAIL_BACKEND = "anymail.backends.amazon_ses.EmailBackend"
    settings.ANYMAIL = {
        **settings.ANYMAIL,
        "AMAZON_SES_CLIENT_PARAMS": {
            "region_name": "us-east-1",
            "aws_access_key_id": "AKIDTEST",
            "aws_secret_access_key": "test-secret",
            "endpoint_url": fake.url,
            "config": {"connect_timeout": 2, "read_timeout": 5, "retries": {"total_max_attempts": 1}},
        },
    }
    try:
        yield fake
    finally:
        fake.stop()
