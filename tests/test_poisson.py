"""``gennrand_poisson(lambda)`` (an extension of GeNN's random functions) and the PoissonExp current source
that draws with it.

Below lambda = 10 the count is an inversion of one 32-bit draw (checked number for number against the numpy
reference); from 10 it is Hoermann's transformed rejection (checked by its distribution).
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import build_load, discrete_fit_pvalue, make_model
from scipy import stats

from genn_neuromod import create_neuron_model
from genn_neuromod.rng import philox


def _counts(tmp_path, lam_code: str, n: int, steps: int, lam_values=None, seed: int = 77):
    """``n`` neurons each drawing ``gennrand_poisson(lam_code)`` once per step, for ``steps`` steps."""
    model_vars = [("k", "unsigned int")] + ([("lam", "scalar")] if lam_values is not None else [])
    drawer = create_neuron_model("Drawer", vars=model_vars, sim_code=f"k = gennrand_poisson({lam_code});")
    model = make_model("poisson", "double", seed=seed)
    init = {"k": 0} | ({"lam": lam_values} if lam_values is not None else {})
    pop = model.add_neuron_population("Draws", n, drawer, {}, init)
    build_load(model, tmp_path)
    out = np.empty((steps, n), dtype=np.int64)
    for s in range(steps):
        model.step_time()
        pop.vars["k"].pull_from_device()
        out[s] = pop.vars["k"].values
    return out, model


@pytest.mark.parametrize("lam", [0.05, 1.28, 9.5])
def test_inversion_matches_the_reference_number_for_number(tmp_path, lam):
    counts, _ = _counts(tmp_path, repr(lam), 3000, 2, seed=4242)
    stream = philox.stream_id("Draws", "neuron")
    for step in range(2):
        expected = philox.poisson_inversion(4242, stream, np.arange(3000), step, lam)
        np.testing.assert_array_equal(counts[step], expected)


@pytest.mark.parametrize("lam", [0.05, 1.28, 9.99, 10.0, 37.5, 800.0])
def test_counts_follow_the_poisson_distribution(tmp_path, lam):
    """Both methods, on each side of lambda = 10 and far into the rejection range: chi-square, mean and
    variance against Poisson(lam), 60,000 draws."""
    counts, _ = _counts(tmp_path, repr(lam), 20000, 3)
    p = discrete_fit_pvalue(counts.ravel(), stats.poisson(lam), min_expected=20)
    assert p > 1e-4, f"chi-square p = {p:.2g}"
    se = np.sqrt(lam / counts.size)
    assert abs(counts.mean() - lam) < 5 * se
    assert abs(counts.var() / lam - 1.0) < 5 * np.sqrt((1.0 / lam + 2.0) / counts.size)  # sd of s^2 / lam


def test_lambda_may_differ_per_neuron(tmp_path):
    """A per-neuron lambda (the loop then runs scalar): each half follows its own distribution."""
    lam = np.where(np.arange(20000) % 2 == 0, 0.7, 25.0)
    counts, _ = _counts(tmp_path, "lam", 20000, 3, lam_values=lam)
    for value in (0.7, 25.0):
        p = discrete_fit_pvalue(counts[:, lam == value].ravel(), stats.poisson(value), min_expected=20)
        assert p > 1e-4, f"lambda {value}: chi-square p = {p:.2g}"


def test_a_count_past_the_unsigned_range_saturates(tmp_path):
    """lambda 1e10 and 1e12 (counts beyond 2^32 - 1) give the largest unsigned int; lambda 1e9 keeps its count
    (within 10 standard deviations: sqrt(1e9) is about 3.2e4).  A plain cast of such a count is undefined in C:
    AVX-512's conversion happens to saturate (so this test cannot tell the two apart on such a CPU), x86-64's
    without it wraps (1e10 becomes 1410065408)."""
    lam = np.array([1e10, 1e12, 1e9])
    counts, _ = _counts(tmp_path, "lam", 3, 4, lam_values=lam)
    assert np.all(counts[:, :2] == 2**32 - 1)
    assert np.all(np.abs(counts[:, 2] - 1e9) < 10 * np.sqrt(1e9))


def test_no_positive_lambda_gives_zero(tmp_path):
    lam = np.array([0.0, -3.0, np.nan, 0.0])
    counts, _ = _counts(tmp_path, "lam", 4, 5, lam_values=lam)
    assert not counts.any()


def test_poisson_exp_injects_shot_noise_of_the_right_mean_and_variance(tmp_path):
    """PoissonExp: the injected current I_n = c_n + Init k_n, c_(n+1) = I_n ExpDecay, k_n ~ Poisson(rate dt), is
    stationary with mean Init lambda / (1 - ExpDecay) and variance Init^2 lambda / (1 - ExpDecay^2)."""
    recorder = create_neuron_model("Recorder", vars=[("I", "scalar")], sim_code="I = Isyn;")
    model = make_model("poisson_exp", "double", seed=9)
    model.dt = 0.1
    n = 20000
    pop = model.add_neuron_population("Cells", n, recorder, {}, {"I": 0.0})
    params = {"weight": 0.5, "tauSyn": 2.0, "rate": 3000.0}
    model.add_current_source("Background", "PoissonExp", pop, params, {"current": 0.0})
    build_load(model, tmp_path)
    model.step_time_n(400)  # 40 ms: 20 time constants
    pop.vars["I"].pull_from_device()
    current = pop.vars["I"].values
    decay = np.exp(-model.dt / params["tauSyn"])
    init = params["weight"] * (1 - decay) * params["tauSyn"] / model.dt
    lam = params["rate"] * model.dt / 1000.0
    mean, var = init * lam / (1 - decay), init**2 * lam / (1 - decay**2)
    assert abs(current.mean() - mean) < 5 * np.sqrt(var / n)
    assert abs(current.var() / var - 1.0) < 0.05


def test_poisson_exp_runs_inside_the_vectorised_neuron_loop(tmp_path):
    """PoissonExp's code has no loop, so it needs no pass of its own: it runs in the neuron loop, which carries
    ``omp simd`` (a loop in its code would have split it out again), from the Philox block computed ahead."""
    model = make_model("poisson_exp_inline", "float", seed=3)
    pop = model.add_neuron_population("Cells", 100, "LIF", {"C": 0.25, "TauM": 10.0, "Vrest": -65.0,
                                                          "Vreset": -65.0, "Vthresh": -50.0, "Ioffset": 0.0,
                                                          "TauRefrac": 2.0}, {"V": -65.0, "RefracTime": 0.0})
    model.add_current_source("Background", "PoissonExp", pop, {"weight": 0.1, "tauSyn": 0.5, "rate": 8000.0},
                             {"current": 0.0})
    build_load(model, tmp_path)
    source = next(tmp_path.rglob("model.c")).read_text()
    update = source[source.index("static void neuron_update("):]
    assert "gn_poisson_d(&rng" in update
    assert "gn_inj_" not in update and "gn_rng_init_ahead(&rng" in update
    loop = update[:update.index("gn_poisson_d(&rng")]
    assert loop.rstrip()[loop.rstrip().rindex("#pragma omp simd"):].count("for (") == 1
