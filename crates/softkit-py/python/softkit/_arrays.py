"""Checking and converting the arrays users pass, once for every module of the package."""

from __future__ import annotations

import numpy as np

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def float_array(x, name: str, ndim: int) -> np.ndarray:
    """Returns ``x`` as a float32/float64 array of ``ndim`` dimensions, copying only integers."""
    a = np.asarray(x)
    if a.dtype not in _FLOATS:
        if a.dtype.kind in "iub" or a.dtype == np.float16:
            a = a.astype(np.float64 if a.dtype.kind in "iub" else np.float32)
        else:
            raise TypeError(f"{name} must be a float32 or float64 array, got dtype {a.dtype}")
    if a.size == 0 and ndim == 2 and a.ndim != 2:
        a = a.reshape(0, 4)
    if a.ndim != ndim or (ndim == 2 and a.shape[1] != 4):
        expected = "(N, 4)" if ndim == 2 else "(N,)"
        raise ValueError(f"{name} must have shape {expected}, got {a.shape}")
    return a


def labels(x, n: int, name: str = "labels") -> np.ndarray:
    a = np.asarray(x)
    if a.dtype.kind not in "iub":
        raise TypeError(f"{name} must be an integer array, got dtype {a.dtype}")
    if a.ndim != 1:
        raise ValueError(f"{name} must have shape (N,), got {a.shape}")
    if a.shape[0] != n:
        raise ValueError(f"{name} has {a.shape[0]} entries but boxes has {n}")
    return a.astype(np.int64, copy=False)
