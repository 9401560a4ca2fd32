"""Profile loading and validation.

A profile is a TOML file of *product facts*: who operates the service, what it
offers, how long it keeps things. The code reads these facts from here and
nowhere else, so the policy page and the behaviour cannot drift apart.

Every key is declared below; an unknown key or a missing one is refused when
the service starts, with the key's dotted name (``photos.max_upload_mb``).
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError, field_validator, model_validator

PROFILES_DIR = Path(__file__).resolve().parent.parent / "profiles"
DEFAULT_PROFILE = "demo"


class ProfileError(Exception):
    """The profile is missing, unreadable or has a wrong or missing key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Brand(_Strict):
    name: str = Field(min_length=1)
    tagline: str = ""


class Operator(_Strict):
    name: str = Field(min_length=1)
    kind: str = Field(min_length=1, description="e.g. 'an individual developer', 'a limited company'")
    contact_email: EmailStr
    privacy_email: EmailStr
    website: str = ""


class Accounts(_Strict):
    """How people sign up and in, and the limits that keep SMS from being abused.

    SMS costs the operator money per message, and some destinations pay kickbacks
    to whoever makes them receive texts ("SMS pumping"): codes go only to the
    countries listed, and at most ``sms_per_ip_per_hour`` / ``sms_per_hour``.
    """

    minimum_age: int = Field(ge=13, le=21)
    login_methods: list[Literal["email", "phone", "google"]] = Field(min_length=1)
    password_hasher: Literal["argon2", "bcrypt"] = "argon2"  # noqa: S105 - an algorithm name
    sms_countries: list[str] = Field(default_factory=list, description="ISO 3166 codes SMS may go to")
    sms_per_ip_per_hour: int = Field(default=10, ge=1, le=1000)
    sms_per_hour: int = Field(default=200, ge=1, le=100_000, description="all SMS of the service together")

    @field_validator("sms_countries")
    @classmethod
    def _country_codes(cls, value: list[str]) -> list[str]:
        bad = [code for code in value if len(code) != 2 or not code.isalpha() or not code.isupper()]
        if bad:
            raise ValueError(f"use two-letter upper-case ISO 3166 codes such as SG (got {', '.join(bad)})")
        return value

    @model_validator(mode="after")
    def _phone_needs_countries(self) -> Accounts:
        if "phone" in self.login_methods and not self.sms_countries:
            raise ValueError("phone login needs sms_countries: the countries codes may be sent to")
        return self


class Photos(_Strict):
    max_upload_mb: int = Field(ge=1, le=200)
    # Pillow refuses more than 89 MP as a possible decompression bomb.
    max_megapixels: int = Field(ge=1, le=89)
    signed_url_seconds: int = Field(ge=10, le=3600)


class Features(_Strict):
    enhance: bool = True
    critique: bool = False
    generate: bool = False
    animate: bool = False
    upscale: bool = False
    restore_faces: bool = False


JobKind = Literal["enhance", "critique", "generate", "animate", "upscale", "restore_faces"]
Tier = Literal["free", "pro"]
# ISO 4217, lower case as Stripe writes it.
_CURRENCY = r"^[a-z]{3}$"


class CreditPack(_Strict):
    """A pack of credits sold once; ``price`` in the currency's smallest unit (cents)."""

    code: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str = Field(min_length=1)
    credits: int = Field(ge=1, le=1_000_000)
    price: int = Field(ge=1)
    currency: str = Field(pattern=_CURRENCY)


class ProPlan(_Strict):
    """The Pro subscription: billed monthly, grants credits each month, unlocks the pro tier."""

    name: str = Field(min_length=1)
    price: int = Field(ge=1)
    currency: str = Field(pattern=_CURRENCY)
    monthly_credits: int = Field(ge=0, le=1_000_000)
    pro_only_features: list[JobKind] = Field(default_factory=list, description="features only Pro may use")
    perks: list[str] = Field(min_length=1, description="what Pro unlocks, in words shown on the billing page")


