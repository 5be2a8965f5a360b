"""Random initialisation: var-init snippets, the Philox streams behind gennrand_*, seeds and connectivity.

Adapted from GeNN 5.4's ``tests/features/test_rng.py`` and ``test_connect_init.py``.  The engine's
random numbers are counter-based (Philox-4x32-10, :mod:`genn_neuromod.rng.philox`), so with a fixed
seed every statistical test below is deterministic; the thresholds are those of a fair test, so
they stay meaningful if the streams change.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import PRECISIONS, build_load, discrete_fit_pvalue, empty_neuron_model, make_model
from scipy import stats

from genn_neuromod import (
    GeNNModel,
    ModelError,
    create_current_source_model,
    create_neuron_model,
    create_postsynaptic_model,
    create_sparse_connect_init_snippet,
    create_var_init_snippet,
    create_weight_update_model,
    init_postsynaptic,
    init_sparse_connectivity,
    init_var,
    init_weight_update,
)
from genn_neuromod.rng import philox

P_MIN = 1e-4  # significance level of each (deterministic) goodness-of-fit test


# =========================================================================== var-init snippet statistics
#: name -> (type, initialiser factory, scipy distribution)
DISTRIBUTIONS = {
    "uniform": ("scalar", lambda: init_var("Uniform", {"min": -2.0, "max": 3.0}), stats.uniform(-2.0, 5.0)),
    "normal": ("scalar", lambda: init_var("Normal", {"mean": 1.5, "sd": 2.0}), stats.norm(1.5, 2.0)),
    "exponential": ("scalar", lambda: init_var("Exponential", {"lambda": 2.0}), stats.expon(scale=2.0)),
    "gamma": ("scalar", lambda: init_var("Gamma", {"a": 4.0, "b": 0.5}), stats.gamma(4.0, scale=0.5)),
    "gamma_small": ("scalar", lambda: init_var("Gamma", {"a": 0.5, "b": 2.0}), stats.gamma(0.5, scale=2.0)),
    "clipped": (
        "scalar",
        lambda: init_var("NormalClipped", {"mean": 0.25, "sd": 1.0, "min": -0.5, "max": 1.5}),
        stats.truncnorm(-0.75, 1.25, loc=0.25, scale=1.0),
    ),
    "binomial": ("unsigned int", lambda: init_var("Binomial", {"n": 20, "p": 0.3}), stats.binom(20, 0.3)),
    "binomial_high_p": (
        "unsigned int",
        lambda: init_var("Binomial", {"n": 10, "p": 0.8}),
        stats.binom(10, 0.8),
    ),
    "constant": ("scalar", lambda: init_var("Constant", {"constant": 7.25}), None),
}


def _var_defs(prefix: str = ""):
    return [(prefix + name, ctype) for name, (ctype, _, _) in DISTRIBUTIONS.items()]


def _var_inits(prefix: str = ""):
    return {prefix + name: factory() for name, (_, factory, _) in DISTRIBUTIONS.items()}


def _check_distribution(values: np.ndarray, name: str, where: str) -> None:
    ctype, _, dist = DISTRIBUTIONS[name]
    values = np.asarray(values)
    assert values.size >= 10000, where
    if name == "constant":
        assert np.all(values == 7.25), where
        return
    if ctype == "unsigned int":
        assert values.dtype == np.uint32, where
        n = int(dist.args[0])
        assert values.max() <= n, where
        p = discrete_fit_pvalue(values, dist, minlength=n + 1)
    else:
        assert np.all(np.isfinite(values)), where
        p = stats.kstest(values.astype(np.float64), dist.cdf).pvalue
    assert p > P_MIN, f"{where}: {name} initialisation fails the goodness-of-fit test (p={p})"
    assert abs(values.mean() - dist.mean()) < 5.0 * dist.std() / np.sqrt(values.size), where
    if name == "clipped":
        assert values.min() >= -0.5 and values.max() <= 1.5, where
    if name == "uniform":
        assert values.min() >= -2.0 and values.max() <= 3.0, where
    if name.startswith(("exponential", "gamma")):
        assert values.min() >= 0.0, where


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("where", ["neurons", "sparse_synapses", "dense_synapses"])
def test_init_snippet_statistics(tmp_path, precision, where):
    """GeNN's test_rng test_init, in every context a variable can live in."""
    n = 20000
    nop_neuron = create_neuron_model("nop_neuron", vars=_var_defs())
    nop_cs = create_current_source_model("nop_current_source", vars=_var_defs())
    nop_psm = create_postsynaptic_model(
        "nop_postsynaptic", vars=_var_defs("psm_"), sim_code="injectCurrent(inSyn);\ninSyn = 0;"
    )
    nop_wu = create_weight_update_model(
        "nop_weight_update", vars=_var_defs(), pre_vars=_var_defs("pre_"), post_vars=_var_defs("post_")
    )

    model = make_model("test_init", precision)
    if where == "neurons":
        n_pop = model.add_neuron_population("Neurons", n, nop_neuron, {}, _var_inits())
        cs = model.add_current_source("CurrentSource", nop_cs, n_pop, {}, _var_inits())
        contexts = [(n_pop, n_pop.vars, ""), (cs, cs.vars, "")]
    elif where == "sparse_synapses":
        src = model.add_neuron_population("Source", n, empty_neuron_model)
        trg = model.add_neuron_population("Target", n, empty_neuron_model)
        sparse = model.add_synapse_population(
            "SparseSynapses",
            "SPARSE",
            src,
            trg,
            init_weight_update(nop_wu, {}, _var_inits(), _var_inits("pre_"), _var_inits("post_")),
            init_postsynaptic(nop_psm, {}, _var_inits("psm_")),
            init_sparse_connectivity("OneToOne"),
        )
        contexts = [
            (sparse, sparse.vars, ""),
            (sparse, sparse.pre_vars, "pre_"),
            (sparse, sparse.post_vars, "post_"),
            (sparse, sparse.psm_vars, "psm_"),
        ]
    else:
        nop_dense_wu = create_weight_update_model("nop_dense_weight_update", vars=_var_defs())
        small = model.add_neuron_population("Small", 100, empty_neuron_model)
        mid = model.add_neuron_population("Mid", 200, empty_neuron_model)
        dense = model.add_synapse_population(
            "DenseSynapses",
            "DENSE",
            small,
            mid,
            init_weight_update(nop_dense_wu, {}, _var_inits()),
            init_postsynaptic("DeltaCurr"),
        )
        contexts = [(dense, dense.vars, "")]
    build_load(model, tmp_path)

    for group, var_dict, prefix in contexts:
        for name in DISTRIBUTIONS:
            var = var_dict[prefix + name]
            var.pull_from_device()
            _check_distribution(var.values, name, f"'{group.name}' {prefix}{name}")


