"""PyGeNN 5.4 features of the embedded engine, each against an independent numpy reference or the
documented behaviour: lifecycle and preferences, kernel timing, num_batch, delayed reads of postsynaptic
variables and postsynaptic-model variable references, dendritic-delay variable references."""

from __future__ import annotations

import numpy as np
import pytest

import genn_neuromod as pygenn
from genn_neuromod import (
    VarAccess,
    VarAccessMode,
    create_custom_update_model,
    create_den_delay_var_ref,
    create_neuron_model,
    create_out_post_var_ref,
    create_postsynaptic_model,
    create_var_init_snippet,
    create_weight_update_model,
    init_postsynaptic,
    init_sparse_connectivity,
    init_var,
    init_weight_update,
)
from genn_neuromod.api.model import backend_preferences

always_spike = create_neuron_model("always_spike", threshold_condition_code="true")
empty = create_neuron_model("empty")


def test_unknown_preferences_raise_and_known_ones_are_listed():
    with pytest.raises(ValueError, match="Unknown preference.*'optimise_code'.*optimize_code"):
        pygenn.GeNNModel("float", "p", optimise_code=True)
    with pytest.raises(ValueError, match="num_threads"):
        pygenn.GeNNModel("float", "p", num_threads=-1)
    assert {"optimize_code", "num_threads", "debug_code"} <= set(backend_preferences("cpu"))
    pygenn.GeNNModel("float", "p", backend="cuda", manual_block_sizes=None, cuda_graphs=False)


def test_load_unload_reload(tmp_path):
    model = pygenn.GeNNModel("double", "reload")
    model.dt = 1.0
    counter = create_neuron_model("counter", vars=[("n", "scalar")], sim_code="n += 1.0;")
    pop = model.add_neuron_population("P", 3, counter, {}, {"n": 0.0})
    model.unload()  # not loaded: nothing to do
    model.build(str(tmp_path))
    for _ in range(2):
        model.load()
        model.step_time_n(5)
        assert np.all(pop.vars["n"].values == 5.0) and model.timestep == 5
        model.unload()
        assert pop.vars["n"]._view is None
        with pytest.raises(RuntimeError, match="load"):
            _ = pop.vars["n"].values


