"""The database holds the ledger's invariants: balanced entries at commit, immutable postings,
escrow never negative, even under concurrent holds."""
import asyncio
import uuid

import asyncpg
import pytest

from market.kernel.clock import local_date
from market.kernel.relationships import RelationshipType
from market.settlement import escrow, ledger
from market.settlement.model import InsufficientEscrow
from market.settlement.model import hold_amount_fen
from tests import factories
from tests.settlement.support import assign, fund, now_local, minutes, shift_at


async def test_an_unbalanced_entry_inserted_directly_fails_at_commit(conn):
    with pytest.raises(asyncpg.CheckViolationError, match="unbalanced"):
        async with conn.transaction():
            entry = await conn.fetchval("INSERT INTO journal_entries (business_key, kind) VALUES ('x', 'deposit') RETURNING id")
            account = await conn.fetchval("INSERT INTO ledger_accounts (kind, holder_type, holder_id) "
                                          "VALUES ('bank_clearing', 'platform', $1) RETURNING id", uuid.UUID(int=0))
            await conn.execute("INSERT INTO journal_postings (entry_id, account_id, amount_fen) VALUES ($1, $2, 100)",
                               entry, account)
    assert await conn.fetchval("SELECT count(*) FROM journal_entries") == 0


async def test_an_entry_without_postings_fails_at_commit(conn):
    with pytest.raises(asyncpg.CheckViolationError):
        async with conn.transaction():
            await conn.execute("INSERT INTO journal_entries (business_key, kind) VALUES ('empty', 'deposit')")


async def _posted_entry(conn) -> int:
    async with conn.transaction():
        entry_id, new = await ledger.post_entry(conn, "k1", "deposit", [(ledger.BANK_CLEARING, 500),
                                                                         (ledger.worker_payable(uuid.uuid4()), -500)])
    assert new
    return entry_id


async def test_a_posting_added_to_a_committed_entry_is_refused_even_if_it_balances(conn):
    entry_id = await _posted_entry(conn)
    account = await conn.fetchval("SELECT account_id FROM journal_postings WHERE entry_id = $1 LIMIT 1", entry_id)
    before = await conn.fetchval("SELECT balance_fen FROM ledger_accounts WHERE id = $1", account)
    with pytest.raises(asyncpg.RestrictViolationError, match="closed"):
        async with conn.transaction():
            await conn.execute("INSERT INTO journal_postings (entry_id, account_id, amount_fen) "
                               "VALUES ($1, $2, 7), ($1, $2, -7)", entry_id, account)
    assert await conn.fetchval("SELECT count(*) FROM journal_postings WHERE entry_id = $1", entry_id) == 2
    assert await conn.fetchval("SELECT balance_fen FROM ledger_accounts WHERE id = $1", account) == before


async def test_an_entry_made_inside_a_savepoint_takes_its_postings(conn):
    async with conn.transaction():
        async with conn.transaction():  # a savepoint, as hold_seat's
            _, new = await ledger.post_entry(conn, "in-savepoint", "deposit", [
                (ledger.BANK_CLEARING, 300), (ledger.worker_payable(uuid.uuid4()), -300)])
    assert new and await conn.fetchval("SELECT count(*) FROM journal_postings p JOIN journal_entries e "
                                       "ON e.id = p.entry_id WHERE e.business_key = 'in-savepoint'") == 2


async def test_updating_or_deleting_a_posting_fails(conn):
    entry_id = await _posted_entry(conn)
    with pytest.raises(asyncpg.RestrictViolationError):
        await conn.execute("UPDATE journal_postings SET amount_fen = 1 WHERE entry_id = $1", entry_id)
    with pytest.raises(asyncpg.RestrictViolationError):
        await conn.execute("DELETE FROM journal_postings WHERE entry_id = $1", entry_id)
    with pytest.raises(asyncpg.RestrictViolationError):
        await conn.execute("UPDATE journal_entries SET memo = 'edited' WHERE id = $1", entry_id)


