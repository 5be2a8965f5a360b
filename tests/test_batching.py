"""``batch_size`` > 1 on the CPU backend: B instances of a model sharing connectivity, each with its own state.

The reference for each instance is an unbatched run: instance ``b`` draws its random numbers with seed
``seed + b`` (or ``model.batch_seeds[b]``) and shares the wiring drawn with instance 0's seed, so with
deterministic connectivity it reproduces an unbatched model seeded ``seed + b`` bit for bit.
"""

from __future__ import annotations

import cuda_models as cm
import numpy as np
import pytest

import genn_neuromod as pygenn
from genn_neuromod import (
    CustomUpdateVarAccess,
    ModelError,
    SnippetError,
    VarAccess,
    VarAccessMode,
    create_custom_connectivity_update_model,
    create_custom_update_model,
    create_neuron_model,
    create_pre_var_ref,
    create_var_ref,
    create_weight_update_model,
    create_wu_var_ref,
    init_postsynaptic,
    init_var,
    init_weight_update,
)


def _run(factory, path, steps: int, seed: int | None = None, **kwargs):
    model = factory(backend="cpu", **kwargs)
    if seed is not None:
        model.seed = seed
    model.build(str(path))
    model.load(num_recording_timesteps=steps)
    model.step_time_n(steps)
    if any(p.spike_recording_enabled for p in model.neuron_populations.values()):
        model.pull_recording_buffers_from_device()
    return model


def _spikes(pop, b=0):
    times, ids = pop.spike_recording_data[b]
    order = np.lexsort((ids, times))
    return times[order], ids[order]


def test_each_instance_draws_with_its_own_seed(tmp_path):
    batched = _run(cm.rng_probe, tmp_path / "b", 3, batch_size=4)
    r = batched.neuron_populations["Probe"].vars["R"].values
    assert r.shape == (4, 257)
    for b in range(4):
        single = _run(cm.rng_probe, tmp_path / f"s{b}", 3, seed=987654321 + b)
        np.testing.assert_array_equal(r[b], single.neuron_populations["Probe"].vars["R"].values)
    assert len({tuple(r[b][:8]) for b in range(4)}) == 4


def test_explicit_batch_seeds(tmp_path):
    model = cm.rng_probe(backend="cpu", batch_size=2)
    model.batch_seeds = [11, 99]
    model.build(str(tmp_path / "b"))
    model.load()
    model.step_time()
    single = _run(cm.rng_probe, tmp_path / "s", 1, seed=99)
    np.testing.assert_array_equal(model.neuron_populations["Probe"].vars["R"].values[1],
                                  single.neuron_populations["Probe"].vars["R"].values)


def test_wrong_number_of_batch_seeds_is_refused(tmp_path):
    model = cm.rng_probe(backend="cpu", batch_size=3)
    model.batch_seeds = [1, 2]
    model.build(str(tmp_path))
    with pytest.raises(ModelError, match="2 seeds but batch_size is 3"):
        model.load()


@pytest.mark.parametrize("bad", [0, -2, 1.5, True])
def test_batch_size_must_be_a_positive_integer(tmp_path, bad):
    model = cm.rng_probe(backend="cpu")
    model.batch_size = bad
    with pytest.raises(ModelError, match="batch_size must be a positive integer"):
        model.build(str(tmp_path))


def test_noise_sources_and_random_init_per_instance(tmp_path):
    """GaussianNoise, PoissonExp and a Uniform var-init: instance b equals an unbatched run seeded 1234 + b."""
    batched = _run(cm.rng_current_sources, tmp_path / "b", 300, batch_size=3)
    pop = batched.neuron_populations["Pop"]
    assert pop.vars["V"].values.shape == (3, 300)
    assert batched.current_sources["Poisson"].vars["current"].values.shape == (3, 300)
    counts = []
    for b in range(3):
        single = _run(cm.rng_current_sources, tmp_path / f"s{b}", 300, seed=1234 + b)
        sp = single.neuron_populations["Pop"]
        np.testing.assert_array_equal(pop.vars["V"].values[b], sp.vars["V"].values)
        for x, y in zip(_spikes(pop, b), _spikes(sp), strict=True):
            np.testing.assert_array_equal(x, y)
        counts.append(_spikes(pop, b)[0].size)
    assert min(counts) > 100 and len(set(counts)) > 1


