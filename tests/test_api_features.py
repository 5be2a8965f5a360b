"""PyGeNN 5 API features, adapted from GeNN 5.4's ``tests/features`` (single batch, CPU, DENSE/SPARSE).

Covers custom updates (neuron, current source, postsynaptic-model, weight-update pre/post and
per-synapse variables; reductions; the built-in ``Transpose``), extra global parameters, dynamic
parameters, initial values given as arrays (including ``set_sparse_connections`` ordering), the
sparse index getters, variable views, additional input variables, the clock, and unload/reload.
Every expectation is an independent numpy computation.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import PRECISIONS, always_spike_model, build_load, empty_neuron_model, make_model

from genn_neuromod import (
    CustomUpdateVarAccess,
    VarAccess,
    VarAccessMode,
    create_current_source_model,
    create_custom_update_model,
    create_egp_ref,
    create_neuron_model,
    create_postsynaptic_model,
    create_psm_var_ref,
    create_var_init_snippet,
    create_var_ref,
    create_weight_update_model,
    create_wu_post_var_ref,
    create_wu_pre_var_ref,
    create_wu_var_ref,
    init_postsynaptic,
    init_sparse_connectivity,
    init_var,
    init_weight_update,
)

# =========================================================================== custom updates
set_time_model = create_custom_update_model(
    "set_time_custom_update",
    update_code="""
    V = (batch * 1000.0) + t;
    R = (batch * 1000.0) + t;
    """,
    vars=[("V", "scalar")],
    var_refs=[("R", "scalar", VarAccessMode.READ_WRITE)],
)

set_time_shared_model = create_custom_update_model(
    "set_time_shared_custom_update",
    update_code="R = (batch * 1000.0) + t;",
    var_refs=[("R", "scalar", VarAccessMode.READ_WRITE)],
)

dup_shared_neuron_model = create_neuron_model(
    "neuron",
    vars=[
        ("X", "scalar", VarAccess.READ_ONLY_DUPLICATE),
        ("XShared", "scalar", VarAccess.READ_ONLY_SHARED_NEURON),
    ],
)

dup_shared_cs_model = create_current_source_model(
    "current_source",
    vars=[
        ("X", "scalar", VarAccess.READ_ONLY_DUPLICATE),
        ("XShared", "scalar", VarAccess.READ_ONLY_SHARED_NEURON),
    ],
)

dup_shared_wu_model = create_weight_update_model(
    "weight_update",
    vars=[("X", "scalar", VarAccess.READ_ONLY_DUPLICATE)],
    pre_vars=[
        ("preX", "scalar", VarAccess.READ_ONLY_DUPLICATE),
        ("preXShared", "scalar", VarAccess.READ_ONLY_SHARED_NEURON),
    ],
    post_vars=[
        ("postX", "scalar", VarAccess.READ_ONLY_DUPLICATE),
        ("postXShared", "scalar", VarAccess.READ_ONLY_SHARED_NEURON),
    ],
)

dup_shared_psm_model = create_postsynaptic_model(
    "postsynaptic_update",
    vars=[
        ("psmX", "scalar", VarAccess.READ_ONLY_DUPLICATE),
        ("psmXShared", "scalar", VarAccess.READ_ONLY_SHARED_NEURON),
    ],
)


def _wu_init():
    return init_weight_update(
        dup_shared_wu_model,
        {},
        {"X": 0.0},
        {"preX": 0.0, "preXShared": 0.0},
        {"postX": 0.0, "postXShared": 0.0},
    )


def _add_dup_shared_groups(model):
    """SpikeSource (10) -> Neurons (100) with a current source and DENSE synapses, all with X / XShared vars."""
    ss_pop = model.add_neuron_population("SpikeSource", 10, empty_neuron_model)
    n_pop = model.add_neuron_population(
        "Neurons", 100, dup_shared_neuron_model, {}, {"X": 0.0, "XShared": 0.0}
    )
    cs = model.add_current_source("CurrentSource", dup_shared_cs_model, n_pop, {}, {"X": 0.0, "XShared": 0.0})
    dense_s_pop = model.add_synapse_population(
        "DenseSynapses",
        "DENSE",
        ss_pop,
        n_pop,
        _wu_init(),
        init_postsynaptic(dup_shared_psm_model, {}, {"psmX": 0.0, "psmXShared": 0.0}),
    )
    return ss_pop, n_pop, cs, dense_s_pop


@pytest.mark.parametrize("precision", PRECISIONS)
def test_custom_update_set_time_everywhere(tmp_path, precision):
    """GeNN's test_custom_update: a custom update writes ``t`` into every kind of variable."""
    custom_update_model = create_custom_update_model(
        "custom_update", vars=[("X", "scalar", CustomUpdateVarAccess.READ_ONLY)], var_refs=[("R", "scalar")]
    )

    model = make_model("test_custom_update", precision)
    ss_pop, n_pop, cs, dense_s_pop = _add_dup_shared_groups(model)
    sparse_s_pop = model.add_synapse_population(
        "SparseSynapses",
        "SPARSE",
        ss_pop,
        n_pop,
        _wu_init(),
        init_postsynaptic("DeltaCurr"),
        init_sparse_connectivity("FixedNumberPostWithReplacement", {"num": 10}),
    )

    cu = model.add_custom_update(
        "CustomUpdate", "Test", custom_update_model, {}, {"X": 0.0}, {"R": create_var_ref(n_pop, "X")}
    )
    dense_cu = model.add_custom_update(
        "DenseCustomUpdate",
        "Test",
        custom_update_model,
        {},
        {"X": 0.0},
        {"R": create_wu_var_ref(dense_s_pop, "X")},
    )
    sparse_cu = model.add_custom_update(
        "SparseCustomUpdate",
        "Test",
        custom_update_model,
        {},
        {"X": 0.0},
        {"R": create_wu_var_ref(sparse_s_pop, "X")},
    )

    def set_time(name, ref):
        return model.add_custom_update(name, "Test", set_time_model, {}, {"V": 0.0}, {"R": ref})

    set_time_n = set_time("NeuronSetTime", create_var_ref(n_pop, "X"))
    model.add_custom_update(
        "NeuronSharedSetTime", "Test", set_time_shared_model, {}, {}, {"R": create_var_ref(n_pop, "XShared")}
    )
    set_time_cs = set_time("CurrentSourceSetTime", create_var_ref(cs, "X"))
    set_time_psm = set_time("PSMDenseSetTime", create_psm_var_ref(dense_s_pop, "psmX"))
    set_time_pre = set_time("WUPreDenseSetTime", create_wu_pre_var_ref(dense_s_pop, "preX"))
    set_time_post = set_time("WUPostDenseSetTime", create_wu_post_var_ref(dense_s_pop, "postX"))
    set_time_cu = set_time("CUSetTime", create_var_ref(cu, "X"))
    set_time_wu_dense = set_time("WUDenseSetTime", create_wu_var_ref(dense_s_pop, "X"))
    set_time_wu_sparse = set_time("WUSparseSetTime", create_wu_var_ref(sparse_s_pop, "X"))
    set_time_cu_dense = set_time("CUDenseSetTime", create_wu_var_ref(dense_cu, "X"))
    set_time_cu_sparse = set_time("CUSparseSetTime", create_wu_var_ref(sparse_cu, "X"))

    build_load(model, tmp_path)
    sparse_s_pop.pull_connectivity_from_device()
    assert len(sparse_s_pop.get_sparse_pre_inds()) == 100

    samples = [
        (n_pop, n_pop.vars["X"], (100,)),
        (set_time_n, set_time_n.vars["V"], (100,)),
        (n_pop, n_pop.vars["XShared"], (1,)),
        (cs, cs.vars["X"], (100,)),
        (set_time_cs, set_time_cs.vars["V"], (100,)),
        (dense_s_pop, dense_s_pop.psm_vars["psmX"], (100,)),
        (set_time_psm, set_time_psm.vars["V"], (100,)),
        (dense_s_pop, dense_s_pop.pre_vars["preX"], (10,)),
        (set_time_pre, set_time_pre.vars["V"], (10,)),
        (dense_s_pop, dense_s_pop.post_vars["postX"], (100,)),
        (set_time_post, set_time_post.vars["V"], (100,)),
        (cu, cu.vars["X"], (100,)),
        (set_time_cu, set_time_cu.vars["V"], (100,)),
        (dense_s_pop, dense_s_pop.vars["X"], (10 * 100,)),
        (set_time_wu_dense, set_time_wu_dense.vars["V"], (10 * 100,)),
        (sparse_s_pop, sparse_s_pop.vars["X"], (10 * 10,)),
        (set_time_wu_sparse, set_time_wu_sparse.vars["V"], (10 * 10,)),
        (dense_cu, dense_cu.vars["X"], (10 * 100,)),
        (set_time_cu_dense, set_time_cu_dense.vars["V"], (10 * 100,)),
        (sparse_cu, sparse_cu.vars["X"], (10 * 10,)),
        (set_time_cu_sparse, set_time_cu_sparse.vars["V"], (10 * 10,)),
    ]
    while model.timestep < 20:
        if model.timestep % 10 == 0:
            model.custom_update("Test")
        model.step_time()
        correct = 10.0 * ((model.timestep - 1) // 10)
        for pop, var, shape in samples:
            var.pull_from_device()
            values = var.values
            assert values.shape == shape, f"{pop.name} var {var.name}: shape {values.shape} != {shape}"
            assert np.allclose(values, correct), f"{pop.name} var {var.name}: {values} != {correct}"


@pytest.mark.parametrize("kind", ["current_source", "psm", "wu_pre", "wu_post"])
def test_shared_neuron_vars_have_one_value(tmp_path, kind):
    """GeNN's test_custom_update: *Shared vars (READ_ONLY_SHARED_NEURON) have shape (1,)."""
    model = make_model("test_shared_shape")
    _, _, cs, sg = _add_dup_shared_groups(model)
    group, var, ref = {
        "current_source": (cs, cs.vars["XShared"], create_var_ref(cs, "XShared")),
        "psm": (sg, sg.psm_vars["psmXShared"], create_psm_var_ref(sg, "psmXShared")),
        "wu_pre": (sg, sg.pre_vars["preXShared"], create_wu_pre_var_ref(sg, "preXShared")),
        "wu_post": (sg, sg.post_vars["postXShared"], create_wu_post_var_ref(sg, "postXShared")),
    }[kind]
    model.add_custom_update("SharedSetTime", "Test", set_time_shared_model, {}, {}, {"R": ref})
    build_load(model, tmp_path)
    model.step_time_n(3)
    model.custom_update("Test")
    assert var.values.shape == (1,), f"{group.name} var {var.name} has shape {var.values.shape}"
    assert np.allclose(var.values, 3.0)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_custom_update_wu_indices(tmp_path, precision):
    """Per-synapse custom updates see id_pre / id_post (DENSE and SPARSE)."""
    cu_model = create_custom_update_model(
        "ids", update_code="R = (id_pre * 100.0) + id_post;", var_refs=[("R", "scalar")]
    )
    model = make_model("test_cu_wu_ids", precision)
    pre = model.add_neuron_population("Pre", 7, empty_neuron_model)
    post = model.add_neuron_population("Post", 11, empty_neuron_model)
    dense = model.add_synapse_population(
        "Dense",
        "DENSE",
        pre,
        post,
        init_weight_update("StaticPulse", {}, {"g": -1.0}),
        init_postsynaptic("DeltaCurr"),
    )
    sparse = model.add_synapse_population(
        "Sparse",
        "SPARSE",
        pre,
        post,
        init_weight_update("StaticPulse", {}, {"g": -1.0}),
        init_postsynaptic("DeltaCurr"),
        init_sparse_connectivity("FixedProbability", {"prob": 0.4}),
    )
    model.add_custom_update("D", "Ids", cu_model, {}, {}, {"R": create_wu_var_ref(dense, "g")})
    model.add_custom_update("S", "Ids", cu_model, {}, {}, {"R": create_wu_var_ref(sparse, "g")})
    build_load(model, tmp_path)
    model.custom_update("Ids")
    i, j = np.meshgrid(np.arange(7), np.arange(11), indexing="ij")
    assert np.array_equal(dense.vars["g"].view.reshape(7, 11), i * 100.0 + j)
    pre_inds, post_inds = sparse.get_sparse_pre_inds(), sparse.get_sparse_post_inds()
    assert len(pre_inds) > 0
    assert np.array_equal(sparse.vars["g"].values, pre_inds * 100.0 + post_inds)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_custom_update_transpose(tmp_path, precision):
    """The built-in Transpose custom update on a non-square DENSE matrix."""
    static_pulse_duplicate = create_weight_update_model(
        "static_pulse_duplicate",
        vars=[("g", "scalar", VarAccess.READ_ONLY_DUPLICATE)],
        pre_spike_syn_code="addToPost(g);",
    )
    rng = np.random.default_rng(7)
    model = make_model("test_custom_update_transpose", precision)
    pre = model.add_neuron_population("PreNeurons", 20, empty_neuron_model)
    post = model.add_neuron_population("PostNeurons", 30, empty_neuron_model)
    g = rng.normal(size=20 * 30)
    forward = model.add_synapse_population(
        "ForwardSynapses",
        "DENSE",
        pre,
        post,
        init_weight_update(static_pulse_duplicate, {}, {"g": g}),
        init_postsynaptic("DeltaCurr"),
    )
    transpose = model.add_synapse_population(
        "TransposeSynapses",
        "DENSE",
        post,
        pre,
        init_weight_update(static_pulse_duplicate, {}, {"g": 0.0}),
        init_postsynaptic("DeltaCurr"),
    )
    model.add_custom_update(
        "Transpose",
        "Transpose",
        "Transpose",
        {},
        {},
        {"variable": create_wu_var_ref(forward, "g", transpose, "g")},
    )
    build_load(model, tmp_path)
    assert np.all(transpose.vars["g"].view == 0.0)
    model.custom_update("Transpose")
    forward.vars["g"].pull_from_device()
    transpose.vars["g"].pull_from_device()
    dtype = np.float32 if precision == "float" else np.float64
    forward_g = forward.vars["g"].view.reshape(20, 30)
    assert np.array_equal(forward_g, g.astype(dtype).reshape(20, 30))  # forward is left untouched
    assert np.array_equal(transpose.vars["g"].view.reshape(30, 20), forward_g.T)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_custom_update_neuron_reduce_softmax(tmp_path, precision):
    """GeNN's softmax: REDUCE_NEURON_MAX, then REDUCE_NEURON_SUM custom-update vars, then a normalise."""
    reduction_neuron_model = create_neuron_model(
        "reduction_neuron",
        vars=[("X", "scalar", VarAccess.READ_ONLY_DUPLICATE), ("Y", "scalar", VarAccess.READ_ONLY_DUPLICATE)],
    )
    softmax_1 = create_custom_update_model(
        "softmax_1",
        update_code="MaxX = X;",
        vars=[("MaxX", "scalar", CustomUpdateVarAccess.REDUCE_NEURON_MAX)],
        var_refs=[("X", "scalar", VarAccessMode.READ_ONLY)],
    )
    softmax_2 = create_custom_update_model(
        "softmax_2",
        update_code="SumExpX = exp(X - MaxX);",
        vars=[("SumExpX", "scalar", CustomUpdateVarAccess.REDUCE_NEURON_SUM)],
        var_refs=[("X", "scalar", VarAccessMode.READ_ONLY), ("MaxX", "scalar", VarAccessMode.READ_ONLY)],
    )
    softmax_3 = create_custom_update_model(
        "softmax_3",
        update_code="Y = exp(X - MaxX) / SumExpX;",
        var_refs=[
            ("X", "scalar", VarAccessMode.READ_ONLY),
            ("MaxX", "scalar", VarAccessMode.READ_ONLY),
            ("SumExpX", "scalar", VarAccessMode.READ_ONLY),
            ("Y", "scalar", VarAccessMode.READ_WRITE),
        ],
    )

    rng = np.random.default_rng(11)
    x = rng.uniform(high=10.0, size=50)
    model = make_model("test_custom_update_neuron_reduce", precision)
    n_pop = model.add_neuron_population("Neurons", 50, reduction_neuron_model, {}, {"X": x, "Y": 0.0})
    cu1 = model.add_custom_update(
        "Softmax1", "Softmax1", softmax_1, {}, {"MaxX": 0.0}, {"X": create_var_ref(n_pop, "X")}
    )
    cu2 = model.add_custom_update(
        "Softmax2",
        "Softmax2",
        softmax_2,
        {},
        {"SumExpX": 0.0},
        {"X": create_var_ref(n_pop, "X"), "MaxX": create_var_ref(cu1, "MaxX")},
    )
    model.add_custom_update(
        "Softmax3",
        "Softmax3",
        softmax_3,
        {},
        {},
        {
            "X": create_var_ref(n_pop, "X"),
            "MaxX": create_var_ref(cu1, "MaxX"),
            "SumExpX": create_var_ref(cu2, "SumExpX"),
            "Y": create_var_ref(n_pop, "Y"),
        },
    )
    build_load(model, tmp_path)
    model.custom_update("Softmax1")
    model.custom_update("Softmax2")
    model.custom_update("Softmax3")

    assert cu1.vars["MaxX"].values.shape == (1,)
    assert cu2.vars["SumExpX"].values.shape == (1,)
    assert np.isclose(cu1.vars["MaxX"].values[0], x.max(), rtol=1e-6)
    assert np.isclose(cu2.vars["SumExpX"].values[0], np.exp(x - x.max()).sum(), rtol=1e-5)
    expected = np.exp(x - x.max()) / np.exp(x - x.max()).sum()
    n_pop.vars["Y"].pull_from_device()
    assert np.allclose(n_pop.vars["Y"].view, expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_var_ref_neuron_reductions(tmp_path, precision):
    """REDUCE_SUM / REDUCE_MAX var refs into READ_ONLY_SHARED_NEURON vars reduce over neurons."""
    neuron_model = create_neuron_model(
        "neuron",
        vars=[
            ("X", "scalar", VarAccess.READ_ONLY_DUPLICATE),
            ("SumX", "scalar", VarAccess.READ_ONLY_SHARED_NEURON),
            ("MaxX", "scalar", VarAccess.READ_ONLY_SHARED_NEURON),
        ],
    )
    reduce_model = create_custom_update_model(
        "reduce",
        update_code="S = X;\nM = X;",
        var_refs=[
            ("X", "scalar", VarAccessMode.READ_ONLY),
            ("S", "scalar", VarAccessMode.REDUCE_SUM),
            ("M", "scalar", VarAccessMode.REDUCE_MAX),
        ],
    )
    rng = np.random.default_rng(5)
    x = rng.uniform(-100.0, -1.0, size=37)  # all negative: a 0 start value for the max would show
    model = make_model("test_var_ref_reduce", precision)
    pop = model.add_neuron_population("Pop", 37, neuron_model, {}, {"X": x, "SumX": 123.0, "MaxX": 123.0})
    model.add_custom_update(
        "Reduce",
        "Reduce",
        reduce_model,
        {},
        {},
        {"X": create_var_ref(pop, "X"), "S": create_var_ref(pop, "SumX"), "M": create_var_ref(pop, "MaxX")},
    )
    build_load(model, tmp_path)
    assert pop.vars["SumX"].values.shape == (1,)
    model.custom_update("Reduce")
    assert np.isclose(pop.vars["SumX"].values[0], x.sum(), rtol=1e-5)
    assert np.isclose(pop.vars["MaxX"].values[0], x.max(), rtol=1e-6)
    # reducing again gives the same (the reduction starts afresh, it does not accumulate)
    model.custom_update("Reduce")
    assert np.isclose(pop.vars["SumX"].values[0], x.sum(), rtol=1e-5)


def test_custom_update_var_neuron_reductions(tmp_path):
    """REDUCE_NEURON_SUM / REDUCE_NEURON_MAX custom-update variables hold one value each."""
    model_def = create_custom_update_model(
        "stats",
        update_code="Total = X * X;\nBiggest = X;",
        vars=[
            ("Total", "scalar", CustomUpdateVarAccess.REDUCE_NEURON_SUM),
            ("Biggest", "scalar", CustomUpdateVarAccess.REDUCE_NEURON_MAX),
        ],
        var_refs=[("X", "scalar", VarAccessMode.READ_ONLY)],
    )
    x = -np.linspace(1.0, 5.0, 9)
    model = make_model("test_cu_var_reduce", "double")
    pop = model.add_neuron_population(
        "Pop", 9, create_neuron_model("nx", vars=[("X", "scalar")]), {}, {"X": x}
    )
    cu = model.add_custom_update(
        "Stats", "Stats", model_def, {}, {"Total": 0.0, "Biggest": 0.0}, {"X": create_var_ref(pop, "X")}
    )
    build_load(model, tmp_path)
    model.custom_update("Stats")
    assert cu.vars["Total"].values.shape == (1,)
    assert np.isclose(cu.vars["Total"].values[0], np.sum(x * x))
    assert cu.vars["Biggest"].values[0] == x.max()


@pytest.mark.parametrize("precision", PRECISIONS)
def test_batch_reduction_with_one_batch(tmp_path, precision):
    """GeNN's test_custom_update_batch_reduction, batch size 1: reductions copy (DENSE, SPARSE, neurons)."""
    neuron_model = create_neuron_model(
        "neuron",
        vars=[("X", "scalar", VarAccess.READ_ONLY_DUPLICATE), ("SumX", "scalar", VarAccess.READ_ONLY)],
    )
    weight_update_model = create_weight_update_model(
        "weight_update",
        vars=[("X", "scalar", VarAccess.READ_ONLY_DUPLICATE), ("SumX", "scalar", VarAccess.READ_ONLY)],
    )
    reduction_model = create_custom_update_model(
        "reduction_custom_update",
        update_code="SumX = X;\nMaxX = X;",
        vars=[("MaxX", "scalar", CustomUpdateVarAccess.REDUCE_BATCH_MAX)],
        var_refs=[("X", "scalar", VarAccessMode.READ_ONLY), ("SumX", "scalar", VarAccessMode.REDUCE_SUM)],
    )
    rng = np.random.default_rng(3)
    model = make_model("test_custom_update_batch_reduction", precision)
    ss_pop = model.add_neuron_population("SpikeSource", 10, empty_neuron_model)
    x_n = rng.uniform(high=100.0, size=100)
    n_pop = model.add_neuron_population("Neurons", 100, neuron_model, {}, {"X": x_n, "SumX": 0.0})
    x_dense = rng.uniform(high=100.0, size=1000)
    dense = model.add_synapse_population(
        "DenseSynapses",
        "DENSE",
        ss_pop,
        n_pop,
        init_weight_update(weight_update_model, {}, {"X": x_dense, "SumX": 0.0}),
        init_postsynaptic("DeltaCurr"),
    )
    x_sparse = rng.uniform(high=100.0, size=100)
    pre_ind = np.repeat(np.arange(10), 10)
    post_ind = rng.integers(0, 100, len(pre_ind))
    sparse = model.add_synapse_population(
        "SparseSynapses",
        "SPARSE",
        ss_pop,
        n_pop,
        init_weight_update(weight_update_model, {}, {"X": x_sparse, "SumX": 0.0}),
        init_postsynaptic("DeltaCurr"),
    )
    sparse.set_sparse_connections(pre_ind, post_ind)
    red_n = model.add_custom_update(
        "NeuronReduce",
        "Test",
        reduction_model,
        {},
        {"MaxX": 0.0},
        {"X": create_var_ref(n_pop, "X"), "SumX": create_var_ref(n_pop, "SumX")},
    )
    red_d = model.add_custom_update(
        "DenseSynapseReduce",
        "Test",
        reduction_model,
        {},
        {"MaxX": 0.0},
        {"X": create_wu_var_ref(dense, "X"), "SumX": create_wu_var_ref(dense, "SumX")},
    )
    red_s = model.add_custom_update(
        "SparseSynapseReduce",
        "Test",
        reduction_model,
        {},
        {"MaxX": 0.0},
        {"X": create_wu_var_ref(sparse, "X"), "SumX": create_wu_var_ref(sparse, "SumX")},
    )
    build_load(model, tmp_path)
    model.custom_update("Test")

    order = np.lexsort((post_ind, pre_ind))  # synapses are stored row by row
    for group, cu, x in ((n_pop, red_n, x_n), (dense, red_d, x_dense), (sparse, red_s, x_sparse[order])):
        group.vars["SumX"].pull_from_device()
        cu.vars["MaxX"].pull_from_device()
        assert np.allclose(group.vars["SumX"].values, x), group.name
        assert np.allclose(cu.vars["MaxX"].values, x), cu.name


@pytest.mark.parametrize("use_snippet", [False, True])
def test_sparse_custom_update_double_and_restore(tmp_path, use_snippet):
    """GeNN's test_host_sparsity / test_device_sparsity: double g, restore it through values, double again."""
    double_model = create_custom_update_model(
        "double_custom_update", update_code="X *= 2.0;", var_refs=[("X", "scalar")]
    )
    weight_init = create_var_init_snippet("weight_init", var_init_code="value = (scalar)id_pre / id_post;")
    rng = np.random.default_rng(2)
    model = make_model("test_sparsity", "double")
    pre = model.add_neuron_population("Pre", 10, empty_neuron_model)
    post = model.add_neuron_population("Post", 10, empty_neuron_model)
    if use_snippet:
        sg = model.add_synapse_population(
            "Synapses",
            "SPARSE",
            pre,
            post,
            init_weight_update("StaticPulse", {}, {"g": init_var(weight_init)}),
            init_postsynaptic("DeltaCurr"),
            init_sparse_connectivity("FixedNumberTotalWithReplacement", {"num": 20}),
        )
    else:
        pre_ind = rng.integers(10, size=20)
        post_ind = rng.integers(1, 10, size=20)
        sg = model.add_synapse_population(
            "Synapses",
            "SPARSE",
            pre,
            post,
            init_weight_update("StaticPulse", {}, {"g": pre_ind / post_ind}),
            init_postsynaptic("DeltaCurr"),
        )
        sg.set_sparse_connections(pre_ind, post_ind)
    model.add_custom_update("DoubleG", "Double", double_model, {}, {}, {"X": create_wu_var_ref(sg, "g")})
    build_load(model, tmp_path)
    sg.pull_connectivity_from_device()
    pre_inds, post_inds = sg.get_sparse_pre_inds(), sg.get_sparse_post_inds()
    assert len(pre_inds) == 20
    with np.errstate(divide="ignore", invalid="ignore"):
        baseline = pre_inds / post_inds.astype(float)

    def check(a, b):
        assert np.array_equal(np.isfinite(a), np.isfinite(b))
        assert np.allclose(a[np.isfinite(a)], b[np.isfinite(b)])

    check(sg.vars["g"].values, baseline)
    model.custom_update("Double")
    sg.vars["g"].pull_from_device()
    check(sg.vars["g"].values, 2.0 * baseline)
    sg.vars["g"].values = baseline
    sg.vars["g"].push_to_device()
    model.custom_update("Double")
    check(sg.vars["g"].values, 2.0 * baseline)


def _delayed_model(name):
    """Pop 'Post' whose V (= t) is read with an axonal delay of 3, so V has 4 delay slots."""
    model = make_model(name)
    n_model = create_neuron_model("vt", vars=[("V", "scalar"), ("U", "scalar")], sim_code="V = t;\nU = t;")
    pop = model.add_neuron_population("Post", 4, n_model, {}, {"V": -1.0, "U": -1.0})
    other = model.add_neuron_population("Other", 2, empty_neuron_model)
    reader = create_weight_update_model(
        "reader",
        pre_neuron_var_refs=[("V", "scalar", VarAccessMode.READ_ONLY)],
        synapse_dynamics_code="addToPost(V);",
    )
    sg = model.add_synapse_population(
        "Delayed",
        "DENSE",
        pop,
        other,
        init_weight_update(reader, {}, {}, pre_var_refs={"V": create_var_ref(pop, "V")}),
        init_postsynaptic("DeltaCurr"),
    )
    sg.axonal_delay_steps = 3
    return model, pop


def test_current_view_of_delayed_var(tmp_path):
    model, pop = _delayed_model("test_current_view")
    build_load(model, tmp_path)
    v = pop.vars["V"]
    assert v.view.shape == (4, 4)
    assert np.all(v.view == -1.0)  # every delay slot is initialised
    assert pop.vars["U"].view.shape == (4,)  # not read with a delay: one slot
    history = []
    for _ in range(6):
        model.step_time()
        history.append(model.t - model.dt)
        assert np.all(v.current_view == history[-1])
        assert np.all(v.current_values == history[-1])
        assert np.all(pop.vars["U"].current_view == history[-1])
    # the four slots hold the last four values, whatever the slot of the newest one
    assert sorted(np.unique(v.view)) == history[-4:]
    # rows are one slot each
    assert all(len(np.unique(row)) == 1 for row in v.view)


def test_custom_update_on_delayed_var_writes_current_slot(tmp_path):
    """GeNN's test_custom_update_delay (READ_WRITE reference): the current delay slot is updated."""
    set_model = create_custom_update_model(
        "set", update_code="R = 100.0 + t;", var_refs=[("R", "scalar", VarAccessMode.READ_WRITE)]
    )
    model, pop = _delayed_model("test_cu_delay")
    model.add_custom_update("SetV", "Set", set_model, {}, {}, {"R": create_var_ref(pop, "V")})
    model.add_custom_update("SetU", "Set", set_model, {}, {}, {"R": create_var_ref(pop, "U")})
    build_load(model, tmp_path)
    model.step_time_n(5)
    before = pop.vars["V"].values
    model.custom_update("Set")
    assert np.all(pop.vars["V"].current_view == 105.0)
    assert np.all(pop.vars["U"].view == 105.0)
    changed = np.any(pop.vars["V"].view != before, axis=1)
    assert changed.sum() == 1  # only the current slot


def test_custom_update_on_delayed_wu_pre_var(tmp_path):
    """GeNN's test_custom_update_delay (WUPreDelaySetTime): a delayed presynaptic variable's current slot."""
    n_model = create_neuron_model("vt", vars=[("V", "scalar")], sim_code="V = t;")
    wu = create_weight_update_model(
        "pre_weight_update",
        pre_vars=[("pre", "scalar")],
        vars=[("g", "scalar", VarAccess.READ_ONLY_DUPLICATE)],
        pre_neuron_var_refs=[("V", "scalar", VarAccessMode.READ_ONLY)],
        synapse_dynamics_code="addToPost(pre * g);",
        pre_dynamics_code="pre = V;",
    )
    set_model = create_custom_update_model(
        "set", update_code="R = 100.0 + t;", var_refs=[("R", "scalar", VarAccessMode.READ_WRITE)]
    )
    model = make_model("test_cu_pre_delay")
    pre = model.add_neuron_population("Pre", 4, n_model, {}, {"V": 0.0})
    post = model.add_neuron_population("Post", 3, empty_neuron_model)
    sg = model.add_synapse_population(
        "Syn",
        "DENSE",
        pre,
        post,
        init_weight_update(wu, {}, {"g": 0.0}, {"pre": -1.0}, pre_var_refs={"V": create_var_ref(pre, "V")}),
        init_postsynaptic("DeltaCurr"),
    )
    sg.axonal_delay_steps = 2
    model.add_custom_update("PreSet", "Set", set_model, {}, {}, {"R": create_wu_pre_var_ref(sg, "pre")})
    build_load(model, tmp_path)
    var = sg.pre_vars["pre"]
    assert var.view.shape == (3, 4) and np.all(var.view == -1.0)
    model.step_time_n(4)
    assert np.all(var.current_view == 3.0)
    assert sorted(np.unique(var.view)) == [1.0, 2.0, 3.0]
    model.custom_update("Set")
    assert np.all(var.current_view == 104.0)
    assert sorted(np.unique(var.view)) == [1.0, 2.0, 104.0]


def test_custom_update_broadcast_to_all_delay_slots(tmp_path):
    """GeNN's test_custom_update_delay (BROADCAST reference): every delay slot gets the value."""
    broadcast_model = create_custom_update_model(
        "broadcast", update_code="R = 200.0 + t;", var_refs=[("R", "scalar", VarAccessMode.BROADCAST)]
    )
    model, pop = _delayed_model("test_cu_broadcast")
    model.add_custom_update(
        "Broadcast", "Broadcast", broadcast_model, {}, {}, {"R": create_var_ref(pop, "V")}
    )
    build_load(model, tmp_path)
    model.step_time_n(5)
    model.custom_update("Broadcast")
    assert np.all(pop.vars["V"].view == 205.0)


# =========================================================================== extra global parameters
def test_spike_source_array(tmp_path):
    spike_times = [[0.0, 2.0, 2.5, 7.0], [], [1.0, 1.0, 4.0], [9.0], [3.5]]
    counts = np.array([len(s) for s in spike_times])
    end = np.cumsum(counts)
    start = end - counts
    model = make_model("test_ssa")
    ssa = model.add_neuron_population(
        "SSA", len(spike_times), "SpikeSourceArray", {}, {"startSpike": start, "endSpike": end}
    )
    ssa.extra_global_params["spikeTimes"].set_init_values(
        np.concatenate([np.asarray(s) for s in spike_times])
    )
    ssa.spike_recording_enabled = True
    num_steps = 12
    build_load(model, tmp_path, num_recording_timesteps=num_steps)
    assert np.array_equal(ssa.vars["startSpike"].view, start)
    model.step_time_n(num_steps)
    model.pull_recording_buffers_from_device()

    # reference: one spike per step at most, when t >= the next spike time
    expected = []
    for i, times in enumerate(spike_times):
        k = 0
        for step in range(num_steps):
            if k < len(times) and step * 1.0 >= times[k]:
                expected.append((step * 1.0, i))
                k += 1
    expected.sort()
    times, ids = ssa.spike_recording_data[0]
    assert sorted(zip(np.asarray(times).tolist(), np.asarray(ids).tolist(), strict=True)) == expected
    # each neuron has consumed all of its spikes
    assert np.array_equal(ssa.vars["startSpike"].view, end)


def test_egp_pointer_read_and_update_after_load(tmp_path):
    """A scalar* EGP read by index; new values through egp.values + push_to_device, and through the view."""
    n_model = create_neuron_model(
        "egp_reader",
        vars=[("x", "scalar")],
        sim_code="x = scale[id] * 2.0;",
        extra_global_params=[("scale", "scalar*")],
    )
    model = make_model("test_egp")
    pop = model.add_neuron_population("Pop", 4, n_model, {}, {"x": 0.0})
    egp = pop.extra_global_params["scale"]
    egp.set_init_values(np.arange(4.0))
    build_load(model, tmp_path)
    assert np.array_equal(egp.values, np.arange(4.0))
    model.step_time()
    assert np.array_equal(pop.vars["x"].view, 2.0 * np.arange(4.0))

    egp.values = np.array([10.0, 20.0, 30.0, 40.0])
    egp.push_to_device()
    model.step_time()
    assert np.array_equal(pop.vars["x"].view, [20.0, 40.0, 60.0, 80.0])

    egp.view[:] = 1.5
    egp.push_to_device()
    model.step_time()
    assert np.array_equal(pop.vars["x"].view, [3.0] * 4)


def test_egp_var_init(tmp_path):
    """GeNN's test_egp_var_init: var-init snippets read their own EGP (neuron, CS, DENSE, SPARSE)."""

    def repeat_snippet(name, index):
        return create_var_init_snippet(
            name, var_init_code=f"value = values[{index} % 10];", extra_global_params=[("values", "scalar*")]
        )

    repeat = repeat_snippet("repeat_var_init", "id")
    pre_repeat = repeat_snippet("pre_repeat_var_init", "id_pre")
    post_repeat = repeat_snippet("post_repeat_var_init", "id_post")
    nop_neuron = create_neuron_model("nop_neuron", vars=[("repeat", "scalar")])
    nop_cs = create_current_source_model("nop_current_source", vars=[("repeat", "scalar")])
    nop_psm = create_postsynaptic_model("nop_postsynaptic_update", vars=[("psm_repeat", "scalar")])
    nop_wu = create_weight_update_model(
        "nop_weight_update",
        vars=[("repeat", "scalar")],
        pre_vars=[("pre_repeat", "scalar")],
        post_vars=[("post_repeat", "scalar")],
    )

    correct = np.arange(10.0)
    model = make_model("test_egp_var_init")
    ss_pop = model.add_neuron_population("SpikeSource", 20, empty_neuron_model)
    n_pop = model.add_neuron_population("Neurons", 20, nop_neuron, {}, {"repeat": init_var(repeat)})
    cs = model.add_current_source("CurrentSource", nop_cs, n_pop, {}, {"repeat": init_var(repeat)})
    dense = model.add_synapse_population(
        "DenseSynapses",
        "DENSE",
        ss_pop,
        n_pop,
        init_weight_update(
            nop_wu,
            {},
            {"repeat": init_var(pre_repeat)},
            {"pre_repeat": init_var(repeat)},
            {"post_repeat": init_var(repeat)},
        ),
        init_postsynaptic(nop_psm, {}, {"psm_repeat": init_var(repeat)}),
    )
    sparse = model.add_synapse_population(
        "SparseSynapses",
        "SPARSE",
        ss_pop,
        n_pop,
        init_weight_update(
            nop_wu,
            {},
            {"repeat": init_var(post_repeat)},
            {"pre_repeat": init_var(repeat)},
            {"post_repeat": init_var(repeat)},
        ),
        init_postsynaptic("DeltaCurr"),
        init_sparse_connectivity("OneToOne"),
    )
    var_dicts = [
        (n_pop, n_pop.vars, "repeat"),
        (cs, cs.vars, "repeat"),
        (dense, dense.vars, "repeat"),
        (dense, dense.pre_vars, "pre_repeat"),
        (dense, dense.post_vars, "post_repeat"),
        (dense, dense.psm_vars, "psm_repeat"),
        (sparse, sparse.vars, "repeat"),
        (sparse, sparse.pre_vars, "pre_repeat"),
        (sparse, sparse.post_vars, "post_repeat"),
    ]
    for _, var_dict, name in var_dicts:
        var_dict[name].extra_global_params["values"].set_init_values(correct)
    build_load(model, tmp_path)

    tiled = np.tile(correct, 2)
    for pop, var_dict, name in var_dicts:
        var = var_dict[name]
        var.pull_from_device()
        if pop is dense and name == "repeat":
            expected = np.repeat(tiled, 20)  # id_pre % 10, row-major (pre, post)
        else:
            expected = tiled
        assert np.allclose(var.values, expected), f"'{pop.name}' {name} initialisation incorrect"


def test_custom_update_reads_egp_ref(tmp_path):
    """A custom update reads a neuron population's EGP through an EGP reference."""
    n_model = create_neuron_model("n", vars=[("x", "scalar")], extra_global_params=[("e", "scalar*")])
    cu_model = create_custom_update_model(
        "copy_egp",
        update_code="v = e[id] + t;",
        var_refs=[("v", "scalar")],
        extra_global_param_refs=[("e", "scalar*")],
    )
    model = make_model("test_egp_ref_read")
    pop = model.add_neuron_population("Neurons", 6, n_model, {}, {"x": 0.0})
    pop.extra_global_params["e"].set_init_values(np.arange(6.0) * 3.0)
    model.add_custom_update(
        "CU", "Copy", cu_model, {}, {}, {"v": create_var_ref(pop, "x")}, {"e": create_egp_ref(pop, "e")}
    )
    build_load(model, tmp_path)
    model.step_time_n(2)
    model.custom_update("Copy")
    assert np.array_equal(pop.vars["x"].view, np.arange(6.0) * 3.0 + 2.0)


def test_custom_update_writes_egp_ref(tmp_path):
    """GeNN's test_egp_ref: a custom update writes a neuron EGP through a reference; sim code reads it."""
    neuron_model = create_neuron_model(
        "neuron", sim_code="x = e[id];", vars=[("x", "scalar")], extra_global_params=[("e", "scalar*")]
    )
    custom_update_model = create_custom_update_model(
        "custom_update",
        update_code="""
        if(id == (int)round(fmod(t, 10.0))) {
           e[id] = 1.0;
        }
        else {
           e[id] = 0.0;
        }
        """,
        var_refs=[("v", "scalar")],
        extra_global_param_refs=[("e", "scalar*")],
    )
    model = make_model("test_egp_ref")
    n_pop = model.add_neuron_population("Neurons", 10, neuron_model, {}, {"x": 10.0})
    n_pop.extra_global_params["e"].set_init_values(np.empty(10))
    model.add_custom_update(
        "CU",
        "CustomUpdate",
        custom_update_model,
        {},
        {},
        {"v": create_var_ref(n_pop, "x")},
        {"e": create_egp_ref(n_pop, "e")},
    )
    build_load(model, tmp_path)
    while model.timestep < 10:
        model.custom_update("CustomUpdate")
        model.step_time()
        correct = np.zeros(10)
        correct[model.timestep - 1] = 1.0
        assert np.allclose(n_pop.vars["x"].view, correct)


# =========================================================================== dynamic parameters
def _dynamic_param_models():
    input_and_shift = {"params": ["input"], "vars": [("x", "scalar"), ("shift", "scalar")]}
    neuron_model = create_neuron_model("neuron", sim_code="x = t + shift + input;", **input_and_shift)
    postsynaptic_model = create_postsynaptic_model(
        "postsynaptic",
        sim_code="injectCurrent(inSyn);\npsmX = t + psmShift + psmInput;\ninSyn = 0;",
        params=["psmInput"],
        vars=[("psmX", "scalar"), ("psmShift", "scalar")],
    )
    weight_update_model = create_weight_update_model(
        "weight_update", synapse_dynamics_code="x = t + shift + input;", **input_and_shift
    )
    current_source_model = create_current_source_model(
        "current_source", injection_code="x = t + shift + input;\ninjectCurrent(0.0);", **input_and_shift
    )
    custom_update_model = create_custom_update_model(
        "custom_update", update_code="x = t + shift + input;", var_refs=[("y", "scalar")], **input_and_shift
    )
    return neuron_model, postsynaptic_model, weight_update_model, current_source_model, custom_update_model


def _dynamic_param_network(precision):
    neuron_model, psm_model, wu_model, cs_model, cu_model = _dynamic_param_models()
    model = make_model("test_dynamic_param", precision)
    shift = np.arange(0.0, 100.0, 10.0)
    pre = model.add_neuron_population(
        "PreNeurons", 10, neuron_model, {"input": 0.0}, {"x": 0.0, "shift": shift}
    )
    pre.set_param_dynamic("input")
    post = model.add_neuron_population(
        "PostNeurons", 10, neuron_model, {"input": 0.0}, {"x": 0.0, "shift": shift}
    )
    cs = model.add_current_source("CurrentSource", cs_model, pre, {"input": 0.0}, {"x": 0.0, "shift": shift})
    cs.set_param_dynamic("input")
    cu = model.add_custom_update(
        "CustomUpdate",
        "CustomUpdate",
        cu_model,
        {"input": 0.0},
        {"x": 0.0, "shift": shift},
        {"y": create_var_ref(pre, "x")},
    )
    cu.set_param_dynamic("input")
    sg = model.add_synapse_population(
        "Synapse",
        "SPARSE",
        pre,
        post,
        init_weight_update(wu_model, {"input": 0.0}, {"x": 0.0, "shift": shift}),
        init_postsynaptic(psm_model, {"psmInput": 0.0}, {"psmX": 0.0, "psmShift": shift}),
    )
    sg.set_sparse_connections(np.arange(10), np.arange(10))
    sg.set_wu_param_dynamic("input")
    sg.set_ps_param_dynamic("psmInput")
    return model, shift, pre, post, cs, cu, sg


@pytest.mark.parametrize("precision", PRECISIONS)
def test_dynamic_param(tmp_path, precision):
    """GeNN's test_dynamic_param (without custom connectivity updates): values set after load take effect."""
    model, shift, pre, post, cs, cu, sg = _dynamic_param_network(precision)
    build_load(model, tmp_path)
    variables = [pre.vars["x"], cs.vars["x"], cu.vars["x"], sg.vars["x"]]
    while model.timestep < 10:
        correct = model.t + shift + model.t**2
        model.custom_update("CustomUpdate")
        model.step_time()
        for v in variables:
            v.pull_from_device()
            assert np.allclose(v.values, correct), f"{v.group.name} var {v.name}: {v.values} != {correct}"
            v.group.set_dynamic_param_value("input", model.t**2)
    # the population whose parameter is not dynamic kept its value
    assert np.allclose(post.vars["x"].values, (model.timestep - 1) + shift)


def test_psm_dynamic_param_engine_api(tmp_path):
    """The postsynaptic model's dynamic parameter through set_ps_dynamic_param_value."""
    model, shift, pre, post, cs, cu, sg = _dynamic_param_network("double")
    build_load(model, tmp_path)
    while model.timestep < 5:
        correct = model.t + shift + 3.0 * model.t
        model.step_time()
        assert np.allclose(sg.psm_vars["psmX"].values, correct)
        sg.set_ps_dynamic_param_value("psmInput", 3.0 * model.t)


def test_psm_dynamic_param_via_set_dynamic_param_value(tmp_path):
    model, shift, pre, post, cs, cu, sg = _dynamic_param_network("double")
    build_load(model, tmp_path)
    while model.timestep < 5:
        correct = model.t + shift + model.t**2
        model.step_time()
        assert np.allclose(sg.psm_vars["psmX"].values, correct)
        sg.set_dynamic_param_value("psmInput", model.t**2)


def test_dynamic_param_changes_spiking(tmp_path):
    """A dynamic threshold changes which neurons spike."""
    n_model = create_neuron_model(
        "thresh", params=["theta"], vars=[("V", "scalar")], threshold_condition_code="V > theta"
    )
    model = make_model("test_dynamic_threshold")
    pop = model.add_neuron_population("Pop", 10, n_model, {"theta": 100.0}, {"V": np.arange(10.0)})
    pop.set_param_dynamic("theta")
    pop.spike_recording_enabled = True
    build_load(model, tmp_path, num_recording_timesteps=3)
    model.step_time()
    pop.set_dynamic_param_value("theta", 6.5)
    model.step_time()
    pop.set_dynamic_param_value("theta", 2.5)
    model.step_time()
    model.pull_recording_buffers_from_device()
    times, ids = pop.spike_recording_data[0]
    got = sorted(zip(np.asarray(times).tolist(), np.asarray(ids).tolist(), strict=True))
    assert got == [(1.0, 7), (1.0, 8), (1.0, 9)] + [(2.0, i) for i in range(3, 10)]


# =========================================================================== initial values from arrays
@pytest.mark.parametrize("precision", PRECISIONS)
def test_dense_wu_pre_post_vars_from_arrays(tmp_path, precision):
    wu_model = create_weight_update_model(
        "wu", vars=[("g", "scalar"), ("h", "scalar")], pre_vars=[("a", "scalar")], post_vars=[("b", "scalar")]
    )
    psm_model = create_postsynaptic_model(
        "psm", vars=[("c", "scalar")], sim_code="injectCurrent(inSyn);\ninSyn = 0;"
    )
    rng = np.random.default_rng(4)
    g = rng.normal(size=5 * 6)
    a, b, c = rng.normal(size=5), rng.normal(size=6), rng.normal(size=6)
    model = make_model("test_dense_arrays", precision)
    pre = model.add_neuron_population("Pre", 5, empty_neuron_model)
    post = model.add_neuron_population("Post", 6, empty_neuron_model)
    sg = model.add_synapse_population(
        "Syn",
        "DENSE",
        pre,
        post,
        init_weight_update(wu_model, {}, {"g": g, "h": 0.25}, {"a": a}, {"b": b}),
        init_postsynaptic(psm_model, {}, {"c": c}),
    )
    build_load(model, tmp_path)
    dtype = np.float32 if precision == "float" else np.float64
    assert sg.vars["g"].view.dtype == dtype
    assert sg.weight_update_var_size == 30
    assert np.array_equal(sg.vars["g"].values, g.astype(dtype))
    assert np.array_equal(sg.vars["g"].view.reshape(5, 6)[2, 3], dtype(g[2 * 6 + 3]))
    assert np.all(sg.vars["h"].values == 0.25)
    assert np.array_equal(sg.pre_vars["a"].values, a.astype(dtype))
    assert np.array_equal(sg.post_vars["b"].values, b.astype(dtype))
    assert np.array_equal(sg.psm_vars["c"].values, c.astype(dtype))


def test_sparse_vars_follow_set_sparse_connections_order(tmp_path):
    """Initial values are given in the order of the pre/post index arrays; storage is row by row."""
    wu_model = create_weight_update_model(
        "wu", vars=[("g", "scalar"), ("h", "scalar")], pre_vars=[("a", "scalar")], post_vars=[("b", "scalar")]
    )
    rng = np.random.default_rng(8)
    pairs = np.array([(i, j) for i in range(7) for j in range(9) if rng.random() < 0.4])
    pairs = np.concatenate([pairs, pairs[:3]])  # multapses are allowed
    pairs = pairs[rng.permutation(len(pairs))]
    pre_ind, post_ind = pairs[:, 0], pairs[:, 1]
    g = pre_ind * 100.0 + post_ind
    h = rng.normal(size=len(pre_ind))
    model = make_model("test_sparse_order", "double")
    pre = model.add_neuron_population("Pre", 7, empty_neuron_model)
    post = model.add_neuron_population("Post", 9, empty_neuron_model)
    sg = model.add_synapse_population(
        "Syn",
        "SPARSE",
        pre,
        post,
        init_weight_update(
            wu_model, {}, {"g": g, "h": h}, {"a": np.arange(7.0)}, {"b": 2.0 * np.arange(9.0)}
        ),
        init_postsynaptic("DeltaCurr"),
    )
    sg.set_sparse_connections(pre_ind, post_ind)
    build_load(model, tmp_path)

    got_pre, got_post = sg.get_sparse_pre_inds(), sg.get_sparse_post_inds()
    order = np.lexsort((post_ind, pre_ind))
    assert np.array_equal(got_pre, pre_ind[order])
    assert np.array_equal(got_post, post_ind[order])
    assert np.all(np.diff(got_pre) >= 0)
    assert np.array_equal(sg.vars["g"].values, got_pre * 100.0 + got_post)
    # per-synapse values travel with their synapse, duplicates included
    assert sorted(
        zip(got_pre.tolist(), got_post.tolist(), sg.vars["h"].values.tolist(), strict=True)
    ) == sorted(zip(pre_ind.tolist(), post_ind.tolist(), h.tolist(), strict=True))
    assert np.array_equal(sg.vars["h"].values, h[order])  # GeNN's order: a stable lexsort
    assert np.array_equal(sg.pre_vars["a"].values, np.arange(7.0))
    assert np.array_equal(sg.post_vars["b"].values, 2.0 * np.arange(9.0))
    assert np.bincount(got_pre, minlength=7).max() == sg.max_connections

    # values round-trip through the setter
    new = np.arange(len(pre_ind), dtype=float)
    sg.vars["h"].values = new
    assert np.array_equal(sg.vars["h"].values, new)


def test_sparse_custom_update_vars_are_per_synapse(tmp_path):
    model = make_model("test_sparse_cu_vars", "double")
    pre = model.add_neuron_population("Pre", 3, empty_neuron_model)
    post = model.add_neuron_population("Post", 4, empty_neuron_model)
    sg = model.add_synapse_population(
        "Syn",
        "SPARSE",
        pre,
        post,
        init_weight_update("StaticPulse", {}, {"g": 0.0}),
        init_postsynaptic("DeltaCurr"),
    )
    pre_ind, post_ind = np.array([2, 0, 0, 0]), np.array([2, 3, 0, 1])
    sg.set_sparse_connections(pre_ind, post_ind)
    copy_model = create_custom_update_model(
        "copy", vars=[("Y", "scalar")], var_refs=[("R", "scalar")], update_code="R = Y;"
    )
    y = np.array([10.0, 20.0, 30.0, 40.0])
    cu = model.add_custom_update("Copy", "Copy", copy_model, {}, {"Y": y}, {"R": create_wu_var_ref(sg, "g")})
    build_load(model, tmp_path)
    order = np.lexsort((post_ind, pre_ind))
    assert cu.vars["Y"].values.shape == (4,)
    assert np.array_equal(cu.vars["Y"].values, y[order])
    model.custom_update("Copy")
    assert np.array_equal(sg.vars["g"].values, y[order])


def test_sparse_vars_from_array_with_connectivity_snippet(tmp_path):
    """With an init snippet, array initial values are in storage (row-major) order."""
    model = make_model("test_sparse_snippet_array", "double")
    pre = model.add_neuron_population("Pre", 12, empty_neuron_model)
    post = model.add_neuron_population("Post", 12, empty_neuron_model)
    g = np.linspace(-1.0, 1.0, 12)
    sg = model.add_synapse_population(
        "Syn",
        "SPARSE",
        pre,
        post,
        init_weight_update("StaticPulse", {}, {"g": g}),
        init_postsynaptic("DeltaCurr"),
        init_sparse_connectivity("OneToOne"),
    )
    build_load(model, tmp_path)
    assert np.array_equal(sg.get_sparse_pre_inds(), np.arange(12))
    assert np.array_equal(sg.get_sparse_post_inds(), np.arange(12))
    assert np.array_equal(sg.vars["g"].values, g)


def test_sparse_index_arithmetic_is_signed(tmp_path):
    model = make_model("test_sparse_signed")
    pop = model.add_neuron_population("Pop", 4, empty_neuron_model)
    sg = model.add_synapse_population(
        "Syn",
        "SPARSE",
        pop,
        pop,
        init_weight_update("StaticPulse", {}, {"g": 1.0}),
        init_postsynaptic("DeltaCurr"),
    )
    sg.set_sparse_connections([0, 3, 2], [1, 0, 2])
    build_load(model, tmp_path)
    distance = sg.get_sparse_post_inds() - sg.get_sparse_pre_inds()
    assert np.array_equal(distance, [1, 0, -3])


def test_sparse_synapse_var_view_is_refused(tmp_path):
    model = make_model("test_sparse_view")
    pre = model.add_neuron_population("Pre", 3, empty_neuron_model)
    post = model.add_neuron_population("Post", 3, empty_neuron_model)
    sg = model.add_synapse_population(
        "Syn",
        "SPARSE",
        pre,
        post,
        init_weight_update("StaticPulse", {}, {"g": 1.0}),
        init_postsynaptic("DeltaCurr"),
        init_sparse_connectivity("OneToOne"),
    )
    build_load(model, tmp_path)
    with pytest.raises(Exception, match="values"):
        _ = sg.vars["g"].view
    assert np.array_equal(sg.vars["g"].values, np.ones(3))


def test_sparse_index_getters_need_sparse(tmp_path):
    model = make_model("test_sparse_getters_dense")
    pre = model.add_neuron_population("Pre", 3, empty_neuron_model)
    sg = model.add_synapse_population(
        "Syn",
        "DENSE",
        pre,
        pre,
        init_weight_update("StaticPulse", {}, {"g": 1.0}),
        init_postsynaptic("DeltaCurr"),
    )
    build_load(model, tmp_path)
    with pytest.raises(Exception, match="SPARSE"):
        sg.get_sparse_pre_inds()
    with pytest.raises(Exception, match="SPARSE"):
        sg.get_sparse_post_inds()


# =========================================================================== views, inputs, clock, lifecycle
def test_view_is_live_and_values_is_a_copy(tmp_path):
    counter = create_neuron_model("counter", vars=[("x", "scalar")], sim_code="x += 1.0;")
    model = make_model("test_views")
    pop = model.add_neuron_population("Pop", 5, counter, {}, {"x": np.arange(5.0)})
    build_load(model, tmp_path)
    view = pop.vars["x"].view
    copy = pop.vars["x"].values
    model.step_time()
    assert np.array_equal(view, np.arange(5.0) + 1.0)  # the view follows the simulation
    assert np.array_equal(copy, np.arange(5.0))  # the copy does not
    copy[:] = -100.0
    assert np.array_equal(pop.vars["x"].view, np.arange(5.0) + 1.0)
    view[:] = 10.0  # writing the view changes the state the next step reads
    model.step_time()
    assert np.array_equal(pop.vars["x"].view, np.full(5, 11.0))
    pop.vars["x"].values = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    model.step_time()
    assert np.array_equal(pop.vars["x"].values, np.arange(5.0) + 1.0)


def test_post_target_var_into_additional_input(tmp_path):
    """post_target_var routes a synapse group's input into an additional input variable."""
    n_model = create_neuron_model(
        "two_inputs",
        vars=[("x", "scalar"), ("y", "scalar")],
        sim_code="x = Isyn2;\ny = Isyn;",
        additional_input_vars=[("Isyn2", "scalar", 0.0)],
    )
    model = make_model("test_post_target_var")
    pre = model.add_neuron_population("Pre", 3, always_spike_model)
    post = model.add_neuron_population("Post", 4, n_model, {}, {"x": -1.0, "y": -1.0})
    to_second = model.add_synapse_population(
        "ToIsyn2",
        "DENSE",
        pre,
        post,
        init_weight_update("StaticPulse", {}, {"g": 0.5}),
        init_postsynaptic("DeltaCurr"),
    )
    to_second.post_target_var = "Isyn2"
    model.add_synapse_population(
        "ToIsyn",
        "DENSE",
        pre,
        post,
        init_weight_update("StaticPulse", {}, {"g": 0.25}),
        init_postsynaptic("DeltaCurr"),
    )
    build_load(model, tmp_path)
    model.step_time()  # the first spikes are delivered in the next step
    assert np.all(post.vars["x"].view == 0.0)
    assert np.all(post.vars["y"].view == 0.0)
    model.step_time()
    assert np.allclose(post.vars["x"].view, 3 * 0.5)
    assert np.allclose(post.vars["y"].view, 3 * 0.25)


def test_additional_input_initial_value(tmp_path):
    """An additional input variable starts every step at its declared value."""
    n_model = create_neuron_model(
        "biased",
        vars=[("x", "scalar")],
        sim_code="x = Ibias;",
        additional_input_vars=[("Ibias", "scalar", 2.5)],
    )
    model = make_model("test_additional_input")
    pop = model.add_neuron_population("Pop", 3, n_model, {}, {"x": 0.0})
    build_load(model, tmp_path)
    model.step_time_n(2)
    assert np.all(pop.vars["x"].view == 2.5)


def test_timestep_and_t(tmp_path):
    clock = create_neuron_model(
        "clock", vars=[("T", "timepoint"), ("S", "scalar")], sim_code="T = t;\nS = dt;"
    )
    model = make_model("test_clock", "double", dt=0.25)
    pop = model.add_neuron_population("Pop", 2, clock, {}, {"T": -1.0, "S": 0.0})
    build_load(model, tmp_path)
    assert model.timestep == 0 and model.t == 0.0
    model.step_time()
    assert model.timestep == 1 and model.t == 0.25
    assert np.all(pop.vars["T"].view == 0.0)  # sim code sees the time at the start of the step
    assert np.all(pop.vars["S"].view == 0.25)
    model.step_time_n(4)
    assert model.timestep == 5 and model.t == 1.25
    assert np.all(pop.vars["T"].view == 1.0)
    model.timestep = 100
    assert model.t == 25.0
    model.step_time()
    assert model.timestep == 101
    assert np.all(pop.vars["T"].view == 25.0)


def _lifecycle_model():
    counter = create_neuron_model(
        "counter",
        vars=[("x", "scalar"), ("y", "scalar")],
        sim_code="x += scale[id];",
        extra_global_params=[("scale", "scalar*")],
    )
    model = make_model("test_lifecycle")
    pop = model.add_neuron_population(
        "Pop", 4, counter, {}, {"x": 5.0, "y": init_var("Uniform", {"min": 0.0, "max": 1.0})}
    )
    pop.extra_global_params["scale"].set_init_values(np.array([1.0, 2.0, 3.0, 4.0]))
    sg = model.add_synapse_population(
        "Syn",
        "SPARSE",
        pop,
        pop,
        init_weight_update("StaticPulse", {}, {"g": 0.5}),
        init_postsynaptic("DeltaCurr"),
    )
    sg.set_sparse_connections([0, 1, 3], [2, 2, 0])
    return model, pop, sg


def test_unload_then_load_again(tmp_path):
    model, pop, sg = _lifecycle_model()
    build_load(model, tmp_path)
    y0 = pop.vars["y"].values
    model.step_time_n(3)
    assert np.array_equal(pop.vars["x"].view, 5.0 + 3 * np.array([1.0, 2.0, 3.0, 4.0]))
    model.unload()
    with pytest.raises(RuntimeError):
        _ = pop.vars["x"].view
    with pytest.raises(RuntimeError):
        model.step_time()
    model.load()
    # state is initialised afresh: array values, EGPs, seeded var-init snippets and connectivity
    assert np.array_equal(pop.vars["x"].view, np.full(4, 5.0))
    assert np.array_equal(pop.vars["y"].values, y0)
    assert np.array_equal(pop.extra_global_params["scale"].values, [1.0, 2.0, 3.0, 4.0])
    assert np.array_equal(sg.get_sparse_pre_inds(), [0, 1, 3])
    assert np.array_equal(sg.get_sparse_post_inds(), [2, 2, 0])
    assert np.array_equal(sg.vars["g"].values, [0.5, 0.5, 0.5])
    model.step_time_n(3)
    assert np.array_equal(pop.vars["x"].view, 5.0 + 3 * np.array([1.0, 2.0, 3.0, 4.0]))
    with pytest.raises(RuntimeError):
        model.load()  # already loaded


def test_reload_restarts_the_clock(tmp_path):
    model, pop, sg = _lifecycle_model()
    build_load(model, tmp_path)
    model.step_time_n(3)
    model.unload()
    model.load()
    assert model.timestep == 0
    assert model.t == 0.0