def test_normal_clipped_delay_in_timesteps(tmp_path):
    """NormalClippedDelay: derived parameters turn ms into whole timesteps."""
    n_model = create_neuron_model("delayed", vars=[("d", "scalar")])
    model = make_model("test_clipped_delay", "double")
    model.dt = 0.5
    pop = model.add_neuron_population(
        "Pop",
        20000,
        n_model,
        {},
        {"d": init_var("NormalClippedDelay", {"mean": 5.0, "sd": 1.0, "min": 2.0, "max": 8.0})},
    )
    build_load(model, tmp_path)
    d = pop.vars["d"].values
    assert np.all(d == np.rint(d))
    assert d.min() >= 4.0 and d.max() <= 16.0
    dist = stats.truncnorm(-6.0, 6.0, loc=10.0, scale=2.0)  # in timesteps, before rounding
    assert abs(d.mean() - dist.mean()) < 5.0 * dist.std() / np.sqrt(d.size)
    assert abs(d.std() - np.sqrt(dist.var() + 1.0 / 12.0)) < 0.05


@pytest.mark.parametrize("n,p", [(5000, 0.3), (100000, 0.01), (8000, 0.8)])
def test_binomial_with_many_trials(tmp_path, n, p):
    n_model = create_neuron_model(
        "binom",
        vars=[("k", "unsigned int"), ("j", "unsigned int")],
        sim_code=f"j = gennrand_binomial({n}, {p});",
    )
    model = make_model("test_big_binomial", "double")
    pop = model.add_neuron_population(
        "Pop", 2000, n_model, {}, {"k": init_var("Binomial", {"n": n, "p": p}), "j": 0}
    )
    build_load(model, tmp_path)
    model.step_time()
    dist = stats.binom(n, p)
    for name in ("k", "j"):
        values = pop.vars[name].values.astype(np.float64)
        assert abs(values.mean() - dist.mean()) < 5.0 * dist.std() / np.sqrt(values.size), name
        assert abs(values.std() - dist.std()) < 0.15 * dist.std(), name


