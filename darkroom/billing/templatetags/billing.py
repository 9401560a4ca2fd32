from __future__ import annotations

from django import template

from darkroom.billing.money import format_money

register = template.Library()


@register.filter
def money(amount: int, currency: str) -> str:
    """``{{ order.amount|money:order.currency }}``"""
    return format_money(int(amount), str(currency))


@register.filter
def credits(amount: int) -> str:
    """A signed credit amount: ``+20``, ``−3``."""
    return f"+{amount:,}" if amount > 0 else f"−{-amount:,}"
