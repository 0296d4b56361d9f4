"""Checks for project and user fields, shared by the models and the CLI."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from heron.meta.errors import InvalidValueError

_CURRENCY = re.compile(r"[A-Z]{3}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def validate_timezone(name: str) -> str:
    """``name`` if it is an IANA timezone name known to ``zoneinfo``."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValueError(
            "timezone", f"unknown timezone {name!r}; use an IANA name such as 'Europe/Paris'"
        ) from None
    return name


def validate_currency(code: str) -> str:
    """``code`` upper-cased, if it is a three-letter ISO 4217 style code."""
    upper = code.strip().upper()
    if not _CURRENCY.fullmatch(upper):
        raise InvalidValueError(
            "currency", f"expected a three-letter code such as 'USD', not {code!r}"
        )
    return upper


def validate_name(field: str, name: str) -> str:
    """``name`` stripped, if it is not empty and at most 200 characters."""
    stripped = name.strip()
    if not 1 <= len(stripped) <= 200:
        raise InvalidValueError(field, "must be 1 to 200 characters")
    return stripped


def normalize_email(email: str) -> str:
    """``email`` stripped and lower-cased, if it looks like an e-mail address."""
    normalized = email.strip().lower()
    if len(normalized) > 320 or not _EMAIL.fullmatch(normalized):
        raise InvalidValueError("email", f"not an e-mail address: {email!r}")
    return normalized
