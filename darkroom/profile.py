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

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError, field_validator

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
    minimum_age: int = Field(ge=13, le=21)
    login_methods: list[Literal["email", "phone", "google"]] = Field(min_length=1)
    password_hasher: Literal["argon2", "bcrypt"] = "argon2"  # noqa: S105 - an algorithm name


class Photos(_Strict):
    max_upload_mb: int = Field(ge=1, le=200)
    max_megapixels: int = Field(ge=1, le=200)
    signed_url_seconds: int = Field(ge=10, le=3600)


class Features(_Strict):
    enhance: bool = True
    critique: bool = False
    generate: bool = False
    animate: bool = False
    upscale: bool = False
    restore_faces: bool = False


class Retention(_Strict):
    """Retention periods in days or years; 0 days means "until the user deletes it"."""

    uploads_days_after_generation: int = Field(ge=0)
    results_days: int = Field(ge=0)
    orders_years: int = Field(ge=1, le=15)
    account_deletion_days: int = Field(ge=0, le=30)
    usage_logs_days: int = Field(ge=1, le=400)


class Privacy(_Strict):
    data_region: str = Field(min_length=2)
    policy_version: str = Field(min_length=1)
    policy_updated: str = Field(min_length=1)
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
