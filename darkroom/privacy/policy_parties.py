"""Who receives personal data: read from what is configured, never from a list kept by hand.

A provider is listed when the profile's chains use it *and* its key is set
(``studio.chain.configured``), up to the chain's local end (nothing after it
ever runs); Stripe when its key is set; the SMS vendor when phone sign-in is
offered and a vendor back-end is chosen; the email vendor from
``EMAIL_BACKEND``; the storage, database and queue hosts from their
addresses, named when they are a known vendor's; Google when Google sign-in
is on. Only who hosts the servers cannot be seen and comes from the
profile (``privacy.hosting``). Anything on this machine is not a third party.
"""

from __future__ import annotations

import importlib
import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from darkroom.profile import Profile

# What each job kind sends out (the providers' ``Sent.data``; docs/providers.md).
SENDS = {
    "generate": ("your photo", "your scene prompt"),
    "animate": ("your photo", "a motion prompt"),
}
DEFAULT_SENDS = ("your photo",)
# Replicate runs a kind only with a model version in the profile (studio.remote.replicate_image_step).
REPLICATE_VERSION_OF_KIND = {
    "generate": "instantid_version",
    "enhance": "restore_version",
    "restore_faces": "restore_version",
    "upscale": "upscale_version",
}

# Known vendors by the end of a host name.
STORAGE_VENDORS = {
    "r2.cloudflarestorage.com": "Cloudflare R2",
    "amazonaws.com": "AWS (Amazon S3)",
    "digitaloceanspaces.com": "DigitalOcean Spaces",
    "backblazeb2.com": "Backblaze B2",
    "wasabisys.com": "Wasabi",
    "storage.googleapis.com": "Google Cloud Storage",
}
DATABASE_VENDORS = {
    "supabase.co": "Supabase",
    "supabase.com": "Supabase",
    "neon.tech": "Neon",
    "rds.amazonaws.com": "AWS (Amazon RDS)",
    "render.com": "Render",
    "rlwy.net": "Railway",
}
QUEUE_VENDORS = {
    "upstash.io": "Upstash",
    "redis-cloud.com": "Redis Cloud",
    "redislabs.com": "Redis Cloud",
    "cache.amazonaws.com": "AWS (Amazon ElastiCache)",
}
MAIL_VENDORS = {  # anymail's back-end module names
    "amazon_ses": "AWS (Amazon SES)",
    "postmark": "Postmark",
    "sendgrid": "SendGrid",
    "mailgun": "Mailgun",
    "brevo": "Brevo",
    "sendinblue": "Brevo",
    "resend": "Resend",
    "sparkpost": "SparkPost",
    "mailjet": "Mailjet",
    "mandrill": "Mailchimp Transactional",
}
SMTP_VENDORS = {
    "amazonaws.com": "AWS (Amazon SES)",
    "sendgrid.net": "SendGrid",
    "mailgun.org": "Mailgun",
    "postmarkapp.com": "Postmark",
    "gmail.com": "Google",
}
# Email back-ends that keep mail on this machine (the console, memory, files, nowhere).
LOCAL_MAIL = ("console", "locmem", "filebased", "dummy")


# What each use is, in the page's words.
FEATURE_WORDS = {
    "generate": "image generation",
    "animate": "video from a photo",
    "critique": "photo critique",
    "enhance": "photo enhancement",
    "upscale": "upscaling",
    "restore_faces": "face restoration",
    "payments": "payments",
    "sms": "text messages with sign-in codes",
    "email": "email delivery",
    "sign-in": "sign-in with Google",
    "storage": "file storage",
    "database": "the database",
    "queue": "the task queue and rate limits",
}


@dataclass(frozen=True)
class Use:
    """One thing a third party does: a feature ("generate"), on some tiers, maybe as a fallback."""

    feature: str
    tiers: tuple[str, ...] = ()
    after: tuple[str, ...] = ()  # who is tried first: it is used when they refuse or fail

    @property
    def words(self) -> str:
        """ "image generation (Pro), when OpenAI refuses or fails"."""
        words = FEATURE_WORDS.get(self.feature, self.feature)
        if self.tiers == ("pro",):
            words += " (Pro only)"
        if self.after:
            words += f", when {' or '.join(self.after)} refuses or fails"
        return words


@dataclass(frozen=True)
class Party:
    name: str
    uses: tuple[Use, ...]
    receives: tuple[str, ...]
    their_retention: str = ""  # what the party says it keeps, where it says so


def _local(host: str) -> bool:
    if not host or host == "localhost" or "." not in host:
        return True  # a name on this machine or its private network ("db", "redis")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host.endswith((".local", ".internal", ".localhost"))
    return address.is_private or address.is_loopback


def vendor_of(host: str, vendors: dict[str, str]) -> str | None:
    """The vendor a host belongs to; the host itself when unknown; None when it is this machine's."""
    host = host.lower().rstrip(".")
    if _local(host):
        return None
    for suffix, name in vendors.items():
        if host == suffix or host.endswith("." + suffix):
            return name
    return host


