"""A local stand-in for Google's OAuth authorization, token and userinfo endpoints.

It speaks the documented shapes (https://developers.google.com/identity/protocols/oauth2/web-server):
GET /authorize plays the consent screen for ``person`` (set by the test): it
redirects at once to ``redirect_uri`` with a ``code`` and the ``state`` it was
given (with no ``person``, ``error=access_denied``, as when someone cancels).
POST /token with an authorization code answers an access token once; a code
used twice, a PKCE ``code_verifier`` that does not match the challenge, or a
``redirect_uri`` other than the one authorized answers 400 ``invalid_grant``,
as Google does. GET /userinfo with that token answers the OpenID Connect
claims (``sub``, ``email``, …).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

# What /authorize was given, kept with the code and checked at /token; never part of the claims.
_CHALLENGE = "_code_challenge"
_REDIRECT_URI = "_redirect_uri"


def _matches_authorization(claims: dict[str, Any], form: dict[str, list[str]]) -> bool:
    """PKCE (S256) and the redirect URI, checked as Google does when the code came from /authorize."""
    challenge = claims.pop(_CHALLENGE, None)
    redirect_uri = claims.pop(_REDIRECT_URI, None)
    if challenge is not None:
        verifier = form.get("code_verifier", [""])[0].encode()
        expected = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
        if expected != challenge:
            return False
    return redirect_uri is None or form.get("redirect_uri", [""])[0] == redirect_uri


class FakeGoogle:
    def __init__(self) -> None:
        self.codes: dict[str, dict[str, Any]] = {}  # authorization code -> claims
        self.tokens: dict[str, dict[str, Any]] = {}
        self.token_requests: list[dict[str, list[str]]] = []
        self.authorize_requests: list[dict[str, list[str]]] = []
        self.person: dict[str, Any] | None = None  # who "signs in to Google" at /authorize
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
                if self.path != "/token" or claims is None or not _matches_authorization(claims, form):
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

            def _redirect(self, location: str) -> None:
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                if urlsplit(self.path).path == "/authorize":
                    query = parse_qs(urlsplit(self.path).query)
                    fake.authorize_requests.append(query)
                    redirect_uri = query["redirect_uri"][0]
                    answer = {"state": query.get("state", [""])[0]}
                    if fake.person is None:
                        answer["error"] = "access_denied"
                    else:
                        answer["code"] = fake.authorize(
                            _challenge=query.get("code_challenge", [None])[0], _redirect_uri=redirect_uri, **fake.person
                        )
                    self._redirect(f"{redirect_uri}?{urlencode(answer)}")
                    return
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                if self.path != "/userinfo" or token not in fake.tokens:
                    self._answer(401, {"error": "invalid_token"})
                    return
                self._answer(200, fake.tokens[token])

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def authorize(self, _challenge: str | None = None, _redirect_uri: str | None = None, **claims: Any) -> str:
        """What Google's consent screen would do: issue a code for a person with ``claims``."""
        code = "4/" + secrets.token_urlsafe(20)
        self.codes[code] = {"email_verified": True, "name": "Test Person", **claims}
        if _challenge is not None:
            self.codes[code][_CHALLENGE] = _challenge
        if _redirect_uri is not None:
            self.codes[code][_REDIRECT_URI] = _redirect_uri
        return code

    def __enter__(self) -> FakeGoogle:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