def test_init_values_are_independent_across_variables_and_elements(tmp_path):
    """Two variables with the same snippet, and neighbouring neurons, draw different numbers."""
    n_model = create_neuron_model("two", vars=[("a", "scalar"), ("b", "scalar")])
    model = make_model("test_independent", "double")
    uniform = {"min": 0.0, "max": 1.0}
    pop = model.add_neuron_population(
        "Pop", 5000, n_model, {}, {"a": init_var("Uniform", uniform), "b": init_var("Uniform", uniform)}
    )
    build_load(model, tmp_path)
    a, b = pop.vars["a"].values, pop.vars["b"].values
    assert len(np.unique(a)) == a.size
    assert abs(stats.pearsonr(a, b)[0]) < 0.06
    assert abs(stats.pearsonr(a[:-1], a[1:])[0]) < 0.06


# =========================================================================== exact Philox streams
@pytest.mark.parametrize("precision", PRECISIONS)
def test_gennrand_uniform_matches_philox(tmp_path, precision):
    """Var-init and neuron sim-code draws equal the numpy Philox reference, number for number."""
    seed = 987654321
    draw = philox.uniform_float if precision == "float" else philox.uniform_double
    init_snippet = create_var_init_snippet("draw", var_init_code="value = gennrand_uniform();")
    n_model = create_neuron_model(
        "drawer",
        vars=[("u", "scalar"), ("a", "scalar"), ("b", "scalar"), ("c", "scalar")],
        sim_code="a = gennrand_uniform();\nb = gennrand_uniform();\nc = gennrand_uniform();",
    )
    n = 257
    model = make_model("test_philox", precision, seed=seed)
    pop = model.add_neuron_population(
        "Pop", n, n_model, {}, {"u": init_var(init_snippet), "a": 0.0, "b": 0.0, "c": 0.0}
    )
    build_load(model, tmp_path)
    ids = np.arange(n)
    expected_init = draw(seed, philox.stream_id("Pop", "init/u"), ids, 0)[:, 0]
    assert np.array_equal(pop.vars["u"].view, expected_init)
    for step in range(4):
        model.step_time()
        expected = draw(seed, philox.stream_id("Pop", "neuron"), ids, step, 3)
        assert np.array_equal(pop.vars["a"].view, expected[:, 0]), step
        assert np.array_equal(pop.vars["b"].view, expected[:, 1]), step
        assert np.array_equal(pop.vars["c"].view, expected[:, 2]), step
    # values lie on (0, 1]
    assert expected_init.min() > 0.0 and expected_init.max() <= 1.0


