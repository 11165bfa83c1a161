"""softkit.ghost.torch: the ghost-radius step controller for PyTorch.

Exactness (the JVP against central differences in float64, rho_a against a numpy reference, the
applied update against the inner optimiser's, Adam's moments against an unwrapped Adam), the claim
in reduced form (a one-step x10^4 learning-rate spike on the digits: plain Adam collapses, the
controller does not), and clear errors for bad input. torch is optional for softkit, and a
reference the test environment installs."""

import copy
import math

import numpy as np
import pytest
import torch

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from conftest import data_file  # noqa: E402
from softkit.ghost.torch import GhostOptimizer, GhostRecord, ghost_scale, logit_jvp, snapshot  # noqa: E402



@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Small models run fastest on one thread; the rest of the suite gets its setting back."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ----- small models and helpers -----


def mlp(dtype=torch.float32, seed=0, k=5, bn=True, dropout=True):
    torch.manual_seed(seed)
    layers = [nn.Linear(6, 16), nn.Tanh()]
    if bn:
        layers.append(nn.BatchNorm1d(16))
    if dropout:
        layers.append(nn.Dropout(0.3))
    layers += [nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, k)]
    return nn.Sequential(*layers).to(dtype)


def batch(dtype=torch.float32, n=12, k=5, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 6, generator=g).to(dtype), torch.randint(0, k, (n,), generator=g)


def backward(model, x, y, seed=123):
    """Gradients of the cross-entropy; the seed makes Dropout draw the same mask on every copy."""
    torch.manual_seed(seed)
    model.zero_grad()
    F.cross_entropy(model(x), y).backward()


def twin(model, opt):
    """An independent copy of a model and its optimiser (the optimiser bound to the copy)."""
    return copy.deepcopy((model, opt))


def params(model):
    return [p.detach().clone() for p in model.parameters()]


def ref_rho_a(a, t=1.0):
    spread = (a.max(axis=1) - a.min(axis=1)).max()
    return math.inf if spread < 1e-12 else math.pi * t / spread


def eval_logits(model, flat, x):
    """The model's logits in eval mode at the parameter vector ``flat`` (float64, no graph)."""
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for _, p in model.named_parameters()]
    chunks, i = {}, 0
    for n, s in zip(names, shapes):
        size = int(np.prod(s))
        chunks[n] = flat[i : i + size].reshape(s)
        i += size
    flags = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            return torch.func.functional_call(model, chunks, (x,))
    finally:
        for m, f in flags:
            m.training = f


def controlled_step(model, opt, x, y, **kw):
    """One step of the plain optimiser on a copy and one controlled step on ``model``, on the same
    gradients. Returns (before, plain update, controlled update, record)."""
    ref_model, ref_opt = twin(model, opt)
    before = params(model)
    backward(ref_model, x, y)
    ref_opt.step()
    inner = [a.detach() - b for a, b in zip(ref_model.parameters(), before)]
    records = []
    ghost = GhostOptimizer(opt, model, log=records.append, **kw)
    backward(model, x, y)
    ghost.step(inputs=x)
    applied = [a.detach() - b for a, b in zip(model.parameters(), before)]
    assert len(records) == 1 and ghost.last is records[0]
    return before, inner, applied, records[0]


# ----- exactness -----


def test_jvp_equals_central_difference_float64():
    model = mlp(torch.float64)
    x, y = batch(torch.float64)
    opt = torch.optim.Adam(model.parameters(), lr=0.5)
    before, inner, _, rec = controlled_step(model, opt, x, y)
    assert isinstance(rec, GhostRecord) and rec.a.dtype == np.float64 and rec.a.shape == (12, 5)
    flat0 = torch.cat([b.reshape(-1) for b in before])
    p = torch.cat([d.reshape(-1) for d in inner])
    assert rec.step_norm == pytest.approx(float(p.norm()), rel=1e-12)
    v = p / p.norm()
    h = 1e-5
    fd = (eval_logits(model, flat0 + h * v, x) - eval_logits(model, flat0 - h * v, x)) / (2 * h)
    fd = fd.numpy()
    assert np.linalg.norm(rec.a - fd) <= 1e-6 * np.linalg.norm(fd)
    assert np.abs(rec.a - fd).max() <= 1e-6 * np.abs(fd).max()


