"""Rounding of numbers per GB/T 8170 (数值修约规则): 四舍六入五成双.

GB/T 8170-2008 §3.3: a digit below 5 is dropped, above 5 carries; an exact 5 (followed by nothing
but zeros) rounds to the even neighbour, while a 5 followed by any non-zero digit carries. HJ 633-2026
§4.2.2 and the 2018 ranking rule (环办监测〔2018〕19号) cite it.

The rule is about the **decimal** value a person wrote. A binary float such as 2.35 is stored as
2.35000000000000008882, so a naive half-even on the float would see "more than half" and carry for
the wrong reason, and 2.45 (stored as 2.4500000000000002) would round to 2.5 instead of 2.4. Here a
value whose scaled fraction lies within a tolerance of one half is taken to be an exact decimal
half. The tolerance (1e-10 of a unit in the last kept place, times the scaled magnitude when that
exceeds 1) is far above float noise (about 1e-16 relative) and far below any real difference: a
mean of n values on the reporting grid is either an exact half or at least 1/(2n) unit from one.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

#: Tolerance, relative to the scaled magnitude (at least 1), for recognising a decimal half.
_HALF_TOLERANCE = 1e-10


def round_gbt8170(
    values: npt.ArrayLike, decimals: int | npt.ArrayLike = 0
) -> npt.NDArray[np.float64]:
    """Round ``values`` to ``decimals`` places per GB/T 8170-2008 §3.3 (half to even on the decimal).

    Parameters
    ----------
    values
        Numbers to round; NaN stays NaN.
    decimals
        Places to keep after the decimal point, a scalar or an array broadcast against ``values``
        (negative keeps tens, hundreds, …).

    Returns
    -------
    Rounded values as float64 (the nearest double to the rounded decimal).

    Examples (standards.md §8.4): 75.5 → 76, 74.5 → 74, 2.25 → 2.2 and 2.35 → 2.4 at one decimal,
    2.251 → 2.3.
    """
    x = np.asarray(values, dtype=np.float64)
    scale = np.power(10.0, np.asarray(decimals, dtype=np.float64))
    scaled = x * scale
    lower = np.floor(scaled)
    fraction = scaled - lower
    tolerance = _HALF_TOLERANCE * np.maximum(1.0, np.abs(scaled))
    is_half = np.abs(fraction - 0.5) <= tolerance
    nearest = np.where(fraction > 0.5, lower + 1.0, lower)
    half_to_even = np.where(np.fmod(lower, 2.0) == 0.0, lower, lower + 1.0)
    rounded = np.where(is_half, half_to_even, nearest)
    return rounded / scale


def scaled_integers(values: npt.ArrayLike, decimals: int) -> npt.NDArray[np.int64]:
    """``values`` (already rounded to ``decimals`` places) as exact integers in units of 10**-decimals.

    Used for exact IAQI arithmetic: CO 2.2 mg/m³ becomes 22 (tenths), with no binary fraction left.
    NaN must be masked out by the caller; it becomes 0 here.
    """
    x = np.asarray(values, dtype=np.float64) * (10.0**decimals)
    return np.rint(np.nan_to_num(x, nan=0.0)).astype(np.int64)
