"""Arrays from other libraries in, and torch tensors out when torch came in, as torchvision does.

torch is never imported here unless the caller passed a torch tensor (it is then already loaded).
A CPU tensor is read without a copy (``Tensor.numpy()``); a tensor that requires grad is read
through ``detach()`` (softkit's outputs carry no gradient); a tensor on another device is an
error that names ``.cpu()``. Other arrays with ``__dlpack__`` (jax, cupy, on the host) are read
through ``np.from_dlpack``.
"""

from __future__ import annotations

import functools
import inspect
import sys

import numpy as np


def is_torch(x) -> bool:
    """Whether ``x`` is a torch tensor, without importing torch."""
    return type(x).__module__.startswith("torch") and hasattr(x, "device") and hasattr(x, "numpy")


def host_array(x, name: str):
    """``x`` as something ``np.asarray`` reads without a copy where it can."""
    if is_torch(x):
        if x.device.type != "cpu":
            raise ValueError(
                f"{name} is a torch tensor on {x.device}: softkit computes on the CPU, so pass {name}.cpu()"
            )
        if x.requires_grad:
            x = x.detach()
        if str(x.dtype) == "torch.bfloat16":  # numpy has no bfloat16
            x = x.float()
        return x.resolve_conj().resolve_neg().numpy()
    if not isinstance(x, np.ndarray) and hasattr(x, "__dlpack__"):
        try:
            return np.from_dlpack(x)
        except (BufferError, TypeError, RuntimeError, ValueError) as err:
            if hasattr(x, "__array__"):
                return x
            raise ValueError(f"{name} cannot be read from its device ({err}): copy it to host memory first") from None
    return x


def torch_io(like: str):
    """Returns torch tensors when an argument was one: integer arrays as int64 (indices), float
    arrays in the dtype of the argument ``like`` (or of the first tensor argument, if ``like`` is
    not one), tuples element by element."""

    def decorate(f):
        signature = inspect.signature(f)

        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            out = f(*args, **kwargs)
            bound = signature.bind_partial(*args, **kwargs).arguments
            tensors = [v for v in bound.values() if is_torch(v)]
            if not tensors:
                return out
            reference = bound.get(like) if is_torch(bound.get(like)) else tensors[0]
            return _to_torch(out, reference)

        return wrapper

    return decorate


def _to_torch(out, reference):
    torch = sys.modules["torch"]
    if isinstance(out, tuple):
        return tuple(_to_torch(o, reference) for o in out)
    if not isinstance(out, np.ndarray):
        return out
    if out.dtype.kind in "iu":
        return torch.from_numpy(np.ascontiguousarray(out, dtype=np.int64))
    tensor = torch.from_numpy(np.ascontiguousarray(out))
    dtype = reference.dtype if reference.dtype.is_floating_point else torch.float64
    return tensor.to(dtype)
