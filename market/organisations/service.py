"""Members, roles and sites of an organisation (docs/organisations.md). Owns its transactions;
another organisation's member or site is a 404."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from market.accounts.service import Accounts
from market.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from market.kernel.principal import Principal
from market.organisations import queries
from market.organisations.model import Member, MemberRole, Site
from market.organisations.rules import is_owner

LAST_OWNER = "an organisation keeps at least one owner: make another member owner first"


@dataclass(frozen=True)
class NewMember:
    login: str
    password: str
    display_name: str
    role: MemberRole
    site_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True)
class NewSite:
    name: str
    address: str
    lat: float
    lon: float
    check_in_radius_m: int = 500


class Organisations:
    def __init__(self, pool: asyncpg.Pool, accounts: Accounts) -> None:
        self.pool = pool
        self.accounts = accounts

    # ---- members ----------------------------------------------------------------------------------

    async def members(self, caller: Principal) -> list[Member]:
        async with self.pool.acquire() as conn:
            return await queries.members(conn, _organisation(caller))

    async def add_member(self, caller: Principal, new: NewMember) -> Member:
        organisation_id = _owner_of(caller)
        _check_sites_for_role(new.role, new.site_ids)
        login, password_hash = await self.accounts.prepare_member_login(new.login, new.password)
        async with self.pool.acquire() as conn, conn.transaction():
            await self._check_sites_known(conn, organisation_id, new.site_ids)
            account_id = await self.accounts.insert_member_account(conn, login, password_hash, new.display_name)
            await queries.insert_member(conn, account_id, organisation_id, new.role.value, caller.account_id)
            await queries.set_managed_sites(conn, account_id, organisation_id, sorted(set(new.site_ids)))
            return (await queries.members(conn, organisation_id, account_id))[0]

    async def change_member(self, caller: Principal, account_id: uuid.UUID, role: MemberRole,
                            site_ids: tuple[uuid.UUID, ...]) -> Member:
        organisation_id = _owner_of(caller)
        _check_sites_for_role(role, site_ids)
        async with self.pool.acquire() as conn, conn.transaction():
            # One change of an organisation's owners at a time: the last owner cannot be demoted by
            # two requests each seeing the other owner still there.
            await queries.lock_organisation(conn, organisation_id)
            current = await queries.lock_member(conn, account_id, organisation_id)
            if current is None:
                raise NotFound("no such member")
            if current == "owner" and role is not MemberRole.owner and await queries.owner_count(conn, organisation_id) <= 1:
                raise Conflict(LAST_OWNER, field="role")
            await self._check_sites_known(conn, organisation_id, site_ids)
            await queries.set_role(conn, account_id, role.value)
            await queries.set_managed_sites(conn, account_id, organisation_id, sorted(set(site_ids)))
            changed = (await queries.members(conn, organisation_id, account_id))[0]
        self.accounts.tokens.evict_account(account_id)  # the new role holds from the next request
        return changed

    async def remove_member(self, caller: Principal, account_id: uuid.UUID) -> None:
        organisation_id = _owner_of(caller)
        async with self.pool.acquire() as conn, conn.transaction():
            await queries.lock_organisation(conn, organisation_id)
            current = await queries.lock_member(conn, account_id, organisation_id)
            if current is None:
                raise NotFound("no such member")
            if current == "owner" and await queries.owner_count(conn, organisation_id) <= 1:
                raise Conflict(LAST_OWNER)
            await queries.remove_member(conn, account_id)  # and its tokens revoked
        self.accounts.tokens.evict_account(account_id)

    # ---- sites ------------------------------------------------------------------------------------

    async def sites(self, caller: Principal) -> list[Site]:
        async with self.pool.acquire() as conn:
            only = sorted(caller.site_ids) if caller.organisation_role == "site_manager" else None
            return await queries.sites(conn, _organisation(caller), only=only)

    async def site(self, caller: Principal, site_id: uuid.UUID) -> Site:
        async with self.pool.acquire() as conn:
            found = await queries.sites(conn, _organisation(caller), site_id)
        if not found or not caller.sees_site(site_id):
            raise NotFound("no such site")
        return found[0]

    async def add_site(self, caller: Principal, new: NewSite) -> Site:
        organisation_id = _owner_of(caller)
        async with self.pool.acquire() as conn, conn.transaction():
            site_id = await queries.insert_site(conn, organisation_id, new.name, new.address, new.lat, new.lon,
                                                new.check_in_radius_m, caller.account_id)
            return (await queries.sites(conn, organisation_id, site_id))[0]

    async def site_for_order(self, caller: Principal, site_id: uuid.UUID) -> Site:
        """The site an order the caller posts names: one of its organisation's, and, for a site
        manager, one of theirs; else a 422 on `site_id`."""
        async with self.pool.acquire() as conn:
            found = await queries.sites(conn, _organisation(caller), site_id)
        if not found:
            raise ValidationFailed([FieldError(("site_id",), "no such site of this organisation (GET /v1/sites)")])
        if not caller.sees_site(site_id):
            raise ValidationFailed([FieldError(("site_id",), "a site manager posts orders only for their own sites")])
        return found[0]

    async def _check_sites_known(self, conn: asyncpg.Connection, organisation_id: uuid.UUID,
                                 site_ids: tuple[uuid.UUID, ...]) -> None:
        if not site_ids:
            return
        known = await queries.known_sites(conn, organisation_id, list(site_ids))
        if unknown := [s for s in site_ids if s not in known]:
            raise ValidationFailed([FieldError(("site_ids",), f"no such site of this organisation: {s}")
                                    for s in unknown])


def _organisation(caller: Principal) -> uuid.UUID:
    if caller.organisation_id is None:
        raise NotFound("no organisation for this account")
    return caller.organisation_id


def _owner_of(caller: Principal) -> uuid.UUID:
    organisation_id = _organisation(caller)
    if not is_owner(caller):
        raise Forbidden("only an owner of the organisation may change its members and sites")
    return organisation_id


def _check_sites_for_role(role: MemberRole, site_ids: tuple[uuid.UUID, ...]) -> None:
    if role is MemberRole.site_manager and not site_ids:
        raise ValidationFailed([FieldError(("site_ids",), "a site manager manages at least one site")])
    if role is not MemberRole.site_manager and site_ids:
        raise ValidationFailed([FieldError(("site_ids",), "only a site manager has sites")])
