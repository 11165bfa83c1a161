"""The PyTorch ghost-paper experiments (``experiments/ghost-paper/torch``) in reduced form.

One seed and 70 steps (20 after the spike): the one-step x10^4
learning-rate spike at step 50 on MLP+LayerNorm, the transformer block and CNN+BatchNorm, and the
sustained x1000 spike on the MLP, run once through the command line; the paper's qualitative
claims are asserted with margins. Also: the ported generator, splits and seeded initial weights
that make the runs mirror burn's, and the agreement of the two stacks' controllers at the first
step (burn's ``ghost-paper first-step`` exports its weights and radius; PyTorch loads the weights
and must measure the same radius).
"""

import json
import math
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from conftest import REPO, data_file  # noqa: E402

sys.path.insert(0, str(REPO / "experiments" / "ghost-paper" / "torch"))

import run as ghost_run  # noqa: E402
from ghostpaper_torch import data as gdata  # noqa: E402
from ghostpaper_torch import models as gmodels  # noqa: E402
from ghostpaper_torch import train as gtrain  # noqa: E402

STEPS = 70


@pytest.fixture(scope="module")
def spike_rows(tmp_path_factory):
    """One reduced ``run.py spike`` (both experiments), its rows and its output folder."""
    out = tmp_path_factory.mktemp("torch-spike")
    digits = data_file("digits", "digits.csv.gz")
    argv = ["spike", "--out", str(out), "--data", str(digits), "--seeds", "1", "--steps", str(STEPS),
            "--spikes", "10000", "--base-lrs", "1e-2", "--quiet"]
    assert ghost_run.main(argv) == 0
    return json.loads((out / "results.json").read_text()), out


def single(rows, experiment, model, method):
    found = [r for r in rows if (r["experiment"], r["model"], r["method"]) == (experiment, model, method)]
    assert len(found) == 1, (experiment, model, method)
    return found[0]


def test_the_command_writes_rows_and_drawn_plots(spike_rows):
    rows, out = spike_rows
    assert len(rows) == 3 + 3 * 3
    for row in rows:
        for key in ("experiment", "model", "method", "base_lr", "spike", "seed", "final_test_acc",
                    "final_loss", "max_r", "first_rho_a", "test_acc_curve"):
            assert key in row, (key, row)
        # Every 10 steps from step 0, and after the last.
        assert len(row["test_acc_curve"]) == STEPS // 10 + 1
    for plot in ("lr_spike.png", "one_step_spike.png"):
        data = (out / plot).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 10_000, plot


@pytest.mark.parametrize("model", ["mlp_ln", "transformer", "cnn_bn"])
def test_one_step_spike_the_controller_survives_where_plain_adam_and_clipping_fall(spike_rows, model):
    rows, _ = spike_rows
    run = {m: single(rows, "one_step_spike", model, m) for m in ("plain", "clip", "ghost")}
    ghost, plain, clip = (run[m]["final_test_acc"] for m in ("ghost", "plain", "clip"))
    # All three have learnt before the spike (the curve's sixth point is step 50).
    assert all(run[m]["test_acc_curve"][5] > 0.7 for m in run), [run[m]["test_acc_curve"] for m in run]
    # The controller keeps what it had learnt at the spike (and goes on learning); plain Adam and
    # clipping lose it.
    assert ghost > 0.8 and ghost >= run["ghost"]["test_acc_curve"][5] - 0.02, f"{model}: ghost {ghost}"
    assert plain < 0.6 and clip < 0.75, f"{model}: plain {plain}, clip {clip}"
    assert ghost - max(plain, clip) > 0.2
    assert run["ghost"]["final_loss"] < 1.0
    # The controller never steps past the radius; the baselines' spike step is far past it.
    assert run["ghost"]["max_r"] <= 1.0 + 1e-9
    assert run["plain"]["max_r"] > 100 and run["clip"]["max_r"] > 100


def test_sustained_spike_plain_adam_collapses_the_controller_keeps_learning(spike_rows):
    rows, _ = spike_rows
    plain = single(rows, "lr_spike", "mlp", "plain")
    ghost = single(rows, "lr_spike", "mlp", "ghost")
    assert plain["final_test_acc"] < 0.3, plain["final_test_acc"]
    assert ghost["final_test_acc"] > 0.85, ghost["final_test_acc"]
    assert plain["max_r"] > 10 and ghost["max_r"] <= 1.0 + 1e-9


