"""The VAPID key pair (RFC 8292) of Web Push: the private key from the settings, or a development
key made once in data_dir/vapid.key; the public key as the browser's applicationServerKey."""
from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid

from market import embedded
from market.config import Settings


def private_key(settings: Settings) -> str:
    """The private key as pywebpush takes it (base64url raw scalar, or PEM)."""
    if settings.notifications_vapid_private_key is not None:
        return settings.notifications_vapid_private_key.get_secret_value()
    raw = embedded.key_file(settings.data_dir, "vapid.key")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def public_key(private: str) -> str:
    """The uncompressed P-256 point, base64url without padding (PushManager.subscribe's key)."""
    point = Vapid.from_string(private).public_key.public_bytes(serialization.Encoding.X962,
                                                               serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(point).decode().rstrip("=")
