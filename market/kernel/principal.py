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
    # The caller's role in its organisation (docs/organisations.md): owner, site_manager or finance.
    # None for a caller that is no member (a worker, staff) or is built in-process (the demo),
    # which is treated as the owner is.
    organisation_role: str | None = None
    # The sites a site manager manages; empty for every other caller.
    site_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    # An agency acting in a client's name under a mandate (docs/agencies.md): organisation_id is then
    # the client's, these name the agency and the mandate, and organisation_role is "agency".
    agency_organisation_id: uuid.UUID | None = None
    mandate_id: uuid.UUID | None = None
    mandate_scope: frozenset[str] = field(default_factory=frozenset)

    def sees_site(self, site_id: uuid.UUID | None, agency_organisation_id: uuid.UUID | None = None) -> bool:
        """Whether an order (its shifts, timesheets) of `site_id`, posted by `agency_organisation_id`
        (None: by the organisation itself), is within the caller's reach inside its organisation:
        everything for an owner or finance; only their sites' for a site manager (an order naming
        no site is the owner's alone); only the orders its agency posted for an agency acting under
        a mandate (docs/agencies.md)."""
        if self.organisation_role == "agency":
            return agency_organisation_id is not None and agency_organisation_id == self.agency_organisation_id
        return self.organisation_role != "site_manager" or (site_id is not None and site_id in self.site_ids)

    @property
    def caller_key(self) -> str:
        return str(self.account_id)