class Billing(_Strict):
    """What credits cost and what each job costs in credits, per tier.

    ``pro`` is optional: a service without it sells credit packs only.
    """

    packs: list[CreditPack] = Field(min_length=1)
    job_credits: dict[Tier, dict[JobKind, int]]
    pro: ProPlan | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Billing:
        codes = [pack.code for pack in self.packs]
        if len(set(codes)) != len(codes):
            raise ValueError("packs: every pack needs its own code")
        tiers = {"free", "pro"} if self.pro else {"free"}
        if set(self.job_credits) != tiers:
            raise ValueError(
                f"job_credits: give exactly the tiers {sorted(tiers)} (pro only with a [billing.pro] plan)"
            )
        for tier, prices in self.job_credits.items():
            if any(cost < 0 for cost in prices.values()):
                raise ValueError(f"job_credits.{tier}: a job cannot cost less than 0 credits")
        return self


class UpscaleCaps(_Strict):
    """The largest input of a local upscale, in megapixels, for each tier."""

    free: float = Field(gt=0, le=50)
    pro: float = Field(gt=0, le=50)

    def of(self, tier: str) -> float:
        return self.pro if tier == "pro" else self.free


class Engine(_Strict):
    """The local engine's limits: what the operator's CPUs can do within a job's time."""

    # open_nsfw's probability at or above which a photo is refused, before a
    # job (its input) and before delivery (its result).
    moderation_threshold: float = Field(default=0.8, gt=0, le=1)
    # Upscaling time grows with the input's pixels; on 2 CPU cores the compact
    # 2x network takes ~6 s a megapixel, x4plus ~5 minutes (bench/README.md).
    upscale_x2_max_megapixels: UpscaleCaps = Field(default_factory=lambda: UpscaleCaps(free=2.0, pro=8.0))
    upscale_x4_max_megapixels: UpscaleCaps = Field(default_factory=lambda: UpscaleCaps(free=0.25, pro=1.0))
    # Each face costs seconds; a crowd would hold a worker for many minutes.
    restore_max_faces: int = Field(default=8, ge=1, le=50)


ProviderName = Literal["local", "openai", "replicate", "kling", "anthropic"]
# What each provider can do (issue #7): the chains below may only name these.
CAPABILITIES: dict[str, set[str]] = {
    "local": {"enhance", "critique", "generate", "animate", "upscale", "restore_faces"},
    "openai": {"generate"},
    "replicate": {"generate", "enhance", "upscale", "restore_faces"},
    "kling": {"animate"},
    "anthropic": {"critique"},
}


class OpenAI(_Strict):
    # gpt-image-1 was retired on 2026-10-23 (OpenAI's deprecations page); Sunburst keeps
    # a subject's likeness, which a selfie portrait needs.
    image_model: str = "gpt-image-2.6-sunburst"


class Replicate(_Strict):
    """Model versions on Replicate ("owner/name:version"), one per job kind it runs."""

    instantid_version: str = ""  # generate: the selfie's identity kept in a new scene
    restore_version: str = ""  # restore_faces / Pro enhance: GFPGAN or CodeFormer
    upscale_version: str = ""  # upscale: Real-ESRGAN


class Kling(_Strict):
    model: str = "kling-v1-6"


class Anthropic(_Strict):
    model: str = "claude-sonnet-4-5"


class Providers(_Strict):
    """Which provider runs each job kind, per tier, in order; ``local`` is Darkroom's engine.

    A provider without its key in the environment is passed over, so the
    embedded default (no keys) runs every chain's ``local`` end.
    """

    chains: dict[Tier, dict[JobKind, list[ProviderName]]] = Field(default_factory=dict)
    openai: OpenAI = Field(default_factory=OpenAI)
    replicate: Replicate = Field(default_factory=Replicate)
    kling: Kling = Field(default_factory=Kling)
    anthropic: Anthropic = Field(default_factory=Anthropic)

    @model_validator(mode="after")
    def _chains_name_able_providers(self) -> Providers:
        for tier, kinds in self.chains.items():
            for kind, chain in kinds.items():
                if not chain:
                    raise ValueError(f"chains.{tier}.{kind}: name at least one provider (local is always there)")
                unable = [name for name in chain if kind not in CAPABILITIES[name]]
                if unable:
                    raise ValueError(f"chains.{tier}.{kind}: {', '.join(unable)} cannot run {kind} jobs")
        return self

    def chain(self, tier: str, kind: str) -> list[str]:
        """The chain for ``kind`` on ``tier``; without one, the free tier's; without that, the engine."""
        for name in (tier, "free"):
            chain = self.chains.get(name, {}).get(kind)  # type: ignore[call-overload]
            if chain:
                return list(chain)
        return ["local"]