@pytest.mark.parametrize("threads", [1, 2])
def test_draws_in_a_loop_match_philox(tmp_path, threads):
    """Draws inside a loop of sim code (whose first block a vectorised pass computes ahead, in tiles of 256
    neurons) equal the reference, across the tiles' edges and into the second block, on one thread and two."""
    seed = 2024
    n_model = create_neuron_model(
        "looper",
        vars=[("first", "scalar"), ("last", "scalar"), ("total", "scalar")],
        sim_code="""
        scalar s = 0.0;
        for (int i = 0; i < 6; i++) {
            const scalar u = gennrand_uniform();
            if (i == 0) { first = u; }
            if (i == 5) { last = u; }
            s += u;
        }
        total = s;
        """,
    )
    n = 600
    model = GeNNModel("double", f"test_philox_loop{threads}", num_threads=threads, adaptive_threads=False)
    model.dt = 1.0
    model.seed = seed
    pop = model.add_neuron_population("Loop", n, n_model, {}, {"first": 0.0, "last": 0.0, "total": 0.0})
    build_load(model, tmp_path)
    assert "gn_rng_init_ahead" in (tmp_path / f"test_philox_loop{threads}_CODE" / "model.c").read_text()
    model.step_time_n(3)
    draws = philox.uniform_double(seed, philox.stream_id("Loop", "neuron"), np.arange(n), 2, 6)
    total = np.zeros(n)
    for k in range(6):
        total = total + draws[:, k]
    assert np.array_equal(pop.vars["first"].view, draws[:, 0])
    assert np.array_equal(pop.vars["last"].view, draws[:, 5])
    assert np.array_equal(pop.vars["total"].view, total)


def test_gennrand_raw_and_exponential_match_philox(tmp_path):
    seed = 42
    n_model = create_neuron_model(
        "raw",
        vars=[("r", "unsigned int"), ("e", "scalar")],
        sim_code="r = gennrand();\ne = gennrand_exponential();",
    )
    model = make_model("test_philox_raw", "double", seed=seed)
    pop = model.add_neuron_population("Raw", 64, n_model, {}, {"r": 0, "e": 0.0})
    build_load(model, tmp_path)
    model.step_time_n(3)
    stream = philox.stream_id("Raw", "neuron")
    raw = philox.raw_u32(seed, stream, np.arange(64), 2, 3)
    assert np.array_equal(pop.vars["r"].view, raw[:, 0])
    # the exponential draw takes the next two words (one double-precision uniform)
    u = (((raw[:, 1].astype(np.uint64) << np.uint64(32)) | raw[:, 2]) >> np.uint64(11)).astype(
        np.float64
    ) + 1.0
    u *= 2.0**-53
    assert np.allclose(pop.vars["e"].view, -np.log(u), rtol=1e-12, atol=0.0)


def test_synapse_var_init_matches_philox(tmp_path):
    """Per-synapse init streams: element (id_pre << 32) | id_post for DENSE, (id_pre << 32) | position in the row
    for SPARSE (unique where a pair is connected twice)."""
    seed = 5
    init_snippet = create_var_init_snippet("draw", var_init_code="value = gennrand_uniform();")
    model = make_model("test_philox_syn", "float", seed=seed)
    pre = model.add_neuron_population("Pre", 6, empty_neuron_model)
    post = model.add_neuron_population("Post", 9, empty_neuron_model)
    dense = model.add_synapse_population(
        "Dense",
        "DENSE",
        pre,
        post,
        init_weight_update("StaticPulse", {}, {"g": init_var(init_snippet)}),
        init_postsynaptic("DeltaCurr"),
    )
    sparse = model.add_synapse_population(
        "Sparse",
        "SPARSE",
        pre,
        post,
        init_weight_update("StaticPulse", {}, {"g": init_var(init_snippet)}),
        init_postsynaptic("DeltaCurr"),
        init_sparse_connectivity("FixedProbability", {"prob": 0.5}),
    )
    build_load(model, tmp_path)
    i, j = np.meshgrid(np.arange(6, dtype=np.uint64), np.arange(9, dtype=np.uint64), indexing="ij")
    element = ((i << np.uint64(32)) | j).ravel()
    expected = philox.uniform_float(seed, philox.stream_id("Dense", "init/g"), element, 0)[:, 0]
    assert np.array_equal(dense.vars["g"].values, expected)
    sp_pre = sparse.get_sparse_pre_inds().astype(np.uint64)
    assert sp_pre.size > 0
    position = (np.arange(sp_pre.size) - np.searchsorted(sp_pre, sp_pre)).astype(np.uint64)  # rows in order
    expected = philox.uniform_float(
        seed, philox.stream_id("Sparse", "init/g"), (sp_pre << np.uint64(32)) | position, 0
    )[:, 0]
    assert np.array_equal(sparse.vars["g"].values, expected)


