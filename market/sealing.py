"""Sealing: AES-GCM encryption of the one value the service must read back in clear, the full
resident ID a tax filing needs (docs/filings.md).

Everything else identifies a person by the keyed hash and the mask (market/accounts); only the
个人所得税 withholding export opens a sealed ID, for an admin, audited (market/filings).

- A keyring from `MARKET_SEALING_KEYS` = "kid1:base64key,kid2:base64key": the first key seals, every
  key opens, so a new key is put first and the old ones stay until `market admin reseal-ids` has
  moved every row to the new one (key rotation). Keys are 16, 24 or 32 bytes (AES-128/192/256).
- Each sealed value stores the id of its key and a random 96-bit nonce (NIST SP 800-38D: the nonce
  must never repeat under one key; 2^32 random nonces per key keep the chance negligible).
- The associated data binds a ciphertext to its row (the worker's account id): a ciphertext copied
  into another worker's row does not open.

Unset (development): a random key is made once in data_dir/sealing.key, like the hash key.
Production sets MARKET_SEALING_KEYS and keeps every key that still seals a row: losing a key loses
the IDs sealed under it.
"""
from __future__ import annotations

import base64
import binascii
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydantic import SecretStr

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from market import embedded



class KeySettings(Protocol):
    """What `keyring` reads of the settings (market/config.py's Settings is one; config imports
    this module to check the keys at start-up, so this one names only the two fields)."""

    @property
    def sealing_keys(self) -> SecretStr | None: ...

    @property
    def data_dir(self) -> Path: ...

NONCE_BYTES = 12  # 96 bits: the nonce length GCM is specified for
KEY_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
DEVELOPMENT_KEY_ID = "local"


class SealingError(Exception):
    """A sealed value that does not open: unknown key id, wrong row, or changed bytes."""


@dataclass(frozen=True)
class Sealed:
    key_id: str
    blob: bytes  # nonce ‖ ciphertext ‖ tag


def _key_problem(key_id: str, key: bytes) -> str | None:
    if not key_id or not set(key_id) <= KEY_ID_CHARS or len(key_id) > 32:
        return f"key id {key_id!r}: 1-32 letters, digits, '-', '_' or '.'"
    if len(key) not in (16, 24, 32):
        return f"key {key_id!r}: {len(key)} bytes; AES-GCM takes 16, 24 or 32"
    return None


class Keyring:
    """The sealing keys, the first of which seals."""

    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise ValueError("a keyring needs at least one key")
        for key_id, key in keys:
            if problem := _key_problem(key_id, key):
                raise ValueError(problem)
        if len({key_id for key_id, _ in keys}) != len(keys):
            raise ValueError("key ids must be distinct")
        self._keys = {key_id: AESGCM(key) for key_id, key in keys}
        self.current_key_id = keys[0][0]

    @classmethod
    def parse(cls, text: str) -> Keyring:
        """`kid1:base64key,kid2:base64key` (standard base64, padding optional)."""
        keys = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            key_id, sep, encoded = part.partition(":")
            if not sep:
                raise ValueError(f"{part[:8]!r}…: expected kid:base64key")
            try:
                key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
            except binascii.Error:
                raise ValueError(f"key {key_id!r}: not base64") from None
            keys.append((key_id.strip(), key))
        return cls(keys)

    def seal(self, plaintext: str, aad: bytes) -> Sealed:
        nonce = os.urandom(NONCE_BYTES)
        blob = nonce + self._keys[self.current_key_id].encrypt(nonce, plaintext.encode(), aad)
        return Sealed(self.current_key_id, blob)

    def open(self, sealed: Sealed, aad: bytes) -> str:
        cipher = self._keys.get(sealed.key_id)
        if cipher is None:
            raise SealingError(f"no key {sealed.key_id!r} in the keyring")
        try:
            return cipher.decrypt(sealed.blob[:NONCE_BYTES], sealed.blob[NONCE_BYTES:], aad).decode()
        except InvalidTag:
            raise SealingError("the sealed value does not open: another row's, or changed") from None


def worker_id_number_aad(account_id: uuid.UUID) -> bytes:
    """What a worker's sealed resident ID is bound to: its column and the worker's account."""
    return b"market:workers.id_number:" + account_id.bytes


def development_key_file(data_dir: Path) -> bytes:
    """The sealing key kept in data_dir when MARKET_SEALING_KEYS is unset: made once, then reused."""
    return embedded.key_file(data_dir, "sealing.key")


def keyring(settings: KeySettings) -> Keyring:
    if settings.sealing_keys is not None:
        return Keyring.parse(settings.sealing_keys.get_secret_value())
    return Keyring([(DEVELOPMENT_KEY_ID, development_key_file(settings.data_dir))])
