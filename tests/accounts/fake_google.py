"""A local stand-in for Google's OAuth token and userinfo endpoints.

It speaks the documented shapes (https://developers.google.com/identity/protocols/oauth2/web-server):
POST /token with an authorization code answers an access token once; a code
used twice answers 400 ``invalid_grant``, as Google does. GET /userinfo with
that token answers the OpenID Connect claims (``sub``, ``email``, …).
"""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


class FakeGoogle:
    def __init__(self) -> None:
        self.codes: dict[str, dict[str, Any]] = {}  # authorization code -> claims
        self.tokens: dict[str, dict[str, Any]] = {}
        self.token_requests: list[dict[str, list[str]]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                fake.token_requests.append(form)
                claims = fake.codes.pop(form.get("code", [""])[0], None)
                if self.path != "/token" or claims is None:
                    self._answer(400, {"error": "invalid_grant", "error_description": "Bad Request"})
                    return
                token = secrets.token_urlsafe(16)
                fake.tokens[token] = claims
                self._answer(
                    200,
                    {
                        "access_token": token,
                        "expires_in": 3599,
                        "scope": "openid email profile",
                        "token_type": "Bearer",
                    },
                )

            def do_GET(self) -> None:
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                if self.path != "/userinfo" or token not in fake.tokens:
                    self._answer(401, {"error": "invalid_token"})
                    return
                self._answer(200, fake.tokens[token])

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def authorize(self, **claims: Any) -> str:
        """What Google's consent screen would do: issue a code for a person with ``claims``."""
        code = "4/" + secrets.token_urlsafe(20)
        self.codes[code] = {"email_verified": True, "name": "Test Person", **claims}
        return code

    def __enter__(self) -> FakeGoogle:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