def test_multapses_draw_their_own_values(tmp_path):
    """With replacement, a pair can be connected several times: each of its synapses draws its own value (as in
    GeNN and NEST), for stored (SPARSE) and regenerated (PROCEDURAL) synapses alike."""
    init_snippet = create_var_init_snippet("draw_m", var_init_code="value = gennrand_uniform();")
    model = make_model("test_multapses", "double", seed=3)
    pre = model.add_neuron_population("Pre", 4, empty_neuron_model)
    post = model.add_neuron_population("Post", 3, empty_neuron_model)
    sparse = model.add_synapse_population(
        "Multi", "SPARSE", pre, post, init_weight_update("StaticPulse", {}, {"g": init_var(init_snippet)}),
        init_postsynaptic("DeltaCurr"), init_sparse_connectivity("FixedNumberTotalWithReplacement", {"num": 60}))
    build_load(model, tmp_path)
    pairs = sparse.get_sparse_pre_inds() * 3 + sparse.get_sparse_post_inds()
    g = sparse.vars["g"].values
    assert np.unique(pairs).size < pairs.size, "no pair was connected twice"
    for pair in np.unique(pairs):
        values = g[pairs == pair]
        assert np.unique(values).size == values.size


# =========================================================================== seeds
def _seeded_network(name: str, seed: int):
    n_model = create_neuron_model(
        "noisy", vars=[("x", "scalar"), ("y", "scalar")], sim_code="y = gennrand_normal();"
    )
    model = make_model(name, "float", seed=seed)
    pop = model.add_neuron_population(
        "Pop", 300, n_model, {}, {"x": init_var("Normal", {"mean": 0.0, "sd": 1.0}), "y": 0.0}
    )
    sg = model.add_synapse_population(
        "Syn",
        "SPARSE",
        pop,
        pop,
        init_weight_update("StaticPulse", {}, {"g": init_var("Uniform", {"min": 0.0, "max": 1.0})}),
        init_postsynaptic("DeltaCurr"),
        init_sparse_connectivity("FixedProbability", {"prob": 0.05}),
    )
    return model, pop, sg


def _snapshot(model, pop, sg):
    model.step_time_n(2)
    return (
        pop.vars["x"].values,
        pop.vars["y"].values,
        sg.get_sparse_pre_inds(),
        sg.get_sparse_post_inds(),
        sg.vars["g"].values,
    )


def test_seeded_init_is_reproducible(tmp_path):
    model_a, pop_a, sg_a = _seeded_network("seeded_a", 77)
    build_load(model_a, tmp_path / "a")
    model_b, pop_b, sg_b = _seeded_network("seeded_b", 77)
    build_load(model_b, tmp_path / "b")
    model_c, pop_c, sg_c = _seeded_network("seeded_c", 78)
    build_load(model_c, tmp_path / "c")
    snap_a, snap_b, snap_c = (
        _snapshot(model_a, pop_a, sg_a),
        _snapshot(model_b, pop_b, sg_b),
        _snapshot(model_c, pop_c, sg_c),
    )
    for x, y in zip(snap_a, snap_b, strict=True):
        assert np.array_equal(x, y)
    assert not np.array_equal(snap_a[0], snap_c[0])
    assert not np.array_equal(snap_a[1], snap_c[1])
    assert not np.array_equal(snap_a[3], snap_c[3]) or not np.array_equal(snap_a[2], snap_c[2])


