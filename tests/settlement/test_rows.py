"""A settlement row and a payable row are bound to their INSERTs by column name (no server needed)."""
import re
from dataclasses import fields

from market.settlement import queries
from market.settlement.records import PayableRow, SettlementRow


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",")]


def test_the_settlement_insert_lists_the_same_columns_in_the_same_order_on_both_sides():
    match = re.search(r"INSERT INTO settlements \((.*?)\)\s*SELECT (.*?)\s*FROM jsonb_populate_recordset",
                      queries.INSERT_SETTLEMENTS, re.S)
    assert match is not None
    inserted, selected = _names(match.group(1)), _names(match.group(2))
    assert inserted[-1] == "created_at" and selected[-1] == "$2::timestamptz"
    assert inserted[:-1] == selected[:-1]


def test_every_field_of_a_settlement_row_is_a_column_the_insert_writes():
    match = re.search(r"INSERT INTO settlements \((.*?)\)", queries.INSERT_SETTLEMENTS, re.S)
    assert [f.name for f in fields(SettlementRow)] == _names(match.group(1))[:-1]


def test_the_payables_insert_binds_every_field_of_a_payable_row_by_name():
    match = re.search(r"INSERT INTO payables \((.*?)\)\s*SELECT (.*?)\s*FROM jsonb_populate_recordset",
                      queries.INSERT_PAYABLES, re.S)
    assert match is not None
    inserted, selected = _names(match.group(1)), _names(match.group(2))
    assert inserted[-1] == "created_at" and selected[-1] == "$2::timestamptz"
    assert [f.name for f in fields(PayableRow)] == inserted[:-1] == selected[:-1]
