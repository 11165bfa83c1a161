"""The paper's classifiers on 8x8 digits, as the burn crate defines them, with its seeded init.

Each network takes ``[rows, 64]`` pixels and returns ``[rows, 10]`` logits. :func:`build` draws
every parameter from the workspace's SplitMix64 exactly as ``models.rs`` does (same order, same
draws, burn's ``[d_in, d_out]`` linear weights transposed to PyTorch's ``[d_out, d_in]``), so a
seed gives the same initial network in both stacks; :func:`burn_flat` reads the parameters back in
burn's order for comparison with ``flatten_params``.
"""

from __future__ import annotations

import math
from typing import Dict, List, Tuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .data import CLASSES, PIXELS, Rng

#: The networks, by their names in results.json and on the command line.
MODELS = ("mlp", "mlp_ln", "transformer", "cnn_bn")

#: Row tokens of the transformer (8 rows of 8 pixels) and its width.
TOKENS = 8
DIM = 32


class Mlp(nn.Module):
    """64 -> 128 (ReLU) -> 10."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(PIXELS, 128)
        self.output = nn.Linear(128, CLASSES)

    def forward(self, x):
        return self.output(F.relu(self.hidden(x)))

    def burn_order(self) -> List[Tuple[str, str]]:
        """(name, role) of every tensor in burn's visiting order."""
        return _linear("hidden") + _linear("output")


class MlpLn(nn.Module):
    """64 -> 64 x 3 (Linear, LayerNorm, GELU) -> 10."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in [(PIXELS, 64), (64, 64), (64, 64)])
        self.norms = nn.ModuleList(nn.LayerNorm(64) for _ in range(3))
        self.output = nn.Linear(64, CLASSES)

    def forward(self, x):
        for linear, norm in zip(self.hidden, self.norms):
            x = F.gelu(norm(linear(x)))
        return self.output(x)

    def burn_order(self) -> List[Tuple[str, str]]:
        """(name, role) of every tensor in burn's visiting order (fields in declaration order)."""
        order = [t for i in range(3) for t in _linear(f"hidden.{i}")]
        order += [t for i in range(3) for t in _norm(f"norms.{i}")]
        return order + _linear("output")


class Transformer(nn.Module):
    """Row tokens embedded to width 32 with learned positions, one pre-LayerNorm single-head
    attention and one GELU MLP (32 -> 64 -> 32), both residual, a LayerNorm, mean pooling and a
    linear head. Written out as burn's ``Transformer`` is (not ``nn.MultiheadAttention``)."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(PIXELS // TOKENS, DIM)
        self.position = nn.Parameter(torch.zeros(TOKENS, DIM))
        self.attention_norm = nn.LayerNorm(DIM)
        self.query = nn.Linear(DIM, DIM)
        self.key = nn.Linear(DIM, DIM)
        self.value = nn.Linear(DIM, DIM)
        self.mix = nn.Linear(DIM, DIM)
        self.mlp_norm = nn.LayerNorm(DIM)
        self.up = nn.Linear(DIM, 2 * DIM)
        self.down = nn.Linear(2 * DIM, DIM)
        self.final_norm = nn.LayerNorm(DIM)
        self.head = nn.Linear(DIM, CLASSES)

    def forward(self, pixels):
        rows = pixels.shape[0]
        x = self.embed(pixels.reshape(rows, TOKENS, PIXELS // TOKENS)) + self.position
        h = self.attention_norm(x)
        scores = self.query(h) @ self.key(h).transpose(1, 2)
        weights = torch.softmax(scores / math.sqrt(DIM), dim=2)
        x = x + self.mix(weights @ self.value(h))
        x = x + self.down(F.gelu(self.up(self.mlp_norm(x))))
        return self.head(self.final_norm(x).mean(dim=1))

    def burn_order(self) -> List[Tuple[str, str]]:
        """(name, role) of every tensor in burn's visiting order."""
        order = _linear("embed") + [("position", "normal")] + _norm("attention_norm")
        for name in ("query", "key", "value", "mix"):
            order += _linear(name)
        order += _norm("mlp_norm") + _linear("up") + _linear("down") + _norm("final_norm")
        return order + _linear("head")


