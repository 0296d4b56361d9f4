"""Generation and hashing of secret API keys and public write keys."""

from __future__ import annotations

import hashlib
import secrets

API_KEY_PREFIX = "hk_"
WRITE_KEY_PREFIX = "hw_"
LOOKUP_PREFIX_LENGTH = 8


def new_api_key() -> str:
    """A secret API key: ``hk_`` and 40 url-safe random characters."""
    return API_KEY_PREFIX + secrets.token_urlsafe(30)


def new_write_key() -> str:
    """A public write key: ``hw_`` and 32 url-safe random characters."""
    return WRITE_KEY_PREFIX + secrets.token_urlsafe(24)


def hash_key(raw: str) -> str:
    """The stored form of a secret key: its SHA-256, hex encoded."""
    return hashlib.sha256(raw.encode()).hexdigest()


def lookup_prefix(raw: str) -> str:
    """The first characters of a key, kept in clear to recognise it in listings."""
    return raw[:LOOKUP_PREFIX_LENGTH]