@pytest.mark.parametrize("pre_span", [False, True])
def test_stdp_with_delays_every_instance_matches_the_unbatched_run(tmp_path, pre_span):
    """No random numbers after initialisation, shared wiring: every instance is the unbatched model (axonal and
    back-propagation delays share one spike-queue pointer)."""
    single = _run(cm.stdp_sparse, tmp_path / "s", 300, pre_span=pre_span)
    batched = _run(cm.stdp_sparse, tmp_path / "b", 300, batch_size=3, pre_span=pre_span)
    g1 = single.synapse_populations["PrePost"].vars["g"].values
    gb = batched.synapse_populations["PrePost"].vars["g"].values
    assert gb.shape == (3, g1.size)
    assert not np.array_equal(g1, np.ones_like(g1)), "no plasticity happened"
    for b in range(3):
        np.testing.assert_array_equal(gb[b], g1)
        for x, y in zip(_spikes(batched.neuron_populations["Post"], b), _spikes(single.neuron_populations["Post"]),
                        strict=True):
            np.testing.assert_array_equal(x, y)


def test_dendritic_delays_per_instance(tmp_path):
    single = _run(cm.dense_dendritic, tmp_path / "s", 200)
    batched = _run(cm.dense_dendritic, tmp_path / "b", 200, batch_size=2)
    sg = batched.synapse_populations["PrePost"]
    assert sg.vars["g"].values.shape == (64 * 32,)  # READ_ONLY in StaticPulseDendriticDelay: shared, as GeNN
    assert batched.neuron_populations["Post"].vars["V"].values.shape == (2, 32)
    for b in range(2):
        for x, y in zip(_spikes(batched.neuron_populations["Post"], b), _spikes(single.neuron_populations["Post"]),
                        strict=True):
            np.testing.assert_array_equal(x, y)
    assert _spikes(single.neuron_populations["Post"])[0].size > 0


