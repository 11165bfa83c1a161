"""The ghost-radius step controller for PyTorch: cap any optimiser's update at the radius.

Import it only where PyTorch is installed; ``softkit`` itself never imports or requires torch,
and ``import softkit.ghost`` does not load this module.

Each controlled step (Sao 2026, "Ghosts of Softmax"):

1. snapshots the parameters, lets the inner optimiser take its step, and reads the update it
   proposed, ``p = after - before`` (over every parameter of the optimiser, all groups);
2. computes the logit JVP ``a = J_z (p / ||p||)`` at the parameters *before* the step, exactly,
   with ``torch.func.jvp`` over ``torch.func.functional_call``: in eval mode (BatchNorm uses its
   running statistics, Dropout is off; every submodule's training flag is restored afterwards)
   and without autograd graphs;
3. moves only that ``(B, K)`` JVP to the host and takes ``rho_a = pi * T / max_b (max_k a_bk -
   min_k a_bk)`` with ``softkit.ghost.rho_a``;
4. rescales the update in place to ``before + scale * p`` and records ``r``, ``rho_a`` and the
   scale.

The inner optimiser's state never sees the controller: its step runs on the raw gradients (Adam's
moments are those of an unwrapped Adam fed the same gradients), and only the parameter update
is rescaled afterwards. Tensors stay on their device; the host receives the ``(B, K)`` JVP and a
few scalars.

Modes (``r_proposed = ||p|| / rho_a`` is the normalised step the inner optimiser proposed, and
``r = scale * ||p|| / rho_a`` the one actually applied; both are logged):

- ``mode="cap"`` (default): ``scale = min(1, rho_a / ||p||)``, so ``r = min(r_proposed, 1)``
  never exceeds 1, and steps already inside the radius are left exactly as they were.
- ``mode="target_r"``: ``scale = r_target * rho_a / ||p||``, so ``r = r_target`` at every step,
  with ``0 < r_target <= 1``.

``target_r`` shrinks *or grows* the step to sit at ``r_target`` times the radius, so the step
length follows the radius rather than the learning rate. ``r_target`` is limited to ``(0, 1]``,
so no mode ever applies a step beyond the radius. Both modes leave the update unchanged (scale 1) when it
is zero or when ``rho_a`` is infinite (the step does not move the logits' spread at all).

Entry points:

- ``GhostOptimizer(optimizer, model, ...)``: wraps any ``torch.optim`` optimiser.
- ``ghost_scale(model, params_before, params_after, inputs, ...)``: the same measurement for
  custom loops and callbacks, on named parameter snapshots (``snapshot(model)``).
- ``logit_jvp(model, params, tangents, inputs, ...)``: the logits and their JVP alone.
- ``GhostRecord``: what each controlled step measured.

The radius batch. ``rho_a`` is measured on the inputs given to ``step(inputs=x)``, or else on the
batch set with ``set_radius_batch(x)`` (or ``radius_batch=`` at construction). Usually it is the
training batch of that step. A smaller batch is cheaper but sees fewer samples, and since the
bottleneck sample sets ``rho_a``, a subset can only give a larger (less conservative) radius.

Logits. ``logits_fn(model, inputs)`` must return a ``(B, K)`` tensor of logits with ``B`` the
batch size of ``inputs`` (the first dimension of its first tensor); by default it is
``model(inputs)``. It runs under ``functional_call``, so it must reach the parameters through
``model`` (call it, or its submodules), not through tensors captured elsewhere. For models that
return a dict or take several inputs, pass e.g. ``logits_fn=lambda m, x: m(**x).logits``.

Errors (``ValueError`` unless said otherwise): logits that are not 2-D, whose batch differs from
the inputs', or that are empty; non-finite logits or JVP; a non-finite update from the inner
optimiser; an optimiser with no parameters; an optimiser parameter that is not a parameter of
``model``; no radius batch; a bad ``mode``, ``r_target`` or ``temperature``. ``TypeError`` for a
model that is not an ``nn.Module``, an optimiser without ``step``/``param_groups``, or logits
that are not a tensor. When ``GhostOptimizer.step`` raises after the inner step, the parameters
are first put back to the snapshot (the inner optimiser's state has already advanced).

Runtime and performance: a controlled step adds one forward-mode pass over the radius batch,
a copy of the optimised parameters, and three host synchronisations (the step norm, a finiteness
check, the JVP). The forward-mode pass costs about a forward plus a backward pass (a linear
layer's tangent is two matrix products, its primal one), so with the radius measured on the
whole training batch a controlled step costs about 1.8-2.3x a plain Adam step on CPU (MLP,
transformer block, ResNet-18; ``benches/ghost_torch_bench.py``), and about 1.2-1.6x with the
radius on a quarter of the batch. During the pass, PyTorch's fused attention paths (the
``nn.MultiheadAttention``/``TransformerEncoderLayer`` fast path and the flash and
memory-efficient ``scaled_dot_product_attention`` kernels), which have no forward-mode
derivative, are switched to the math path and restored afterwards.

Parameter groups with different learning rates, weight decay, ``maximize``
and closures (LBFGS) all work: ``p`` is whatever the inner step did. Attach learning-rate
schedulers to the inner optimiser (``opt.optimizer``); the wrapper is not a
``torch.optim.Optimizer`` subclass, but it forwards ``param_groups``, ``state``, ``zero_grad``,
``state_dict`` and ``load_state_dict``.

>>> import torch
>>> from softkit.ghost.torch import GhostOptimizer
>>> _ = torch.manual_seed(0)
>>> model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
>>> x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
>>> records = []
>>> opt = GhostOptimizer(torch.optim.Adam(model.parameters(), lr=100.0), model, log=records.append)
>>> opt.zero_grad()
>>> torch.nn.functional.cross_entropy(model(x), y).backward()
>>> opt.step(inputs=x)
>>> rec = records[-1]
>>> rec.r_proposed > 1.0, rec.r <= 1.0, rec.scale < 1.0  # lr 100 overshoots; the step is cut to the radius
(True, True, True)

PyTorch Lightning (not tested here): a callback snapshots the parameters after the backward pass
and rescales the update once the optimiser has stepped::

    import lightning.pytorch as pl
    from softkit.ghost.torch import ghost_scale, snapshot

    class GhostCallback(pl.Callback):
        def __init__(self, mode="cap", r_target=1.0):
            self.mode, self.r_target, self.before = mode, r_target, None

        def on_before_optimizer_step(self, trainer, pl_module, optimizer):
            self.before = snapshot(pl_module)   # after backward, before the parameters move

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            if self.before is None:             # gradient accumulation: no step on this batch
                return
            x, _ = batch
            rec = ghost_scale(pl_module, self.before, None, x,
                              mode=self.mode, r_target=self.r_target, apply=True)
            self.before = None
            pl_module.log_dict({"ghost/r": rec.r, "ghost/rho_a": rec.rho_a, "ghost/scale": rec.scale})

(``pl_module(x)`` must return the logits, or pass ``logits_fn``.)
"""

