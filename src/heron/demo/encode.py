"""Vectorised encoding of event properties into JSON object strings, and of UUIDs.

A property is encoded as one *fragment* per row, ``,"key":value``, or null when the row
does not carry it; an event's JSON object is a head (``{"$lib":"web",…``) followed by
its fragments and ``}``, joined by Arrow with nulls skipped. Values are written as given:
the generators only produce strings that need no JSON escaping.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from heron.demo.vec import I64, Bools

Fragments: TypeAlias = pa.Array | pa.Scalar


def quote(value: str) -> str:
    """A JSON string literal."""
    return json.dumps(value, ensure_ascii=False)


@lru_cache(maxsize=1024)
def vocab_fragments(key: str, vocab: tuple[str, ...], raw: bool = False) -> pa.Array:
    """The fragment of every vocabulary value (``raw`` values are JSON already)."""
    name = quote(key)
    return pa.array([f",{name}:{v if raw else quote(v)}" for v in vocab], pa.string())


def take(values: pa.Array, idx: I64) -> pa.Array:
    """``values[idx]``, null where ``idx`` is negative."""
    return values.take(pa.array(idx, type=pa.int64(), mask=idx < 0))


class Prop(ABC):
    """One property (or a bundle of them) of a frame of events, kept as arrays until it
    is encoded."""

    @abstractmethod
    def take(self, idx: I64) -> Prop:
        """The property of the rows ``idx``."""

    @abstractmethod
    def fragments(self) -> Fragments:
        """``,"key":value`` per row (null where absent), or one scalar for every row."""


@dataclass(frozen=True, slots=True)
class Cat(Prop):
    """A value from a small vocabulary, by code (a negative code: absent)."""

    key: str
    vocab: tuple[str, ...]
    codes: I64
    raw: bool = False

    def take(self, idx: I64) -> Cat:
        return Cat(self.key, self.vocab, self.codes[idx], self.raw)

    def fragments(self) -> Fragments:
        return take(vocab_fragments(self.key, self.vocab, self.raw), self.codes)


@dataclass(frozen=True, slots=True)
class Bundle(Prop):
    """Several properties that depend on one code, pre-encoded per code (``table``)."""

    table: pa.Array
    codes: I64

    def take(self, idx: I64) -> Bundle:
        return Bundle(self.table, self.codes[idx])

    def fragments(self) -> Fragments:
        return take(self.table, self.codes)


@dataclass(frozen=True, slots=True)
class Encoded(Prop):
    """Fragments encoded already, one per row."""

    values: pa.Array

    def take(self, idx: I64) -> Encoded:
        return Encoded(self.values.take(pa.array(idx, type=pa.int64())))

    def fragments(self) -> Fragments:
        return self.values


@dataclass(frozen=True, slots=True)
class Int(Prop):
    """An integer (e.g. an amount in minor units), absent where ``present`` is false."""

    key: str
    values: I64
    present: Bools | None = None

    def take(self, idx: I64) -> Int:
        return Int(self.key, self.values[idx], None if self.present is None else self.present[idx])

    def fragments(self) -> Fragments:
        mask = None if self.present is None else ~self.present
        text = pc.cast(pa.array(self.values, type=pa.int64(), mask=mask), pa.string())
        return pc.binary_join_element_wise(f",{quote(self.key)}:", text, "")


@dataclass(frozen=True, slots=True)
class Ident(Prop):
    """An identifier string made of a prefix and an integer, e.g. ``"goal_1042"``."""

    key: str
    prefix: str
    values: I64

    def take(self, idx: I64) -> Ident:
        return Ident(self.key, self.prefix, self.values[idx])

    def fragments(self) -> Fragments:
        text = pc.cast(pa.array(self.values, type=pa.int64()), pa.string())
        head = f",{quote(self.key)}:{quote(self.prefix)[:-1]}"
        return pc.binary_join_element_wise(head, text, '"', "")


@dataclass(frozen=True, slots=True)
class Text(Prop):
    """A string per row from an Arrow array (null: absent)."""

    key: str
    values: pa.Array
    raw: bool = False

    def take(self, idx: I64) -> Text:
        return Text(self.key, self.values.take(pa.array(idx, type=pa.int64())), self.raw)

    def fragments(self) -> Fragments:
        if self.raw:
            return pc.binary_join_element_wise(f",{quote(self.key)}:", self.values, "")
        return pc.binary_join_element_wise(f",{quote(self.key)}:", '"', self.values, '"', "")


@dataclass(frozen=True, slots=True)
class Const(Prop):
    """The same value on every row."""

    key: str
    value: str | int

    def take(self, idx: I64) -> Const:
        return self

    def fragments(self) -> Fragments:
        return pa.scalar(f",{quote(self.key)}:{json.dumps(self.value)}", pa.string())


def join(head: Fragments, parts: Sequence[Fragments], tail: str = "}") -> pa.Array:
    """Concatenate per-row pieces, skipping null ones."""
    return pc.binary_join_element_wise(head, *parts, tail, "", null_handling="skip")


def objects(props: Sequence[Prop], n: int) -> pa.Array:
    """A JSON object per row from ``props`` (used for ``$set`` and the like)."""
    text = join(pa.array(["{"] * n, pa.string()), [p.fragments() for p in props])
    return pc.replace_substring(text, "{,", "{", max_replacements=1)


_HEX_PAIRS = (
    np.frombuffer("".join(f"{i:02x}" for i in range(256)).encode(), dtype=np.uint8)
    .copy()
    .view(np.uint16)
)
"""The two hex digits of every byte value, as one 16-bit word (bytes in text order)."""
_GROUPS = ((0, 8, 0), (9, 13, 8), (14, 18, 12), (19, 23, 16), (24, 36, 20))
"""(start, stop) in the 36-character text, start in the 32 hex digits."""


def uuid7(ts_us: I64, rng: np.random.Generator) -> pa.StringArray:
    """Canonical lowercase UUIDv7 strings: the millisecond of ``ts_us``, then random bits."""
    n = len(ts_us)
    raw = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    ms = (np.asarray(ts_us, dtype=np.int64) // 1000).astype(">u8")
    raw[:, :6] = ms.view(np.uint8).reshape(n, 8)[:, 2:]
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x70
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    digits = _HEX_PAIRS[raw].view(np.uint8).reshape(n, 32)
    text = np.full((n, 36), ord("-"), dtype=np.uint8)
    for start, stop, first in _GROUPS:
        text[:, start:stop] = digits[:, first : first + stop - start]
    offsets = np.arange(0, 36 * (n + 1), 36, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(text))


def prefixed(prefix: str, values: I64) -> pa.Array:
    """Strings ``prefix + str(value)``."""
    return pc.binary_join_element_wise(
        prefix, pc.cast(pa.array(values, type=pa.int64()), pa.string()), ""
    )
