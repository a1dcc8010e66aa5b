"""Sign-in names compared as identity systems compare them. Pure (no I/O); like the solver with
OR-Tools, it leans on the libraries that implement the standards rather than on tables of our own.

- **One login, however it is typed**: the PRECIS UsernameCaseMapped profile (RFC 8264/8265, the
  `precis-i18n` package): full-width and half-width forms mapped to their ordinary ones, letters
  case-mapped, NFC. `ＨＲ@Example.com` and `hr@example.com` are the same login.
- **Characters a login may not hold**: what that profile disallows — spaces, controls, and
  default-ignorable code points such as the zero-width space (U+200B), which would make two
  logins that look the same. Refused at registration (422 naming `login`), never silently removed.
- **Look-alikes**: the UTS #39 skeleton (ICU's SpoofChecker through PyICU, Unicode's own
  confusables data): two logins that differ only by confusable characters — a Cyrillic `е` for a
  Latin `e`, `rn` for `m`, `1` for `l` — have the same skeleton. The database keeps the keyed hash
  of each (normalised form and skeleton) under a UNIQUE constraint, so a twin of an existing login
  cannot be registered, even by a concurrent request.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import icu
from precis_i18n import get_profile

_PROFILE = get_profile("UsernameCaseMapped")


class LoginRefused(ValueError):
    """A login holding a character that sign-in names may not hold; the message says which."""


@dataclass(frozen=True)
class Login:
    normalised: str  # what identifies the account
    skeleton: str  # what it looks like: equal for confusable logins


def of(login: str) -> Login:
    """The normalised form and the skeleton of `login`, or LoginRefused."""
    try:
        normalised = _PROFILE.enforce(login.strip())
    except UnicodeEncodeError as error:
        raise LoginRefused(_refusal(error)) from None
    return Login(normalised, _spoof_checker().getSkeleton(0, normalised))


def _refusal(error: UnicodeEncodeError) -> str:
    if "empty" in error.reason or not 0 <= error.start < len(error.object):
        return "is empty"
    if "bidi_rule" in error.reason:  # RFC 5893: right-to-left letters mixed with left-to-right ones
        return "mixes right-to-left and left-to-right letters in a way a sign-in name may not (RFC 5893)"
    character = error.object[error.start]
    name = unicodedata.name(character, "unnamed character")
    return (f"must not contain U+{ord(character):04X} ({name}): a sign-in name holds no spaces, control or "
            "invisible characters")


def legacy_normalised(login: str) -> str:
    """How logins were normalised before this module (stripped, lower-cased): the keyed hash of
    that form finds accounts made then, until their next sign-in stores the new forms."""
    return login.strip().lower()


def ascii_prototype(login: Login) -> str:
    """The login with each non-ASCII letter that looks like an ASCII one replaced by it
    (`hr.lеad` → `hr.lead`): the ASCII login it could pass for. Used against accounts made before
    skeletons were kept, whose ASCII logins are known only by their keyed hash."""
    checker = _spoof_checker()
    out = []
    for character in login.normalised:
        if not character.isascii():
            prototype = checker.getSkeleton(0, character)
            if prototype.isascii():
                character = prototype
        out.append(character)
    return "".join(out)


@lru_cache(maxsize=1)
def _spoof_checker() -> icu.SpoofChecker:
    return icu.SpoofChecker()
