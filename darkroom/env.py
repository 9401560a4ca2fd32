"""Typed readers for environment variables.

Each reader refuses a bad value with a message that names the variable, so a
typo in a deployment stops the service at start instead of half-working.
Secrets may also be given as ``NAME_FILE`` (a path), as container platforms do.
"""

from __future__ import annotations

import os
from pathlib import Path


class EnvError(Exception):
    """An environment variable holds a value that cannot be used."""


def string(name: str, default: str | None = None) -> str | None:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise EnvError(f"{name}_FILE points to {file_path}, which cannot be read: {exc}") from exc
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def boolean(name: str, default: bool) -> bool:
    value = string(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise EnvError(f"{name} must be true or false (got {value!r})")


def integer(name: str, default: int, *, minimum: int = 0) -> int:
    value = string(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise EnvError(f"{name} must be a whole number (got {value!r})") from None
    if number < minimum:
        raise EnvError(f"{name} must be at least {minimum} (got {number})")
    return number


def number(name: str, default: float, *, minimum: float = 0.0) -> float:
    """A decimal number of seconds, say; refused below ``minimum``."""
    value = string(name)
    if value is None:
        return default
    try:
        parsed = float(value)
    except ValueError:
        raise EnvError(f"{name} must be a number (got {value!r})") from None
    if not parsed >= minimum:  # also refuses nan
        raise EnvError(f"{name} must be at least {minimum:g} (got {value})")
    return parsed


def url(name: str, default: str | None, *, schemes: tuple[str, ...]) -> str | None:
    value = string(name, default)
    if value is None:
        return None
    scheme = value.split("://", 1)[0] if "://" in value else ""
    if scheme not in schemes:
        allowed = ", ".join(f"{s}://" for s in schemes)
        raise EnvError(f"{name} must start with one of {allowed} (got {scheme or 'no scheme'!r})")
    return value


def csv(name: str, default: list[str]) -> list[str]:
    value = string(name)
    if value is None:
        return default
    return [part.strip() for part in value.split(",") if part.strip()]
