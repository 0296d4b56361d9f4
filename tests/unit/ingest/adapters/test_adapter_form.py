"""Form decoding: the same fields as the standard library's ``parse_qsl``, decoded faster."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heron.ingest.adapters.form import form_field, form_fields, unquote_plus
from heron.ingest.parse import BodyError

FORM_ALPHABET = st.sampled_from(list('ab=&+%%%0123456789AaFfGg \n\r\t"{}é€\U0001f600-_.~'))
form_text = st.text(FORM_ALPHABET, max_size=80)


def reference(raw: bytes) -> dict[str, str]:
    return dict(parse_qsl(raw.decode(), keep_blank_values=True))


@given(form_text)
def test_any_text_decodes_as_parse_qsl_does(text: str) -> None:
    raw = text.encode()
    assert form_fields(raw) == reference(raw)


@given(st.dictionaries(st.text(max_size=10), st.text(max_size=200), max_size=5))
def test_encoded_forms_round_trip(fields: dict[str, str]) -> None:
    raw = urlencode(fields).encode()
    assert form_fields(raw) == reference(raw) == fields


@given(form_text, st.sampled_from(["a", "data", "", "é"]))
def test_one_field_is_the_same_as_from_all_fields(text: str, name: str) -> None:
    raw = text.encode()
    assert form_field(raw, name) == reference(raw).get(name)


@given(st.text(max_size=60))
def test_unquote_plus_matches_the_standard_library(text: str) -> None:
    from urllib.parse import unquote_plus as standard

    assert unquote_plus(text) == standard(text, errors="replace")


def test_the_fast_path_decodes_a_batch_in_one_piece() -> None:
    data = '[{"event":"a b","properties":{"x":"%41","y":"=","z":"\\n"}}]'
    raw = urlencode({"data": data, "verbose": 1, "ip": 0}).encode()
    assert form_fields(raw) == {"data": data, "verbose": "1", "ip": "0"}
    assert form_field(raw, "verbose") == "1" and form_field(raw, "missing") is None


def test_invalid_utf8_is_a_body_error() -> None:
    with pytest.raises(BodyError) as raised:
        form_fields(b"data=\xff")
    assert raised.value.code == "invalid_form"
