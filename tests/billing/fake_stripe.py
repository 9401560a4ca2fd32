"""A small local fake of Stripe's API, speaking the documented JSON over real HTTP.

The official SDK talks to it unchanged (``settings.STRIPE_API_BASE``), so the
tests exercise the SDK's request encoding, error mapping and list paging.
It covers what Darkroom calls: customers, checkout sessions, billing portal
sessions, subscriptions, invoice payments and the events list.
"""

from __future__ import annotations

import itertools
import json
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.local_server import LocalServer


def _nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``a[b][0][c]=1`` form encoding (Stripe's) back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node: Any = root
        for part, following in itertools.pairwise(parts):
            container: Any = [] if following.isdigit() or following == "" else {}
            if isinstance(node, list):
                index = int(part)
                while len(node) <= index:
                    node.append(None)
                if node[index] is None:
                    node[index] = container
                node = node[index]
            else:
                node = node.setdefault(part, container)
        last = parts[-1]
        if isinstance(node, list):
            if last == "":
                node.append(value)
            else:
                index = int(last)
                while len(node) <= index:
                    node.append(None)
                node[index] = value
        else:
            node[last] = value
    return root


class FakeStripe(LocalServer):
    """State of the fake account; tests set subscriptions and events, and read ``requests``."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.reset()
        self._listen(_handler_for(self))

    def reset(self) -> None:
        self.customers: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.invoice_payments: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []  # newest first, as Stripe lists them
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self.fail_with: tuple[int, str] | None = None

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):06d}"

    # --- routes -----------------------------------------------------------
    def handle(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.requests.append((method, path, params))
        if self.fail_with:
            status, message = self.fail_with
            return status, {"error": {"type": "api_error", "message": message}}
        parts = path.strip("/").split("/")[1:]  # drop "v1"
        if method == "POST" and parts == ["customers"]:
            customer = {"id": self.new_id("cus"), "object": "customer", **params}
            self.customers[customer["id"]] = customer
            return 200, customer
        if method == "POST" and parts == ["checkout", "sessions"]:
            return 200, self._create_session(params)
        if method == "GET" and parts[:2] == ["checkout", "sessions"] and len(parts) == 3:
            return self._get(self.sessions, parts[2], "checkout.session")
        if method == "POST" and parts == ["billing_portal", "sessions"]:
            session_id = self.new_id("bps")
            return 200, {
                "id": session_id,
                "object": "billing_portal.session",
                "customer": params["customer"],
                "return_url": params["return_url"],
                "url": f"https://billing.stripe.com/p/session/{session_id}",
            }
        if method == "GET" and parts[0] == "subscriptions" and len(parts) == 2:
            return self._get(self.subscriptions, parts[1], "subscription")
        if method == "DELETE" and parts[0] == "subscriptions" and len(parts) == 2:
            return self._cancel_subscription(parts[1])
        if method == "GET" and parts == ["invoice_payments"]:
            wanted = (params.get("payment") or {}).get("payment_intent")
            found = [p for p in self.invoice_payments if p["payment"].get("payment_intent") == wanted]
            return 200, {"object": "list", "url": "/v1/invoice_payments", "has_more": False, "data": found}
        if method == "GET" and parts == ["events"]:
            return 200, self._list_events(params)
        return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({path})"}}

    def _get(self, table: dict[str, dict[str, Any]], key: str, kind: str) -> tuple[int, dict[str, Any]]:
        if key not in table:
            return 404, {
                "error": {"type": "invalid_request_error", "code": "resource_missing", "message": f"No such {kind}"}
            }
        return 200, table[key]

    def _cancel_subscription(self, subscription_id: str) -> tuple[int, dict[str, Any]]:
        """Stripe ends it at once; a second cancel is refused, as Stripe refuses it."""
        status, subscription = self._get(self.subscriptions, subscription_id, "subscription")
        if status != 200:
            return status, subscription
        if subscription["status"] == "canceled":
            message = "A canceled subscription can only update its cancellation_details and metadata."
            return 400, {"error": {"type": "invalid_request_error", "message": message}}
        subscription.update(status="canceled", canceled_at=int(time.time()), cancel_at_period_end=False)
        return 200, subscription

    def _create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        session_id = self.new_id("cs_test")
        line = params["line_items"][0]["price_data"]
        session = {
            "id": session_id,
            "object": "checkout.session",
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
            "mode": params["mode"],
            "status": "open",
            "payment_status": "unpaid",
            "client_reference_id": params.get("client_reference_id"),
            "customer": params.get("customer"),
            "amount_total": int(line["unit_amount"]),
            "currency": line["currency"],
            "metadata": params.get("metadata", {}),
            "payment_intent": None,
            "subscription": None,
            "success_url": params["success_url"],
            "cancel_url": params["cancel_url"],
        }
        self.sessions[session_id] = session
        return session

    def _list_events(self, params: dict[str, Any]) -> dict[str, Any]:
        since = int((params.get("created") or {}).get("gte", 0))
        types = params.get("types") or []
        matching = [e for e in self.events if e["created"] >= since and (not types or e["type"] in types)]
        after = params.get("starting_after")
        if after:
            index = next(i for i, e in enumerate(matching) if e["id"] == after)
            matching = matching[index + 1 :]
        limit = int(params.get("limit", 10))
        return {"object": "list", "url": "/v1/events", "has_more": len(matching) > limit, "data": matching[:limit]}

    # --- helpers for tests --------------------------------------------------
    def complete_session(self, session_id: str, *, paid: bool = True) -> dict[str, Any]:
        """What Stripe does when the person pays: the session completes (paid, or unpaid for a bank debit)."""
        session = self.sessions[session_id]
        session.update(
            status="complete",
            payment_status="paid" if paid else "unpaid",
            payment_intent=self.new_id("pi"),
            customer_details={"email": "alice@example.com", "name": "Alice"},
        )
        return session

    def add_event(self, event: dict[str, Any]) -> None:
        self.events.insert(0, event)


def _handler_for(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method: str) -> None:
            parsed = urlsplit(self.path)
            pairs = parse_qsl(parsed.query, keep_blank_values=True)
            if method == "POST":
                length = int(self.headers.get("Content-Length") or 0)
                pairs += parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True)
            status, body = fake.handle(method, parsed.path, _nest(pairs))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", f"req_{time.monotonic_ns()}")
            # Tells the SDK not to retry errors, so a failure test does not sleep.
            self.send_header("Stripe-Should-Retry", "false")
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
