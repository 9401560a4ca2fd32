"""Usage events: which feature was used, from what kind of device and browser; and the opt-out.

The policies say what usage data is for and what it is: selfie-studio §1
"Usage data: logs, device type, browser info — used for debugging and
improving the service", photo-coach §2 "feature usage". So an event holds a
feature name, a device type and a browser family, and nothing else: the User-Agent
header is read to get those two words and is then dropped; the IP address
is never read. Page views are not events (the web server's access log is
where they are, for as long as the operator keeps it).

selfie-studio §5 promises "Opt out of certain data collection": with
``User.usage_opt_out`` set, ``record_usage`` writes no row at all, and
opting out deletes the events already held.

Call ``record_usage`` where a feature is used, one line per call site::

    record_usage(request, "upload")
    record_usage(request, f"job:{job.kind}")
"""

from __future__ import annotations

import logging
from functools import lru_cache

from django.db import transaction
from django.http import HttpRequest

from darkroom.accounts.models import User
from darkroom.privacy.models import UsageEvent

log = logging.getLogger(__name__)

_DeviceType = UsageEvent.DeviceType
# Operating systems of phones and tablets as ua-parser names them.
_MOBILE_SYSTEMS = frozenset({"iOS", "Android", "Windows Phone", "KaiOS", "HarmonyOS", "BlackBerry OS"})
_BROWSER_FAMILY_LENGTH = UsageEvent._meta.get_field("browser_family").max_length or 40


@lru_cache(maxsize=512)
def describe_user_agent(user_agent: str) -> tuple[str, str]:
    """The device type and browser family a User-Agent header names: ``("phone", "Mobile Safari")``.

    ua-parser (the uap-core rules that browsers' own statistics use) names the
    browser, system and device; it has no "device type", so that comes from
    what it does give: a crawler is a "Spider" device; a tablet is an iPad or
    an Android device without the "Mobile" token (Google's own rule for
    Android tablets); any other phone or tablet system is a phone; any other
    named system is a desktop; no system at all (curl, an HTTP library) is
    "other". The cache holds the two words per header: a service sees few
    distinct ones.
    """
    if not user_agent:
        return _DeviceType.OTHER, ""
    from ua_parser import parse  # the rules load on first use, not when the web process starts

    parsed = parse(user_agent)
    browser = parsed.user_agent.family if parsed.user_agent else ""
    device = parsed.device.family if parsed.device else ""
    system = parsed.os.family if parsed.os else ""
    if device == "Spider":
        kind = _DeviceType.BOT
    elif device == "iPad" or (system == "Android" and "Mobile" not in user_agent):
        kind = _DeviceType.TABLET
    elif system in _MOBILE_SYSTEMS:
        kind = _DeviceType.PHONE
    elif system and system != "Other":
        kind = _DeviceType.DESKTOP
    else:
        kind = _DeviceType.OTHER
    return kind, browser[:_BROWSER_FAMILY_LENGTH]


def record_usage(source: HttpRequest | User, feature: str) -> None:
    """Write one usage event for ``feature``, unless the person opted out.

    ``source`` is the request (its user, and its User-Agent for the device
    type and browser family) or, away from a request (a task), the user.
    """
    user: User | None
    device_type: str
    if isinstance(source, User):
        user, device_type, browser_family = source, _DeviceType.OTHER, ""
    else:
        user = source.user if isinstance(source.user, User) else None
        # allauth keeps 500 characters of it too; a longer header names no other browser.
        device_type, browser_family = describe_user_agent(source.META.get("HTTP_USER_AGENT", "")[:500])
    if user is not None and user.usage_opt_out:
        return
    UsageEvent.objects.create(
        owner=user,
        feature=feature[:40],
        device_type=device_type,
        browser_family=browser_family,
    )


def do_set_usage_opt_out(user: User, opt_out: bool) -> int:
    """Record the person's choice; opting out also deletes the usage events already held. Returns how many."""
    with transaction.atomic():
        user.usage_opt_out = opt_out
        user.save(update_fields=["usage_opt_out", "updated_at"])
        deleted = UsageEvent.objects.filter(owner=user).delete()[0] if opt_out else 0
    log.info("usage opt-out %s; %d usage event(s) deleted", "on" if opt_out else "off", deleted)
    return deleted
