"""Matrix types beyond DENSE and SPARSE, each against an independent reference: TOEPLITZ convolutions against
scipy's 2D convolution, kernel-initialised SPARSE connectivity against TOEPLITZ, custom updates over kernels."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import convolve2d

import genn_neuromod as pygenn
from genn_neuromod import (
    VarAccess,
    create_custom_update_model,
    create_neuron_model,
    create_var_init_snippet,
    create_weight_update_model,
    create_wu_var_ref,
    init_postsynaptic,
    init_sparse_connectivity,
    init_toeplitz_connectivity,
    init_var,
    init_weight_update,
)

record_input = create_neuron_model("record_input", vars=[("x", "scalar")], sim_code="x = Isyn;")
record_reverse = create_neuron_model(
    "record_reverse", vars=[("x", "scalar"), ("fire", "unsigned int")],
    sim_code="x = Isyn;", threshold_condition_code="fire == (unsigned int)round(t)")


def _one_step_input(model, name: str, n: int, spiking: np.ndarray):
    """A spike source whose neurons in ``spiking`` fire at t = 0."""
    start = np.zeros(n, dtype=int)
    end = spiking.astype(int)
    start[1:] = np.cumsum(end)[:-1]
    end = start + end
    pop = model.add_neuron_population(name, n, "SpikeSourceArray", {}, {"startSpike": start, "endSpike": end})
    pop.extra_global_params["spikeTimes"].set_init_values(np.zeros(int(spiking.sum())))
    return pop


def _conv_reference(inputs: np.ndarray, kernel: np.ndarray, oh: int, ow: int) -> np.ndarray:
    """Output (oh, ow, oc) of GeNN's Conv2D of inputs (ih, iw, ic) with kernel (kh, kw, ic, oc): a stride-1
    cross-correlation (as deep-learning convolution layers), i.e. scipy's full 2D convolution with the flipped
    kernel, cropped to its centre."""
    ih, iw, ic = inputs.shape
    kh, kw, _, oc = kernel.shape
    bh, bw = (ih + kh - 1 - oh) // 2, (iw + kw - 1 - ow) // 2
    out = np.zeros((oh, ow, oc))
    for o in range(oc):
        for c in range(ic):
            full = convolve2d(inputs[:, :, c], kernel[::-1, ::-1, c, o], mode="full")
            out[:, :, o] += full[bh:bh + oh, bw:bw + ow]
    return out


@pytest.mark.parametrize("precision", ["float", "double"])
@pytest.mark.parametrize("shape", [(6, 5, 1, 1, 3, 3, 6, 5), (7, 6, 2, 3, 3, 2, 5, 5), (5, 5, 3, 2, 1, 3, 5, 3)])
def test_toeplitz_conv2d_matches_scipy(tmp_path, precision, shape):
    ih, iw, ic, oc, kh, kw, oh, ow = shape
    rng = np.random.default_rng(sum(shape))
    kernel = rng.integers(-4, 5, size=(kh, kw, ic, oc)).astype(float)
    spiking = rng.random(ih * iw * ic) < 0.4
    model = pygenn.GeNNModel(precision, "toeplitz")
    model.dt = 1.0
    pre = _one_step_input(model, "In", ih * iw * ic, spiking)
    post = model.add_neuron_population("Out", oh * ow * oc, record_input, {}, {"x": 0.0})
    params = {"conv_kh": kh, "conv_kw": kw, "conv_ih": ih, "conv_iw": iw, "conv_ic": ic, "conv_oh": oh,
              "conv_ow": ow, "conv_oc": oc}
    sg = model.add_synapse_population("Conv", "TOEPLITZ", pre, post,
                                      init_weight_update("StaticPulse", {}, {"g": kernel.ravel()}),
                                      init_postsynaptic("DeltaCurr"), init_toeplitz_connectivity("Conv2D", params))
    model.build(str(tmp_path))
    model.load()
    assert sg.kernel_size == (kh, kw, ic, oc) and sg.vars["g"].values.shape == (kh * kw * ic * oc,)
    model.step_time_n(2)  # spikes at step 0 arrive at step 1
    expected = _conv_reference(spiking.reshape(ih, iw, ic).astype(float), kernel, oh, ow)
    np.testing.assert_allclose(post.vars["x"].values, expected.ravel(), rtol=1e-6)


def test_toeplitz_avg_pool_conv2d_matches_sum_pool_then_convolution(tmp_path):
    ih, iw, ic, oc, ph, pw, kh, kw = 8, 6, 2, 2, 2, 2, 3, 3
    oh, ow = ih // ph, iw // pw
    rng = np.random.default_rng(4)
    kernel = rng.integers(-3, 4, size=(kh, kw, ic, oc)).astype(float)
    spiking = rng.random(ih * iw * ic) < 0.5
    model = pygenn.GeNNModel("double", "avgpool")
    model.dt = 1.0
    pre = _one_step_input(model, "In", ih * iw * ic, spiking)
    post = model.add_neuron_population("Out", oh * ow * oc, record_input, {}, {"x": 0.0})
    params = {"conv_kh": kh, "conv_kw": kw, "pool_kh": ph, "pool_kw": pw, "pool_sh": ph, "pool_sw": pw,
              "pool_ih": ih, "pool_iw": iw, "pool_ic": ic, "conv_oh": oh, "conv_ow": ow, "conv_oc": oc}
    model.add_synapse_population("Conv", "TOEPLITZ", pre, post,
                                 init_weight_update("StaticPulse", {}, {"g": kernel.ravel()}),
                                 init_postsynaptic("DeltaCurr"), init_toeplitz_connectivity("AvgPoolConv2D", params))
    model.build(str(tmp_path))
    model.load()
    model.step_time_n(2)
    inputs = spiking.reshape(ih, iw, ic).astype(float)
    pooled = inputs.reshape(oh, ph, ow, pw, ic).sum(axis=(1, 3))  # non-overlapping windows: a sum pool
    np.testing.assert_allclose(post.vars["x"].values, _conv_reference(pooled, kernel, oh, ow).ravel())


def test_toeplitz_reverse_input_counts_synapses(tmp_path):
    """addToPre from every synapse of a spiking input: it receives one per kernel position inside the output."""
    n = 6
    model = pygenn.GeNNModel("double", "reverse")
    model.dt = 1.0
    pre = model.add_neuron_population("Pre", n * n, record_reverse, {}, {"x": 0.0, "fire": np.arange(n * n)})
    post = model.add_neuron_population("Post", 4 * 4, record_input, {}, {"x": 0.0})
    reverse = create_weight_update_model("reverse", vars=[("g", "scalar", VarAccess.READ_ONLY)],
                                         pre_spike_syn_code="addToPre(g);")
    params = {"conv_kh": 3, "conv_kw": 3, "conv_ih": n, "conv_iw": n, "conv_ic": 1, "conv_oh": 4, "conv_ow": 4,
              "conv_oc": 1}
    model.add_synapse_population("Conv", "TOEPLITZ", pre, post, init_weight_update(reverse, {}, {"g": 1.0}),
                                 init_postsynaptic("DeltaCurr"), init_toeplitz_connectivity("Conv2D", params))
    model.build(str(tmp_path))
    model.load()
    # reference: input (r, c) reaches output (r + kr - b, c + kc - b) for each kernel position, with the border
    # b = (6 + 3 - 1 - 4) / 2 = 2; it receives one addToPre per output inside the 4 x 4 output
    b = (n + 3 - 1 - 4) // 2
    counts = np.array([[sum(0 <= r + kr - b < 4 and 0 <= c + kc - b < 4 for kr in range(3) for kc in range(3))
                        for c in range(n)] for r in range(n)]).ravel()
    for step in range(n * n):
        model.step_time()
        if step >= 1:  # neuron step-1 fired at step-1; its addToPre arrives in this step's input
            assert pre.vars["x"].values[step - 1] == counts[step - 1]


def test_sparse_conv2d_with_kernel_initialisation_equals_toeplitz(tmp_path):
    ih, iw, ic, oc = 7, 7, 2, 2
    rng = np.random.default_rng(9)
    kernel = rng.normal(size=(3, 3, ic, oc))
    spiking = rng.random(ih * iw * ic) < 0.3
    model = pygenn.GeNNModel("double", "kernelinit")
    model.dt = 1.0
    pre = _one_step_input(model, "In", ih * iw * ic, spiking)
    out_t = model.add_neuron_population("OutT", 5 * 5 * oc, record_input, {}, {"x": 0.0})
    out_s = model.add_neuron_population("OutS", 5 * 5 * oc, record_input, {}, {"x": 0.0})
    model.add_synapse_population(
        "T", "TOEPLITZ", pre, out_t, init_weight_update("StaticPulse", {}, {"g": kernel.ravel()}),
        init_postsynaptic("DeltaCurr"),
        init_toeplitz_connectivity("Conv2D", {"conv_kh": 3, "conv_kw": 3, "conv_ih": ih, "conv_iw": iw,
                                              "conv_ic": ic, "conv_oh": 5, "conv_ow": 5, "conv_oc": oc}))
    sparse = model.add_synapse_population(
        "S", "SPARSE", pre, out_s, init_weight_update("StaticPulse", {}, {"g": init_var("Kernel")}),
        init_postsynaptic("DeltaCurr"),
        init_sparse_connectivity("Conv2D", {"conv_kh": 3, "conv_kw": 3, "conv_sh": 1, "conv_sw": 1,
                                            "conv_padh": 0, "conv_padw": 0, "conv_ih": ih, "conv_iw": iw,
                                            "conv_ic": ic, "conv_oh": 5, "conv_ow": 5, "conv_oc": oc}))
    sparse.vars["g"].extra_global_params["kernel"].set_init_values(kernel.ravel())
    model.build(str(tmp_path))
    model.load()
    # every synapse's weight is its kernel entry: (kernel row, column) from the pre and post positions
    pre_i, post_i = sparse.get_sparse_pre_inds(), sparse.get_sparse_post_inds()
    kr = (pre_i // ic) // iw - (post_i // oc) // 5
    kc = (pre_i // ic) % iw - (post_i // oc) % 5
    np.testing.assert_array_equal(sparse.vars["g"].values, kernel[kr, kc, pre_i % ic, post_i % oc])
    model.step_time_n(2)
    np.testing.assert_allclose(out_s.vars["x"].values, out_t.vars["x"].values, rtol=1e-12)
    expected = _conv_reference(spiking.reshape(ih, iw, ic).astype(float), kernel, 5, 5)
    np.testing.assert_allclose(out_t.vars["x"].values, expected.ravel(), rtol=1e-12)


def test_custom_update_and_var_init_over_kernel_weights(tmp_path):
    by_entry = create_var_init_snippet("by_entry", var_init_code="value = id_kernel * 0.5;")
    scale = create_custom_update_model("scale", var_refs=[("W", "scalar")], update_code="W *= 2.0;")
    model = pygenn.GeNNModel("double", "kernelcu")
    pre = model.add_neuron_population("Pre", 16, record_input, {}, {"x": 0.0})
    post = model.add_neuron_population("Post", 16, record_input, {}, {"x": 0.0})
    sg = model.add_synapse_population(
        "Conv", "TOEPLITZ", pre, post, init_weight_update("StaticPulse", {}, {"g": init_var(by_entry)}),
        init_postsynaptic("DeltaCurr"),
        init_toeplitz_connectivity("Conv2D", {"conv_kh": 3, "conv_kw": 3, "conv_ih": 4, "conv_iw": 4, "conv_ic": 1,
                                              "conv_oh": 4, "conv_ow": 4, "conv_oc": 1}))
    model.add_custom_update("Double", "Scale", scale, {}, {}, {"W": create_wu_var_ref(sg, "g")})
    model.build(str(tmp_path))
    model.load()
    np.testing.assert_array_equal(sg.vars["g"].values, np.arange(9) * 0.5)
    model.custom_update("Scale")
    np.testing.assert_array_equal(sg.vars["g"].values, np.arange(9) * 1.0)
    assert sg.weight_update_var_size == 9
    with pytest.raises(pygenn.ModelError, match="SPARSE"):
        sg.get_sparse_pre_inds()


pattern = pygenn.create_sparse_connect_init_snippet(
    "pattern", row_build_code="for (unsigned int j = 0; j < num_post; j++) { if ((id_pre * 7 + j * 3) % 5 < 2) "
                              "addSynapse(j); }")
pattern_columns = pygenn.create_sparse_connect_init_snippet(
    "pattern_columns", col_build_code="for (unsigned int i = 0; i < num_pre; i++) { if ((i * 7 + id_post * 3) % 5 "
                                      "< 2) addSynapse(i); }")


@pytest.mark.parametrize("snippet", [pattern, pattern_columns], ids=["rows", "columns"])
@pytest.mark.parametrize("hint", [pygenn.ParallelismHint.POSTSYNAPTIC, pygenn.ParallelismHint.WORD_PACKED_BITMASK])
def test_bitmask_connectivity_delivers_like_its_matrix(tmp_path, snippet, hint):
    n_pre, n_post = 11, 37  # num_post not a multiple of 32: padded rows
    rng = np.random.default_rng(3)
    spiking = rng.random(n_pre) < 0.6
    model = pygenn.GeNNModel("double", "bitmask")
    model.dt = 1.0
    pre = _one_step_input(model, "In", n_pre, spiking)
    post = model.add_neuron_population("Out", n_post, record_input, {}, {"x": 0.0})
    sg = model.add_synapse_population("B", "BITMASK", pre, post,
                                      init_weight_update("StaticPulseConstantWeight", {"g": 0.25}),
                                      init_postsynaptic("DeltaCurr"), init_sparse_connectivity(snippet))
    sg.parallelism_hint = hint
    model.build(str(tmp_path))
    model.load()
    model.step_time_n(2)
    i, j = np.meshgrid(np.arange(n_pre), np.arange(n_post), indexing="ij")
    matrix = ((i * 7 + j * 3) % 5 < 2).astype(float)
    np.testing.assert_allclose(post.vars["x"].values, 0.25 * spiking.astype(float) @ matrix)
    layout = model._runtime.host_layout(sg)
    np.testing.assert_array_equal(layout.row_length, matrix.sum(axis=1))


def test_bitmask_refuses_per_synapse_variables_and_missing_snippets():
    model = pygenn.GeNNModel("float", "bitmask_errors")
    a = model.add_neuron_population("A", 4, record_input, {}, {"x": 0.0})
    with pytest.raises(pygenn.ModelError, match="'B'.*without per-synapse variables.*'g'"):
        model.add_synapse_population("B", "BITMASK", a, a, init_weight_update("StaticPulse", {}, {"g": 1.0}),
                                     init_postsynaptic("DeltaCurr"), init_sparse_connectivity(pattern))
    with pytest.raises(pygenn.ModelError, match="'B'.*init_sparse_connectivity"):
        model.add_synapse_population("B", "BITMASK", a, a, init_weight_update("StaticPulseConstantWeight",
                                                                              {"g": 1.0}),
                                     init_postsynaptic("DeltaCurr"))


def _poisson_drive(matrix_type: str, precision: str, tmp_path, connectivity=None, weights=None, steps=60):
    """Poisson input through one synapse group named 'S' (so random streams are the same) into a recorder."""
    model = pygenn.GeNNModel(precision, f"proc_{matrix_type}")
    model.dt = 1.0
    model.seed = 77
    pre = model.add_neuron_population("Pre", 40, "Poisson", {"rate": 150.0}, {"timeStepToSpike": 0.0})
    post = model.add_neuron_population("Post", 30, record_input, {}, {"x": 0.0})
    weights = weights or init_var("Normal", {"mean": 0.5, "sd": 0.25})
    model.add_synapse_population("S", matrix_type, pre, post, init_weight_update("StaticPulse", {}, {"g": weights}),
                                 init_postsynaptic("DeltaCurr"), connectivity)
    model.build(str(tmp_path / matrix_type))
    model.load()
    trace = []
    for _ in range(steps):
        model.step_time()
        trace.append(post.vars["x"].values.copy())
    return np.array(trace), model


@pytest.mark.parametrize("precision", ["float", "double"])
@pytest.mark.parametrize("snippet,params", [("FixedProbability", {"prob": 0.3}),
                                            ("FixedNumberPostWithReplacement", {"num": 7}),
                                            ("FixedNumberTotalWithReplacement", {"num": 300})])
def test_procedural_connectivity_equals_sparse(tmp_path, precision, snippet, params):
    """PROCEDURAL regenerates each row with the stream SPARSE was built with, and each weight with its own
    stream: the same network, delivered in the same order, bit for bit."""
    sparse, _ = _poisson_drive("SPARSE", precision, tmp_path, init_sparse_connectivity(snippet, params))
    procedural, model = _poisson_drive("PROCEDURAL", precision, tmp_path, init_sparse_connectivity(snippet, params))
    assert np.count_nonzero(sparse) > 100
    np.testing.assert_array_equal(procedural, sparse)
    with pytest.raises(pygenn.ModelError, match="procedural weight"):
        _ = model.synapse_populations["S"].vars["g"].values


def test_dense_procedural_weights_equal_dense(tmp_path):
    dense, _ = _poisson_drive("DENSE", "double", tmp_path)
    procedural, _ = _poisson_drive("DENSE_PROCEDURALG", "double", tmp_path)
    np.testing.assert_array_equal(procedural, dense)


def test_procedural_kernel_weights_equal_toeplitz(tmp_path):
    ih = iw = 6
    kernel = np.random.default_rng(5).normal(size=(3, 3, 1, 2))
    spiking = np.random.default_rng(6).random(ih * iw) < 0.5
    outputs = []
    for matrix in ("TOEPLITZ", "PROCEDURAL_KERNELG"):
        model = pygenn.GeNNModel("double", f"kernel_{matrix}")
        model.dt = 1.0
        pre = _one_step_input(model, "In", ih * iw, spiking)
        post = model.add_neuron_population("Out", 4 * 4 * 2, record_input, {}, {"x": 0.0})
        if matrix == "TOEPLITZ":
            conn = init_toeplitz_connectivity("Conv2D", {"conv_kh": 3, "conv_kw": 3, "conv_ih": ih, "conv_iw": iw,
                                                         "conv_ic": 1, "conv_oh": 4, "conv_ow": 4, "conv_oc": 2})
        else:
            conn = init_sparse_connectivity("Conv2D", {"conv_kh": 3, "conv_kw": 3, "conv_sh": 1, "conv_sw": 1,
                                                       "conv_padh": 0, "conv_padw": 0, "conv_ih": ih, "conv_iw": iw,
                                                       "conv_ic": 1, "conv_oh": 4, "conv_ow": 4, "conv_oc": 2})
        model.add_synapse_population("C", matrix, pre, post,
                                     init_weight_update("StaticPulse", {}, {"g": kernel.ravel()}),
                                     init_postsynaptic("DeltaCurr"), conn)
        model.build(str(tmp_path))
        model.load()
        model.step_time_n(2)
        outputs.append(post.vars["x"].values)
    np.testing.assert_allclose(outputs[1], outputs[0], rtol=1e-12)
    np.testing.assert_allclose(outputs[0], _conv_reference(spiking.reshape(ih, iw, 1).astype(float), kernel,
                                                           4, 4).ravel(), rtol=1e-12)


# ------------------------------------------------------------------ narrow SPARSE indices
def _narrow_network(tmp_path, n_post: int, narrow: bool):
    """Poisson sources onto ``n_post`` LIF cells over SPARSE connectivity, with pair STDP (postsynaptic learning
    walks the column index) and a custom connectivity update that adds a synapse to every row."""
    model = pygenn.GeNNModel("double", f"narrow{n_post}{int(narrow)}")
    model.dt = 1.0
    model.seed = 3
    model.default_narrow_sparse_ind_enabled = narrow
    src = model.add_neuron_population("Src", 50, "Poisson", {"rate": 80.0}, {"timeStepToSpike": 0.0})
    lif = {"C": 1.0, "TauM": 10.0, "Vrest": 0.0, "Vreset": 0.0, "Vthresh": 1.0, "Ioffset": 0.0, "TauRefrac": 2.0}
    trg = model.add_neuron_population("Trg", n_post, "LIF", lif, {"V": 0.0, "RefracTime": 0.0})
    stdp = create_weight_update_model(
        "pairish", params=["a"], vars=[("g", "scalar")], pre_spike_syn_code="addToPost(g);",
        post_spike_syn_code="g += a * exp(-(t - st_pre) / 20.0);")
    sg = model.add_synapse_population("S", "SPARSE", src, trg, init_weight_update(stdp, {"a": 0.01}, {"g": 0.4}),
                                      init_postsynaptic("DeltaCurr"),
                                      init_sparse_connectivity("FixedProbability", {"prob": 0.2}))
    sg.max_connections = int(0.2 * n_post * 2) + 8
    add_one = pygenn.create_custom_connectivity_update_model(
        "AddLast", row_update_code="add_synapse(num_post - 1 - id_pre, 0.5);",
        var_refs=[("g", "scalar")])
    model.add_custom_connectivity_update("Add", "Grow", sg, add_one, {}, {}, {}, {},
                                         {"g": pygenn.create_wu_var_ref(sg, "g")})
    model.build(str(tmp_path / f"{n_post}_{int(narrow)}"))
    model.load()
    model.step_time_n(20)
    model.custom_update("Grow")
    model.step_time_n(30)
    sg.pull_connectivity_from_device()
    sg.vars["g"].pull_from_device()
    trg.vars["V"].pull_from_device()
    return sg, np.asarray(sg.get_sparse_post_inds()), np.asarray(sg.vars["g"].values), np.asarray(trg.vars["V"].values)


@pytest.mark.parametrize("n_post, index_type", [(200, np.uint8), (1000, np.uint16), (70000, np.uint32)])
def test_narrow_sparse_indices_store_less_and_compute_the_same(tmp_path, n_post, index_type):
    """GeNN's choice of index type (uint8 up to 255 targets, uint16 up to 65,535), and the run (delivery,
    postsynaptic learning through the column index, synapses added by a custom connectivity update) exactly as
    with 32-bit indices."""
    sg, inds, g, v = _narrow_network(tmp_path, n_post, True)
    _, inds_wide, g_wide, v_wide = _narrow_network(tmp_path, n_post, False)
    stored = sg._model._runtime.arrays[sg._model._runtime.plan.prefix(sg) + "_ind"]
    assert stored.dtype == index_type
    np.testing.assert_array_equal(inds, inds_wide)
    np.testing.assert_array_equal(g, g_wide)
    np.testing.assert_array_equal(v, v_wide)
    assert np.any(g != 0.4) and (inds == n_post - 1).sum() >= 1  # learning happened, the added synapses exist
