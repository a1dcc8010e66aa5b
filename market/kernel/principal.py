"""Who is calling: the principal a request's bearer token resolves to.

Defined here, below every feature and the web plumbing, because both speak of it: accounts
resolves a token to one, the web plumbing puts it on the request and checks its role, and each
service receives it to decide what the caller may see.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Principal:
    """Who is calling: resolved once per request from the bearer token."""

    account_id: uuid.UUID
    role: str
    display_name: str
    organisation_id: uuid.UUID | None = None
    worker_id: uuid.UUID | None = None
    districts: frozenset[str] = field(default_factory=frozenset)

    @property
    def caller_key(self) -> str:
        return str(self.account_id)
