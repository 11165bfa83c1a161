"""Checking and converting the arrays users pass, once for every module of the package."""

from __future__ import annotations

import operator

import numpy as np

from ._tensors import host_array

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
# The largest integer Rust takes (i64; also numpy's intp).
_MAX_INT = 2**63 - 1


def array(x, name: str) -> np.ndarray:
    """``np.asarray(x)``, with numpy's complaints about ragged or odd input naming the argument.
    Torch tensors and other ``__dlpack__`` arrays are read as ``softkit._tensors`` says."""
    try:
        return np.asarray(host_array(x, name))
    except (ValueError, TypeError) as err:
        raise ValueError(f"{name} cannot be read as an array: {err}") from None


def native_order(a: np.ndarray) -> np.ndarray:
    """A big-endian array (``>f4``, from a file written elsewhere) as a native-order copy."""
    return a if a.dtype.isnative else a.astype(a.dtype.newbyteorder("="))


def number(x, name: str) -> float:
    """A real number keyword as a float; anything else is a ``TypeError`` naming the keyword."""
    if not isinstance(x, (str, bytes)):
        try:
            return float(x)
        except (TypeError, ValueError, OverflowError):
            pass
    raise TypeError(f"{name} must be a real number, got {type(x).__name__}")


def integer(x, name: str, minimum: int = -(2**63)) -> int:
    """An integer keyword that fits Rust's 64 bits; an integral float (``100.0``) counts too."""
    try:
        value = operator.index(x)
    except TypeError:
        value = int(x) if isinstance(x, (float, np.floating)) and float(x).is_integer() else None
    if value is None or isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} = {x!r} is invalid: expected an integer")
    if not minimum <= value <= _MAX_INT:
        low = "-2**63" if minimum == -(2**63) else str(minimum)
        raise ValueError(f"{name} = {value} is invalid: expected an integer in [{low}, 2**63 - 1]")
    return value


def count(x, name: str, minimum: int = 0) -> int:
    """A non-negative integer keyword (at least ``minimum``)."""
    return integer(x, name, minimum)


def floats(x, name: str) -> np.ndarray:
    """``x`` as a float32/float64 array, copying only integers, half floats and big-endian floats."""
    a = native_order(array(x, name))
    if a.dtype not in _FLOATS:
        if a.dtype.kind in "iub" or a.dtype == np.float16:
            a = a.astype(np.float64 if a.dtype.kind in "iub" else np.float32)
        else:
            raise TypeError(f"{name} must be a float32 or float64 array, got dtype {a.dtype}")
    return a


def float_array(x, name: str, ndim: int) -> np.ndarray:
    """Returns ``x`` as a float32/float64 array of ``ndim`` dimensions (boxes: ``(N, 4)``)."""
    a = floats(x, name)
    if a.size == 0 and ndim == 2 and a.ndim != 2:
        a = a.reshape(0, 4)
    if a.ndim != ndim or (ndim == 2 and a.shape[1] != 4):
        expected = "(N, 4)" if ndim == 2 else "(N,)"
        raise ValueError(f"{name} must have shape {expected}, got {a.shape}")
    return a


def labels(x, n: int, name: str = "labels") -> np.ndarray:
    a = native_order(array(x, name))
    if a.dtype.kind not in "iub":
        raise TypeError(f"{name} must be an integer array, got dtype {a.dtype}")
    if a.ndim != 1:
        raise ValueError(f"{name} must have shape (N,), got {a.shape}")
    if a.shape[0] != n:
        raise ValueError(f"{name} has {a.shape[0]} entries but boxes has {n}")
    return a.astype(np.int64, copy=False)
