from __future__ import annotations

import pytest

from darkroom.billing.money import format_money
from darkroom.billing.templatetags.billing import credits, money


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (499, "usd", "$4.99"),
        (123456, "EUR", "€1,234.56"),
        (500, "jpy", "¥500"),
        (1005, "chf", "10.05 CHF"),
        (7, "usd", "$0.07"),
    ],
)
def test_it_shows_amounts_in_the_currencys_own_units(amount: int, currency: str, shown: str) -> None:
    assert format_money(amount, currency) == shown
    assert money(amount, currency) == shown


def test_it_signs_credit_amounts() -> None:
    assert (credits(20), credits(-3), credits(1500)) == ("+20", "−3", "+1,500")
