"""One fixed context per message, so the rendered text is the same on every run (the snapshots)."""

from __future__ import annotations

import datetime
from typing import Any

T0 = datetime.datetime(2026, 11, 3, 9, 30, tzinfo=datetime.UTC)
JOB = "0b5e7c1e-3f0e-4a53-9d3a-6f1f4c1d2a10"
ORDER = "5a0c2f4e-8a7b-4d6e-9f10-1a2b3c4d5e6f"
RECEIPT = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"

CONTEXTS: dict[str, tuple[dict[str, Any], str]] = {
    "welcome": ({}, "/photos/upload/"),
    "receipt": (
        {"description": "10 credits (10 credits)", "amount": "$2.99", "credits": 10, "paid_at": T0, "number": ORDER},
        f"/billing/orders/{ORDER}/",
    ),
    "subscription_renewed": (
        {
            "plan": "Pro",
            "description": "Pro, one month (100 credits)",
            "amount": "$9.99",
            "credits": 100,
            "paid_at": T0,
            "number": ORDER,
            "next_renewal": T0 + datetime.timedelta(days=30),
        },
        f"/billing/orders/{ORDER}/",
    ),
    "payment_failed": ({"plan": "Pro"}, "/billing/"),
    "subscription_cancelled": ({"plan": "Pro", "ends_at": T0 + datetime.timedelta(days=12)}, "/billing/"),
    "job_finished": ({"job_kind": "Enhance"}, f"/jobs/{JOB}/"),
    "job_failed": (
        {"job_kind": "Portrait in a scene", "reason": "We found no face in this photo.", "refunded": 2},
        f"/jobs/{JOB}/",
    ),
    "export_ready": ({"expires_at": T0 + datetime.timedelta(days=7)}, "/privacy/export/"),
    "account_deletion_scheduled": (
        {
            "requested_at": T0,
            "delete_on": T0 + datetime.timedelta(days=30),
            "completed_at": None,
            "deleted": [{"what": "Photos and results", "count": 12}],
            "kept": [{"what": "Orders", "count": 2, "until": datetime.date(2031, 11, 3)}],
            "elsewhere": [{"name": "OpenAI", "their_retention": "up to 30 days, for abuse monitoring"}],
        },
        f"/privacy/deletion/{RECEIPT}/",
    ),
    "account_deleted": (
        {
            "requested_at": T0,
            "delete_on": T0 + datetime.timedelta(days=30),
            "completed_at": T0 + datetime.timedelta(days=29),
            "deleted": [{"what": "Photos and results", "count": 12}, {"what": "Jobs", "count": 7}],
            "kept": [{"what": "Orders", "count": 2, "until": datetime.date(2031, 11, 3)}],
            "elsewhere": [],
        },
        f"/privacy/deletion/{RECEIPT}/",
    ),
    "policy_changed": (
        {
            "material": ["New third party: Anthropic (photo critique) receives your photo"],
            "other": ["Contact address: privacy@example.com"],
            "published_at": T0,
        },
        "/privacy/",
    ),
}