from __future__ import annotations

import contextlib
import math
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from . import rho_a as _rho_a
from . import scale as _scale

__all__ = ["GhostOptimizer", "GhostRecord", "ghost_scale", "logit_jvp", "snapshot"]

MODES = ("cap", "target_r")

LogitsFn = Callable[[nn.Module, Any], torch.Tensor]


@dataclass(frozen=True)
class GhostRecord:
    """What one controlled step measured.

    - ``step_norm``: ``||p||``, the L2 norm of the inner optimiser's update over all its parameters.
    - ``rho_a``: the batch radius along ``p / ||p||`` (``inf`` if the step moves no logit spread).
    - ``r_proposed``: ``||p|| / rho_a``, the normalised step the inner optimiser proposed.
    - ``r``: ``scale * ||p|| / rho_a``, the normalised step applied (at most 1 in ``cap`` mode).
    - ``scale``: the factor the update was multiplied by.
    - ``a``: the ``(B, K)`` logit JVP along ``p / ||p||`` on the host (numpy), or ``None`` when
      the update was zero and nothing was measured.
    """

    step_norm: float
    rho_a: float
    r_proposed: float
    r: float
    scale: float
    a: Optional[np.ndarray]


def _check_mode(mode: str, r_target: float, temperature: float) -> Tuple[str, float, float]:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    r_target = float(r_target)
    if not (0.0 < r_target <= 1.0):
        raise ValueError(f"r_target must lie in (0, 1], got {r_target}")
    temperature = float(temperature)
    if not (temperature > 0.0 and math.isfinite(temperature)):
        raise ValueError(f"temperature must be positive and finite, got {temperature}")
    return mode, r_target, temperature


