"""Currencies: minor-unit exponents and conversion to the project currency at stored rates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

ZERO_DECIMAL = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
"""Currencies without minor units (Stripe's list)."""
THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])


class MissingRate(ValueError):
    """No stored exchange rate converts this currency to the project currency."""

    def __init__(self, currency: str, target: str) -> None:
        super().__init__(
            f"no exchange rate from {currency} to the project currency {target}; "
            f"set one with `heron revenue rate --project ID {currency} RATE`"
        )
        self.currency = currency


def exponent(currency: str) -> int:
    """Digits after the decimal point of ``currency``'s minor unit."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    return 3 if code in THREE_DECIMAL else 2


def to_minor(amount: float, currency: str) -> int:
    """A major-unit amount (``9.99``) → integer minor units (``999``)."""
    return round(amount * 10 ** exponent(currency))


@dataclass(frozen=True, slots=True)
class Rates:
    """Rates into ``target``: ``rates[c]`` = units of ``target`` for one unit of ``c``."""

    target: str
    rates: Mapping[str, float] = field(default_factory=dict)

    def convert(self, amount_minor: Fraction | int, currency: str) -> Fraction:
        """Minor units of ``currency`` → exact minor units of the target currency."""
        code = currency.upper()
        if code == self.target:
            return Fraction(amount_minor)
        rate = self.rates.get(code)
        if rate is None:
            raise MissingRate(code, self.target)
        shift = Fraction(10) ** (exponent(self.target) - exponent(code))
        return amount_minor * Fraction(str(rate)) * shift