def test_seed_zero_draws_a_random_seed(tmp_path):
    model, pop, sg = _seeded_network("unseeded", 0)
    build_load(model, tmp_path)
    first = pop.vars["x"].values
    first_post = sg.get_sparse_post_inds()
    model.unload()
    model.load()
    second = pop.vars["x"].values
    assert not np.array_equal(first, second)
    assert abs(second.mean()) < 0.3  # still a proper N(0, 1) sample
    assert not (
        len(first_post) == len(sg.get_sparse_post_inds())
        and np.array_equal(first_post, sg.get_sparse_post_inds())
    )


# =========================================================================== connectivity snippets
def _connect(tmp_path, snippet, params, num_pre, num_post, name="conn", precision="float", seed=1234):
    model = make_model(name, precision, seed=seed)
    pre = model.add_neuron_population("Pre", num_pre, empty_neuron_model)
    post = model.add_neuron_population("Post", num_post, empty_neuron_model)
    sg = model.add_synapse_population(
        "Syn",
        "SPARSE",
        pre,
        post,
        init_weight_update("StaticPulseConstantWeight", {"g": 1.0}),
        init_postsynaptic("DeltaCurr"),
        init_sparse_connectivity(snippet, params),
    )
    build_load(model, tmp_path)
    sg.pull_connectivity_from_device()
    return sg, sg.get_sparse_pre_inds().astype(np.int64), sg.get_sparse_post_inds().astype(np.int64)


def _rows_strictly_increasing(pre_inds, post_inds) -> bool:
    same_row = pre_inds[1:] == pre_inds[:-1]
    return bool(np.all(post_inds[1:][same_row] > post_inds[:-1][same_row]))


@pytest.mark.parametrize("precision", PRECISIONS)
def test_fixed_probability(tmp_path, precision):
    num_pre, num_post, prob = 1000, 500, 0.1
    sg, pre_inds, post_inds = _connect(
        tmp_path, "FixedProbability", {"prob": prob}, num_pre, num_post, precision=precision
    )
    assert np.all(np.diff(pre_inds) >= 0)
    assert post_inds.min() >= 0 and post_inds.max() < num_post
    assert _rows_strictly_increasing(pre_inds, post_inds)  # sorted rows, no multapses
    row_lengths = np.bincount(pre_inds, minlength=num_pre)
    dist = stats.binom(num_post, prob)
    assert abs(row_lengths.mean() - dist.mean()) < 5.0 * dist.std() / np.sqrt(num_pre)
    assert abs(row_lengths.std() - dist.std()) < 0.1 * dist.std()
    assert row_lengths.max() <= sg.weight_update_var_size // num_pre  # within the row stride
    # targets are uniform over the postsynaptic population
    p = stats.chisquare(np.bincount(post_inds, minlength=num_post)).pvalue
    assert p > P_MIN


def test_fixed_probability_one_is_all_to_all(tmp_path):
    _, pre_inds, post_inds = _connect(tmp_path, "FixedProbability", {"prob": 1.0}, 5, 4)
    assert np.array_equal(pre_inds, np.repeat(np.arange(5), 4))
    assert np.array_equal(post_inds, np.tile(np.arange(4), 5))


def test_fixed_probability_no_autapse(tmp_path):
    n, prob = 300, 0.2
    _, pre_inds, post_inds = _connect(tmp_path, "FixedProbabilityNoAutapse", {"prob": prob}, n, n)
    assert not np.any(pre_inds == post_inds)
    assert post_inds.min() >= 0 and post_inds.max() < n
    assert _rows_strictly_increasing(pre_inds, post_inds)
    expected = prob * (n - 1)
    assert abs(len(pre_inds) / n - expected) < 5.0 * np.sqrt(expected * (1 - prob) / n)


