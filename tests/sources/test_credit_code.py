"""GB 32100-2015 unified social credit codes: the check character of 附录 A.

Valid codes are public examples used by widely used validators' own tests:
``91310110666007217T`` and ``91310115591693856A`` (hutool, hutool-core/src/test/java/cn/hutool/
core/util/CreditCodeUtilTest.java), ``9144030071526726XG`` (js-xxx, docs/functions/isCreditCode.md),
``91350100M000100Y43`` (util-helpers, isSocialCreditCode's example). The wrong ones are the same
sources' negative examples: ``91350100M000100Y4A`` and ``91350211M00013FA1N`` (an early pilot code
that hutool notes does not satisfy the standard).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lantian.sources.credit_code import (
    ALPHABET,
    WEIGHTS,
    check_characters,
    credit_code_problem,
    valid_credit_codes,
)

VALID = ["91310110666007217T", "91310115591693856A", "9144030071526726XG", "91350100M000100Y43"]
WRONG_CHECK = {"91350100M000100Y4A": "3", "91350211M00013FA1N": "3"}


def test_weights_are_powers_of_three_mod_31_as_in_annex_a():
    # GB 32100-2015 附录 A 表 A.1 lists the weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
    assert WEIGHTS.tolist() == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    assert len(ALPHABET) == 31
    assert not set("IOSVZ") & set(ALPHABET)


@pytest.mark.parametrize("code", VALID)
def test_published_valid_codes_pass(code):
    assert credit_code_problem(code) is None
    assert valid_credit_codes([code]).tolist() == [True]


@pytest.mark.parametrize(("code", "expected"), WRONG_CHECK.items())
def test_a_wrong_check_character_is_refused_naming_the_right_one(code, expected):
    zh, en = credit_code_problem(code)
    assert "校验码错误" in zh
    assert f"应为 {expected}" in zh
    assert expected in en
    assert not valid_credit_codes([code])[0]


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("9131011066600721", "18 位"),
        ("91310110666007217TX", "18 位"),
        ("91310110666OO7217T", "不允许的字符"),
        ("9131A110666007217T", "行政区划码"),
    ],
)
def test_malformed_codes_say_what_is_wrong(code, words):
    assert words in credit_code_problem(code)[0]


def test_whole_column_agrees_with_one_at_a_time():
    codes = [*VALID, *WRONG_CHECK, "", "short"]
    assert valid_credit_codes(codes).tolist() == [credit_code_problem(c) is None for c in codes]


codes17 = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


@given(codes17)
def test_exactly_one_check_character_completes_any_17_characters(body):
    completed = [body + c for c in ALPHABET]
    assert valid_credit_codes(completed).sum() == 1
    assert (
        body + str(check_characters([body])[0])
        in np.array(completed)[valid_credit_codes(completed)]
    )


@given(codes17, st.integers(0, 16), st.sampled_from(ALPHABET))
def test_any_single_substitution_is_detected(body, position, replacement):
    code = body + str(check_characters([body])[0])
    changed = code[:position] + replacement + code[position + 1 :]
    # 31 is prime and every weight is non-zero mod 31, so one changed character always changes
    # the weighted sum mod 31: the check character catches every single substitution.
    assert valid_credit_codes([changed])[0] == (changed == code)


@given(st.text(max_size=30))
def test_any_text_gives_a_verdict_never_an_exception(text):
    verdict = credit_code_problem(text)
    assert verdict is None or len(verdict) == 2
    assert valid_credit_codes([text])[0] == (verdict is None)
