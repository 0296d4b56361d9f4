"""The roles a membership or API key can carry."""

from __future__ import annotations

from enum import StrEnum

from heron.meta.errors import InvalidValueError


class Role(StrEnum):
    """A user's or key's role within an organization or project."""

    OWNER = "owner"
    ADMIN = "admin"
    ANALYST = "analyst"
    COACH = "coach"
    FINANCE = "finance"
    VIEWER = "viewer"


ROLE_NAMES: tuple[str, ...] = tuple(role.value for role in Role)


def parse_role(value: str) -> Role:
    """The ``Role`` named by ``value``, or ``InvalidValueError`` listing the valid ones."""
    try:
        return Role(value)
    except ValueError:
        raise InvalidValueError(
            "role", f"unknown role {value!r}; expected one of {', '.join(ROLE_NAMES)}"
        ) from None
