"""softkit.ghost against plain numpy references: the closed forms, the numeric nearest zero (checked
against the roots of a polynomial), invariances, and clear errors for bad input."""

import math

import numpy as np
import pytest

from softkit import ghost

PI = math.pi
MIN_DELTA = 1e-12


# ----- references, written plainly -----


def ref_delta_a(a):
    return a.max(axis=1) - a.min(axis=1)


def ref_rho_a(a, t=1.0):
    worst = ref_delta_a(a).max()
    return math.inf if worst < MIN_DELTA else PI * t / worst


def ref_pair(dz, da):
    da = np.abs(da)
    with np.errstate(divide="ignore"):
        return np.where(da < MIN_DELTA, np.inf, np.sqrt(dz**2 + PI**2) / da)


def ref_rho_binary(z, a):
    return ref_pair(z[:, 0] - z[:, 1], a[:, 0] - a[:, 1])


def ref_rho_top2(z, a, labels):
    b, k = z.shape
    out = np.full(b, np.inf)
    for i in range(b):
        y = labels[i]
        if k == 1:
            continue
        masked = z[i].copy()
        masked[y] = -np.inf
        c = int(np.argmax(masked))  # first maximum: the lower index on ties
        out[i] = ref_pair(z[i, y] - z[i, c], a[i, y] - a[i, c])
    return out


def ref_scale(step, rho, r_target=None):
    if r_target is None:
        return 1.0 if step <= rho else rho / step
    if step == 0 or rho == math.inf:
        return 1.0
    return r_target * rho / step


def ref_nearest_zero_integer_rates(z, a):
    """With integer rates, F(tau) = sum_k exp(z_k) w**(a_k - min a) is a polynomial in w = e**tau.

    Each root w_j gives the zeros tau = log|w_j| + i (arg w_j + 2 pi m); the nearest to 0 over all
    j and m is the radius.
    """
    powers = (a - a.min()).astype(int)
    degree = powers.max()
    if degree == 0:
        return math.inf
    coeffs = np.zeros(degree + 1)
    for p, zk in zip(powers, z):
        coeffs[degree - p] += math.exp(zk)  # np.roots wants the highest power first
    best = math.inf
    for w in np.roots(coeffs):
        for m in (-1, 0, 1):
            best = min(best, abs(complex(math.log(abs(w)), np.angle(w) + 2 * PI * m)))
    return best


# ----- closed forms against the references -----


@pytest.mark.parametrize("k", [1, 2, 3, 10, 257])
def test_delta_a_and_rho_a(k):
    rng = np.random.default_rng(k)
    a = rng.normal(size=(64, k)) * rng.uniform(0.01, 10, size=(64, 1))
    np.testing.assert_allclose(ghost.delta_a(a), ref_delta_a(a), rtol=1e-12, atol=0)
    assert ghost.delta_a(a).dtype == np.float64 and ghost.delta_a(a).shape == (64,)
    for t in (1.0, 0.25, 7.0):
        want = ref_rho_a(a, t)
        got = ghost.rho_a(a, temperature=t)
        assert isinstance(got, float)
        if math.isinf(want):
            assert got == math.inf
        else:
            assert got == pytest.approx(want, rel=1e-12)


def test_rho_a_is_infinite_without_spread():
    assert ghost.rho_a(np.full((3, 4), 2.5)) == math.inf
    assert ghost.rho_a(np.array([[0.0, 0.5e-12]])) == math.inf
    assert ghost.rho_a(np.array([[0.0, 1e-12]])) == pytest.approx(PI / 1e-12, rel=1e-15)


def test_rho_binary():
    rng = np.random.default_rng(1)
    z = rng.normal(scale=4, size=(500, 2))
    a = rng.normal(size=(500, 2))
    a[:5, 1] = a[:5, 0]  # equal rates: no zero
    got = ghost.rho_binary(z, a)
    want = ref_rho_binary(z, a)
    assert got.dtype == np.float64 and got.shape == (500,)
    assert np.isinf(got[:5]).all()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


@pytest.mark.parametrize("k", [1, 2, 3, 7, 40])
def test_rho_top2(k):
    rng = np.random.default_rng(100 + k)
    z = rng.normal(scale=3, size=(300, k))
    a = rng.normal(size=(300, k))
    labels = rng.integers(0, k, size=300)
    np.testing.assert_allclose(ghost.rho_top2(z, a, labels), ref_rho_top2(z, a, labels), rtol=1e-12, atol=0)


