"""The unified social credit code (统一社会信用代码) of GB 32100-2015 and its check character.

GB 32100-2015《法人和其他组织统一社会信用代码编码规则》 §4: 18 characters — the registration
authority (登记管理部门代码, 1), the organisation type (机构类别代码, 1), the registering authority's
administrative division (登记管理机关行政区划码, 6 digits, GB/T 2260), the subject identifier
(主体标识码, 9, the organisation code of GB 11714) and the check character (校验码, 1).

The character set is the digits and the capital letters without I, O, S, V, Z (§4.1: 31 characters,
valued 0 … 30 in the order ``0123456789ABCDEFGHJKLMNPQRTUWXY``). The check character (§4.4, 附录 A):
with the weights Wᵢ = 3^(i−1) mod 31 of positions i = 1 … 17,

    C₁₈ = 31 − (Σ Cᵢ·Wᵢ mod 31),   and 0 where that gives 31.

``check_characters`` computes it for a whole column at once (NumPy over an (n, 17) array of
character values); ``credit_code_problem`` says in Chinese and English what is wrong with one code.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters of the code, in value order (GB 32100-2015 §4.1, 表 2)."""
WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
"""Wᵢ = 3^(i−1) mod 31, i = 1 … 17 (GB 32100-2015 附录 A): 1, 3, 9, 27, 19, 26, 16, 17, 20, …"""
LENGTH = 18
_VALUE = np.full(128, -1, dtype=np.int64)
_VALUE[[ord(c) for c in ALPHABET]] = np.arange(len(ALPHABET))


def _values(codes: Sequence[str]) -> np.ndarray:
    """(n, 18) character values; −1 for a character outside the alphabet (or a short code)."""
    padded = [code[:LENGTH].ljust(LENGTH, "\x00") for code in codes]
    raw = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32)
    raw = raw.reshape(len(codes), LENGTH).astype(np.int64)
    return np.where(raw < 128, _VALUE[np.minimum(raw, 127)], -1)


def check_characters(codes: Sequence[str]) -> np.ndarray:
    """The check character each code's first 17 characters call for (GB 32100-2015 附录 A).

    Returns a string array; ``""`` where a code is shorter than 17 characters or one of its first
    17 is outside the code's alphabet.
    """
    values = _values(codes)[:, :17]
    valid = (values >= 0).all(axis=1)
    check = (31 - (np.where(values >= 0, values, 0) @ WEIGHTS) % 31) % 31
    letters = np.array(list(ALPHABET))[check]
    return np.where(valid, letters, "")


def valid_credit_codes(codes: Sequence[str]) -> np.ndarray:
    """Whether each code is 18 characters of the alphabet ending in its check character."""
    codes = list(codes)
    if not codes:
        return np.zeros(0, dtype=bool)
    lengths = np.array([len(code) for code in codes])
    last = np.array([code[-1:] for code in codes])
    return np.asarray((lengths == LENGTH) & (check_characters(codes) == last) & (last != ""))


def credit_code_problem(code: str) -> tuple[str, str] | None:
    """What is wrong with ``code`` as (Chinese, English), or ``None`` if it is a valid code."""
    if len(code) != LENGTH:
        return (
            f"应为 18 位，不是 {len(code)} 位",
            f"must have 18 characters, not {len(code)}",
        )
    wrong = [c for c in code if c not in ALPHABET]
    if wrong:
        return (
            f"含有不允许的字符 {''.join(dict.fromkeys(wrong))}（只用数字和除 I、O、S、V、Z 外的大写字母）",
            f"characters outside the code's alphabet: {''.join(dict.fromkeys(wrong))}",
        )
    if not code[2:8].isdigit():
        return ("第 3–8 位（行政区划码）应为数字", "positions 3–8 (division code) must be digits")
    expected = str(check_characters([code])[0])
    if code[-1] != expected:
        return (
            f"校验码错误：第 18 位应为 {expected}，不是 {code[-1]}（GB 32100-2015 附录 A）",
            f"wrong check character: {code[-1]}, GB 32100-2015 gives {expected}",
        )
    return None
