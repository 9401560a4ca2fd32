"""Which channels a message takes for a person: their choices, within what the category allows.

Transactional and legal categories (account, payments, privacy) are always
on for every channel the person can receive; only job notices can be turned
off, per channel. A channel needs a way to reach the person: email a
verified address, SMS a verified mobile number on a service that signs in
by phone (and, on Alibaba Cloud, an approved template for the notice).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.conf import settings

from darkroom.accounts.models import User
from darkroom.notify import sms
from darkroom.notify.email import address_of
from darkroom.notify.messages import CATEGORIES, CHANNEL_LABELS, Category, Channel, Message
from darkroom.notify.models import Preference

State = Literal["fixed", "on", "off", "unavailable", "none"]


def offers_sms() -> bool:
    """Texts go only where phones are already part of the service: phone sign-in."""
    return "phone" in settings.PROFILE.accounts.login_methods


def reachable(user: User, channel: Channel, spec: Message | None = None, *, email: str | None = None) -> bool:
    """Whether ``user`` can get ``spec`` (or any message) on ``channel`` at all; ``email``: their address, if known."""
    if channel == Channel.IN_APP:
        return spec is None or spec.in_app
    if channel == Channel.EMAIL:
        return bool(address_of(user) if email is None else email)
    if spec is not None and not (spec.sms and sms.can_send_notice(spec.kind)):
        return False
    return offers_sms() and bool(user.phone) and user.phone_verified


def _stored(user: User, category: Category) -> dict[str, bool]:
    return dict(Preference.objects.filter(user=user, category=category).values_list("channel", "enabled"))


def channels_for(user: User, spec: Message, *, email: str | None = None) -> set[Channel]:
    """The channels message ``spec`` goes to ``user`` on, now (``email``: the address it would go to)."""
    info = CATEGORIES[spec.category]
    stored = _stored(user, spec.category) if info.optional else {}
    chosen = set()
    for channel in info.channels:
        wanted = stored.get(channel, info.default(channel)) if info.optional else True
        if wanted and reachable(user, channel, spec, email=email):
            chosen.add(channel)
    return chosen


@dataclass(frozen=True)
class Cell:
    """One channel of one category on the settings form."""

    channel: Channel
    state: State
    field: str  # the checkbox's name ("jobs.email"); only "on"/"off" cells have one

    @property
    def label(self) -> str:
        return str(CHANNEL_LABELS[self.channel])


@dataclass(frozen=True)
class Row:
    category: Category
    label: str
    covers: str
    optional: bool
    cells: tuple[Cell, ...]


def shown_channels() -> tuple[Channel, ...]:
    """The form's columns: SMS only on services that sign in by phone."""
    return tuple(channel for channel in Channel if channel != Channel.SMS or offers_sms())


def form_rows(user: User) -> list[Row]:
    """The settings form: one row per category, one cell per channel, fixed where it cannot be changed."""
    rows = []
    for category, info in CATEGORIES.items():
        stored = _stored(user, category) if info.optional else {}
        cells = []
        for channel in shown_channels():
            state: State
            if channel not in info.channels:
                state = "none"
            elif not reachable(user, channel):
                state = "unavailable"
            elif not info.optional:
                state = "fixed"
            else:
                state = "on" if stored.get(channel, info.default(channel)) else "off"
            cells.append(Cell(channel, state, f"{category}.{channel}"))
        rows.append(Row(category, str(info.label), str(info.covers), info.optional, tuple(cells)))
    return rows


def do_set_preferences(user: User, checked: set[str]) -> int:
    """Store ``user``'s choices from the form (``checked``: the names of ticked boxes); return how many changed.

    Only optional categories are read; a name for a fixed category, a channel
    the category does not use or a made-up one is ignored, so no form can turn
    off a receipt. Only choices that differ from the default are kept as rows.
    """
    changed = 0
    for category, info in CATEGORIES.items():
        if not info.optional:
            continue
        stored = _stored(user, category)
        for channel in info.channels:
            enabled = f"{category}.{channel}" in checked
            if stored.get(channel, info.default(channel)) == enabled:
                continue
            changed += 1
            if enabled == info.default(channel):
                Preference.objects.filter(user=user, category=category, channel=channel).delete()
            else:
                Preference.objects.update_or_create(
                    user=user, category=category, channel=channel, defaults={"enabled": enabled}
                )
    return changed