def test_rho_top2_ties_and_label_as_top():
    # Integer-valued logits force many ties among the rivals (and between label and rival).
    rng = np.random.default_rng(7)
    z = rng.integers(-2, 3, size=(400, 5)).astype(np.float64)
    a = rng.normal(size=(400, 5))
    labels = rng.integers(0, 5, size=400)
    np.testing.assert_allclose(ghost.rho_top2(z, a, labels), ref_rho_top2(z, a, labels), rtol=1e-12, atol=0)
    # Label 0 against rivals 1 and 2 tied at z = 1: the lower index (1) is the rival.
    r = ghost.rho_top2([[0.0, 1.0, 1.0]], [[0.0, 1.0, 3.0]], [0])
    assert r[0] == pytest.approx(math.hypot(1.0, PI) / 1.0, rel=1e-15)


def test_scale():
    rng = np.random.default_rng(3)
    steps = np.concatenate([rng.exponential(size=500), [0.0, 1.0, 2.0]])
    rhos = np.concatenate([rng.exponential(size=500), [1.0, 1.0, math.inf]])
    for step, rho in zip(steps.tolist(), rhos.tolist()):
        s = ghost.scale(step, rho)
        assert isinstance(s, float)
        assert s == pytest.approx(ref_scale(step, rho), rel=1e-12)
        assert 0 < s <= 1
        assert s * step <= rho  # in floating point, not just in exact arithmetic
        for r in (0.3, 1.0, 2.5):
            assert ghost.scale(step, rho, r_target=r) == pytest.approx(ref_scale(step, rho, r), rel=1e-12)
    assert ghost.scale(0.0, 0.5) == 1.0
    assert ghost.scale(0.0, 0.5, r_target=0.5) == 1.0
    assert ghost.scale(3.0, math.inf, r_target=0.5) == 1.0
    assert ghost.scale(4.0, 2.0, 0.5) == 0.25


# ----- the numeric nearest zero against an independent reference -----


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_nearest_zero_matches_polynomial_roots(k):
    rng = np.random.default_rng(1000 + k)
    cases = 60
    z = rng.uniform(-3, 3, size=(cases, k))
    a = rng.integers(-3, 4, size=(cases, k)).astype(np.float64)
    a[:, 0] = a[:, 1] + rng.choice([-2, -1, 1, 2], size=cases)  # at least some spread in every row
    got = ghost.nearest_zero(z, a)
    want = np.array([ref_nearest_zero_integer_rates(z[i], a[i]) for i in range(cases)])
    assert np.isfinite(want).all()
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=0)


def test_nearest_zero_binary_is_rho_binary():
    rng = np.random.default_rng(11)
    z = rng.normal(scale=5, size=(200, 2))
    a = rng.normal(size=(200, 2))
    np.testing.assert_allclose(ghost.nearest_zero(z, a), ref_rho_binary(z, a), rtol=1e-9, atol=0)


def test_nearest_zero_known_values_and_no_spread():
    # sum_{j<k} w**j vanishes at the other k-th roots of unity: radius 2 pi / k.
    for k in range(2, 8):
        r = ghost.nearest_zero(np.zeros((1, k)), np.arange(k, dtype=np.float64)[None, :])
        assert r[0] == pytest.approx(2 * PI / k, rel=1e-10)
    r = ghost.nearest_zero([[0.0, 1.0], [3.0, 3.0]], [[2.0, 2.0], [5.0, 5.0]])
    assert np.isinf(r).all()
    assert ghost.nearest_zero([[1.0], [2.0]], [[3.0], [4.0]]).tolist() == [math.inf, math.inf]


# ----- invariances -----