def test_logit_jvp_equals_central_difference_in_train_mode_model():
    """The public logit_jvp on a model left in train mode: eval-mode logits, flags restored."""
    model = mlp(torch.float64, seed=3)
    model.train()
    model[2].eval()  # a frozen BatchNorm stays frozen
    x, _ = batch(torch.float64, seed=4)
    pars = dict(model.named_parameters())
    g = torch.Generator().manual_seed(5)
    tang = {n: torch.randn(p.shape, generator=g, dtype=torch.float64) for n, p in pars.items()}
    z, a = logit_jvp(model, pars, tang, x)
    flat0 = torch.cat([p.detach().reshape(-1) for p in pars.values()])
    v = torch.cat([t.reshape(-1) for t in tang.values()])
    h = 1e-5
    fd = (eval_logits(model, flat0 + h * v, x) - eval_logits(model, flat0 - h * v, x)) / (2 * h)
    assert torch.linalg.norm(a - fd) <= 1e-6 * torch.linalg.norm(fd)
    assert torch.equal(z, eval_logits(model, flat0, x))
    assert [m.training for m in model.modules()] == [True, True, True, False, True, True, True, True]


def test_rho_a_and_record_match_numpy_reference():
    model = mlp(torch.float64)
    x, y = batch(torch.float64)
    opt = torch.optim.Adam(model.parameters(), lr=0.5)
    _, inner, _, rec = controlled_step(model, opt, x, y)
    ref = ref_rho_a(rec.a)
    assert rec.rho_a == pytest.approx(ref, rel=1e-12, abs=0)
    assert rec.r_proposed == pytest.approx(rec.step_norm / ref, rel=1e-12)
    assert rec.r_proposed > 1  # lr 0.5 overshoots, so the cap acts
    assert rec.scale == pytest.approx(ref / rec.step_norm, rel=1e-12)
    assert rec.r <= 1.0 and rec.r == pytest.approx(1.0, rel=1e-12)


def test_temperature_scales_the_radius():
    x, y = batch(torch.float64)
    recs = []
    for t in (1.0, 2.5):
        model = mlp(torch.float64)
        opt = torch.optim.Adam(model.parameters(), lr=0.5)
        recs.append(controlled_step(model, opt, x, y, temperature=t)[3])
    assert recs[1].rho_a == pytest.approx(2.5 * recs[0].rho_a, rel=1e-12)
    assert recs[1].rho_a == pytest.approx(ref_rho_a(recs[1].a, 2.5), rel=1e-12)


@pytest.mark.parametrize("lr", [0.5, 1e-4])
def test_applied_update_is_inner_update_times_scale_float32(lr):
    model = mlp(torch.float32)
    x, y = batch(torch.float32)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    _, inner, applied, rec = controlled_step(model, opt, x, y)
    if lr == 0.5:
        assert rec.scale < 0.5
    else:  # inside the radius: the update is left bit for bit as the inner step made it
        assert rec.scale == 1.0 and rec.r == rec.r_proposed < 1
        assert all(torch.equal(a, b) for a, b in zip(applied, inner))
    worst = max(float(d.abs().max()) for d in inner)
    for a, d in zip(applied, inner):
        torch.testing.assert_close(a, rec.scale * d, rtol=0, atol=1e-6 * worst)


