"""Property-based API fuzzing: every operation of /openapi.json, as every role, by schemathesis.

For each role (anonymous, employer, worker, lender, supervisor, admin) schemathesis generates
requests from the served OpenAPI document (valid and invalid parameters and bodies) and sends them
to the app on a real port. Every response must be something the document promises: never a 5xx,
a documented status, the documented content type, a body that matches its schema.

The example count is bounded (CI runs the suite twice); `derandomize` makes the run the same each
time, so a failure here reproduces. The server runs in the test's event loop while schemathesis
(blocking `requests` calls) runs in a thread.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, strategies
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_headers_conformance, response_schema_conformance, status_code_conformance,
)

from market.accounts.keys import ACCOUNTS
from tests import factories

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
# Examples per operation for a role the operation is for, and for a role it refuses (each of
# those is a 401/403 whatever the input, so one suffices).
EXAMPLES_ALLOWED = 8
EXAMPLES_REFUSED = 1
# Server-Sent Events never end, so a plain request would wait forever; tests/events covers them.
STREAMING = "text/event-stream"
SIGN_OUT = "DELETE /v1/auth/tokens/current"


@dataclass
class Finding:
    role: str
    operation: str
    error: str


@dataclass
class Run:
    requests: int = 0
    findings: list[Finding] = field(default_factory=list)


def roles_of(operation) -> set[str] | None:
    """The roles an operation names in its description ("Roles: a, b"), or None when it is public."""
    description = operation.definition.raw.get("description", "")
    if "security" not in operation.definition.raw:
        return None
    prefix = "Roles: "
    return set(description[len(prefix):].split(", ")) if description.startswith(prefix) else set()


def streams(operation) -> bool:
    success = operation.definition.raw["responses"].get("200", {})
    return STREAMING in success.get("content", {})


def fuzz(base_url: str, tokens: dict[str, str | None]) -> Run:
    """Runs in a thread: blocking HTTP against the app served by the test's event loop."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    run = Run()
    session = requests.Session()
    # Signing out revokes the role's token: that operation goes last, so the rest run signed in.
    operations = sorted((result.ok() for result in schema.get_all_operations()),
                        key=lambda operation: operation.label == SIGN_OUT)
    # Streams never end (tests/events covers them); each strategy is built once, for every role.
    strategies_of = {operation.label: strategies.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                                                        operation.as_strategy(GenerationMode.NEGATIVE))
                     for operation in operations if not streams(operation)}
    for role, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for operation in operations:
            if operation.label not in strategies_of:
                continue
            allowed = roles_of(operation)
            examples = EXAMPLES_ALLOWED if allowed is None or role in allowed else EXAMPLES_REFUSED

            @hypothesis.settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                                 phases=[Phase.explicit, Phase.generate],
                                 suppress_health_check=list(HealthCheck))
            @hypothesis.given(case=strategies_of[operation.label])
            def check(case) -> None:  # run within this iteration, with its headers
                run.requests += 1
                response = case.call(base_url=base_url, session=session, headers=headers, timeout=10)  # noqa: B023
                case.validate_response(response, checks=CHECKS, headers=headers)  # noqa: B023

            try:
                check()
            # A failed check (schemathesis' FailureGroup is a BaseExceptionGroup) or a transport error.
            except (Exception, BaseExceptionGroup) as error:
                run.findings.append(Finding(role, operation.label, str(error)[:3000]))
    session.close()
    return run


async def test_every_operation_answers_every_role_as_the_openapi_document_says(client):
    employer = await factories.employer(client)
    await factories.post_order(client, employer, factories.gig_order_body())
    worker = await factories.worker(client)
    lender = await factories.employer(client, name="重庆出借示例有限公司")
    await factories.employee(client, lender, await factories.worker(client, name="李四"))
    supervisor = await client.app[ACCOUNTS].create_staff("supervisor", "渝中区人社局监管员", ["500103"])
    admin = await client.app[ACCOUNTS].create_staff("admin", "运营", [])
    tokens = {"anonymous": None, "employer": employer.token, "worker": worker.token, "lender": lender.token,
              "supervisor": supervisor.token, "admin": admin.token}
    base_url = str(client.make_url("")).rstrip("/")

    started = time.monotonic()
    run = await asyncio.to_thread(fuzz, base_url, tokens)
    elapsed = time.monotonic() - started

    report = "\n\n".join(f"[{f.role}] {f.operation}\n{f.error}" for f in run.findings)
    assert not run.findings, f"{len(run.findings)} findings in {run.requests} requests ({elapsed:.0f} s):\n{report}"
    assert run.requests > 800  # the run really exercised the API