def test_fixed_number_post_with_replacement(tmp_path):
    num_pre, num_post, num = 200, 100, 10
    _, pre_inds, post_inds = _connect(
        tmp_path, "FixedNumberPostWithReplacement", {"num": num}, num_pre, num_post
    )
    assert np.all(np.bincount(pre_inds, minlength=num_pre) == num)
    assert post_inds.min() >= 0 and post_inds.max() < num_post
    same_row = pre_inds[1:] == pre_inds[:-1]
    assert np.all(post_inds[1:][same_row] >= post_inds[:-1][same_row])  # ascending, repeats allowed
    assert stats.chisquare(np.bincount(post_inds, minlength=num_post)).pvalue > P_MIN


def test_fixed_number_pre_with_replacement(tmp_path):
    num_pre, num_post, num = 100, 200, 10
    _, pre_inds, post_inds = _connect(
        tmp_path, "FixedNumberPreWithReplacement", {"num": num}, num_pre, num_post
    )
    assert np.all(np.bincount(post_inds, minlength=num_post) == num)
    assert pre_inds.min() >= 0 and pre_inds.max() < num_pre
    assert stats.chisquare(np.bincount(pre_inds, minlength=num_pre)).pvalue > P_MIN


def test_fixed_number_total_with_replacement(tmp_path):
    _, pre_inds, post_inds = _connect(tmp_path, "FixedNumberTotalWithReplacement", {"num": 1000}, 100, 100)
    assert len(pre_inds) == 1000
    assert post_inds.min() >= 0 and post_inds.max() < 100
    assert stats.chisquare(np.bincount(pre_inds, minlength=100)).pvalue > P_MIN


def test_one_to_one(tmp_path):
    _, pre_inds, post_inds = _connect(tmp_path, "OneToOne", {}, 50, 50)
    assert np.array_equal(pre_inds, np.arange(50))
    assert np.array_equal(post_inds, np.arange(50))


def _ring_snippet(max_row_length=None):
    """Pre i connects to posts i+1 .. i+k (mod num_post), in that order."""
    return create_sparse_connect_init_snippet(
        "ring",
        params=[("k", "unsigned int")],
        row_build_code="""
        for (unsigned int c = 1; c <= k; c++) {
            addSynapse((id_pre + c) % num_post);
        }
        """,
        calc_max_row_len_func=max_row_length,
    )


ring_snippet = _ring_snippet(lambda num_pre, num_post, pars: int(pars["k"]))
#: claims rows of at most 2 synapses, whatever k
lying_ring_snippet = _ring_snippet(lambda num_pre, num_post, pars: 2)


def _sparse_to_self(model, name, pop, snippet, params=None):
    return model.add_synapse_population(
        name,
        "SPARSE",
        pop,
        pop,
        init_weight_update("StaticPulseConstantWeight", {"g": 1.0}),
        init_postsynaptic("DeltaCurr"),
        init_sparse_connectivity(snippet, params or {}),
    )


def test_user_row_build_snippet(tmp_path):
    n, k = 20, 3
    sg, pre_inds, post_inds = _connect(tmp_path, ring_snippet, {"k": k}, n, n)
    assert np.array_equal(pre_inds, np.repeat(np.arange(n), k))
    expected_post = (np.arange(n)[:, None] + np.arange(1, k + 1)[None, :]) % n
    assert np.array_equal(post_inds, expected_post.ravel())  # insertion order is kept
    assert sg.weight_update_var_size == n * k


def test_user_snippet_with_explicit_max_connections(tmp_path):
    snippet = create_sparse_connect_init_snippet("unbounded", row_build_code="addSynapse(id_pre);")
    model = make_model("test_unbounded_ok")
    pop = model.add_neuron_population("Pop", 10, empty_neuron_model)
    sg = _sparse_to_self(model, "Unbounded", pop, snippet)
    sg.max_connections = 1
    build_load(model, tmp_path)
    assert np.array_equal(sg.get_sparse_pre_inds(), np.arange(10))
    assert np.array_equal(sg.get_sparse_post_inds(), np.arange(10))


