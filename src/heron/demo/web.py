"""Devices, countries, marketing channels and page views: what web and app SDKs send."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from heron.demo.encode import Bundle, Encoded, Fragments, Prop, join, quote, take
from heron.demo.vec import I64


@dataclass(frozen=True, slots=True)
class Device:
    """What an SDK reports about the device: ``$lib``, ``$browser``, ``$os``, ``$device_type``."""

    lib: str
    browser: str | None
    os: str
    device_type: str


DEVICES = (
    Device("web", "Chrome", "Windows", "Desktop"),
    Device("web", "Chrome", "Mac OS X", "Desktop"),
    Device("web", "Safari", "Mac OS X", "Desktop"),
    Device("web", "Firefox", "Windows", "Desktop"),
    Device("web", "Microsoft Edge", "Windows", "Desktop"),
    Device("web", "Chrome", "Linux", "Desktop"),
    Device("web", "Mobile Safari", "iOS", "Mobile"),
    Device("web", "Chrome", "Android", "Mobile"),
    Device("web", "Mobile Safari", "iOS", "Tablet"),
    Device("ios", None, "iOS", "Mobile"),
    Device("android", None, "Android", "Mobile"),
    Device("ios", None, "iOS", "Tablet"),
)
IS_WEB = np.array([d.lib == "web" for d in DEVICES])


def _head(d: Device) -> str:
    browser = "" if d.browser is None else f',"$browser":{quote(d.browser)}'
    return f'{{"$lib":{quote(d.lib)}{browser},"$os":{quote(d.os)},"$device_type":"{d.device_type}"'


DEVICE_HEADS = pa.array([_head(d) for d in DEVICES], pa.string())
SERVER_HEAD = pa.scalar('{"$lib":"python"', pa.string())
BROWSERS = pa.array([d.browser for d in DEVICES], pa.string())
OSES = pa.array([d.os for d in DEVICES], pa.string())
DEVICE_TYPES = pa.array([d.device_type for d in DEVICES], pa.string())

COUNTRIES = (
    "US", "CA", "GB", "DE", "FR", "AT", "CH", "NL", "ES", "IT",
    "AU", "BR", "IN", "NG", "KE", "PH", "PE", "NP", "MX", "JP",
)  # fmt: skip


def country_weights(weights: dict[str, float]) -> tuple[float, ...]:
    """Weights over :data:`COUNTRIES`, with a small floor so every country occurs."""
    return tuple(weights.get(c, 0.0) + 0.004 for c in COUNTRIES)


UTM = ("source", "medium", "campaign")


@dataclass(frozen=True, slots=True)
class Channel:
    """Where a visit comes from: its UTM parameters and referrer (``None``: not sent)."""

    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    referrer: str | None = None


@lru_cache(maxsize=64)
def channel_fragments(channels: tuple[Channel, ...]) -> tuple[pa.Array, pa.Array]:
    """Per channel: its UTM and referrer properties as one fragment, and its URL query."""
    fragments, queries = [], []
    for c in channels:
        utm = [
            (f"utm_{k}", v) for k, v in zip(UTM, (c.source, c.medium, c.campaign), strict=True) if v
        ]
        referrer = c.referrer or "$direct"
        domain = referrer.split("/")[2] if referrer.startswith("http") else referrer
        pairs = [*utm, ("$referrer", referrer), ("$referring_domain", domain)]
        fragments.append("".join(f",{quote(k)}:{quote(v)}" for k, v in pairs))
        queries.append("?" + "&".join(f"{k}={v}" for k, v in utm) if utm else None)
    return pa.array(fragments, pa.string()), pa.array(queries, pa.string())


def pageview_props(
    host: str,
    paths: tuple[str, ...],
    path_codes: I64,
    path_ids: I64,
    channels: tuple[Channel, ...] = (),
    channel_codes: I64 | None = None,
) -> tuple[Prop, ...]:
    """``$current_url``, ``$host``, ``$pathname`` and, for landings (channel code ≥ 0),
    UTM and referrer properties.

    A path ending in ``/`` gets ``path_ids`` appended (``/goals/`` → ``/goals/42``).
    """
    with_id = np.array([p.endswith("/") and len(p) > 1 for p in paths])[path_codes]
    ids = pc.cast(pa.array(path_ids, type=pa.int64(), mask=~with_id), pa.string())
    path = take(pa.array(paths, pa.string()), path_codes)
    query: Fragments = pa.scalar(None, pa.string())
    props: list[Prop] = []
    if channels and channel_codes is not None:
        table, queries = channel_fragments(channels)
        query = take(queries, channel_codes)
        props.append(Bundle(table, channel_codes))
    hostname = host.split("//")[1]
    pieces = [path, ids, query, f'","$host":"{hostname}","$pathname":"', path, ids]
    url = join(pa.scalar(f',"$current_url":"{host}'), pieces, tail='"')
    return (Encoded(url), *props)
