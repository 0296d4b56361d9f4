"""lz-string base64 decompression, against output of the reference JavaScript library."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heron.ingest.adapters.lzstring import (
    LZStringError,
    LZStringTooLarge,
    decompress_from_base64,
)
from tests.unit.ingest.adapters.wire_requests import LZ_VECTORS


@pytest.mark.parametrize(("original", "compressed"), LZ_VECTORS, ids=range(len(LZ_VECTORS)))
def test_reference_output_decompresses_to_the_original(original, compressed):
    assert decompress_from_base64(compressed, 10**6) == original
    assert decompress_from_base64(compressed.replace("+", " "), 10**6) == original


def test_the_limit_stops_a_large_output():
    original, compressed = max(LZ_VECTORS, key=lambda v: len(v[0]))
    with pytest.raises(LZStringTooLarge):
        decompress_from_base64(compressed, len(original) // 2)


@pytest.mark.parametrize("text", ["%%%", "AAAA", "/////"])
def test_text_lz_string_never_made_is_an_error(text):
    with pytest.raises(LZStringError):
        decompress_from_base64(text, 10**6)


@given(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", max_size=200))
def test_arbitrary_base64_text_decompresses_or_fails_cleanly(text):
    try:
        result = decompress_from_base64(text, 10_000)
    except LZStringError:
        return
    assert len(result) <= 10_000
