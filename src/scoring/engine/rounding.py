"""The one display rounding: every total, rank, 达标 decision, band and review uses it.

`rounded(x, d)` is the number a reader sees printed as f"{x:.{d}f}": the d-decimal number
nearest to the binary value x (an exact binary tie goes to the even digit, as Python prints
it). `np.round` is not that: it rounds x × 10^d, whose own rounding error moves values
such as 116.615 to the other side about 2% of the time. Vectorised: exact formatting is
used only for the values within 1e-6 of a half step, where np.rint could disagree.
"""

from __future__ import annotations

from typing import overload

import numpy as np
import pandas as pd

NEAR_HALF = 1e-6  # |x·10^d − (k + ½)| below this is decided by exact formatting


def rounded_array(values: np.ndarray, decimals: int) -> np.ndarray:
    """`values` (any shape, NaN kept) rounded as printed with `decimals` decimals."""
    x = np.asarray(values, dtype=float)
    scale = 10.0 ** decimals
    y = x * scale
    out = np.rint(y) / scale
    near = np.isfinite(y) & (np.abs(y - np.floor(y) - 0.5) < NEAR_HALF)
    if near.any():
        out[near] = [float(f"{v:.{decimals}f}") for v in x[near]]
    return out


@overload
def rounded(values: pd.Series, decimals: int) -> pd.Series: ...
@overload
def rounded(values: float, decimals: int) -> float: ...
def rounded(values, decimals):
    """A Series, array or number rounded exactly as f"{x:.{decimals}f}" prints it."""
    if isinstance(values, pd.Series):
        return pd.Series(rounded_array(values.to_numpy(dtype=float), decimals), index=values.index,
                         name=values.name)
    if np.ndim(values) == 0:
        return float(rounded_array(np.asarray([values], dtype=float), decimals)[0])
    return rounded_array(values, decimals)