def _check_model(model) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return model


def _batch_size(inputs) -> Optional[int]:
    """The first dimension of the first tensor found in ``inputs`` (tensor, sequence or mapping)."""
    if isinstance(inputs, torch.Tensor):
        return int(inputs.shape[0]) if inputs.ndim else None
    if isinstance(inputs, Mapping):
        inputs = list(inputs.values())
    if isinstance(inputs, (list, tuple)):
        for item in inputs:
            b = _batch_size(item)
            if b is not None:
                return b
    return None


class _Bound(nn.Module):
    """``fn(model, inputs)`` as a module, so that ``functional_call`` can reparametrise ``model``."""

    def __init__(self, model: nn.Module, fn: LogitsFn):
        super().__init__()
        self.model = model
        self.fn = fn

    def forward(self, inputs):
        return self.fn(self.model, inputs)


def _check_logits(z, batch: Optional[int], what: str) -> None:
    if not isinstance(z, torch.Tensor):
        raise TypeError(f"logits_fn must return a tensor of (B, K) logits, got {type(z).__name__}")
    if z.ndim != 2:
        raise ValueError(f"logits_fn must return (B, K) logits, got {what} of shape {tuple(z.shape)}")
    if batch is not None and z.shape[0] != batch:
        raise ValueError(
            f"logits_fn returned {z.shape[0]} rows of {what} for a batch of {batch} inputs"
        )
    if z.shape[0] == 0 or z.shape[1] == 0:
        raise ValueError(f"logits_fn returned empty {what} of shape {tuple(z.shape)}")


