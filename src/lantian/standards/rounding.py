"""Rounding of numbers per GB/T 8170 (数值修约规则): 四舍六入五成双.

GB/T 8170-2008 §3.3: a digit below 5 is dropped, above 5 carries; an exact 5 (followed by nothing
but zeros) rounds to the even neighbour, while a 5 followed by any non-zero digit carries. HJ 633-2026
§4.2.2 and the 2018 ranking rule (环办监测〔2018〕19号) cite it.

The rule is about the **decimal** value a person wrote. A binary float such as 2.35 is stored as
2.35000000000000008882, so a naive half-even on the float would see "more than half" and carry for
the wrong reason, and 2.45 (stored as 2.4500000000000002) would round to 2.5 instead of 2.4. Here a
value whose scaled fraction lies within a tolerance of one half is taken to be an exact decimal
half. The tolerance (1e-10 of a unit in the last kept place, times the scaled magnitude of the value
when that exceeds 1) is far above float noise (about 1e-16 relative) and far below any
real difference: a mean of n values on the reporting grid is either an exact half or at least
1/(2n) unit from one.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

#: A scaled value within max(1e-9, 1e-12·|x|) of a half is taken as an exact decimal half.
_HALF_ABSOLUTE = 1e-9
_HALF_RELATIVE = 1e-12
#: Values farther than this from a half are never halves (checked first, in one cheap pass).
_CANDIDATE_DISTANCE = 1e-6


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
    scaled = np.asarray(values, dtype=np.float64) * (10.0 ** np.asarray(decimals, dtype=np.float64))
    return round_scaled(scaled) / (10.0 ** np.asarray(decimals, dtype=np.float64))


def round_scaled(scaled: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """GB/T 8170 rounding to an integer of values already scaled to the kept precision.

    ``np.rint`` is half-to-even on the binary value; it is right except where the binary value lies
    within float noise of a decimal half (24.500000000000004 from 2.45 × 10), which is taken as an
    exact half and sent to the even neighbour.
    """
    scaled = np.asarray(scaled, dtype=np.float64)
    rounded = np.asarray(np.rint(scaled))
    distance = np.abs(np.abs(scaled - rounded) - 0.5)
    with np.errstate(invalid="ignore"):
        candidate = distance <= _CANDIDATE_DISTANCE  # cheap pass; the exact test below is per value
    if np.any(candidate):
        near = scaled[candidate]
        is_half = distance[candidate] <= np.maximum(_HALF_ABSOLUTE, _HALF_RELATIVE * np.abs(near))
        low = np.floor(near)
        even = np.where(np.fmod(low, 2.0) == 0.0, low, low + 1.0)
        rounded[candidate] = np.where(is_half, even, rounded[candidate])
    return rounded