def test_adam_moments_match_unwrapped_adam_fed_the_same_gradients():
    model = mlp(torch.float32)
    x, y = batch(torch.float32)
    plain_model, plain = twin(model, torch.optim.Adam(model.parameters(), lr=0.3))
    inner = torch.optim.Adam(model.parameters(), lr=0.3)
    ghost = GhostOptimizer(inner, model)
    scales = []
    for step in range(4):
        backward(model, x, y, seed=step)
        for p, q in zip(plain_model.parameters(), model.parameters()):
            p.grad = q.grad.clone()  # the plain Adam sees exactly the gradients the wrapped one sees
        plain.step()
        ghost.step(inputs=x)
        scales.append(ghost.last.scale)
    assert min(scales) < 1  # the controller did rescale, and the moments still agree
    for p, q in zip(plain_model.parameters(), model.parameters()):
        sp, sq = plain.state[p], inner.state[q]
        assert torch.equal(sp["exp_avg"], sq["exp_avg"])
        assert torch.equal(sp["exp_avg_sq"], sq["exp_avg_sq"])
        assert torch.equal(sp["step"], sq["step"])


def test_param_groups_with_different_learning_rates():
    model = mlp(torch.float32, bn=False, dropout=False)
    x, y = batch(torch.float32)
    first, last = list(model[0].parameters()), [p for m in model[2:] for p in m.parameters()]
    opt = torch.optim.Adam([{"params": first, "lr": 2.0}, {"params": last, "lr": 0.01}])
    _, inner, applied, rec = controlled_step(model, opt, x, y)
    assert rec.scale < 1
    # both groups' updates are rescaled by the one factor, and p is what the inner step did
    def ratio(update):
        return float(update[0].abs().max() / update[-1].abs().max())

    assert ratio(applied) == pytest.approx(ratio(inner), rel=1e-5)
    p = torch.cat([d.reshape(-1) for d in inner])
    assert rec.step_norm == pytest.approx(float(p.norm()), rel=1e-5)
    worst = max(float(d.abs().max()) for d in inner)
    for a, d in zip(applied, inner):
        torch.testing.assert_close(a, rec.scale * d, rtol=0, atol=1e-6 * worst)


def test_frozen_parameters_are_not_moved_or_measured():
    model = mlp(torch.float32, bn=False, dropout=False)
    x, y = batch(torch.float32)
    opt = torch.optim.SGD(list(model[2].parameters()) + list(model[4].parameters()), lr=50.0)
    frozen = params(model[0])
    _, _, _, rec = controlled_step(model, opt, x, y)
    assert rec.scale < 1
    assert all(torch.equal(a, b) for a, b in zip(params(model[0]), frozen))


# ----- modes, the functional form, closures -----


@pytest.mark.parametrize("lr", [0.5, 1e-5])
def test_target_r_mode_sets_r(lr):
    model = mlp(torch.float64)
    x, y = batch(torch.float64)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    _, inner, applied, rec = controlled_step(model, opt, x, y, mode="target_r", r_target=0.5)
    assert rec.r == pytest.approx(0.5, rel=1e-12)
    assert (rec.scale > 1) == (lr == 1e-5)  # a small step grows to the target, a large one shrinks
    for a, d in zip(applied, inner):
        torch.testing.assert_close(a, rec.scale * d, rtol=1e-9, atol=1e-12)


def test_ghost_scale_matches_the_optimizer_and_applies():
    model = mlp(torch.float64)
    x, y = batch(torch.float64)
    opt = torch.optim.Adam(model.parameters(), lr=0.5)
    other_model, other_opt = twin(model, opt)
    _, _, applied, rec = controlled_step(model, opt, x, y)

    before = snapshot(other_model)
    backward(other_model, x, y)
    other_opt.step()
    after = {n: p.detach().clone() for n, p in other_model.named_parameters()}
    measured = ghost_scale(other_model, before, after, x)  # pure: nothing moves
    assert all(torch.equal(p, after[n]) for n, p in other_model.named_parameters())
    assert measured.scale == rec.scale and measured.rho_a == rec.rho_a and measured.r == rec.r
    np.testing.assert_array_equal(measured.a, rec.a)

    again = ghost_scale(other_model, before, None, x, apply=True)
    assert again.scale == rec.scale
    for a, (n, p) in zip(applied, other_model.named_parameters()):
        torch.testing.assert_close(p.detach() - before[n], a, rtol=0, atol=1e-12)


