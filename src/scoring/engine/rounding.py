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
    """`values` (any shape, NaN kept) rounded as printed with `decimals` decimals: rint(x × 10^d) / 10^d,
    except where x × 10^d lies within NEAR_HALF of a half step (exact formatting). Those are found among
    the few whose distance to the nearest integer exceeds ½ − 2 × NEAR_HALF (two passes over the array)."""
    x = np.asarray(values, dtype=float)
    if x.ndim == 0:
        return rounded_array(x.reshape(1), decimals).reshape(())
    scale = 10.0 ** decimals
    y = x * scale
    out = np.rint(y)
    with np.errstate(invalid="ignore"):  # ±inf − ±inf: NaN, a candidate like NaN itself
        np.subtract(y, out, out=y)
    np.abs(y, out=y)
    out /= scale
    candidates = ~(y <= 0.5 - 2 * NEAR_HALF)
    if candidates.any():
        xs = x[candidates]
        z = xs * scale
        with np.errstate(invalid="ignore"):  # NaN and ±inf: never near a half step
            near = np.isfinite(z) & (np.abs(z - np.floor(z) - 0.5) < NEAR_HALF)
        if near.any():
            fixed = out[candidates]
            fixed[near] = [float(f"{v:.{decimals}f}") for v in xs[near]]
            out[candidates] = fixed
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
