"""Keyed pseudonyms: reference equality, cross-table/run identity, key sensitivity, chunking."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest

from kogadx.privacy.pseudonym import (
    collision_probability,
    key_fingerprint,
    pseudonym_of,
    pseudonymize_series,
)

KEY_A = bytes(range(32))
KEY_B = bytes(range(1, 33))


def test_vectorised_equals_per_value_hmac():
    values = pd.Series(["12345678901", "10987654321", "12345678901", None, ""], dtype="string")
    result = pseudonymize_series(values, KEY_A, "person")
    expected = hmac.new(KEY_A, b"person\x1f12345678901", hashlib.sha256).hexdigest()[:16]
    assert result.iloc[0] == expected == result.iloc[2]
    assert result.iloc[1] == pseudonym_of("10987654321", KEY_A, "person")
    assert result.iloc[0] != result.iloc[1]
    assert pd.isna(result.iloc[3]) and pd.isna(result.iloc[4])


def test_same_person_same_pseudonym_across_tables_and_chunks():
    codes = [f"{i:011d}" for i in range(500)]
    residents = pd.Series(codes, dtype="string")
    # Another table: other order, full-width digits, int-free but padded the same, chunked.
    members = pd.Series([c.translate(str.maketrans("0123456789", "０１２３４５６７８９")) for c in codes[::-1]])
    whole = pseudonymize_series(residents, KEY_A, "person")
    parts = (members.iloc[i : i + 71] for i in range(0, len(members), 71))
    chunks = pd.concat([pseudonymize_series(part, KEY_A, "person") for part in parts])
    assert list(chunks) == list(whole[::-1])


def test_other_key_or_domain_changes_every_pseudonym():
    values = pd.Series([f"{i:011d}" for i in range(2000)], dtype="string")
    a = pseudonymize_series(values, KEY_A, "person")
    b = pseudonymize_series(values, KEY_B, "person")
    c = pseudonymize_series(values, KEY_A, "household")
    assert not (a == b).any()
    assert set(a).isdisjoint(set(b))
    assert set(a).isdisjoint(set(c))
    assert pseudonymize_series(values, KEY_A, "person").equals(a)  # another run, same key


def test_length_and_integers():
    values = pd.Series([1500, 1500, 7], dtype="int64")
    short = pseudonymize_series(values, KEY_A, "ride_member", hex_length=12)
    assert short.str.len().eq(12).all()
    assert short.iloc[0] == pseudonym_of("1500", KEY_A, "ride_member", 12)
    with pytest.raises(ValueError):
        pseudonymize_series(values, KEY_A, "x", hex_length=4)


def test_collision_probability_matches_birthday_bound():
    p = collision_probability(100_000, 16)
    assert p == pytest.approx(100_000 * 99_999 / 2**65, rel=1e-6)
    assert collision_probability(100_000, 8) > 0.5
    assert key_fingerprint(KEY_A) != key_fingerprint(KEY_B)
    assert KEY_A.hex() not in key_fingerprint(KEY_A)
