"""Shared decoding helpers: vendor ids, base64 and form data, keys."""

from __future__ import annotations

import base64
import uuid

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from heron.ingest.adapters.form import form_fields
from heron.ingest.adapters.wire import (
    NAMESPACE,
    b64decode,
    basic_user,
    bearer,
    content_uuid,
    identity_link,
    key_of,
    name_uuid,
    payload_from_text,
    vendor_uuid,
)
from heron.ingest.parse import BodyError, FieldError, Limits


def test_vendor_uuid_accepts_text_and_integers_only():
    assert vendor_uuid("v", "abc") == vendor_uuid("v", "abc")
    assert vendor_uuid("v", 12) == vendor_uuid("v", "12")
    assert vendor_uuid("v", "abc") != vendor_uuid("w", "abc"), "vendors never collide"
    for bad in (None, "", True, 1.5, {"a": 1}, "x" * 1001):
        assert vendor_uuid("v", bad) is None
    assert uuid.UUID(vendor_uuid("v", "abc")).version == 5


def test_content_uuid_ignores_key_order():
    assert content_uuid("v", {"a": 1, "b": [2]}) == content_uuid("v", {"b": [2], "a": 1})
    assert content_uuid("v", {"a": 1}) != content_uuid("v", {"a": 2})


@given(st.binary(max_size=300))
def test_b64decode_takes_either_alphabet_with_or_without_padding(raw):
    for encoded in (base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()):
        assert b64decode(encoded) == raw
        assert b64decode(encoded.rstrip("=")) == raw
        assert b64decode(encoded.replace("+", " ")) == raw


@given(
    st.recursive(st.integers() | st.text(), lambda c: st.lists(c) | st.dictionaries(st.text(), c))
)
def test_data_fields_hold_json_or_base64_json(value):
    if not isinstance(value, dict | list):
        value = {"v": value}
    if isinstance(value, dict):
        value = {"d": value}
    try:
        data = orjson.dumps(value)
    except TypeError:
        return
    assert payload_from_text(data.decode(), Limits()) == value
    assert payload_from_text(base64.b64encode(data).decode(), Limits()) == value


@pytest.mark.parametrize("text", ["", "   ", "%%%", "bm90IGpzb24="])
def test_unusable_data_fields_are_body_errors(text):
    with pytest.raises(BodyError):
        payload_from_text(text, Limits())


def test_form_fields_and_auth_headers():
    assert form_fields(b"data=%7B%7D&verbose=1&empty=") == {
        "data": "{}",
        "verbose": "1",
        "empty": "",
    }
    with pytest.raises(BodyError):
        form_fields(b"data=\xff")
    basic = {"authorization": "Basic " + base64.b64encode(b"wk:").decode()}
    assert basic_user(basic) == "wk"
    assert basic_user({"authorization": "Basic !!!"}) is None
    assert basic_user({"authorization": "Bearer x"}) is None
    assert bearer({"authorization": "Bearer tok"}) == "tok"
    assert bearer(basic) is None


def test_key_of_one_request_one_project():
    records: list = [{}, {}, FieldError(2, "", "bad"), {}]
    assert key_of(records, ["a", None, "b", "b"], None) == "a"
    assert records[1] == {} and records[2] == FieldError(2, "", "bad")
    assert records[3] == FieldError(3, "token", "differs from the batch's project key")
    untouched: list = [{}, {}]
    assert key_of(untouched, ["a", "b"], "request-key") == "request-key"
    assert untouched == [{}, {}]


def test_identity_link_is_one_event_per_pair():
    first = identity_link("v", "anon", "user", 1, "lib")
    assert first["uuid"] == identity_link("v", "anon", "user", 2, "lib")["uuid"]
    assert first["uuid"] != identity_link("v", "user", "anon", 1, "lib")["uuid"]
    assert first["properties"]["$anon_distinct_id"] == "anon" and first["distinct_id"] == "user"


@given(st.text())
def test_name_uuid_is_uuid5_of_the_namespace(name: str) -> None:
    assert name_uuid(name) == str(uuid.uuid5(NAMESPACE, name))