class Retention(_Strict):
    """Retention periods in days or years; 0 days means "until the user deletes it"."""

    uploads_days_after_generation: int = Field(ge=0)
    results_days: int = Field(ge=0)
    orders_years: int = Field(ge=1, le=15)
    account_deletion_days: int = Field(ge=0, le=30)
    usage_logs_days: int = Field(ge=1, le=400)
    # How long an export's download link (and the archive behind it) lives: long enough to fetch it,
    # short enough that a full copy of someone's data does not linger in storage.
    export_link_days: int = Field(ge=1, le=30)


class Host(_Strict):
    """A third party that runs part of the service where Darkroom cannot see it (who hosts the web servers).

    Everything else the policy page lists as a recipient is read from the
    configuration (providers with keys, Stripe, the SMS and email back-ends,
    the storage, database and queue hosts); only this cannot be.
    """

    name: str = Field(min_length=1)
    role: str = Field(min_length=1, description="what it does for the service, e.g. 'hosting'")


class Privacy(_Strict):
    """Facts for the policy page. Its version and date are not here: they follow from the facts (privacy.policy)."""

    data_region: str = Field(min_length=2)
    hosting: list[Host] = Field(default_factory=list)
    retention: Retention


class Profile(_Strict):
    """The whole profile; see ``profiles/demo.toml`` for every key with a comment."""

    slug: str = Field(pattern=r"^[a-z0-9-]+$")
    brand: Brand
    operator: Operator
    accounts: Accounts
    photos: Photos
    features: Features
    privacy: Privacy
    billing: Billing
    engine: Engine = Field(default_factory=Engine)
    providers: Providers = Field(default_factory=Providers)

    @model_validator(mode="after")
    def _upscales_fit_the_photo_limit(self) -> Profile:
        limit = self.photos.max_megapixels
        for scale, caps in ((2, self.engine.upscale_x2_max_megapixels), (4, self.engine.upscale_x4_max_megapixels)):
            if max(caps.free, caps.pro) * scale * scale > limit:
                raise ValueError(
                    f"engine.upscale_x{scale}_max_megapixels: a {scale}x upscale of the cap would be over "
                    f"photos.max_megapixels ({limit}); lower the cap to at most {limit / scale / scale:g}"
                )
        return self

    @model_validator(mode="after")
    def _every_offered_job_has_a_price(self) -> Profile:
        offered = [name for name, on in self.features.model_dump().items() if on]
        for tier, prices in self.billing.job_credits.items():
            missing = [name for name in offered if name not in prices]
            if missing:
                raise ValueError(f"billing.job_credits.{tier}: no price for offered feature(s) {', '.join(missing)}")
        return self

    @field_validator("slug")
    @classmethod
    def _slug_not_reserved(cls, value: str) -> str:
        if value in {"default", "test"}:
            raise ValueError("choose a slug that names your service")
        return value


def _describe(error: ValidationError, source: Path) -> str:
    lines = [f"Profile {source} is not valid:"]
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        if item["type"] == "missing":
            lines.append(f"  - {key}: this key is required but missing")
        elif item["type"] == "extra_forbidden":
            lines.append(f"  - {key}: unknown key (misspelt, or not supported by this version)")
        else:
            lines.append(f"  - {key}: {item['msg']}")
    return "\n".join(lines)


def resolve_path(name_or_path: str) -> Path:
    """A profile given by name (``photo-coach``) or by path to a TOML file."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml":
        return candidate.resolve()
    return PROFILES_DIR / f"{name_or_path}.toml"


def load(name_or_path: str) -> Profile:
    """Read and validate one profile; raise ProfileError with every problem listed."""
    path = resolve_path(name_or_path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ProfileError(
            f"Profile {path} does not exist. Set DARKROOM_PROFILE to a name in "
            f"{PROFILES_DIR} or to the path of a .toml file."
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"Profile {path} is not valid TOML: {exc}") from exc
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(_describe(exc, path)) from exc


@lru_cache(maxsize=1)
def active() -> Profile:
    """The profile this process runs, from DARKROOM_PROFILE (default: demo)."""
    return load(os.environ.get("DARKROOM_PROFILE", DEFAULT_PROFILE))
