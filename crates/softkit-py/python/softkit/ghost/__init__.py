"""The ghost radius of cross-entropy, and the step scale that keeps an update inside it.

Along an update direction ``v`` the logits move, to first order, as ``z + tau * a`` with
``a = J_z v`` (the JVP of the logits along ``v``). The partition function
``F(tau) = sum_k exp(z_k + tau * a_k)`` then has complex zeros, and the Taylor model of the loss
along ``v`` cannot be trusted beyond the nearest one (Sao 2026, "Ghosts of Softmax").

- ``delta_a(a)``: the spread ``max_k a_k - min_k a_k`` of each sample.
- ``rho_a(a)``: the batch bound ``pi * T / max Delta_a``, never beyond any sample's true radius.
- ``rho_binary(z, a)``: the exact radius for two classes.
- ``rho_top2(z, a, labels)``: a per-sample diagnostic (each label against its strongest rival).
- ``nearest_zero(z, a)``: the true radius, found numerically (for tests and diagnostics).
- ``scale(step_norm, rho)``: the factor that shrinks a step to the radius.

Inputs: ``z`` (logits) and ``a`` (their rates along the step) are 2-D ``[B, K]`` arrays of
float32 or float64, read without a copy when C-contiguous and never modified; any other layout is
copied once. Integer and boolean arrays are converted to float64 (float16 to float32); ``z`` and
``a`` must then have the same dtype and shape. Values must be finite and the batch non-empty.
Bad input raises ``ValueError`` (or ``TypeError`` for a wrong type) naming the argument. Radii
are float64; a row whose rates span less than ``1e-12`` has no zero, and its radius is ``inf``.
The GIL is released while the radii are computed.

>>> import numpy as np
>>> from softkit import ghost
>>> z = np.array([[2.0, 0.5, -1.0], [0.0, 0.1, 0.2]])
>>> a = np.array([[0.4, -0.3, 0.1], [1.5, -0.5, 0.0]])
>>> bound = ghost.rho_a(a)
>>> bool((bound <= ghost.nearest_zero(z, a)).all())  # the bound never exceeds the true radius
True
>>> ghost.scale(3.0 * bound, bound) * 3.0  # a step three times the bound is cut back to it
1.0
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from .. import _native
from .._arrays import array, floats, native_order
from .._arrays import number as _number

__all__ = ["delta_a", "rho_a", "rho_binary", "rho_top2", "nearest_zero", "scale"]


def _rows(x, name: str) -> np.ndarray:
    """``x`` as a 2-D float32/float64 array, converting (copying) only other numeric dtypes."""
    arr = floats(x, name)
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (B, K), got {arr.shape}")
    return arr


def _labels(x) -> np.ndarray:
    lab = native_order(array(x, "labels"))
    if lab.dtype.kind not in "iu":
        raise TypeError(f"labels must be an integer array, got dtype {lab.dtype}")
    if lab.ndim != 1:
        raise ValueError(f"labels must have shape (B,), got {lab.shape}")
    if lab.dtype.kind == "u" and lab.size and int(lab.max()) > np.iinfo(np.int64).max:
        i = int(lab.argmax())
        raise ValueError(f"labels[{i}] = {int(lab[i])} is out of range")
    return lab.astype(np.int64, copy=False)


def delta_a(a) -> np.ndarray:
    """``Delta_a = max_k a_k - min_k a_k`` for each row of the ``[B, K]`` JVP ``a`` (float64 ``[B]``).

    >>> import numpy as np
    >>> from softkit import ghost
    >>> ghost.delta_a(np.array([[0.5, -1.0, 2.0], [3.0, 3.0, 3.0]])).tolist()
    [3.0, 0.0]
    """
    return _native.ghost_delta_a(_rows(a, "a"))


def rho_a(a, temperature: float = 1.0) -> float:
    """The batch bound ``rho_a = pi * temperature / max_b Delta_a[b]``: the bottleneck sample sets it.

    No zero of any sample's partition function lies closer to the origin, so a step of norm at
    most ``rho_a`` (along the direction whose logit JVP is ``a``) stays inside every sample's
    ghost radius. ``temperature`` is that of the loss ``CE(z / temperature)`` and must be
    positive and finite. ``inf`` when every row has ``Delta_a < 1e-12``.

    >>> import numpy as np
    >>> from softkit import ghost
    >>> ghost.rho_a(np.array([[0.0, 1.0], [0.0, 4.0]])) == np.pi / 4
    True
    >>> ghost.rho_a(np.array([[0.0, 2.0, -1.0]]), temperature=3.0) == np.pi
    True
    >>> ghost.rho_a(np.ones((2, 3)))
    inf
    """
    return _native.ghost_rho_a(_rows(a, "a"), _number(temperature, "temperature"))


def _pair(z, a):
    return _rows(z, "z"), _rows(a, "a")


def rho_binary(z, a) -> np.ndarray:
    """The exact ghost radius of two-class logits: ``sqrt(delta**2 + pi**2) / |a_1 - a_2|`` per row.

    ``z`` and ``a`` have shape ``[B, 2]``, and ``delta = z_1 - z_2``. The partition function
    ``exp(z_1 + tau a_1) + exp(z_2 + tau a_2)`` vanishes where
    ``delta + tau (a_1 - a_2) = i pi (2m + 1)``. ``inf`` where ``|a_1 - a_2| < 1e-12``.

    >>> import numpy as np
    >>> from softkit import ghost
    >>> r = ghost.rho_binary(np.array([[3.0, -1.0]]), np.array([[0.5, -1.5]]))
    >>> bool(np.isclose(r[0], np.sqrt(16 + np.pi**2) / 2))
    True
    """
    return _native.ghost_rho_binary(*_pair(z, a))


def rho_top2(z, a, labels) -> np.ndarray:
    """Per-sample top-2 radius ``sqrt(delta**2 + pi**2) / |a_y - a_c|`` (float64 ``[B]``).

    ``y`` is the sample's label (``labels`` is a 1-D integer array of length ``B``, each in
    ``[0, K)``), ``c`` the class with the highest logit other than ``y`` (the lower index on ties)
    and ``delta = z_y - z_c``. It is the exact radius of the two-class problem made of the label
    and its strongest rival: a diagnostic of which samples limit the step, not a bound (``rho_a``
    is the bound). ``inf`` for ``K = 1``, where there is no rival.

    >>> import numpy as np
    >>> from softkit import ghost
    >>> z = np.array([[2.0, -5.0, 1.0]])  # class 2 is the rival of label 0; class 1 plays no part
    >>> a = np.array([[0.1, 9.0, 0.6]])
    >>> ghost.rho_top2(z, a, [0]) == ghost.rho_binary(z[:, [0, 2]], a[:, [0, 2]])
    array([ True])
    """
    zz, aa = _pair(z, a)
    return _native.ghost_rho_top2(zz, aa, _labels(labels))


def nearest_zero(z, a) -> np.ndarray:
    """The true ghost radius of each row: the modulus of the zero of ``F`` nearest the origin.

    ``F(tau) = sum_k exp(z_k + tau * a_k)`` is searched numerically (argument principle and
    Newton's method), to about ``1e-13`` relative. Rows whose rates span less than ``1e-12`` have
    no zero: ``inf``. Meant for tests and diagnostics: the cost grows with ``K`` and with the
    logit margins.

    >>> import numpy as np
    >>> from softkit import ghost
    >>> # Three equal logits with rates -1, 0, 1: F = 1 + 2 cosh(tau), zero at 2 pi i / 3.
    >>> r = ghost.nearest_zero(np.zeros((1, 3)), np.array([[-1.0, 0.0, 1.0]]))
    >>> bool(np.isclose(r[0], 2 * np.pi / 3, rtol=1e-12))
    True
    """
    return _native.ghost_nearest_zero(*_pair(z, a))


def scale(step_norm: float, rho: float, r_target: Optional[float] = None) -> float:
    """The factor to multiply a step of norm ``step_norm`` by, against the radius ``rho``.

    Without ``r_target``: ``min(1, rho / step_norm)``, rounded down where needed so that
    ``scale * step_norm <= rho`` holds in floating point. With ``r_target`` (positive, finite):
    ``r_target * rho / step_norm``, which makes the normalised step ``scale * step_norm / rho``
    equal ``r_target``, shrinking or growing the step. A zero step or an infinite radius gives 1.
    ``step_norm`` must be finite and non-negative and ``rho`` positive (``inf`` allowed).

    >>> from softkit import ghost
    >>> ghost.scale(0.5, 2.0), ghost.scale(8.0, 2.0), ghost.scale(3.0, float("inf"))
    (1.0, 0.25, 1.0)
    >>> ghost.scale(4.0, 2.0, r_target=0.5), ghost.scale(0.5, 2.0, r_target=0.5)
    (0.25, 2.0)
    """
    target = None if r_target is None else _number(r_target, "r_target")
    return _native.ghost_scale(_number(step_norm, "step_norm"), _number(rho, "rho"), target)
