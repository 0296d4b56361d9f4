"""The organization theme: white-label tokens (name, logo, colours) with dark mode."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

HEX_COLOR = r"^#[0-9a-fA-F]{6}$"


class Colors(BaseModel):
    model_config = ConfigDict(extra="forbid")

    primary: str = Field(default="#2563eb", pattern=HEX_COLOR)
    accent: str = Field(default="#f59e0b", pattern=HEX_COLOR)
    background: str = Field(default="#ffffff", pattern=HEX_COLOR)
    surface: str = Field(default="#f8fafc", pattern=HEX_COLOR)
    text: str = Field(default="#0f172a", pattern=HEX_COLOR)


class Theme(BaseModel):
    """Theme tokens; the front end maps them to CSS variables (no free-form CSS)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="Heron", min_length=1, max_length=100)
    logo_url: str | None = Field(default=None, max_length=2000)
    colors: Colors = Field(default_factory=Colors)
    dark_mode: bool = False

    @field_validator("logo_url")
    @classmethod
    def _safe_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if value.startswith("//") or not value.startswith(("https://", "http://", "/")):
            raise ValueError("logo_url must be an http(s) URL or a path on this site")
        return value


def theme_of(settings: dict[str, Any]) -> Theme:
    """An organization's theme from its settings (the default when none is stored)."""
    return Theme.model_validate(settings.get("theme") or {})