def logit_jvp(
    model: nn.Module,
    params: Mapping[str, torch.Tensor],
    tangents: Mapping[str, torch.Tensor],
    inputs,
    *,
    logits_fn: Optional[LogitsFn] = None,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """The logits ``z`` and their JVP ``a = J_z t`` at ``params`` along ``tangents``, exactly.

    ``params`` and ``tangents`` map names of ``model.named_parameters()`` to tensors of the same
    shapes (the same keys); parameters not named keep their values and a zero tangent. The model
    runs in eval mode under ``torch.func.functional_call`` (every submodule's training flag is
    restored afterwards), without autograd graphs. Returns two ``(B, K)`` tensors on the model's
    device. Raises ``ValueError`` for logits that are not ``(B, K)`` with the inputs' batch size,
    or that are not finite (logits or JVP).

    >>> import torch
    >>> from softkit.ghost.torch import logit_jvp
    >>> lin = torch.nn.Linear(2, 3, bias=False)
    >>> x = torch.tensor([[1.0, 2.0]])
    >>> t = {"weight": torch.ones(3, 2)}
    >>> z, a = logit_jvp(lin, dict(lin.named_parameters()), t, x)
    >>> a.tolist()  # d(Wx) along W -> ones is ones @ x
    [[3.0, 3.0, 3.0]]
    """
    model = _check_model(model)
    names = list(params)
    if set(names) != set(tangents):
        raise ValueError("params and tangents must have the same names")
    known = dict(model.named_parameters())
    for n in names:
        if n not in known:
            raise ValueError(f"{n!r} is not a parameter of the model")
        if params[n].shape != known[n].shape or tangents[n].shape != known[n].shape:
            raise ValueError(f"{n!r}: expected shape {tuple(known[n].shape)}")
    primals = tuple(params[n].detach() for n in names)
    dirs = tuple(tangents[n].detach() for n in names)
    return _jvp(model, logits_fn, names, primals, dirs, inputs)


_JVP_READY = False


def _load_jvp_decompositions() -> None:
    """Import torch's forward-AD decompositions once, hiding the FutureWarning about
    ``torch.jit.script`` that torch itself raises on the first forward-mode pass."""
    global _JVP_READY
    if _JVP_READY:
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*torch.jit.script.*", category=FutureWarning)
        try:
            import torch._decomp.decompositions_for_jvp  # noqa: F401
        except ImportError:  # a torch without it loads what it needs itself
            pass
    _JVP_READY = True


def _math_attention():
    """``scaled_dot_product_attention`` restricted to its math backend: the fused (flash,
    memory-efficient) kernels have no forward-mode derivative."""
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
    except ImportError:  # torch < 2.3: the caller's own settings apply
        return contextlib.nullcontext()
    return sdpa_kernel([SDPBackend.MATH])


def _jvp(model, logits_fn, names, primals, tangents, inputs):
    _load_jvp_decompositions()
    if logits_fn is None:
        target, keys = model, names
    else:
        target, keys = _Bound(model, logits_fn), ["model." + n for n in names]

    def f(*ps):
        return torch.func.functional_call(target, dict(zip(keys, ps)), (inputs,))

    flags = [(m, m.training) for m in model.modules()]
    mha = getattr(getattr(torch.backends, "mha", None), "get_fastpath_enabled", None)
    fastpath = mha() if mha is not None else None
    model.eval()
    try:
        if fastpath:  # the fused eval-mode attention kernels have no forward-mode derivative
            torch.backends.mha.set_fastpath_enabled(False)
        with torch.no_grad(), _math_attention():
            z, a = torch.func.jvp(f, primals, tangents)
    finally:
        if fastpath:
            torch.backends.mha.set_fastpath_enabled(True)
        for m, flag in flags:
            m.training = flag
    batch = _batch_size(inputs)
    _check_logits(z, batch, "logits")
    _check_logits(a, batch, "logit JVP")
    finite = torch.stack((torch.isfinite(z).all(), torch.isfinite(a).all())).tolist()
    if not finite[0]:
        raise ValueError("logits_fn returned non-finite logits on the radius batch")
    if not finite[1]:
        raise ValueError("the logit JVP along the update is not finite")
    return z, a


def _host(a: torch.Tensor) -> np.ndarray:
    a = a.detach()
    if a.dtype not in (torch.float32, torch.float64):
        a = a.to(torch.float32)
    return a.cpu().numpy()


def _norm(tensors: Sequence[torch.Tensor]) -> float:
    if not tensors:
        return 0.0
    device = tensors[0].device
    parts = [n.to(device) for n in torch._foreach_norm(list(tensors))]
    return float(torch.linalg.vector_norm(torch.stack(parts)).item())


def _measure(model, logits_fn, names, before, delta, inputs, mode, r_target, temperature):
    """The record of one step ``delta`` taken from ``before`` (parallel lists, named by ``names``)."""
    step_norm = _norm(delta)
    if not math.isfinite(step_norm):
        raise ValueError("the optimiser's update is not finite (NaN or inf in the parameters)")
    if step_norm == 0.0:
        return GhostRecord(0.0, math.inf, 0.0, 0.0, 1.0, None)
    tangents = tuple(torch._foreach_div(list(delta), step_norm))
    _, a = _jvp(model, logits_fn, names, tuple(before), tangents, inputs)
    a_host = _host(a)
    rho = float(_rho_a(a_host, temperature))
    factor = float(_scale(step_norm, rho, r_target if mode == "target_r" else None))
    r_prop = step_norm / rho
    return GhostRecord(step_norm, rho, r_prop, factor * step_norm / rho, factor, a_host)


def _rescale_(params: Sequence[torch.Tensor], before: Sequence[torch.Tensor], delta, factor: float):
    """``params <- before + factor * delta`` in place."""
    with torch.no_grad():
        for p, b, d in zip(params, before, delta):
            torch.add(b, d, alpha=factor, out=p.data)


def snapshot(model: nn.Module, trainable_only: bool = True) -> Dict[str, torch.Tensor]:
    """Detached copies of ``model``'s named parameters (those with ``requires_grad`` by default).

    >>> import torch
    >>> from softkit.ghost.torch import snapshot
    >>> sorted(snapshot(torch.nn.Linear(2, 1)))
    ['bias', 'weight']
    """
    _check_model(model)
    with torch.no_grad():
        return {
            n: p.detach().clone()
            for n, p in model.named_parameters()
            if p.requires_grad or not trainable_only
        }


def ghost_scale(
    model: nn.Module,
    params_before: Mapping[str, torch.Tensor],
    params_after: Optional[Mapping[str, torch.Tensor]],
    inputs,
    *,
    logits_fn: Optional[LogitsFn] = None,
    mode: str = "cap",
    r_target: float = 1.0,
    temperature: float = 1.0,
    apply: bool = False,
) -> GhostRecord:
    """Measure the update ``params_after - params_before`` against the ghost radius on ``inputs``.

    ``params_before`` maps names of ``model.named_parameters()`` to their values before the step
    (``snapshot(model)`` makes it); ``params_after`` maps the same names to their values after it,
    or is ``None`` for the model's current parameters. The JVP is taken at ``params_before``;
    the model's buffers are used as they are. Returns a ``GhostRecord`` whose ``scale`` follows
    ``mode``/``r_target`` as in the module docstring. With ``apply=True`` the ``params_after``
    tensors (the model's own parameters when ``None``) are rewritten in place to
    ``before + scale * (after - before)``.

    >>> import torch
    >>> from softkit.ghost.torch import ghost_scale, snapshot
    >>> _ = torch.manual_seed(0)
    >>> model = torch.nn.Linear(3, 4)
    >>> before = snapshot(model)
    >>> with torch.no_grad():
    ...     _ = model.weight.add_(10.0 * torch.randn(4, 3))  # a huge step
    >>> rec = ghost_scale(model, before, None, torch.randn(5, 3), apply=True)
    >>> rec.r_proposed > 1, abs(rec.r - 1) < 1e-12
    (True, True)
    """
    model = _check_model(model)
    mode, r_target, temperature = _check_mode(mode, r_target, temperature)
    known = dict(model.named_parameters())
    if params_after is None:
        params_after = {n: known[n] for n in params_before if n in known}
    if set(params_before) != set(params_after):
        raise ValueError("params_before and params_after must have the same names")
    if not params_before:
        raise ValueError("params_before is empty: there is no step to measure")
    names = list(params_before)
    for n in names:
        if n not in known:
            raise ValueError(f"{n!r} is not a parameter of the model")
        if params_before[n].shape != known[n].shape or params_after[n].shape != known[n].shape:
            raise ValueError(f"{n!r}: expected shape {tuple(known[n].shape)}")
    before = [params_before[n].detach() for n in names]
    after = [params_after[n] for n in names]
    with torch.no_grad():
        delta = torch._foreach_sub([t.detach() for t in after], before)
    rec = _measure(model, logits_fn, names, before, delta, inputs, mode, r_target, temperature)
    if apply and rec.scale != 1.0:
        _rescale_(after, before, delta, rec.scale)
    return rec


class GhostOptimizer:
    """Wraps a ``torch.optim`` optimiser so that every step stays inside the ghost radius.

    Usage::

        opt = GhostOptimizer(torch.optim.Adam(model.parameters(), lr=1e-3), model)
        for x, y in loader:
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step(inputs=x)          # or opt.set_radius_batch(x); opt.step()
            print(opt.last.r, opt.last.rho_a, opt.last.scale)

    Arguments:

    - ``optimizer``: any optimiser with ``step`` and ``param_groups`` (every group, every
      learning rate). Its parameters must be parameters of ``model``.
    - ``model``: the ``nn.Module`` holding them; the JVP runs it under ``functional_call``.
    - ``logits_fn(model, inputs) -> (B, K)``: how to get logits; default ``model(inputs)``.
    - ``mode``: ``"cap"`` (default) or ``"target_r"``; ``r_target`` in ``(0, 1]`` (only used by
      ``"target_r"``); ``temperature`` of the loss ``CE(z / T)``.
    - ``radius_batch``: the inputs to measure the radius on when ``step`` gets none.
    - ``log``: a callable given each step's ``GhostRecord`` (e.g. ``records.append``). The latest
      record is also ``opt.last``.

    ``step(closure=None, inputs=None)`` returns what the inner step returned (the closure's
    loss). See the module docstring for the algorithm, the modes and the errors.
    """

    def __init__(
        self,
        optimizer,
        model: nn.Module,
        *,
        logits_fn: Optional[LogitsFn] = None,
        mode: str = "cap",
        r_target: float = 1.0,
        temperature: float = 1.0,
        radius_batch=None,
        log: Optional[Callable[[GhostRecord], Any]] = None,
    ):
        if not (hasattr(optimizer, "step") and hasattr(optimizer, "param_groups")):
            raise TypeError(
                f"optimizer must be a torch.optim optimizer, got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        self.model = _check_model(model)
        self.logits_fn = logits_fn
        self.mode, self.r_target, self.temperature = _check_mode(mode, r_target, temperature)
        self.radius_batch = radius_batch
        self.log = log
        self.last: Optional[GhostRecord] = None
        self._params()  # fail early: no parameters, or parameters outside the model

    # --- the optimiser interface, forwarded ---
    @property
    def param_groups(self):
        return self.optimizer.param_groups

    @property
    def state(self):
        return self.optimizer.state

    @property
    def defaults(self):
        return self.optimizer.defaults

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def state_dict(self):
        return self.optimizer.state_dict()

    def load_state_dict(self, state_dict) -> None:
        self.optimizer.load_state_dict(state_dict)

    def add_param_group(self, group) -> None:
        self.optimizer.add_param_group(group)
        self._params()

    def __repr__(self) -> str:
        return f"GhostOptimizer(mode={self.mode!r}, r_target={self.r_target}, {self.optimizer!r})"

    def set_radius_batch(self, inputs) -> None:
        """Measure the radius on ``inputs`` at the steps that are not given any."""
        self.radius_batch = inputs

    def _params(self) -> Tuple[List[str], List[torch.Tensor]]:
        ids = {id(p): n for n, p in self.model.named_parameters()}
        names: List[str] = []
        params: List[torch.Tensor] = []
        seen = set()
        for group in self.optimizer.param_groups:
            for p in group["params"]:
                if id(p) in seen:
                    continue
                seen.add(id(p))
                if id(p) not in ids:
                    raise ValueError(
                        f"the optimizer holds a parameter of shape {tuple(p.shape)} that is not a "
                        "parameter of the model"
                    )
                names.append(ids[id(p)])
                params.append(p)
        if not params:
            raise ValueError("the optimizer has no parameters")
        return names, params

    def step(self, closure: Optional[Callable[[], Any]] = None, inputs=None):
        """One inner step, rescaled to the radius measured on ``inputs`` (or the radius batch)."""
        x = self.radius_batch if inputs is None else inputs
        if x is None:
            raise ValueError(
                "no radius batch: call step(inputs=x), or set_radius_batch(x) before step()"
            )
        names, params = self._params()
        with torch.no_grad():
            before = [p.detach().clone() for p in params]
        loss = self.optimizer.step() if closure is None else self.optimizer.step(closure)
        with torch.no_grad():
            delta = torch._foreach_sub([p.detach() for p in params], before)
        try:
            rec = _measure(
                self.model, self.logits_fn, names, before, delta, x,
                self.mode, self.r_target, self.temperature,
            )
        except Exception:
            with torch.no_grad():  # leave the parameters where the step began
                for p, b in zip(params, before):
                    p.copy_(b)
            raise
        if rec.scale != 1.0:
            _rescale_(params, before, delta, rec.scale)
        self.last = rec
        if self.log is not None:
            self.log(rec)
        return loss
