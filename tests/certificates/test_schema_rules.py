"""The database holds the same validity caps as the rules (certificate_max_validity_years)."""
from market.certificates.model import max_validity_years
from market.db import _catalogue


async def test_the_database_caps_every_catalogue_kind_as_the_rules_do(conn):
    kinds = {s["certificate"] for s in _catalogue("skills.json")["skills"] if s["certificate"]}
    for kind in sorted(kinds):
        assert await conn.fetchval("SELECT certificate_max_validity_years($1)", kind) == max_validity_years(kind), kind
