"""Sealing (market/sealing.py): the round trip, the row binding, the keyring and its rotation keys."""
from __future__ import annotations

import base64
import os
import uuid

import pytest

from market.sealing import NONCE_BYTES, Keyring, Sealed, SealingError, development_key_file, worker_id_number_aad

ID = "11010519491231002X"


def ring(*key_ids: str) -> tuple[Keyring, str]:
    text = ",".join(f"{k}:{base64.b64encode(os.urandom(32)).decode()}" for k in key_ids)
    return Keyring.parse(text), text


def test_round_trip_under_the_first_key_with_a_fresh_nonce():
    keyring, _ = ring("k2", "k1")
    aad = worker_id_number_aad(uuid.uuid4())
    one, two = keyring.seal(ID, aad), keyring.seal(ID, aad)
    assert one.key_id == "k2"
    assert one.blob[:NONCE_BYTES] != two.blob[:NONCE_BYTES] and one.blob != two.blob
    assert ID.encode() not in one.blob
    assert keyring.open(one, aad) == ID


def test_a_ciphertext_moved_to_another_row_does_not_open():
    keyring, _ = ring("k1")
    sealed = keyring.seal(ID, worker_id_number_aad(uuid.uuid4()))
    with pytest.raises(SealingError):
        keyring.open(sealed, worker_id_number_aad(uuid.uuid4()))


def test_a_changed_ciphertext_does_not_open():
    keyring, _ = ring("k1")
    aad = worker_id_number_aad(uuid.uuid4())
    sealed = keyring.seal(ID, aad)
    flipped = bytes([sealed.blob[-1] ^ 1])
    with pytest.raises(SealingError):
        keyring.open(Sealed(sealed.key_id, sealed.blob[:-1] + flipped), aad)


def test_old_keys_open_after_a_new_key_is_put_first():
    old, old_text = ring("k1")
    aad = worker_id_number_aad(uuid.uuid4())
    sealed = old.seal(ID, aad)
    new_key = base64.b64encode(os.urandom(32)).decode()
    rotated = Keyring.parse(f"k2:{new_key},{old_text}")
    assert rotated.open(sealed, aad) == ID
    assert rotated.seal(ID, aad).key_id == "k2"
    with pytest.raises(SealingError, match="no key 'k1'"):
        Keyring.parse(f"k2:{new_key}").open(sealed, aad)


@pytest.mark.parametrize("text, problem", [
    ("k1:" + base64.b64encode(b"short").decode(), "5 bytes"),
    ("k1:not-base64!", "not base64"),
    ("nocolon", "kid:base64key"),
    ("k1:" + base64.b64encode(bytes(32)).decode() + ",k1:" + base64.b64encode(bytes(32)).decode(), "distinct"),
    ("", "at least one key"),
])
def test_a_bad_keyring_is_refused(text, problem):
    with pytest.raises(ValueError, match=problem):
        Keyring.parse(text)


def test_the_development_key_is_made_once(tmp_path):
    first = development_key_file(tmp_path)
    assert len(first) == 32 and development_key_file(tmp_path) == first
