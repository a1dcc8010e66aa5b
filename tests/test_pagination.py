import pytest

from market.errors import ValidationFailed
from market.web.pagination import decode_cursor, encode_cursor, page_limit, paginate


def test_a_cursor_round_trips_the_sort_key():
    key = ["2026-12-01T08:00:00+08:00", "6f1c3e9e-9a59-4c57-9a2e-7e0b7d0f0a11"]
    assert decode_cursor(encode_cursor(key), 2) == key


@pytest.mark.parametrize("cursor", ["not-base64!!", encode_cursor([1, 2, 3]), encode_cursor({"a": 1})])
def test_a_cursor_this_list_did_not_give_out_is_a_422(cursor):
    with pytest.raises(ValidationFailed) as raised:
        decode_cursor(cursor, 2)
    assert raised.value.errors[0].loc == ("query", "cursor")


def test_the_first_page_has_no_cursor():
    assert decode_cursor(None, 2) is None


def test_paginate_walks_every_row_exactly_once():
    rows = list(range(23))
    seen, after = [], None
    while True:
        fetched = [r for r in rows if after is None or r > after][:5 + 1]  # LIMIT limit + 1
        page, cursor = paginate(fetched, 5, lambda r: [r])
        seen += page
        if cursor is None:
            break
        after = decode_cursor(cursor, 1)[0]
    assert seen == rows


def test_page_limit_is_capped():
    assert page_limit(None, 50, 200) == 50
    assert page_limit(500, 50, 200) == 200
