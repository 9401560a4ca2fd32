"""Formatting the engine's measurements for people: names without underscores, numbers to a sensible precision."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def aspect_label(name: str) -> str:
    """``colour_cast`` → ``Colour cast``."""
    return name.replace("_", " ").capitalize()


@register.filter
def measure(value: Any) -> str:
    """A measured value as a person reads it: three significant digits, yes/no, or — when absent."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)
