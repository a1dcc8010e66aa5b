"""What each member role of an organisation may call (docs/organisations.md). Pure.

Every employer route is open to an organisation's owner (and to an in-process caller of no role).
A site manager or a finance member may call only the routes listed for their role here: a route
added later is the owner's alone until it is listed, so no new route is open to a narrower role by
mistake. Object-level reach (a site manager's sites only) is the services' (Principal.sees_site).
"""
from __future__ import annotations

from market.kernel.principal import Principal

# Every member may: who am I, sign out, the organisation, its members and its sites (read).
_ANY_MEMBER = frozenset({
    ("GET", "/v1/me"), ("DELETE", "/v1/auth/tokens/current"), ("GET", "/v1/employers/me"),
    ("GET", "/v1/organisations/me/members"), ("GET", "/v1/sites"), ("GET", "/v1/sites/{id}"),
})
# A site manager runs the work of their sites: orders, allocation, bids, timesheets.
_SITE_MANAGER = _ANY_MEMBER | {
    ("GET", "/v1/orders"), ("POST", "/v1/orders"), ("GET", "/v1/orders/{id}"), ("POST", "/v1/orders/{id}/cancel"),
    ("POST", "/v1/orders/{id}/allocate"), ("GET", "/v1/orders/{id}/bids"),
    ("POST", "/v1/assignments/{id}/approve"), ("POST", "/v1/assignments/{id}/dispute"),
    ("POST", "/v1/assignments/{id}/no-show"), ("POST", "/v1/assignments/{id}/location-override"),
    # issue 18: a site manager keeps the organisation's favourites and blocks (docs/favourites.md),
    # books one of their sites' orders again and sees its pool, and watches its standby seats; the
    # services hold them to their sites (Principal.sees_site). Templates and recurring orders are
    # the owner's: a series posts for the whole organisation.
    ("GET", "/v1/organisations/me/workers"), ("PUT", "/v1/organisations/me/workers/{worker_id}/relation"),
    ("GET", "/v1/organisations/me/workers/{worker_id}/relation"),
    ("DELETE", "/v1/organisations/me/workers/{worker_id}/relation"),
    ("POST", "/v1/orders/{id}/book-again"), ("GET", "/v1/orders/{id}/pool"), ("GET", "/v1/shifts/{id}/standby"),
    # issue 19: their sites' seats and timesheets, and an order's offers (the services filter by site).
    ("GET", "/v1/employers/me/timesheets"), ("GET", "/v1/orders/{id}/offers"),
}
# Finance sees the money (statements, escrow, arrears, and the orders they are charged for) and
# pays in; it posts and approves nothing.
_FINANCE = _ANY_MEMBER | {
    ("GET", "/v1/orders"), ("GET", "/v1/orders/{id}"),
    ("GET", "/v1/employers/me/balance"), ("GET", "/v1/employers/me/statements"), ("GET", "/v1/employers/me/arrears"),
    ("POST", "/v1/employers/me/deposits"), ("POST", "/v1/settlements/{id}/confirm-wage-paid"),
    ("GET", "/v1/invoices/{id}/pdf"),  # issue 18: the invoices it books (docs/invoices.md)
    ("GET", "/v1/agencies/me/fees"),  # issue 18: an agency's service fees and their payouts (docs/agencies.md)
    ("GET", "/v1/employers/me/timesheets"),  # issue 19: the hours it pays for (read only)
}
# Reads of the money that other parts of issue 18 add (invoices, payouts): finance's by prefix.
FINANCE_READ_PREFIXES = ("/v1/employers/me/invoices", "/v1/employers/me/payouts", "/v1/employers/me/statements")

ALLOWED = {"site_manager": _SITE_MANAGER, "finance": _FINANCE}

# An agency acting in a client's name (docs/agencies.md) calls what its mandate's scope lists.
MANDATE_SCOPES = ("post_orders", "manage_orders", "approve_timesheets")
_BY_SCOPE = {
    "post_orders": frozenset({("POST", "/v1/orders"), ("GET", "/v1/orders"), ("GET", "/v1/orders/{id}")}),
    "manage_orders": frozenset({
        ("GET", "/v1/orders"), ("GET", "/v1/orders/{id}"), ("POST", "/v1/orders/{id}/cancel"),
        ("POST", "/v1/orders/{id}/allocate"), ("GET", "/v1/orders/{id}/bids"), ("GET", "/v1/orders/{id}/offers")}),
    "approve_timesheets": frozenset({
        ("POST", "/v1/assignments/{id}/approve"), ("POST", "/v1/assignments/{id}/dispute"),
        ("POST", "/v1/assignments/{id}/no-show"), ("POST", "/v1/assignments/{id}/location-override"),
        ("GET", "/v1/employers/me/timesheets")}),
}
_MANDATED_ALWAYS = frozenset({("GET", "/v1/me")})


def refusal(caller: Principal, method: str, route: str) -> str | None:
    """Why the caller's organisation role may not call `method route` (the route's template, e.g.
    /v1/orders/{id}); None when it may."""
    role = caller.organisation_role
    if caller.role != "employer" or role in (None, "owner"):
        return None
    if method == "HEAD":
        method = "GET"
    if role == "agency":
        allowed = _MANDATED_ALWAYS.union(*(_BY_SCOPE[s] for s in caller.mandate_scope if s in _BY_SCOPE))
        if (method, route) in allowed:
            return None
        return "the mandate does not cover this endpoint (its scope: " + ", ".join(sorted(caller.mandate_scope)) + ")"
    if (method, route) in ALLOWED.get(role, frozenset()):
        return None
    if role == "finance" and method == "GET" and route.startswith(FINANCE_READ_PREFIXES):
        return None
    what = {"site_manager": "a site manager", "finance": "a finance member"}.get(role, "this member")
    return f"{what} of the organisation may not call this endpoint (only its owner may)"


def is_owner(caller: Principal) -> bool:
    return caller.role == "employer" and caller.organisation_role in (None, "owner")
