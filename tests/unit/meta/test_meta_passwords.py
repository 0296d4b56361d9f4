"""Password hashing."""

from __future__ import annotations

from heron.meta.passwords import hash_password, needs_rehash, verify_nothing, verify_password


def test_hash_and_verify() -> None:
    hashed = hash_password("pässword")
    assert hashed.startswith("$argon2id$") and "pässword" not in hashed
    assert hash_password("pässword") != hashed
    assert verify_password(hashed, "pässword")
    assert not verify_password(hashed, "password")
    assert not verify_password("not a hash", "pässword")
    assert not needs_rehash(hashed)
    verify_nothing("anything")
