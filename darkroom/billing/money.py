"""Amounts in the currency's smallest unit, shown to people."""

from __future__ import annotations

# Stripe's zero-decimal currencies: their smallest unit is the unit itself.
ZERO_DECIMAL = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()  # noqa: SIM905 - a list from Stripe's docs
)
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cny": "¥", "sgd": "S$", "aud": "A$", "cad": "C$"}


def format_money(amount: int, currency: str) -> str:
    """``499, "usd"`` → ``$4.99``; ``500, "jpy"`` → ``¥500``; unknown currencies keep their code."""
    code = currency.lower()
    number = f"{amount:,}" if code in ZERO_DECIMAL else f"{amount // 100:,}.{amount % 100:02d}"
    symbol = SYMBOLS.get(code)
    return f"{symbol}{number}" if symbol else f"{number} {code.upper()}"