def _providers(profile: Profile) -> list[Party]:
    from darkroom.studio.chain import DISPLAY, configured

    tiers = ["free", "pro"] if profile.billing.pro else ["free"]
    pro_only = set(profile.billing.pro.pro_only_features) if profile.billing.pro else set()
    uses: dict[str, dict[tuple[str, tuple[str, ...]], list[str]]] = {}
    sends: dict[str, dict[str, None]] = {}
    for kind, offered in profile.features.model_dump().items():
        if not offered:
            continue
        for tier in tiers:
            if tier == "free" and kind in pro_only:
                continue
            before: list[str] = []
            for name in profile.providers.chain(tier, kind):
                if name == "local":
                    break  # the engine always answers: nothing after it runs
                version = REPLICATE_VERSION_OF_KIND.get(kind, "")
                has_model = bool(version) and bool(getattr(profile.providers.replicate, version, ""))
                if not configured(name) or (name == "replicate" and not has_model):
                    continue
                uses.setdefault(name, {}).setdefault((kind, tuple(before)), []).append(tier)
                sends.setdefault(name, {}).update(dict.fromkeys(SENDS.get(kind, DEFAULT_SENDS)))
                before.append(DISPLAY[name])
    parties = []
    for name, by_use in uses.items():
        module = importlib.import_module(f"darkroom.studio.providers.{name}")
        parties.append(
            Party(
                name=DISPLAY[name],
                uses=tuple(Use(kind, tuple(tiers), after) for (kind, after), tiers in by_use.items()),
                receives=tuple(sends[name]),
                their_retention=str(getattr(module, "RETENTION", "")),
            )
        )
    return parties


def _payments() -> list[Party]:
    from darkroom.billing import gateways

    if not gateways.stripe_configured():
        return []  # the test gateway is Darkroom's own: nothing leaves
    receives = (
        "your email address",
        "what you buy and its price",
        "your card details, which you type on Stripe's page and which never reach us",
    )
    return [Party("Stripe", (Use("payments"),), receives)]


def _sms(profile: Profile) -> list[Party]:
    if "phone" not in profile.accounts.login_methods or settings.SMS_BACKEND == "outbox":
        return []
    if settings.SMS_BACKEND == "alibaba":
        # dysmsapi.aliyuncs.com is the mainland service; every other endpoint is the international one.
        mainland = settings.ALIBABA_SMS_ENDPOINT == "dysmsapi.aliyuncs.com"
        name = "Alibaba Cloud" if mainland else "Alibaba Cloud International"
    else:
        name = {"twilio": "Twilio"}.get(settings.SMS_BACKEND, settings.SMS_BACKEND)
    receives = ["your mobile number", "the text with your sign-in code"]
    if settings.SMS_BACKEND != "alibaba" or settings.ALIBABA_SMS_NOTICE_TEMPLATES:
        # notify: job notices by SMS, for who turns them on (Alibaba only with an approved template).
        receives.append("the job notices you chose to get by text message")
    return [Party(name, (Use("sms"),), tuple(receives))]


def _mail() -> list[Party]:
    backend = settings.EMAIL_BACKEND or ""
    module = backend.rsplit(".", 2)[-2] if backend.count(".") >= 2 else backend
    if module in LOCAL_MAIL:
        return []
    if backend.startswith("anymail."):
        name: str | None = MAIL_VENDORS.get(module, module)
    else:  # SMTP, or a back-end of the operator's own
        name = vendor_of(str(getattr(settings, "EMAIL_HOST", "") or ""), SMTP_VENDORS)
    if name is None:
        return []
    return [Party(name, (Use("email"),), ("your email address", "the emails we send you"))]


def _google(profile: Profile) -> list[Party]:
    if "google" not in profile.accounts.login_methods or not settings.GOOGLE_CLIENT_ID:
        return []
    return [Party("Google", (Use("sign-in"),), (f"that you sign in to {profile.brand.name} with Google",))]


def _storage() -> list[Party]:
    default = settings.STORAGES["default"]
    if not isinstance(default, dict) or "s3" not in str(default.get("BACKEND", "")).lower():
        return []  # files in a folder on this machine
    options = default.get("OPTIONS", {})
    endpoint = str(options.get("endpoint_url") or "https://s3.amazonaws.com") if isinstance(options, dict) else ""
    name = vendor_of(urlsplit(endpoint).hostname or "", STORAGE_VENDORS)
    if name is None:
        return []
    return [Party(name, (Use("storage"),), ("your photos and what is made from them",))]


def _database() -> list[Party]:
    database = settings.DATABASES["default"]
    if "sqlite" in str(database.get("ENGINE", "")):
        return []
    name = vendor_of(str(database.get("HOST") or ""), DATABASE_VENDORS)
    if name is None:
        return []
    return [Party(name, (Use("database"),), ("everything listed above except the files",))]


def _queue() -> list[Party]:
    if not settings.REDIS_URL:
        return []
    name = vendor_of(urlsplit(settings.REDIS_URL).hostname or "", QUEUE_VENDORS)
    if name is None:
        return []
    return [Party(name, (Use("queue"),), ("short-lived rate-limit counters and the ids of queued tasks",))]


def _hosting(profile: Profile) -> list[Party]:
    return [
        Party(host.name, (Use(host.role),), ("every request to the service, with what it carries",))
        for host in profile.privacy.hosting
    ]


def third_parties(profile: Profile) -> tuple[Party, ...]:
    """Every third party that receives personal data with this configuration, merged by name."""
    found = [
        *_providers(profile),
        *_payments(),
        *_sms(profile),
        *_mail(),
        *_google(profile),
        *_storage(),
        *_database(),
        *_queue(),
        *_hosting(profile),
    ]
    merged: dict[str, Party] = {}
    for party in found:
        if party.name in merged:
            known = merged[party.name]
            party = Party(
                party.name,
                known.uses + party.uses,
                tuple(dict.fromkeys(known.receives + party.receives)),
                known.their_retention or party.their_retention,
            )
        merged[party.name] = party
    return tuple(merged.values())
