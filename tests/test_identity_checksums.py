import random

import pytest

from market.accounts.model import credit_code_problem, mask_login, mask_resident_id, resident_id_problem
from tests.factories import credit_code, resident_id


@pytest.mark.parametrize("code", [
    "914403001922038216",  # a published enterprise code
    "91110000100006485K",  # one whose check character is a letter
    "91350100M000100Y43",  # the GB 32100-2015 style example
])
def test_published_credit_codes_pass_the_gb_32100_check(code):
    assert credit_code_problem(code) is None


@pytest.mark.parametrize("code, reason", [
    ("914403001922038217", "check character"),
    ("91440300192203821", "18 characters"),
    ("9144030019220382I6", "alphabet"),
    ("91440300192203821O", "alphabet"),
])
def test_broken_credit_codes_are_refused_with_the_reason(code, reason):
    assert reason in credit_code_problem(code)


def test_every_single_character_change_of_a_credit_code_is_caught():
    rng = random.Random(7)
    code = credit_code(rng)
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for position in range(18):
        for replacement in alphabet:
            if replacement != code[position]:
                changed = code[:position] + replacement + code[position + 1:]
                assert credit_code_problem(changed) is not None, changed


@pytest.mark.parametrize("number", ["11010519491231002X", "500103199001011232"])
def test_valid_resident_ids_pass_the_gb_11643_check(number):
    assert resident_id_problem(number) is None


@pytest.mark.parametrize("number, reason", [
    ("110105194912310021", "check digit"),
    ("11010519491231002", "17 digits"),
    ("11010519491331002X", "not a real date"),
    ("110105180001010012", "before 1900"),
    ("01010519491231002X", "17 digits"),
])
def test_broken_resident_ids_are_refused_with_the_reason(number, reason):
    assert reason in resident_id_problem(number)


def test_every_single_digit_change_of_a_resident_id_is_caught_or_breaks_the_date():
    number = resident_id(random.Random(3))
    for position in range(17):
        for digit in "0123456789":
            if digit != number[position]:
                assert resident_id_problem(number[:position] + digit + number[position + 1:]) is not None


def test_masks_keep_only_what_identifies_to_the_owner():
    assert mask_resident_id("11010519491231002X") == "1101**********002X"
    assert mask_login("13912345678") == "139****5678"
    assert mask_login("hr@example.com") == "h***@example.com"