def test_zero_update_is_left_alone():
    model = mlp(torch.float32)
    x, _ = batch(torch.float32)
    rec = ghost_scale(model, snapshot(model), None, x)
    assert (rec.scale, rec.step_norm, rec.r, rec.rho_a, rec.a) == (1.0, 0.0, 0.0, math.inf, None)


def test_closure_and_radius_batch():
    model = mlp(torch.float32, bn=False, dropout=False)
    x, y = batch(torch.float32)
    ghost = GhostOptimizer(torch.optim.SGD(model.parameters(), lr=10.0), model, radius_batch=x)

    def closure():
        ghost.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        return loss

    loss = ghost.step(closure)
    assert torch.is_tensor(loss) and ghost.last.scale < 1
    x2 = x[:4]
    ghost.set_radius_batch(x2)
    ghost.step(closure)
    assert ghost.last.a.shape == (4, 5)


def test_lbfgs_closure_moves_many_times_within_one_step():
    model = mlp(torch.float64, bn=False, dropout=False)
    x, y = batch(torch.float64)
    ref_model = copy.deepcopy(model)
    ref_opt = torch.optim.LBFGS(ref_model.parameters(), lr=5.0, max_iter=4)
    ghost = GhostOptimizer(torch.optim.LBFGS(model.parameters(), lr=5.0, max_iter=4), model)
    before = params(model)

    def closure_for(m, o):
        def closure():
            o.zero_grad()
            loss = F.cross_entropy(m(x), y)
            loss.backward()
            return loss

        return closure

    ref_opt.step(closure_for(ref_model, ref_opt))
    ghost.step(closure_for(model, ghost), inputs=x)
    inner = [a.detach() - b for a, b in zip(ref_model.parameters(), before)]
    applied = [a.detach() - b for a, b in zip(model.parameters(), before)]
    assert ghost.last.scale < 1  # the net update of all four inner iterations is what is capped
    p = torch.cat([d.reshape(-1) for d in inner])
    assert ghost.last.step_norm == pytest.approx(float(p.norm()), rel=1e-9)
    for a, d in zip(applied, inner):
        torch.testing.assert_close(a, ghost.last.scale * d, rtol=1e-9, atol=1e-12)


def test_logits_fn_and_state_dict_round_trip():
    model = mlp(torch.float32, bn=False, dropout=False)
    x, y = batch(torch.float32)
    ghost = GhostOptimizer(
        torch.optim.Adam(model.parameters(), lr=1.0), model, logits_fn=lambda m, inp: m(inp["x"])
    )
    backward(model, x, y)
    ghost.step(inputs={"x": x})
    assert ghost.last.a.shape == (12, 5) and ghost.last.r <= 1
    state = ghost.state_dict()
    ghost.load_state_dict(state)
    assert ghost.param_groups is ghost.optimizer.param_groups and len(ghost.state) == 6


def test_transformer_layer_fast_path_is_bypassed_and_restored():
    torch.manual_seed(0)
    enc = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.1, batch_first=True)
    model = nn.Sequential(enc, nn.Flatten(), nn.Linear(16 * 5, 3))
    x = torch.randn(4, 5, 16)
    y = torch.randint(0, 3, (4,))
    ghost = GhostOptimizer(torch.optim.Adam(model.parameters(), lr=1.0), model)
    backward(model, x, y)
    ghost.step(inputs=x)
    assert ghost.last.r <= 1 and model.training and enc.training
    assert torch.backends.mha.get_fastpath_enabled()


# ----- bad input -----


