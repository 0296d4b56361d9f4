"""Errors raised by the metadata repositories, each naming what was wrong."""

from __future__ import annotations


class MetaError(Exception):
    """Base class of metadata errors."""


class InvalidValueError(MetaError, ValueError):
    """A value that cannot be stored, e.g. an unknown timezone or role."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class DuplicateError(MetaError):
    """A value that must be unique is already taken."""


class NotFoundError(MetaError, LookupError):
    """A referenced row does not exist."""