def test_rho_a_invariances():
    rng = np.random.default_rng(5)
    a = rng.normal(size=(50, 6))
    rho = ghost.rho_a(a)
    assert ghost.rho_a(-a) == rho
    shifted = a + rng.uniform(-10, 10, size=(50, 1))
    assert ghost.rho_a(shifted) == pytest.approx(rho, rel=1e-12)
    np.testing.assert_allclose(ghost.delta_a(shifted), ghost.delta_a(a), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("k", [2, 3, 6])
def test_rho_a_never_exceeds_nearest_zero(k):
    rng = np.random.default_rng(20 + k)
    z = rng.normal(scale=2, size=(100, k))
    a = rng.normal(size=(100, k))
    # Per sample: each row alone as a batch, and the batch bound below every sample.
    near = ghost.nearest_zero(z, a)
    assert (ghost.rho_a(a) <= near).all()
    per_row = np.array([ghost.rho_a(a[i : i + 1]) for i in range(100)])
    assert (per_row <= near * (1 + 1e-12)).all()


def test_scale_keeps_the_step_inside_the_bound():
    rng = np.random.default_rng(9)
    a = rng.normal(size=(32, 10))
    rho = ghost.rho_a(a)
    for step in rng.exponential(scale=3 * rho, size=200).tolist():
        assert ghost.scale(step, rho) * step <= rho


# ----- dtypes, layouts, immutability -----


def test_float32_matches_float64_and_inputs_are_unchanged():
    rng = np.random.default_rng(4)
    z32 = rng.normal(size=(40, 4)).astype(np.float32)
    a32 = rng.normal(size=(40, 4)).astype(np.float32)
    labels = rng.integers(0, 4, size=40)
    z64, a64 = z32.astype(np.float64), a32.astype(np.float64)
    copies = [x.copy() for x in (z32, a32, labels)]

    # float32 values widen exactly, so the results equal those on their float64 copies.
    assert ghost.delta_a(a32).dtype == np.float64
    np.testing.assert_array_equal(ghost.delta_a(a32), ghost.delta_a(a64))
    assert ghost.rho_a(a32) == ghost.rho_a(a64)
    np.testing.assert_array_equal(ghost.rho_top2(z32, a32, labels), ghost.rho_top2(z64, a64, labels))
    np.testing.assert_array_equal(ghost.nearest_zero(z32, a32), ghost.nearest_zero(z64, a64))
    np.testing.assert_array_equal(ghost.rho_binary(z32[:, :2], a32[:, :2]), ghost.rho_binary(z64[:, :2], a64[:, :2]))
    for x, c in zip((z32, a32, labels), copies):
        np.testing.assert_array_equal(x, c)
        assert x.dtype == c.dtype


def test_layouts_and_conversions_agree():
    rng = np.random.default_rng(6)
    z = rng.normal(size=(12, 5))
    a = rng.normal(size=(12, 5))
    labels = rng.integers(0, 5, size=12)
    want = ghost.rho_top2(z, a, labels)
    wide_z, wide_a = np.concatenate([z, z], 1), np.concatenate([a, a], 1)
    variants = [
        (np.asfortranarray(z), np.asfortranarray(a), labels),
        (wide_z[:, :5], wide_a[:, :5], labels),  # strided views
        (z.tolist(), a.tolist(), labels.tolist()),
        (z, a, labels.astype(np.int32)),
        (z, a, labels.astype(np.uint8)),
    ]
    for zz, aa, ll in variants:
        np.testing.assert_array_equal(ghost.rho_top2(zz, aa, ll), want)
    np.testing.assert_array_equal(ghost.delta_a(np.asfortranarray(a)), ghost.delta_a(a))
    np.testing.assert_array_equal(ghost.nearest_zero(z[::2], a[::2]), ghost.nearest_zero(z, a)[::2])
    # Integer arrays are converted to float64.
    ints = np.array([[0, 3, -1], [2, 2, 2]])
    assert ghost.delta_a(ints).tolist() == [4.0, 0.0]
    assert ghost.rho_a(ints) == PI / 4


def test_many_threads_share_the_module():
    import threading

    rng = np.random.default_rng(8)
    z = rng.normal(size=(200, 4))
    a = rng.normal(size=(200, 4))
    want = ghost.nearest_zero(z, a)
    results = []

    def work():
        results.append(ghost.nearest_zero(z, a))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    for r in results:
        np.testing.assert_array_equal(r, want)


# ----- bad input: ValueError / TypeError naming the argument, never a RuntimeError -----

Z = np.array([[0.5, -1.0, 2.0], [0.0, 0.0, 1.0]])
A = np.array([[0.1, 0.2, -0.3], [1.0, -1.0, 0.0]])
LABELS = np.array([2, 0])


def _with(x, index, value):
    x = x.copy()
    x[index] = value
    return x


def _raises(kind, match, fn, *args, **kwargs):
    with pytest.raises(kind, match=match) as info:
        fn(*args, **kwargs)
    assert not isinstance(info.value, RuntimeError)
    return str(info.value)


def _two_classes(x):
    x = np.asarray(x)
    return x[:, :2] if x.ndim == 2 else x


PAIR_FUNCTIONS = [
    ("rho_top2", lambda z, a: ghost.rho_top2(z, a, np.zeros(len(np.asarray(z)), dtype=np.int64))),
    ("nearest_zero", ghost.nearest_zero),
    ("rho_binary", lambda z, a: ghost.rho_binary(_two_classes(z), _two_classes(a))),
]


@pytest.mark.parametrize("name,fn", PAIR_FUNCTIONS)
def test_bad_pairs(name, fn):
    _raises(ValueError, r"a\[1, 0\] = NaN is not finite", fn, Z, _with(A, (1, 0), np.nan))
    _raises(ValueError, r"z\[0, 1\] = NaN is not finite", fn, _with(Z, (0, 1), np.nan), A)
    _raises(ValueError, r"z\[1, 0\] = inf is not finite", fn, _with(Z, (1, 0), np.inf), A)
    _raises(ValueError, r"z is empty", fn, Z[:0], A[:0])
    _raises(ValueError, r"^a has shape \(1, 3\) but z has shape \(2, 3\)" if name != "rho_binary" else r"^a has shape",
            fn, Z, A[:1])
    _raises(ValueError, r"^z must have shape \(B, K\), got \(3,\)", fn, Z[0], A)
    _raises(ValueError, r"^a must have shape \(B, K\), got \(3,\)", fn, Z, A[0])
    _raises(ValueError, r"^a must have shape \(B, K\), got \(1, 2, 3\)", fn, Z, A[None])
    _raises(TypeError, r"z has dtype float32 but a has dtype float64", fn, Z.astype(np.float32), A)
    _raises(TypeError, r"^a must be a float32 or float64 array, got dtype complex128", fn, Z, A.astype(complex))
    _raises(TypeError, r"^z must be a float32 or float64 array, got dtype <U", fn, [["x", "y", "z"]], A)


def test_mismatched_shapes_with_equal_sizes():
    # Same number of elements, different shapes: not silently reinterpreted.
    z, a = np.zeros((2, 3)), np.ones((3, 2))
    for fn in (ghost.nearest_zero, lambda z, a: ghost.rho_top2(z, a, [0, 0])):
        _raises(ValueError, r"a has shape \(3, 2\) but z has shape \(2, 3\)", fn, z, a)
    _raises(ValueError, r"z has shape \(2, 3\): rho_binary needs two classes", ghost.rho_binary, z, z)


def test_bad_single_arrays():
    for fn in (ghost.delta_a, ghost.rho_a):
        _raises(ValueError, r"a\[1, 2\] = NaN is not finite", fn, _with(A, (1, 2), np.nan))
        _raises(ValueError, r"a is empty", fn, np.zeros((0, 3)))
        _raises(ValueError, r"a has shape \(2, 0\): each row needs at least one class", fn, np.zeros((2, 0)))
        _raises(ValueError, r"a must have shape \(B, K\), got \(3,\)", fn, A[0])
        _raises(ValueError, r"a must have shape \(B, K\), got \(\)", fn, 1.0)
        _raises(TypeError, r"a must be a float32 or float64 array", fn, np.array([["a", "b"]]))
    _raises(ValueError, r"z has shape \(2, 0\)", ghost.nearest_zero, np.zeros((2, 0)), np.zeros((2, 0)))


def test_bad_labels():
    _raises(ValueError, r"labels\[1\] = 3 is out of range for k = 3", ghost.rho_top2, Z, A, [0, 3])
    _raises(ValueError, r"labels\[0\] = -1 is out of range for k = 3", ghost.rho_top2, Z, A, [-1, 0])
    _raises(ValueError, r"labels has length 3, expected 2", ghost.rho_top2, Z, A, [0, 1, 2])
    _raises(ValueError, r"labels has length 1, expected 2", ghost.rho_top2, Z, A, [0])
    _raises(ValueError, r"labels must have shape \(B,\)", ghost.rho_top2, Z, A, [[0, 1]])
    _raises(ValueError, r"labels\[0\] = 18446744073709551615 is out of range", ghost.rho_top2, Z, A,
            np.array([2**64 - 1, 0], dtype=np.uint64))
    _raises(TypeError, r"labels must be an integer array, got dtype float64", ghost.rho_top2, Z, A, [0.0, 1.0])
    _raises(TypeError, r"labels must be an integer array, got dtype bool", ghost.rho_top2, Z, A, [True, False])


def test_bad_scalars():
    for t in (0.0, -1.0, math.nan, math.inf):
        _raises(ValueError, r"^temperature = .* is invalid", ghost.rho_a, A, temperature=t)
    _raises(TypeError, r"^temperature must be a real number, got str", ghost.rho_a, A, temperature="2")
    for step in (-1.0, math.nan, math.inf):
        _raises(ValueError, r"^step_norm = .* is invalid", ghost.scale, step, 1.0)
    for rho in (-1.0, math.nan, 0.0):
        _raises(ValueError, r"^rho = .* is invalid", ghost.scale, 1.0, rho)
    for r in (0.0, -0.5, math.nan, math.inf):
        _raises(ValueError, r"^r_target = .* is invalid", ghost.scale, 1.0, 2.0, r_target=r)
    _raises(TypeError, r"^step_norm must be a real number, got str", ghost.scale, "1", 1.0)
    _raises(TypeError, r"^rho must be a real number, got NoneType", ghost.scale, 1.0, None)
    _raises(TypeError, r"^r_target must be a real number, got list", ghost.scale, 1.0, 1.0, [0.5, 1.0])
    # numpy scalars are real numbers.
    assert ghost.scale(np.float32(4.0), np.float64(2.0)) == 0.5


def test_exported():
    import softkit

    assert softkit.ghost is ghost
    assert sorted(ghost.__all__) == sorted(["delta_a", "rho_a", "rho_binary", "rho_top2", "nearest_zero", "scale"])
    for name in ghost.__all__:
        assert getattr(ghost, name).__doc__