def stepped(model, logits_fn, x, y):
    ghost = GhostOptimizer(torch.optim.Adam(model.parameters(), lr=0.1), model, logits_fn=logits_fn)
    backward(model, x, y)
    return ghost


@pytest.mark.parametrize(
    "logits_fn, message",
    [
        (lambda m, x: m(x).reshape(-1), "must return \\(B, K\\) logits"),
        (lambda m, x: m(x)[:, :, None], "must return \\(B, K\\) logits"),
        (lambda m, x: m(x)[:-1], "11 rows of logits for a batch of 12"),
        (lambda m, x: m(x)[:, :0], "empty"),
        (lambda m, x: m(x) + float("nan"), "non-finite logits"),
        (lambda m, x: m(x) * float("inf"), "non-finite logits"),
    ],
)
def test_bad_logits_raise_and_leave_the_parameters_at_the_snapshot(logits_fn, message):
    model = mlp(torch.float32)
    x, y = batch(torch.float32)
    ghost = stepped(model, logits_fn, x, y)
    before = params(model)
    with pytest.raises(ValueError, match=message):
        ghost.step(inputs=x)
    assert all(torch.equal(a, b) for a, b in zip(params(model), before))


def test_logits_that_are_not_a_tensor_raise_type_error():
    model = mlp(torch.float32)
    x, y = batch(torch.float32)
    with pytest.raises(TypeError, match="must return a tensor"):
        stepped(model, lambda m, x: (m(x), m(x)), x, y).step(inputs=x)


def test_non_finite_update_raises_and_restores():
    model = mlp(torch.float32)
    x, y = batch(torch.float32)
    ghost = stepped(model, None, x, y)
    next(model.parameters()).grad[0, 0] = float("nan")
    before = params(model)
    with pytest.raises(ValueError, match="update is not finite"):
        ghost.step(inputs=x)
    assert all(torch.equal(a, b) for a, b in zip(params(model), before))


def test_optimizer_without_parameters():
    model = mlp()
    with pytest.raises(ValueError, match="no parameters"):
        GhostOptimizer(torch.optim.Adam([{"params": []}]), model)


def test_optimizer_parameter_outside_the_model():
    model = mlp()
    stray = nn.Parameter(torch.zeros(3))
    with pytest.raises(ValueError, match="not a parameter of the model"):
        GhostOptimizer(torch.optim.Adam(list(model.parameters()) + [stray]), model)


def test_missing_radius_batch():
    model = mlp()
    x, y = batch()
    ghost = stepped(model, None, x, y)
    with pytest.raises(ValueError, match="no radius batch"):
        ghost.step()


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"mode": "clip"}, "mode must be one of"),
        ({"mode": "target_r", "r_target": 1.5}, "r_target must lie in"),
        ({"r_target": 0.0}, "r_target must lie in"),
        ({"r_target": float("nan")}, "r_target must lie in"),
        ({"temperature": 0.0}, "temperature must be positive"),
        ({"temperature": float("inf")}, "temperature must be positive"),
    ],
)
def test_bad_options(kw, message):
    model = mlp()
    with pytest.raises(ValueError, match=message):
        GhostOptimizer(torch.optim.Adam(model.parameters()), model, **kw)


def test_bad_types():
    model = mlp()
    with pytest.raises(TypeError, match="must be a torch.nn.Module"):
        GhostOptimizer(torch.optim.Adam(model.parameters()), lambda x: x)
    with pytest.raises(TypeError, match="torch.optim optimizer"):
        GhostOptimizer(object(), model)


def test_ghost_scale_bad_names():
    model = mlp()
    x, _ = batch()
    before = snapshot(model)
    with pytest.raises(ValueError, match="same names"):
        ghost_scale(model, before, {"0.weight": before["0.weight"]}, x)
    with pytest.raises(ValueError, match="not a parameter of the model"):
        ghost_scale(model, {"nope": torch.zeros(1)}, {"nope": torch.zeros(1)}, x)
    with pytest.raises(ValueError, match="empty"):
        ghost_scale(model, {}, {}, x)