class CnnBn(nn.Module):
    """Two 3x3 convolutions (1 -> 8 -> 16 channels, padding 1), each followed by batch
    normalisation, ReLU and 2x2 max pooling (8x8 -> 4x4 -> 2x2), then a linear head 64 -> 10.

    In training mode batch normalisation uses the batch's statistics and updates its running
    ones (momentum 0.1); in eval mode, which the controller's JVP and the test accuracy use, it
    uses the running statistics."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.norm1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.norm2 = nn.BatchNorm2d(16)
        self.head = nn.Linear(16 * 2 * 2, CLASSES)

    def forward(self, pixels):
        x = pixels.reshape(pixels.shape[0], 1, 8, 8)
        x = F.max_pool2d(F.relu(self.norm1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.norm2(self.conv2(x))), 2)
        return self.head(x.flatten(1))

    def burn_order(self) -> List[Tuple[str, str]]:
        """(name, role) of every tensor in burn's visiting order (running statistics included)."""
        return (
            _conv("conv1") + _batch_norm("norm1") + _conv("conv2") + _batch_norm("norm2") + _linear("head")
        )


def _linear(name: str) -> List[Tuple[str, str]]:
    return [(f"{name}.weight", "linear_weight"), (f"{name}.bias", "bias")]


def _conv(name: str) -> List[Tuple[str, str]]:
    return [(f"{name}.weight", "conv_weight"), (f"{name}.bias", "bias")]


def _norm(name: str) -> List[Tuple[str, str]]:
    return [(f"{name}.weight", "ones"), (f"{name}.bias", "zeros")]


def _batch_norm(name: str) -> List[Tuple[str, str]]:
    return _norm(name) + [(f"{name}.running_mean", "zeros"), (f"{name}.running_var", "ones")]


_CLASSES: Dict[str, type] = {"mlp": Mlp, "mlp_ln": MlpLn, "transformer": Transformer, "cnn_bn": CnnBn}


def _tensors(model: nn.Module) -> Dict[str, torch.Tensor]:
    return {**dict(model.named_parameters()), **dict(model.named_buffers())}


def build(kind: str, seed: int) -> nn.Module:
    """The network ``kind`` (one of :data:`MODELS`) initialised from ``seed`` as burn does: linear
    and convolution weights and biases from ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` (PyTorch's
    default bounds), norms' scales 1 and shifts 0, running statistics 0 and 1, anything else
    ``N(0, 0.02^2)``; float32."""
    if kind not in _CLASSES:
        raise ValueError(f"unknown model {kind!r}; expected one of {MODELS}")
    model = _CLASSES[kind]()
    tensors = _tensors(model)
    rng = Rng(seed)
    fan_in = 1
    with torch.no_grad():
        for name, role in model.burn_order():
            t = tensors[name]
            n = t.numel()
            if role in ("ones", "zeros"):
                t.fill_(1.0 if role == "ones" else 0.0)
                continue
            if role == "normal":
                values = np.array([0.02 * rng.normal() for _ in range(n)])
                t.copy_(torch.from_numpy(values.astype(np.float32)).reshape(t.shape))
                continue
            if role == "linear_weight":
                fan_in = t.shape[1]
            elif role == "conv_weight":
                fan_in = t.shape[1] * t.shape[2] * t.shape[3]
            bound = 1.0 / math.sqrt(fan_in)
            values = np.array([(2.0 * rng.unit() - 1.0) * bound for _ in range(n)]).astype(np.float32)
            fresh = torch.from_numpy(values)
            if role == "linear_weight":  # burn stores [d_in, d_out]
                fresh = fresh.reshape(t.shape[1], t.shape[0]).T
            t.copy_(fresh.reshape(t.shape))
    return model


def burn_flat(model: nn.Module) -> np.ndarray:
    """Every tensor of ``model`` in burn's ``flatten_params`` order and layout, as float64."""
    tensors = _tensors(model)
    parts = []
    for name, role in model.burn_order():
        t = tensors[name].detach().cpu()
        if role == "linear_weight":
            t = t.T
        parts.append(t.reshape(-1).double().numpy())
    return np.concatenate(parts)


def load_burn_flat(model: nn.Module, theta) -> nn.Module:
    """Writes ``theta``, every tensor in burn's ``flatten_params`` order and layout (as
    ``ghost-paper first-step`` exports it), into ``model`` in place; returns ``model``."""
    theta = np.asarray(theta, dtype=np.float64)
    tensors = _tensors(model)
    at = 0
    with torch.no_grad():
        for name, role in model.burn_order():
            t = tensors[name]
            n = t.numel()
            if at + n > len(theta):
                raise ValueError(f"theta has {len(theta)} values; {name} needs {at + n}")
            part = torch.from_numpy(theta[at : at + n].copy())
            if role == "linear_weight":  # burn stores [d_in, d_out]
                part = part.reshape(t.shape[1], t.shape[0]).T
            t.copy_(part.reshape(t.shape))
            at += n
    if at != len(theta):
        raise ValueError(f"theta has {len(theta)} values; the model has {at}")
    return model
