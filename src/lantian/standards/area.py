"""A city's, county's or district's concentration from its evaluation stations.

HJ 633-2026 §4.2.2 defers to HJ 663 for city and county concentrations; the 2018 ranking rule
(环办监测〔2018〕19号 §三(一)) uses "城市纳入国家环境空气质量监测网的所有评价点位". Lantian computes the
area's hourly value as the arithmetic mean of the valid values of its evaluation stations in that
hour (control points, 对照点, are not evaluation stations and must not be passed in), and every
daily and annual statistic from that hourly series. With no valid station in an hour the area's
hour is missing. (HJ 663-2013's own text was not available; this is the reading stated in
docs/standards-readings.md.)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from lantian.standards.averages import valid_mean


def area_mean(station_values: npt.ArrayLike, station_axis: int = 0) -> npt.NDArray[np.float64]:
    """Mean over ``station_axis`` of the valid (non-NaN) station values; NaN where none is valid.

    Parameters
    ----------
    station_values
        Concentrations of the evaluation stations [µg/m³; CO mg/m³], e.g. shape (stations, hours).
    """
    return valid_mean(station_values, axis=station_axis)
