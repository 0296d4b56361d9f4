"""``application/x-www-form-urlencoded`` bodies, decoded as ``urllib.parse.parse_qsl`` does.

Mixpanel's SDKs send whole batches as one form field (``data=<percent-encoded JSON>``):
tens of kilobytes in which nearly every JSON quote and brace is a ``%XX`` escape. The
standard library decodes escapes one by one in Python; here a value whose escapes are
all well formed is decoded in C by :func:`binascii.a2b_qp` (quoted-printable's ``=XX`` is
the same escape with another marker), with the same result. Anything unusual (a raw
``=``, a line break, non-ASCII text) takes the standard library's path, and so does a
malformed escape: ``a2b_qp`` leaves it as it is, so the result is longer than the two
bytes fewer per ``%`` that decoding every escape gives.
"""

from __future__ import annotations

import binascii
from collections.abc import Iterator, Mapping
from urllib.parse import unquote

from heron.ingest.parse import BodyError


def unquote_plus(text: str) -> str:
    """A form name or value decoded: ``+`` is a space, ``%XX`` a byte, bad UTF-8 replaced."""
    spaced = text.replace("+", " ")
    if "%" not in spaced:
        return spaced
    if spaced.isascii() and "=" not in spaced and "\n" not in spaced and "\r" not in spaced:
        decoded = binascii.a2b_qp(spaced.replace("%", "="))
        if len(decoded) == len(spaced) - 2 * spaced.count("%"):
            return decoded.decode(errors="replace")
    return unquote(spaced, errors="replace")


def is_form(headers: Mapping[str, str], raw: bytes) -> bool:
    content_type = headers.get("content-type", "").lower()
    return "x-www-form-urlencoded" in content_type or raw[:5] == b"data="


def _pairs(raw: bytes) -> Iterator[tuple[str, str]]:
    """(decoded name, still encoded value) of each field, in order."""
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise BodyError(400, "invalid_form", "form body is not valid UTF-8") from None
    for part in text.split("&"):
        if part:
            name, _, value = part.partition("=")
            yield unquote_plus(name), value


def form_fields(raw: bytes) -> dict[str, str]:
    """Every field (the last value of a repeated one wins)."""
    return {name: unquote_plus(value) for name, value in _pairs(raw)}


def form_field(raw: bytes, wanted: str) -> str | None:
    """One field's value (the last one), decoding no other value."""
    found: str | None = None
    for name, value in _pairs(raw):
        if name == wanted:
            found = value
    return None if found is None else unquote_plus(found)