@pytest.mark.parametrize("threads", [1, 2])
def test_timing_counters_accumulate(tmp_path, threads):
    model = pygenn.GeNNModel("float", f"timing{threads}", num_threads=threads)
    model.timing_enabled = True
    pop = model.add_neuron_population("P", 200, "Izhikevich", {"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0},
                                      {"V": -65.0, "U": -13.0})
    model.add_current_source("DC", "DC", pop, {"amp": 10.0})
    sg = model.add_synapse_population("S", "SPARSE", pop, pop, init_weight_update("StaticPulse", {}, {"g": 0.1}),
                                      init_postsynaptic("DeltaCurr"),
                                      init_sparse_connectivity("FixedProbability", {"prob": 0.1}))
    reset = create_custom_update_model("Reset", var_refs=[("X", "scalar")], update_code="X = 0.0;")
    model.add_custom_update("R", "Reset", reset, {}, {}, {"X": create_out_post_var_ref(sg)})
    model.build(str(tmp_path))
    model.load()
    assert model.init_time > 0.0 and model.init_sparse_time >= 0.0
    first = model.neuron_update_time
    model.step_time_n(500)
    model.custom_update("Reset")
    assert model.neuron_update_time > first >= 0.0
    assert model.presynaptic_update_time > 0.0
    assert model.get_custom_update_time("Reset") > 0.0
    assert model.get_custom_update_time("NoSuchGroup") == 0.0


def test_timing_is_zero_when_not_enabled(tmp_path):
    model = pygenn.GeNNModel("float", "notiming")
    model.add_neuron_population("P", 10, "Poisson", {"rate": 10.0}, {"timeStepToSpike": 0.0})
    model.build(str(tmp_path))
    model.load()
    model.step_time_n(10)
    assert model.neuron_update_time == 0.0 and model.init_time == 0.0


def test_num_batch_in_every_kind_of_code(tmp_path):
    snippet = create_var_init_snippet("nb", var_init_code="value = num_batch + num_neurons;")
    neuron = create_neuron_model("n", vars=[("a", "unsigned int"), ("b", "unsigned int")],
                                 sim_code="b = num_batch * 7;")
    model = pygenn.GeNNModel("float", "numbatch")
    pop = model.add_neuron_population("P", 4, neuron, {}, {"a": init_var(snippet), "b": 0})
    model.build(str(tmp_path))
    model.load()
    assert np.all(pop.vars["a"].values == 5)
    model.step_time()
    assert np.all(pop.vars["b"].values == 7)


def _delayed_psm_network(tmp_path, delay: int, back_prop: int = 0):
    """PSM variable s = t + shift every step; synapse code copies s[d] (d steps ago) into w."""
    psm = create_postsynaptic_model("pattern", vars=[("s", "scalar"), ("shift", "scalar", VarAccess.READ_ONLY)],
                                    sim_code="s = t + shift;")
    wu = create_weight_update_model("copy", params=[("d", "int")], vars=[("w", "scalar"), ("v", "scalar")],
                                    psm_var_refs=[("s", "scalar", VarAccessMode.READ_ONLY)],
                                    pre_spike_syn_code="w = s[d];\nv = s;")
    model = pygenn.GeNNModel("double", f"psmdelay{delay}{back_prop}")
    model.dt = 1.0
    pre = model.add_neuron_population("Pre", 5, always_spike)
    post = model.add_neuron_population("Post", 5, empty)
    shift = np.arange(5) * 100.0
    sg = model.add_synapse_population(
        "S", "SPARSE", pre, post,
        init_weight_update(wu, {"d": delay}, {"w": -1.0, "v": -1.0}, psm_var_refs={"s": "s"}),
        init_postsynaptic(psm, {}, {"s": -5.0, "shift": shift}), init_sparse_connectivity("OneToOne"))
    sg.max_dendritic_delay_timesteps = delay + 1
    sg.back_prop_delay_steps = back_prop
    model.build(str(tmp_path))
    model.load()
    return model, sg, shift


@pytest.mark.parametrize("delay,back_prop", [(0, 0), (3, 0), (0, 2), (3, 2)])
def test_delayed_reads_of_psm_variable_references(tmp_path, delay, back_prop):
    model, sg, shift = _delayed_psm_network(tmp_path, delay, back_prop)
    for k in range(1, 12):
        model.step_time()
        # pre spikes at step k-1 arrive at step k; s as written at step k-1-d (or its initial value)
        src = k - 1 - delay
        expected = shift + (src - 1) if src >= 1 else np.full(5, -5.0)
        # without a delay the read is at the back-propagation delay (back_prop steps behind)
        src_v = k - 1 - back_prop
        expected_v = shift + (src_v - 1) if src_v >= 1 else np.full(5, -5.0)
        if k >= 2:
            np.testing.assert_array_equal(sg.vars["w"].values, expected, err_msg=f"step {k}")
            np.testing.assert_array_equal(sg.vars["v"].values, expected_v, err_msg=f"step {k}")


def test_out_post_has_pyg_shape_and_den_delay_reference_zeroes_buffer(tmp_path):
    model = pygenn.GeNNModel("double", "dendelay")
    model.dt = 1.0
    pre = model.add_neuron_population("Pre", 4, always_spike)
    post = model.add_neuron_population("Post", 4, empty)
    sg = model.add_synapse_population(
        "S", "SPARSE", pre, post,
        init_weight_update("StaticPulseDendriticDelay", {}, {"g": 1.0, "d": np.arange(4)}),
        init_postsynaptic("DeltaCurr"), init_sparse_connectivity("OneToOne"))
    sg.max_dendritic_delay_timesteps = 5
    zero_all = create_custom_update_model("ZeroAll", var_refs=[("D", "scalar", VarAccessMode.BROADCAST)],
                                          update_code="D = 0.0;")
    mark_now = create_custom_update_model("Mark", var_refs=[("D", "scalar")], update_code="D = 7.0;")
    model.add_custom_update("Z", "Zero", zero_all, {}, {}, {"D": create_den_delay_var_ref(sg)})
    model.add_custom_update("M", "Mark", mark_now, {}, {}, {"D": create_den_delay_var_ref(sg)})
    model.build(str(tmp_path))
    model.load()
    assert sg.out_post.view.shape == (1, 4) and sg.den_delay.view.shape == (5, 4)
    model.step_time_n(3)
    assert np.count_nonzero(sg.den_delay.view) > 0
    model.custom_update("Mark")
    slot = int(model._runtime.arrays[f"{model._runtime.plan.prefix(sg)}_denDelayPtr"][0])
    assert np.all(sg.den_delay.view[slot] == 7.0)
    model.custom_update("Zero")
    assert not np.any(sg.den_delay.view)


def _pattern_neuron():
    """Fires (and has a spike-like event) at t = id, id + period, ... (GeNN's feature tests use the same)."""
    return create_neuron_model("pattern", params=["period"],
                               threshold_condition_code="t >= (scalar)id && fmod(t - (scalar)id, period) < 1e-4")


@pytest.mark.parametrize("back_prop", [0, 3])
def test_postsynaptic_spike_like_events_times_and_recording(tmp_path, back_prop):
    """post_event_threshold_condition_code on the target, post_event_syn_code per column, set_post /
    prev_set_post shifted by the back-propagation delay, and both kinds of event recording."""
    wu = create_weight_update_model(
        "post_events", vars=[("a", "scalar"), ("b", "scalar"), ("n", "scalar")],
        post_event_threshold_condition_code="t >= (scalar)id && fmod(t - (scalar)id, 5.0) < 1e-4",
        post_event_syn_code="a = set_post; b = prev_set_post; n += 1.0;",
        pre_event_threshold_condition_code="fmod(t, 4.0) < 1e-4", pre_event_syn_code="addToPost(1.0);")
    model = pygenn.GeNNModel("double", f"postev{back_prop}")
    model.dt = 1.0
    pre = model.add_neuron_population("Pre", 3, empty)
    post = model.add_neuron_population("Post", 3, empty)
    pre.spike_event_recording_enabled = True
    post.spike_event_recording_enabled = True
    lowest = np.finfo(np.float64).min
    sg = model.add_synapse_population("S", "DENSE", pre, post,
                                      init_weight_update(wu, {}, {"a": lowest, "b": lowest, "n": 0.0}),
                                      init_postsynaptic("DeltaCurr"))
    sg.back_prop_delay_steps = back_prop
    model.build(str(tmp_path))
    model.load(num_recording_timesteps=30)
    steps = 30
    model.step_time_n(steps)
    model.pull_recording_buffers_from_device()
    # events of post neuron j at steps j, j+5, ...; each is processed back_prop + 1 steps later
    event_steps = {j: [s for s in range(j, steps, 5)] for j in range(3)}
    processed = {j: [s for s in event_steps[j] if s + back_prop + 1 < steps] for j in range(3)}
    n = sg.vars["n"].values.reshape(3, 3)
    for j in range(3):
        assert np.all(n[:, j] == len(processed[j]))
        last = processed[j][-1]
        # set_post is the time of the event being processed plus (back_prop + 1) dt, as GeNN's st_post
        assert np.all(sg.vars["a"].values.reshape(3, 3)[:, j] == last + back_prop + 1)
        # previous event times are recorded one step late (GeNN's rule): with a back-propagation delay the
        # event being processed is already the "previous" one (the same values as GeNN 5.4 gives here)
        if back_prop:
            prev = last + back_prop + 1
        else:
            prev = processed[j][-2] + 1 if len(processed[j]) > 1 else lowest
        assert np.all(sg.vars["b"].values.reshape(3, 3)[:, j] == prev)
    times, ids = sg.post_spike_event_recording_data[0]
    expected = sorted((s, j) for j in range(3) for s in event_steps[j])
    assert sorted(zip(times.astype(int), ids, strict=True)) == expected
    times, ids = sg.pre_spike_event_recording_data[0]
    assert sorted(zip(times.astype(int), ids, strict=True)) == [(s, i) for s in range(0, steps, 4) for i in range(3)]


def test_custom_update_var_init_snippets_cover_every_element(tmp_path):
    """Var-init snippets of custom-update variables: over every neuron (custom-update access names the dims
    removed) and over every synapse of a DENSE or SPARSE group."""
    index = create_var_init_snippet("index", var_init_code="value = id;")
    syn_index = create_var_init_snippet("syn_index", var_init_code="value = id_pre * 100 + id_post;")
    cu_model = create_custom_update_model("Scale", vars=[("X", "scalar")], var_refs=[("R", "scalar")],
                                          update_code="R = X;")
    model = pygenn.GeNNModel("double", "cuinit")
    pop = model.add_neuron_population("P", 6, "LIF", {"C": 1.0, "TauM": 20.0, "Vrest": -70.0, "Vreset": -70.0,
                                                      "Vthresh": -50.0, "Ioffset": 0.0, "TauRefrac": 2.0},
                                      {"V": -70.0, "RefracTime": 0.0})
    ncu = model.add_custom_update("N", "U", cu_model, {}, {"X": init_var(index)},
                                  {"R": pygenn.create_var_ref(pop, "V")})
    dense = model.add_synapse_population("D", "DENSE", pop, pop, init_weight_update("StaticPulse", {}, {"g": 0.0}),
                                         init_postsynaptic("DeltaCurr"))
    sparse = model.add_synapse_population("Sp", "SPARSE", pop, pop,
                                          init_weight_update("StaticPulse", {}, {"g": 0.0}),
                                          init_postsynaptic("DeltaCurr"))
    sparse.set_sparse_connections([0, 1, 1, 5], [2, 0, 3, 5])
    dcu = model.add_custom_update("DC", "U", cu_model, {}, {"X": init_var(syn_index)},
                                  {"R": pygenn.create_wu_var_ref(dense, "g")})
    scu = model.add_custom_update("SC", "U", cu_model, {}, {"X": init_var(syn_index)},
                                  {"R": pygenn.create_wu_var_ref(sparse, "g")})
    model.build(str(tmp_path))
    model.load()
    np.testing.assert_array_equal(ncu.vars["X"].values, np.arange(6))
    pre, post = np.meshgrid(np.arange(6), np.arange(6), indexing="ij")
    np.testing.assert_array_equal(dcu.vars["X"].values, (pre * 100 + post).ravel())
    np.testing.assert_array_equal(scu.vars["X"].values, [2, 100, 103, 505])
    model.custom_update("U")
    np.testing.assert_array_equal(pop.vars["V"].values, np.arange(6))
    np.testing.assert_array_equal(sparse.vars["g"].values, [2, 100, 103, 505])
