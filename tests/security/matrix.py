"""Reading authz_matrix.toml and making its requests."""
from __future__ import annotations

import json
import random
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tests import factories
from tests.security.world import CALLERS, PASSWORD, Caller, World

MATRIX_FILE = Path(__file__).with_name("authz_matrix.toml")
PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # the template, as in the OpenAPI document
    url: str
    body: Any = None
    stream: bool = False
    fresh_token: bool = False
    expect: dict[str, str] = field(default_factory=dict)
    # A multipart upload: `body` is sent as the form's text fields beside a small PDF, `file`.
    upload: bool = False

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"


def load() -> list[Row]:
    rows = []
    for entry in tomllib.loads(MATRIX_FILE.read_text(encoding="utf-8"))["route"]:
        method, path = entry["route"].split(" ", 1)
        columns = entry["expect"].split()
        assert len(columns) == len(CALLERS), f"{entry['route']}: {len(columns)} expectations for {len(CALLERS)} callers"
        rows.append(Row(method, path, entry.get("url", path), entry.get("body"), entry.get("stream", False),
                        entry.get("fresh_token", False), dict(zip(CALLERS, columns)), entry.get("upload", False)))
    return rows


def accepts(expectation: str, status: int) -> bool:
    if status >= 500:
        return False
    if expectation == "any":
        return True
    return any(status // 100 == 2 if option == "2xx" else status == int(option) for option in expectation.split("|"))


async def generated(client, name: str) -> Any:
    """A value made fresh for each request: new identities must not collide."""
    if name == "new_credit_code":
        return factories.credit_code()
    if name == "new_login":
        return f"matrix-{random.randrange(10**12)}@example.com"
    if name == "new_resident_id":
        return factories.resident_id()
    if name == "new_phone":
        return factories.phone()
    if name == "new_worker":
        return (await factories.worker(client)).id
    if name == "gig_order_body":
        return factories.gig_order_body()
    if name == "this_month":
        return date.today().strftime("%Y-%m")
    if name == "today":  # an invoice's issue date (docs/invoices.md)
        return date.today().isoformat()
    if name == "certificate_issued_on":  # a 健康证 issued 165 days ago, running a year
        return (date.today() - timedelta(days=165)).isoformat()
    if name == "certificate_expires_on":
        return (date.today() + timedelta(days=200)).isoformat()
    raise KeyError(name)


GENERATED = {"new_credit_code", "new_login", "new_resident_id", "new_phone", "new_worker", "gig_order_body",
             "this_month", "certificate_issued_on", "certificate_expires_on", "today"}


async def resolve(client, world: World, value: Any) -> Any:
    async def one(name: str) -> Any:
        return await generated(client, name) if name in GENERATED else world.ids[name]

    if isinstance(value, dict):
        return {k: await resolve(client, world, v) for k, v in value.items()}
    if isinstance(value, list):
        return [await resolve(client, world, v) for v in value]
    if isinstance(value, str):
        if whole := PLACEHOLDER.fullmatch(value):
            return await one(whole.group(1))
        parts = iter([str(await one(name)) for name in PLACEHOLDER.findall(value)])
        return PLACEHOLDER.sub(lambda _: next(parts), value)
    return value


@dataclass
class Reply:
    status: int
    text: str
    url: str
    sent: str


async def call(client, row: Row, headers: dict[str, str], world: World, *, url: str | None = None,
               body: Any = None) -> Reply:
    url = url if url is not None else await resolve(client, world, row.url)
    kwargs: dict[str, Any] = {"headers": dict(headers)}
    if body is None and row.body is not None:
        body = await resolve(client, world, row.body)
    if body is not None and row.upload:
        kwargs["data"] = _form(body)
    elif body is not None:
        kwargs["json"] = body
    response = await client.request(row.method, url, **kwargs)
    try:
        # Bodies are read as bytes: some are not text (the favicon); secrets would still show.
        text = "" if row.stream else (await response.read()).decode("utf-8", "replace")
    finally:
        response.close()
    return Reply(response.status, text, url, json.dumps(body, ensure_ascii=False) if body is not None else "")


def _form(fields: dict[str, Any]):
    """An upload row's body as multipart/form-data: each field as text, and a one-page PDF."""
    from aiohttp import FormData

    from tests.certificates.support import pdf_bytes

    form = FormData()
    for name, value in fields.items():
        form.add_field(name, value if isinstance(value, str) else json.dumps(value))
    form.add_field("file", pdf_bytes("the matrix's upload"), filename="certificate.pdf",
                   content_type="application/pdf")
    return form


async def fresh_headers(client, caller: Caller) -> dict[str, str]:
    """A new token for the caller, for a route that revokes the token it is called with."""
    from market.accounts.keys import ACCOUNTS

    if caller.kind == "anonymous":
        return {}
    if caller.party is not None:
        return factories.Party(caller.party.id, caller.party.account_id,
                               await factories.sign_in(client, caller.party.login, PASSWORD), caller.party.login).auth
    role = "admin" if caller.kind == "admin" else "supervisor"
    issued = await client.app[ACCOUNTS].create_staff(role, f"{caller.kind} again", list(caller.districts))
    return {"Authorization": f"Bearer {issued.token}"}
