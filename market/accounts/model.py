"""People and organisations: identity checksums, masking and keyed hashing. Pure, no I/O."""
from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

# GB 32100-2015 统一社会信用代码: 18 characters from 31 (no I, O, Z, S, V); the 18th is a check
# character over the first 17 with these weights (3^i mod 31).
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# GB 11643-1999 公民身份号码: 6-digit address code, 8-digit birth date, 3-digit sequence, and an
# ISO 7064 MOD 11-2 check character ('X' for 10).
RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK = "10X98765432"
RESIDENT_ID_PATTERN = re.compile(r"^[1-9][0-9]{16}[0-9X]$")


def credit_code_problem(code: str) -> str | None:
    """Why `code` is not a valid 统一社会信用代码, or None when it is."""
    if len(code) != 18:
        return f"must be 18 characters, got {len(code)}"
    bad = sorted({c for c in code if c not in CREDIT_CODE_ALPHABET})
    if bad:
        return f"contains characters outside GB 32100-2015's alphabet: {''.join(bad)}"
    if code[17] != credit_code_check_character(code[:17]):
        return "the check character does not match (GB 32100-2015); re-check the code"
    return None


def credit_code_check_character(first17: str) -> str:
    total = sum(CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def resident_id_check_character(first17: str) -> str:
    return RESIDENT_ID_CHECK[sum(int(c) * w for c, w in zip(first17, RESIDENT_ID_WEIGHTS)) % 11]


def resident_id_problem(number: str) -> str | None:
    """Why `number` is not a valid 18-digit resident ID number, or None when it is."""
    if not RESIDENT_ID_PATTERN.match(number):
        return "must be 17 digits followed by a digit or X"
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "the birth date (digits 7–14) is not a real date"
    if born.year < 1900:
        return "the birth date (digits 7–14) is before 1900"
    if number[17] != resident_id_check_character(number[:17]):
        return "the check digit does not match (GB 11643-1999); re-check the number"
    return None


def normalise_resident_id(number: str) -> str:
    return number.strip().upper()


def mask_resident_id(number: str) -> str:
    """5001**********1234: enough to recognise one's own, not enough to use."""
    return number[:4] + "*" * 10 + number[-4:]


def mask_login(login: str) -> str:
    if "@" in login:
        name, _, domain = login.partition("@")
        return name[:1] + "***@" + domain
    return login[:3] + "****" + login[-4:] if len(login) >= 8 else login[:1] + "***"


def keyed_hash(key: bytes, value: str) -> bytes:
    """HMAC-SHA256: finds duplicates and logins without keeping the value; useless without the key."""
    return hmac.new(key, value.encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class Organisation:
    id: uuid.UUID
    account_id: uuid.UUID
    name: str
    credit_code: str
    district_code: str


@dataclass(frozen=True)
class Worker:
    id: uuid.UUID
    account_id: uuid.UUID
    name: str
    id_number_masked: str
    district_code: str


@dataclass(frozen=True)
class LoginAccount:
    """An account as signing in finds it by its login's hash."""
    id: uuid.UUID
    role: str
    password_hash: str = field(repr=False)
    made_before_skeletons: bool  # no skeleton stored: its login forms are stored at its next sign-in


@dataclass(frozen=True)
class IssuedToken:
    token: str
    account_id: uuid.UUID
    role: str
    expires_at: datetime
