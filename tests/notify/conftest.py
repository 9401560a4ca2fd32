"""Notify fixtures: the fake SES API, and messages sent as a trigger would."""

from __future__ import annotations

from typing import Any

from darkroom import notify
from darkroom.accounts.models import User
from darkroom.notify.models import Notification
from tests.notify.fake_ses import fake_ses  # noqa: F401 - a fixture
from tests.notify.messages_data import CONTEXTS


def send(user: User, kind: str = "job_finished", key: str = "", **options: Any) -> Notification | None:
    """Send ``kind`` with its snapshot context, under a key of its own."""
    context, link = CONTEXTS[kind]
    return notify.send(user, kind, context, key=key or f"test:{kind}:{user.pk}", link=link, **options)