# ----- BatchNorm and Dropout -----


def test_batchnorm_dropout_eval_jvp_restores_flags_and_buffers():
    model = mlp(torch.float64)
    model.train()
    model[2].eval()  # a frozen BatchNorm
    flags = [m.training for m in model.modules()]
    x, y = batch(torch.float64)
    ghost = GhostOptimizer(torch.optim.Adam(model.parameters(), lr=0.5), model)
    backward(model, x, y)
    buffers = {n: b.clone() for n, b in model.named_buffers()}
    ghost.step(inputs=x)
    assert ghost.last.scale < 1
    assert [m.training for m in model.modules()] == flags
    assert all(torch.equal(b, buffers[n]) for n, b in model.named_buffers())
    before = snapshot(model)
    after = {n: t + 0.1 for n, t in before.items()}
    one = ghost_scale(model, before, after, x)  # deterministic: Dropout off, BatchNorm running stats
    two = ghost_scale(model, before, after, x)
    np.testing.assert_array_equal(one.a, two.a)
    assert [m.training for m in model.modules()] == flags


# ----- the claim, reduced: a one-step x10^4 learning-rate spike on the digits -----


def load_digits():
    rows = np.loadtxt(data_file("digits", "digits.csv.gz"), delimiter=",")
    x = torch.tensor(rows[:, :64] / 16.0, dtype=torch.float32)
    y = torch.tensor(rows[:, 64], dtype=torch.long)
    return x, y


def test_learning_rate_spike_plain_adam_collapses_controller_survives():
    x, y = load_digits()
    assert x.shape == (1797, 64)
    g = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(x), generator=g)
    train, test = perm[:1400], perm[1400:]
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)

    def minibatch(gen):
        idx = train[torch.randint(0, len(train), (128,), generator=gen)]
        return x[idx], y[idx]

    for _ in range(150):
        xb, yb = minibatch(g)
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()

    def evaluate(m):
        with torch.no_grad():
            z = m(x[test])
        return F.cross_entropy(z, y[test]).item(), (z.argmax(1) == y[test]).float().mean().item()

    pre_loss, pre_acc = evaluate(model)
    assert pre_acc > 0.93
    spike_batch = minibatch(g)
    results = {}
    for name in ("plain", "ghost"):
        m, o = twin(model, opt)
        records = []
        if name == "ghost":
            o = GhostOptimizer(o, m, log=records.append)

        def train_step(xb, yb):
            o.zero_grad()
            F.cross_entropy(m(xb), yb).backward()
            o.step(inputs=xb) if name == "ghost" else o.step()

        for group in o.param_groups:
            group["lr"] *= 1e4
        train_step(*spike_batch)
        for group in o.param_groups:
            group["lr"] /= 1e4
        after_spike = evaluate(m)
        g2 = torch.Generator().manual_seed(1)
        for _ in range(20):
            train_step(*minibatch(g2))
        results[name] = (after_spike, evaluate(m), records)

    (plain_loss, plain_acc), (plain_loss20, plain_acc20), _ = results["plain"]
    (ghost_loss, ghost_acc), (ghost_loss20, ghost_acc20), records = results["ghost"]
    # plain Adam: the spike wrecks the network, and 20 normal steps do not bring it back
    assert plain_acc < 0.3 and plain_loss > 50 * pre_loss
    assert plain_acc20 < 0.5
    # the controller: the spike step is cut to the radius; accuracy stays near its pre-spike value
    assert records[0].r_proposed > 100 and records[0].scale < 1e-2
    assert ghost_acc > pre_acc - 0.03 and ghost_loss < 2 * pre_loss
    assert ghost_acc20 > pre_acc - 0.02
    assert len(records) == 21 and max(r.r for r in records) <= 1.0
