"""Password hashing with argon2id."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (with its own salt and parameters)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with parameters other than the current ones."""
    return _HASHER.check_needs_rehash(password_hash)


def verify_nothing(password: str) -> None:
    """Spend the time of one verification, so unknown e-mails answer as slowly as known ones."""
    verify_password(_dummy_hash(), password)


@cache
def _dummy_hash() -> str:
    return _HASHER.hash("heron-dummy-password")