def test_max_connections_defaults_as_genn(tmp_path):
    snippet = create_sparse_connect_init_snippet("unbounded", row_build_code="addSynapse(id_pre);")
    model = make_model("test_unbounded")
    pop = model.add_neuron_population("Pop", 10, empty_neuron_model)
    ring = _sparse_to_self(model, "Ring", pop, ring_snippet, {"k": 3})
    unbounded = _sparse_to_self(model, "Unbounded", pop, snippet)
    assert ring.max_connections == 3
    assert unbounded.max_connections == 10
    build_load(model, tmp_path)
    assert np.array_equal(unbounded.get_sparse_post_inds(), np.arange(10))


def test_max_connections_below_snippet_bound_is_refused_at_once():
    model = make_model("test_max_below_bound")
    pop = model.add_neuron_population("Pop", 20, empty_neuron_model)
    sg = _sparse_to_self(model, "Ring", pop, ring_snippet, {"k": 4})
    with pytest.raises((ModelError, ValueError, RuntimeError), match="max"):
        sg.max_connections = 2


def test_row_overflow_is_a_model_error(tmp_path):
    """A snippet adding more synapses than its max row length gives a clear error at load()."""
    model = make_model("test_overflow")
    pop = model.add_neuron_population("Pop", 20, empty_neuron_model)
    _sparse_to_self(model, "Overflowing", pop, lying_ring_snippet, {"k": 4})
    model.build(str(tmp_path))
    with pytest.raises(ModelError, match="max_connections") as info:
        model.load()
    assert "Overflowing" in str(info.value)
    with pytest.raises(RuntimeError):
        model.step_time()  # not loaded


def test_row_overflow_error_names_only_the_offending_group(tmp_path):
    model = make_model("test_overflow_two")
    pop = model.add_neuron_population("Pop", 20, empty_neuron_model)
    _sparse_to_self(model, "Overflowing", pop, lying_ring_snippet, {"k": 4})
    _sparse_to_self(model, "Fine", pop, "OneToOne")
    model.build(str(tmp_path))
    with pytest.raises(ModelError, match="Overflowing") as info:
        model.load()
    assert "Fine" not in str(info.value)


_FIRST_BLOCKS = """
#include <stdint.h>
#include <math.h>
{philox}
__attribute__((visibility("default")))
void first_blocks(uint64_t seed, uint32_t stream, uint64_t step, uint32_t first, uint32_t count, uint32_t *out)
{{ gn_philox_first_blocks(seed, stream, step, first, count, (uint32_t (*)[GN_AHEAD_TILE])out); }}
"""


@pytest.mark.parametrize("flags", [[], ["-mno-avx512f"]], ids=["native", "without-avx512"])
def test_first_blocks_ahead_match_philox(flags):
    """The pass that computes a tile's first Philox blocks ahead of the neuron loop (16 lanes of AVX-512 where the
    CPU has them, the portable loop elsewhere): every word equals the reference, at full and partial tiles."""
    import ctypes

    from genn_neuromod.backends.compile import compile_shared
    from genn_neuromod.codegen.render import philox_header

    lib = ctypes.CDLL(str(compile_shared(_FIRST_BLOCKS.format(philox=philox_header()), extra_flags=flags)))
    lib.first_blocks.argtypes = [ctypes.c_uint64, ctypes.c_uint32, ctypes.c_uint64, ctypes.c_uint32,
                                 ctypes.c_uint32, ctypes.c_void_p]
    seed, stream = 0x0123_4567_89AB_CDEF, philox.stream_id("Tile", "neuron")
    for first, count, step in [(0, 256, 0), (1000, 256, 77), (3, 37, 2**32 + 5), (7, 5, 9)]:
        out = np.zeros((4, 256), dtype=np.uint32)
        lib.first_blocks(seed, stream, step, first, count, out.ctypes.data)
        expected = philox.raw_u32(seed, stream, np.arange(first, first + count), step, 4)
        assert np.array_equal(out[:, :count].T, expected)
        assert not out[:, count:].any()  # nothing past the tile's count written