async def test_postings_must_name_an_existing_entry_and_account(conn):
    """journal_postings has no FOREIGN KEY clauses (bulk cost); its statement trigger holds them."""
    entry_id = await _posted_entry(conn)
    account = await conn.fetchval("SELECT max(id) FROM ledger_accounts")
    with pytest.raises(asyncpg.ForeignKeyViolationError, match="does not exist"):
        async with conn.transaction():
            entry = await conn.fetchval("INSERT INTO journal_entries (business_key, kind) VALUES ('ghost-account', "
                                        "'deposit') RETURNING id")
            await conn.execute("INSERT INTO journal_postings (entry_id, account_id, amount_fen) "
                               "VALUES ($1, $2, 100), ($1, $3, -100)", entry, account, account + 1000)
    with pytest.raises(asyncpg.ForeignKeyViolationError, match=f"entry {entry_id + 1000} does not exist"):
        async with conn.transaction():
            await conn.execute("INSERT INTO journal_postings (entry_id, account_id, amount_fen) "
                               "VALUES ($1, $2, 100), ($1, $2, -100)", entry_id + 1000, account)
    balances = await conn.fetchval("SELECT sum(abs(balance_fen)) FROM ledger_accounts")
    assert balances == 1000 and await conn.fetchval("SELECT count(*) FROM journal_postings") == 2


async def test_ledger_accounts_cannot_be_deleted_or_truncated(conn):
    await _posted_entry(conn)
    with pytest.raises(asyncpg.RestrictViolationError, match="permanent"):
        await conn.execute("DELETE FROM ledger_accounts")
    with pytest.raises(asyncpg.RestrictViolationError, match="permanent"):
        await conn.execute("TRUNCATE ledger_accounts CASCADE")
    assert await conn.fetchval("SELECT count(*) FROM ledger_accounts") == 2


async def test_posting_the_same_business_key_twice_posts_once(conn):
    first = await _posted_entry(conn)
    async with conn.transaction():
        again, new = await ledger.post_entry(conn, "k1", "deposit", [(ledger.BANK_CLEARING, 999),
                                                                      (ledger.worker_payable(uuid.uuid4()), -999)])
    assert (again, new) == (first, False)
    assert await conn.fetchval("SELECT count(*) FROM journal_postings") == 2


async def test_escrow_cannot_go_negative_even_with_direct_sql(conn):
    organisation = uuid.uuid4()
    with pytest.raises(asyncpg.CheckViolationError, match="ledger_escrow_never_negative"):
        async with conn.transaction():
            await ledger.post_entry(conn, "overdraw", "hold", [(ledger.escrow(organisation), 100),
                                                               (ledger.escrow_held(organisation), -100)])


async def test_twenty_concurrent_holds_against_escrow_for_five_let_exactly_five_through(client, conn, database):
    employer = await factories.employer(client, escrow_fen=0)
    start = now_local() + minutes(24 * 60)
    _, shift_id = await shift_at(client, conn, employer, start, start + minutes(240), headcount=20)
    workers = [await factories.worker(client) for _ in range(20)]
    assignments = [await assign(conn, shift_id, w, hold=False) for w in workers]
    one = await escrow.expected_cost_fen(conn, assignments[0])
    await fund(client, employer, 5 * one + one // 2)

    async def hold(assignment_id) -> bool:
        connection = await asyncpg.connect(database)
        try:
            async with connection.transaction():
                await escrow.place_hold(connection, assignment_id)
            return True
        except InsufficientEscrow:
            return False
        finally:
            await connection.close()

    results = await asyncio.gather(*[hold(a) for a in assignments])
    assert sum(results) == 5
    organisation = uuid.UUID(employer.id)
    assert await escrow.escrow_available(conn, organisation) == one // 2
    assert await escrow.escrow_held(conn, organisation) == 5 * one
    assert await conn.fetchval("SELECT count(*) FROM escrow_holds") == 5


def test_a_hold_covers_gross_fee_and_the_employer_side_contribution(rate_book=None):
    from market.settlement.escrow import rate_book as book
    day = local_date(now_local())
    # 4 h at 25.00: gross 10,000 + fee 5 % 500 + work-injury insurance 0.5 % 50
    assert hold_amount_fen(RelationshipType.labor_part_time, hourly_rate=2500, minutes=240, shift_date=day,
                           rate_book=book()) == 10_550
    # labor service: + 职业伤害保障 0.07 yuan per order
    assert hold_amount_fen(RelationshipType.labor_service, hourly_rate=2500, minutes=240, shift_date=day,
                           rate_book=book()) == 10_507