def test_splitmix64_matches_the_workspace_generator():
    # softkit_sim::Rng::new(0): SplitMix64's published first outputs for seed 0.
    rng = gdata.Rng(0)
    assert [rng.next_u64() for _ in range(3)] == [
        0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F,
    ]
    items = list(range(10))
    gdata.Rng(5).shuffle(items)
    assert sorted(items) == list(range(10)) and items != list(range(10))


def test_splits_and_batches_as_burn_makes_them():
    _, labels = gdata.load_digits(data_file("digits", "digits.csv.gz"))
    train, test = gdata.stratified(list(labels), 3)
    assert (len(train), len(test)) == (1438, 359)
    assert sorted(train + test) == list(range(1797))
    for c in range(10):
        total = int((labels == c).sum())
        assert abs(sum(labels[r] == c for r in test) - 0.2 * total) <= 1.0
    assert gdata.stratified(list(labels), 3) == (train, test) != gdata.stratified(list(labels), 4)
    train, test = gdata.head(1797)
    assert (len(test), test[-1], train[0]) == (359, 358, 359)
    batches = gdata.Batches(10, 4, 1)
    epoch = batches.next() + batches.next()
    assert len(set(epoch)) == 8 and gdata.Batches(10, None, 1).next() is None


@pytest.mark.parametrize("kind", gmodels.MODELS)
def test_seeded_networks_are_reproducible_and_bounded_by_fan_in(kind):
    one, two, other = gmodels.build(kind, 7), gmodels.build(kind, 7), gmodels.build(kind, 8)
    if kind == "cnn_bn":  # before any forward pass in training mode moves them
        assert float(one.norm1.running_var.min()) == 1.0 and float(one.norm1.running_mean.abs().max()) == 0.0
    np.testing.assert_array_equal(gmodels.burn_flat(one), gmodels.burn_flat(two))
    assert not np.array_equal(gmodels.burn_flat(one), gmodels.burn_flat(other))
    assert one(torch.zeros(3, 64)).shape == (3, 10)
    for name, p in one.named_parameters():
        if name.endswith("weight") and p.ndim >= 2:
            fan_in = math.prod(p.shape[1:])
            assert p.abs().max() <= 1 / math.sqrt(fan_in) + 1e-7, name
            assert p.abs().max() > 0.5 / math.sqrt(fan_in), name


@pytest.fixture(scope="module")
def burn_first_steps(tmp_path_factory):
    """``ghost-paper first-step`` (the binary that ``cargo test`` built beside ``softkit``): each
    network's seeded weights and the radius of its first Adam step, in float64."""
    softkit = pathlib.Path(os.environ.get("SOFTKIT_BIN", REPO / "target" / "debug" / "softkit"))
    binary = softkit.with_name("ghost-paper")
    if not binary.exists():
        pytest.fail(f"ghost-paper binary missing at {binary}: run the README's test command, which builds it")
    out = tmp_path_factory.mktemp("first-step") / "first_step.json"
    digits = data_file("digits", "digits.csv.gz")
    done = subprocess.run([str(binary), "first-step", "--data", str(digits), "--out", str(out), "--seeds", "2"],
                          capture_output=True, text=True, env={k: v for k, v in os.environ.items() if k != "SOFTKIT_DIGITS"})
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())


def test_both_stacks_start_from_the_same_weights_and_measure_the_same_first_radius(burn_first_steps):
    pixels, labels = gdata.load_digits(data_file("digits", "digits.csv.gz"))
    data = gtrain.SplitData(pixels, labels, *gdata.head(len(labels)))
    assert sorted({(r["model"], r["seed"]) for r in burn_first_steps}) == [
        (m, s) for m in ("cnn_bn", "mlp_ln", "transformer") for s in (0, 1)
    ]
    for row in burn_first_steps:
        kind, seed = row["model"], row["seed"]
        # The ported SplitMix64 draws burn's initial weights exactly.
        np.testing.assert_array_equal(gmodels.burn_flat(gmodels.build(kind, seed)), row["theta"], err_msg=kind)
        # Burn's exported weights, loaded into PyTorch: the same first Adam step and the same radius.
        model = gmodels.load_burn_flat(gmodels.build(kind, seed + 100), row["theta"])
        rec = gtrain.first_step(model, data, lr=row["lr"])
        # burn keeps Adam's hyperparameters in float32: ||p|| differs by about 2e-8.
        assert rec.step_norm == pytest.approx(row["step_norm"], rel=1e-6), kind
        assert rec.rho_a == pytest.approx(row["rho_a"], rel=1e-5), (kind, seed, rec.rho_a, row["rho_a"])
        assert 0.0 < rec.rho_a < math.inf and rec.r <= 1.0