def test_instances_are_independent(tmp_path):
    """Changing one instance's state changes only that instance."""
    model = cm.izh_lif_sparse_axonal(backend="cpu", batch_size=3)
    model.build(str(tmp_path))
    model.load(num_recording_timesteps=200)
    pre = model.neuron_populations["Pre"]
    pre.vars["V"].view[1, :] = -80.0  # silence instance 1 for a while
    pre.vars["U"].view[1, :] = 0.0
    pre.vars["V"].push_to_device()
    model.step_time_n(200)
    model.pull_recording_buffers_from_device()
    post = model.neuron_populations["Post"]
    s0, s1, s2 = (_spikes(pre, b) for b in range(3))
    for x, y in zip(s0, s2, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(s0[0], s1[0])
    assert not np.array_equal(_spikes(post, 0)[0], _spikes(post, 1)[0])
    assert post.vars["V"].values.shape == (3, 100)


def test_shared_and_duplicated_variables(tmp_path):
    """VarAccess dims decide which variables have one value per instance (GeNN's rules)."""
    nm = create_neuron_model("dims", vars=[("Dup", "scalar", VarAccess.READ_WRITE),
                                           ("Shared", "scalar", VarAccess.READ_ONLY),
                                           ("One", "scalar", VarAccess.READ_ONLY_SHARED_NEURON)],
                             sim_code="Dup += Shared + One;")
    model = pygenn.GeNNModel("double", "dims")
    model.batch_size = 4
    pop = model.add_neuron_population("Pop", 5, nm, {}, {"Dup": np.arange(20.0), "Shared": np.arange(5.0),
                                                         "One": 0.5})
    model.build(str(tmp_path))
    model.load()
    assert pop.vars["Dup"].values.shape == (4, 5)
    assert pop.vars["Shared"].values.shape == (5,)
    assert pop.vars["One"].values.shape == (4, 1)
    pop.vars["One"].view[2] = 10.0
    model.step_time()
    expected = np.arange(20.0).reshape(4, 5) + np.arange(5.0)[None, :] + np.array([0.5, 0.5, 10.0, 0.5])[:, None]
    np.testing.assert_array_equal(pop.vars["Dup"].values, expected)


def test_per_instance_initial_values_have_the_right_size(tmp_path):
    nm = create_neuron_model("one_var", vars=[("X", "scalar")])
    model = pygenn.GeNNModel("double", "init_sizes")
    model.batch_size = 2
    model.add_neuron_population("Pop", 3, nm, {}, {"X": np.arange(5.0)})
    model.build(str(tmp_path))
    with pytest.raises(ModelError, match="5 initial values given for variable 'X', which has 3 elements per batch "
                                         "instance \\(or 6 for all 2\\)"):
        model.load()


@pytest.mark.parametrize("batch_size", [1, 4])
def test_custom_update_reductions(tmp_path, batch_size):
    model = cm.custom_update_reductions(backend="cpu", batch_size=batch_size)
    model.build(str(tmp_path))
    model.load()
    pop = model.neuron_populations["Pop"]
    x = pop.vars["X"].values.reshape(batch_size, -1)
    assert batch_size == 1 or len({float(x[b, 0]) for b in range(batch_size)}) == batch_size
    for g in ("Softmax1", "Softmax2", "Softmax3", "BatchReduce"):
        model.custom_update(g)
    y = pop.vars["Y"].values.reshape(batch_size, -1)
    for b in range(batch_size):
        e = np.exp(x[b] - x[b].max())
        np.testing.assert_allclose(y[b], e / e.sum(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(pop.vars["SumX"].values, x.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(model.custom_updates["RedN"].vars["MaxX"].values, x.max(axis=0))
    dense = model.synapse_populations["Dense"]
    xd = dense.vars["X"].values.reshape(batch_size, -1)
    np.testing.assert_allclose(dense.vars["SumX"].values, xd.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(model.custom_updates["RedD"].vars["MaxX"].values, xd.max(axis=0))
    sparse = model.synapse_populations["Sparse"]
    before = sparse.vars["X"].values
    model.custom_update("Scale")
    np.testing.assert_array_equal(sparse.vars["X"].values, 2.0 * before)


def test_custom_update_over_shared_variables_runs_once(tmp_path):
    """An update whose references are all shared has one copy of its own variables and runs once."""
    nm = create_neuron_model("shared_x", vars=[("X", "scalar", VarAccess.READ_ONLY)])
    count = create_custom_update_model("count", vars=[("N", "scalar")], var_refs=[("X", "scalar",
                                                                                   VarAccessMode.READ_ONLY)],
                                       update_code="N += X;")
    model = pygenn.GeNNModel("double", "cu_shared")
    model.batch_size = 3
    pop = model.add_neuron_population("Pop", 4, nm, {}, {"X": np.arange(4.0)})
    cu = model.add_custom_update("Count", "Count", count, {}, {"N": 0.0}, {"X": create_var_ref(pop, "X")})
    model.build(str(tmp_path))
    model.load()
    model.custom_update("Count")
    assert cu.vars["N"].values.shape == (4,)
    np.testing.assert_array_equal(cu.vars["N"].values, np.arange(4.0))


def test_batch_reduction_draws_per_instance(tmp_path):
    """A REDUCE_BATCH_SUM of gennrand_uniform(): each instance draws its own numbers."""
    nm = create_neuron_model("dup", vars=[("X", "scalar")])
    draw = create_custom_update_model("draw", vars=[("S", "scalar", CustomUpdateVarAccess.REDUCE_BATCH_SUM)],
                                      var_refs=[("X", "scalar", VarAccessMode.READ_ONLY)],
                                      update_code="S = X + gennrand_uniform();")
    model = pygenn.GeNNModel("double", "bred_rng")
    model.batch_size = 8
    model.seed = 3
    pop = model.add_neuron_population("Pop", 500, nm, {}, {"X": 1.0})
    cu = model.add_custom_update("Draw", "Draw", draw, {}, {"S": 0.0}, {"X": create_var_ref(pop, "X")})
    model.build(str(tmp_path))
    model.load()
    model.custom_update("Draw")
    s = cu.vars["S"].values
    assert s.shape == (500,)
    # the sum of 8 uniforms has mean 4 and sd sqrt(8/12); 8 copies of one draw would have sd sqrt(64/12)
    assert abs(float(s.mean()) - 12.0) < 0.2
    assert 0.6 < float(s.std()) < 1.05


def test_spike_like_event_recording_per_instance(tmp_path):
    model = cm.graded_events_dynamics(backend="cpu", batch_size=2, precision="double")
    pre = model.neuron_populations["Pre"]
    pre.spike_event_recording_enabled = True
    model.build(str(tmp_path))
    model.load(num_recording_timesteps=100)
    pre.vars["V"].view[1, :] = -90.0
    pre.vars["V"].push_to_device()
    model.step_time_n(100)
    model.pull_recording_buffers_from_device()
    events = model.synapse_populations["Graded"].pre_spike_event_recording_data
    assert len(events) == 2
    assert events[0][0].size > 0 and not np.array_equal(events[0][0], events[1][0])


def test_openmp_threads_give_the_same_batched_run(tmp_path):
    one = _run(cm.stdp_sparse, tmp_path / "one", 200, batch_size=2)
    model = cm.stdp_sparse(backend="cpu", batch_size=2)
    model._preferences["num_threads"] = 2
    model.build(str(tmp_path / "two"))
    model.load(num_recording_timesteps=200)
    model.step_time_n(200)
    np.testing.assert_array_equal(model.synapse_populations["PrePost"].vars["g"].values,
                                  one.synapse_populations["PrePost"].vars["g"].values)


# -- custom connectivity updates in a batched model -----------------------------------------------------------

_empty = create_neuron_model("empty_b")
_wu = create_weight_update_model("g_only", vars=[("g", "scalar")])


def _batched_sparse(tmp_path, ccu_model, ccu_args, name):
    rng = np.random.default_rng(4)
    pre, post = np.nonzero(rng.random((6, 5)) < 0.5)
    model = pygenn.GeNNModel("double", name)
    model.batch_size = 3
    a = model.add_neuron_population("Pre", 6, _empty)
    b = model.add_neuron_population("Post", 5, _empty)
    sg = model.add_synapse_population("S", "SPARSE", a, b, init_weight_update(_wu, {}, {"g": 0.0}),
                                      init_postsynaptic("DeltaCurr"))
    sg.set_sparse_connections(pre, post)
    sg.max_connections = 5
    model.add_custom_connectivity_update("Edit", "Edit", sg, ccu_model, **ccu_args(sg))
    model.build(str(tmp_path))
    model.load()
    g = np.stack([1000.0 * b + 10.0 * sg.get_sparse_pre_inds() + sg.get_sparse_post_inds() for b in range(3)])
    sg.vars["g"].values = g  # instance b: 1000 b + 10 pre + post
    return model, sg


def test_remove_and_add_synapse_move_every_instance(tmp_path):
    edit = create_custom_connectivity_update_model(
        "edit_rows", var_refs=[("g", "scalar")],
        row_update_code="""
        for_each_synapse { if (id_post % 2 == 0) { remove_synapse(); } }
        if (id_pre == 0) { add_synapse(3, -1.0); }
        """)
    model, sg = _batched_sparse(tmp_path, edit, lambda sg: {"var_refs": {"g": create_wu_var_ref(sg, "g")}}, "ccu_b")
    model.custom_update("Edit")
    sg.pull_connectivity_from_device()
    pre, post, g = sg.get_sparse_pre_inds(), sg.get_sparse_post_inds(), sg.vars["g"].values
    assert g.shape == (3, pre.size) and pre.size > 0
    assert not np.any(post % 2 == 0)
    for b in range(3):
        added = (pre == 0) & (post == 3) & (g[b] == -1.0)
        kept = ~added
        np.testing.assert_array_equal(g[b][kept], 1000.0 * b + 10.0 * pre[kept] + post[kept])
        assert added.sum() == 1


def test_batched_row_code_cannot_read_batched_references(tmp_path):
    reads = create_custom_connectivity_update_model(
        "reads_g", var_refs=[("g", "scalar")],
        row_update_code="for_each_synapse { if (g < 0.0) { remove_synapse(); } }")
    with pytest.raises(SnippetError, match="'g' cannot be used here: it references a variable with one value per "
                                           "batch instance"):
        _batched_sparse(tmp_path, reads, lambda sg: {"var_refs": {"g": create_wu_var_ref(sg, "g")}}, "ccu_reads")


def test_batched_presynaptic_references_of_connectivity_updates_are_refused(tmp_path):
    with_pre = create_custom_connectivity_update_model(
        "with_pre", pre_var_refs=[("V", "scalar")], row_update_code="if (V > 0.0) { }")
    vm = create_neuron_model("v_b", vars=[("V", "scalar")])
    model = pygenn.GeNNModel("double", "ccu_pre")
    model.batch_size = 2
    a = model.add_neuron_population("Pre", 4, vm, {}, {"V": 0.0})
    b = model.add_neuron_population("Post", 4, _empty)
    sg = model.add_synapse_population("S", "SPARSE", a, b, init_weight_update(_wu, {}, {"g": 0.0}),
                                      init_postsynaptic("DeltaCurr"))
    sg.set_sparse_connections(np.arange(4), np.arange(4))
    with pytest.raises(ModelError, match="create_pre_var_ref.. references a variable of a custom connectivity update"):
        create_pre_var_ref(a, "V")
    model.add_custom_connectivity_update("Edit", "Edit", sg, with_pre, pre_var_refs={"V": create_var_ref(a, "V")})
    with pytest.raises(ModelError, match="presynaptic variable reference 'V' .* must be shared across batches"):
        model.build(str(tmp_path))


def test_uniform_var_init_differs_between_instances(tmp_path):
    nm = create_neuron_model("u_init", vars=[("X", "scalar")])
    model = pygenn.GeNNModel("double", "u_init")
    model.batch_size = 2
    model.seed = 5
    pop = model.add_neuron_population("Pop", 1000, nm, {}, {"X": init_var("Uniform", {"min": 0.0, "max": 1.0})})
    model.build(str(tmp_path))
    model.load()
    x = pop.vars["X"].values
    assert x.shape == (2, 1000) and not np.array_equal(x[0], x[1])
    assert abs(float(x.mean()) - 0.5) < 0.03


def test_current_view_of_a_delayed_variable_per_instance(tmp_path):
    """A variable kept per delay slot (read by delayed synapse code) has views (batch, slot, neuron); its current
    view is the current slot of every instance."""
    wu = create_weight_update_model("reads_v", vars=[("g", "scalar", VarAccess.READ_ONLY)],
                                    pre_neuron_var_refs=[("Vp", "scalar", VarAccessMode.READ_ONLY)],
                                    pre_spike_syn_code="addToPost(g * Vp);")
    model = pygenn.GeNNModel("double", "delayed_batch")
    model.batch_size = 2
    pop = model.add_neuron_population("Pop", 5, "Izhikevich", {"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0},
                                      {"V": -65.0, "U": -13.0})
    model.add_current_source("DC", "DC", pop, {"amp": 10.0})
    sg = model.add_synapse_population(
        "S", "DENSE", pop, pop, init_weight_update(wu, {}, {"g": 0.0}, pre_var_refs={"Vp": create_var_ref(pop, "V")}),
        init_postsynaptic("DeltaCurr"))
    sg.axonal_delay_steps = 2
    model.build(str(tmp_path))
    model.load()
    pop.vars["V"].view[1] = -70.0
    model.step_time_n(4)
    view, current = pop.vars["V"].view, pop.vars["V"].current_view
    assert view.shape == (2, 3, 5) and current.shape == (2, 5)
    slot = model._runtime.delay_slot(pop)
    np.testing.assert_array_equal(current, view[:, slot])
    assert not np.array_equal(current[0], current[1])


def _egp_model(tmp_path, seeds, schedules, name, steps=80):
    return cm.run_egp_schedule(tmp_path / name, seeds, schedules, steps).neuron_populations["Pop"]


def test_per_instance_egps_are_separate_runs(tmp_path):
    schedules = np.random.default_rng(4).uniform(0.0, 2.0, (3, 50))
    pop = _egp_model(tmp_path, [7, 8, 9], schedules, "batched")
    log = pop.extra_global_params["log"]
    assert log.view.shape == (3, 50)
    for b in range(3):
        single = _egp_model(tmp_path, [7 + b], schedules[b], f"single{b}")
        for got, want in zip(pop.spike_recording_data[b], single.spike_recording_data[0], strict=True):
            np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(log.view[b], single.extra_global_params["log"].view)
        np.testing.assert_allclose(pop.vars["Seen"].view[b], schedules[b].sum() + schedules[b][:30].sum())


def test_per_instance_egp_values_broadcast_and_shape_errors(tmp_path):
    pop = _egp_model(tmp_path, [1, 2], np.ones(50), "bcast", steps=10)
    drive = pop.extra_global_params["drive"]
    np.testing.assert_array_equal(drive.view, np.ones((2, 50)))  # (n,) values: the same in every instance
    with pytest.raises(ValueError, match="leading axis of batch_size 2"):
        drive.set_values(np.zeros((3, 50)))
    with pytest.raises(RuntimeError, match="before build"):
        drive.per_instance = False
    with pytest.raises(TypeError, match="True or False"):
        cm.egp_schedule(batch_size=2).neuron_populations["Pop"].extra_global_params["log"].per_instance = "yes"


def test_connectivity_egps_cannot_be_per_instance(tmp_path):
    model = pygenn.GeNNModel("double", "conn_egp")
    model.batch_size = 2
    a = model.add_neuron_population("A", 10, create_neuron_model("silent"))
    snippet = pygenn.create_sparse_connect_init_snippet(
        "from_list", row_build_code="for (unsigned int j = 0; j < n; j++) { addSynapse(targets[j]); }",
        params=["n"], extra_global_params=[("targets", "unsigned int*")])
    sg = model.add_synapse_population("S", "SPARSE", a, a, init_weight_update("StaticPulseConstantWeight", {"g": 1.0}),
                                      init_postsynaptic("DeltaCurr"),
                                      pygenn.init_sparse_connectivity(snippet, {"n": 1}))
    sg.connectivity_extra_global_params["targets"].set_init_values(np.array([3], dtype=np.uint32))
    sg.connectivity_extra_global_params["targets"].per_instance = True
    with pytest.raises(ModelError, match="connectivity is shared by every batch instance"):
        model.build(str(tmp_path))


def test_sparse_synapse_values_per_instance(tmp_path):
    """Initial values of a batched per-synapse variable may be given per instance, shape (batch_size, synapses),
    in the order of set_sparse_connections, as GeNN accepts them."""
    model = pygenn.GeNNModel("double", "sparse_per_instance")
    model.batch_size = 3
    src = model.add_neuron_population("Src", 4, create_neuron_model("silent_src"))
    trg = model.add_neuron_population("Trg", 5, create_neuron_model("silent_trg"))
    pre, post = np.array([3, 0, 2, 0, 1]), np.array([1, 4, 0, 2, 3])
    values = np.arange(15, dtype=float).reshape(3, 5)
    wu = create_weight_update_model("dup_g", vars=[("g", "scalar", VarAccess.READ_ONLY_DUPLICATE)],
                                    pre_spike_syn_code="addToPost(g);")
    sg = model.add_synapse_population("S", "SPARSE", src, trg, init_weight_update(wu, {}, {"g": values}),
                                      init_postsynaptic("DeltaCurr"))
    sg.set_sparse_connections(pre, post)
    model.build(str(tmp_path))
    model.load()
    g = sg.vars["g"]
    g.pull_from_device()
    got = g.values.reshape(3, -1)
    pre_out, post_out = sg.get_sparse_pre_inds(), sg.get_sparse_post_inds()
    for b in range(3):
        by_pair = {(p, q): v for p, q, v in zip(pre, post, values[b], strict=True)}
        assert [by_pair[(p, q)] for p, q in zip(pre_out, post_out, strict=True)] == list(got[b])
