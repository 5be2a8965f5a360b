"""OpenMP (``num_threads`` preference) gives exactly the serial results; ``optimize_code`` runs."""

import os

import numpy as np
import pytest

import genn_neuromod as pg
from genn_neuromod.codegen.c_source import AUTO_THREADS_MIN_NEURONS, AUTO_THREADS_MIN_SYNAPSES


def _run(tmp_path, name, **prefs):
    m = pg.GeNNModel("float", name, **prefs)
    m.dt = 1.0
    m.seed = 7
    pop = m.add_neuron_population("N", 500, "Izhikevich", {"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0},
                                  {"V": -65.0, "U": -13.0})
    pop.spike_recording_enabled = True
    m.add_current_source("Noise", "GaussianNoise", pop, {"mean": 4.0, "sd": 4.0})
    trace_stdp = pg.create_weight_update_model(
        "trace_stdp", params=["tau", "A"], vars=[("g", "scalar"), ("e", "scalar")],
        pre_vars=[("x", "scalar")], post_vars=[("y", "scalar")],
        pre_spike_syn_code="addToPost(g);\ne -= A * y;", post_spike_syn_code="e += A * x;",
        pre_spike_code="x += 1.0;", post_spike_code="y += 1.0;",
        pre_dynamics_code="x *= exp(-dt / tau);", post_dynamics_code="y *= exp(-dt / tau);",
        synapse_dynamics_code="g = fmin(2.0, fmax(0.0, g + 0.01 * e));\ne *= 0.9;")
    syn = m.add_synapse_population(
        "S", "SPARSE", pop, pop,
        pg.init_weight_update(trace_stdp, {"tau": 20.0, "A": 0.1}, {"g": 0.5, "e": 0.0}, {"x": 0.0}, {"y": 0.0}),
        pg.init_postsynaptic("ExpCurr", {"tau": 5.0}), pg.init_sparse_connectivity("FixedProbability", {"prob": 0.05}))
    m.build(str(tmp_path / name))
    m.load(num_recording_timesteps=500)
    m.step_time_n(500)
    t, i = pop.spike_recording_data[0]
    return t, i, syn.vars["g"].values


def test_threads_give_serial_results_bit_for_bit(tmp_path):
    t1, i1, g1 = _run(tmp_path, "serial")
    t2, i2, g2 = _run(tmp_path, "omp", num_threads=2)
    assert len(t1) > 500
    np.testing.assert_array_equal(t1, t2)
    np.testing.assert_array_equal(i1, i2)
    np.testing.assert_array_equal(g1, g2)
    assert np.ptp(g1) > 0


def test_optimize_code_is_close_to_exact(tmp_path):
    t1, _, _ = _run(tmp_path, "exact")
    t2, _, _ = _run(tmp_path, "fast", optimize_code=True)
    assert len(t2) == pytest.approx(len(t1), rel=0.1)


def _static_network(tmp_path, name, batch_size=1, teams=(0,), budget=0.0, graded=True, **prefs):
    """Two populations, SPARSE and DENSE static synapses (one with a dendritic delay, one with an axonal delay, one
    (``graded``) driven by spike-like events, its code reading its source's V), no learning: threads share the
    presynaptic update by postsynaptic neuron."""
    m = pg.GeNNModel("float", name, **prefs)
    m.dt = 0.5
    m.seed = 3
    m.batch_size = batch_size
    lif = {"C": 1.0, "TauM": 20.0, "Vrest": -65.0, "Vreset": -70.0, "Vthresh": -50.0, "Ioffset": 0.0,
           "TauRefrac": 2.0}
    e = m.add_neuron_population("E", 333, "LIF", lif, {"V": -60.0, "RefracTime": 0.0})
    i = m.add_neuron_population("I", 91, "LIF", lif, {"V": -60.0, "RefracTime": 0.0})
    for p in (e, i):
        p.spike_recording_enabled = True
        m.add_current_source(f"Noise{p.name}", "GaussianNoise", p, {"mean": 1.0, "sd": 1.5})
    delayed = pg.create_weight_update_model("delayed", vars=[("g", "scalar"), ("d", "scalar")],
                                            pre_spike_syn_code="addToPostDelay(g, (unsigned int)d);")
    uniform = {"g": pg.init_var("Uniform", {"min": 0.0, "max": 0.5}),
               "d": pg.init_var("Uniform", {"min": 0.0, "max": 4.99})}
    small = pg.init_var("Uniform", {"min": 0.0, "max": 0.1})
    m.add_synapse_population(
        "EE", "SPARSE", e, e, pg.init_weight_update(delayed, {}, uniform),
        pg.init_postsynaptic("ExpCurr", {"tau": 5.0}), pg.init_sparse_connectivity("FixedProbability", {"prob": 0.1})
    ).max_dendritic_delay_timesteps = 5
    m.add_synapse_population(
        "EI", "DENSE", e, i, pg.init_weight_update("StaticPulse", {}, {"g": small}),
        pg.init_postsynaptic("DeltaCurr"))
    m.add_synapse_population(
        "IE", "SPARSE", i, e, pg.init_weight_update("StaticPulseConstantWeight", {"g": -0.05}),
        pg.init_postsynaptic("ExpCurr", {"tau": 10.0}), pg.init_sparse_connectivity("FixedProbability", {"prob": 0.2})
    ).axonal_delay_steps = 3  # a spike queue of several slots
    graded_model = pg.create_weight_update_model("graded", params=["theta"], vars=[("g", "scalar")],
                                           pre_event_threshold_condition_code="V_pre > theta",
                                           pre_event_syn_code="addToPost(g * (V_pre - theta));",
                                           pre_neuron_var_refs=[("V_pre", "scalar")])
    if graded:
        m.add_synapse_population(
            "II", "SPARSE", i, i,
            pg.init_weight_update(graded_model, {"theta": -52.0}, {"g": -0.02},
                                  pre_var_refs={"V_pre": pg.create_var_ref(i, "V")}),
            pg.init_postsynaptic("DeltaCurr"), pg.init_sparse_connectivity("FixedProbability", {"prob": 0.3}))
    # rows not sorted by target (odd rows descending): the team walks them whole, each thread taking its targets
    zigzag = pg.create_sparse_connect_init_snippet(
        "zigzag", row_build_code="for (unsigned int j = 0; j < num_post; j += 3) {\n"
                                 "    addSynapse((id_pre % 2) ? num_post - 1 - j : j);\n}",
        calc_max_row_len_func=lambda num_pre, num_post, pars: (num_post + 2) // 3)
    m.add_synapse_population(
        "IEz", "SPARSE", i, e, pg.init_weight_update("StaticPulseConstantWeight", {"g": -0.03}),
        pg.init_postsynaptic("DeltaCurr"), pg.init_sparse_connectivity(zigzag, {}))
    m.build(str(tmp_path / name))
    m.load(num_recording_timesteps=400)
    if prefs.get("num_threads", 1) > 1:  # the team's split points: sorted rows split, the zigzag's odd rows not
        rt = m._runtime
        ez, iez = (rt.arrays[f"{rt.plan.prefix(m.synapse_populations[n])}_rowSplit"] for n in ("EE", "IEz"))
        assert ez.size == e.num_neurons and not np.any(ez == 0xFFFFFFFF)
        assert np.all(iez[1::2] == 0xFFFFFFFF) and not np.any(iez[0::2] == 0xFFFFFFFF)
    m._runtime.set_team_budget(budget)
    for team in teams:  # 400 steps in equal parts, each on a forced team size (0: chosen by measurement)
        m._runtime.set_team(team)
        m.step_time_n(400 // len(teams))
    assert sum(m.thread_steps) == 400
    source = "\n".join(p.read_text() for p in (tmp_path / name).rglob("*.c"))
    return [p.spike_recording_data for p in (e, i)], e.vars["V"].values, source


@pytest.mark.parametrize("batch_size,teams,budget,graded", [
    (1, (2,), 0.0, True), (2, (2,), 0.0, True), (1, (2, 1, 2, 1), 0.0, True), (1, (0,), 0.0, True),
    (1, (2,), 1e-9, True), (1, (0,), 1e-9, True), (1, (2,), 0.0, False), (2, (2, 1, 2, 1), 0.0, False)])
def test_threads_sharing_rows_by_target_give_serial_results_bit_for_bit(tmp_path, batch_size, teams, budget, graded):
    """On the team, on one thread, in blocks of either (as the adaptive choice runs them), in team blocks cut short
    by their time budget (1 ns: every team block ends after its first step), with and without synapse code that
    reads its source's state (without, the neuron update starts without a barrier): one thread's results."""
    spikes1, v1, _ = _static_network(tmp_path, "serial", batch_size, graded=graded)
    spikes2, v2, source = _static_network(tmp_path, "omp", batch_size, teams, budget, graded=graded, num_threads=2)
    assert "gn_lo" in source  # the presynaptic update was shared by target
    assert ("reads its source's state" in source) == graded  # the neuron update's first barrier
    for (a, b) in zip(spikes1, spikes2, strict=True):
        for (t1, i1), (t2, i2) in zip(a, b, strict=True):
            assert len(t1) > 50
            np.testing.assert_array_equal(t1, t2)
            np.testing.assert_array_equal(i1, i2)
    np.testing.assert_array_equal(v1, v2)


@pytest.mark.parametrize("threads", [2, 3, 4])
def test_row_splits_give_each_thread_its_own_targets(threads):
    """Each row's split points: the first synapse of threads 1, 2, ... (targets [gn_chunk(t), gn_chunk(t + 1)),
    chunks in multiples of 32); padding past a row's length ignored; a row not sorted by target marked whole."""
    from genn_neuromod.codegen.connectivity import UNSORTED_ROW, HostLayout, Sparse

    rng = np.random.default_rng(1)
    n_pre, n_post, stride = 50, 300, 40
    lengths = rng.integers(0, stride + 1, n_pre).astype(np.uint32)
    ind = np.full((n_pre, stride), 7, dtype=np.uint16)  # padding: a small target, as left by removed synapses
    for r, n in enumerate(lengths):
        ind[r, :n] = np.sort(rng.integers(0, n_post, n))
    ind[3, :4] = [5, 200, 100, 250]
    lengths[3] = max(lengths[3], 4)
    splits = Sparse.build_row_splits(HostLayout(stride, lengths, ind.ravel()), n_post, threads, rows_per_pass=7)
    bounds = [(n_post * t // threads) & ~31 for t in range(threads + 1)]
    bounds[-1] = n_post
    for r in range(n_pre):
        if r == 3:
            assert np.all(splits[r] == UNSORTED_ROW)
            continue
        cuts = [0, *splits[r], lengths[r]]
        for t in range(threads):
            owned = ind[r, cuts[t]:cuts[t + 1]]
            assert np.all((owned >= bounds[t]) & (owned < bounds[t + 1]))
        assert cuts == sorted(cuts)


def test_synapse_code_reading_its_source_waits_for_every_thread_s_rows(tmp_path):
    """Graded synapses read their source's V while the other thread is free to update it: thread 0's targets have
    no synapses, so it reaches the neuron update (and its share of the source's V) at once, while thread 1 walks
    a thousand slow synapses per row (a loop of 100 multiply-adds each: milliseconds a step, so that the reads
    outlast a time slice even where both threads share a core).  Without the barrier before the neuron update
    thread 1 reads updated values (a mutant without it failed 8 runs of 8)."""
    def run(name, **prefs):
        m = pg.GeNNModel("float", name, **prefs)
        m.dt = 0.5
        m.seed = 5
        lif = {"C": 1.0, "TauM": 20.0, "Vrest": -65.0, "Vreset": -70.0, "Vthresh": -50.0, "Ioffset": 0.0,
               "TauRefrac": 2.0}
        src = m.add_neuron_population("Src", 64, "LIF", lif, {"V": -60.0, "RefracTime": 0.0})
        m.add_current_source("Noise", "GaussianNoise", src, {"mean": 0.0, "sd": 2.0})
        trg = m.add_neuron_population("Trg", 2048, "LIF", lif, {"V": -60.0, "RefracTime": 0.0})
        graded = pg.create_weight_update_model(
            "graded_all", params=["theta"], vars=[("g", "scalar")], pre_event_threshold_condition_code="V_pre > theta",
            pre_event_syn_code="scalar x = V_pre;\nfor (int k = 0; k < 100; k++) x = x * 0.999f + 0.001f * V_pre;\n"
                               "addToPost(g * (x - theta));", pre_neuron_var_refs=[("V_pre", "scalar")])
        upper_half = pg.create_sparse_connect_init_snippet(  # every source neuron to the upper half of the targets
            "upper_half", row_build_code="for (unsigned int j = num_post / 2; j < num_post; j++) addSynapse(j);",
            calc_max_row_len_func=lambda num_pre, num_post, pars: num_post - num_post // 2)
        m.add_synapse_population(
            "G", "SPARSE", src, trg,
            pg.init_weight_update(graded, {"theta": -100.0}, {"g": 0.001},  # an event at every neuron and step
                                  pre_var_refs={"V_pre": pg.create_var_ref(src, "V")}),
            pg.init_postsynaptic("DeltaCurr"), pg.init_sparse_connectivity(upper_half, {}))
        m.build(str(tmp_path / name))
        m.load()
        if prefs:
            m._runtime.set_team(2)
        m.step_time_n(30)
        return trg.vars["V"].values

    np.testing.assert_array_equal(run("serial"), run("omp", num_threads=2))


def test_which_synapse_code_reads_its_source():
    from genn_neuromod.codegen.kernels.presynaptic import _reads_source

    wu = pg.create_weight_update_model("w", vars=[("g", "scalar")], pre_vars=[("x", "scalar")],
                                       pre_neuron_var_refs=[("Vp", "scalar")], pre_spike_syn_code="addToPost(g);")
    group = type("G", (), {"pre_vars": {"x": None}, "wu_model": wu})()

    def reads(*names):
        return _reads_source(group, [type("C", (), {"info": type("I", (), {"names_used": set(names)})()})()])

    assert not reads("g", "id_pre", "V_post", "st_post", "addToPost")
    for name in ("st_pre", "prev_st_pre", "set_pre", "prev_set_pre", "x", "Vp"):
        assert reads("g", name)


def test_rows_are_shared_by_target_only_where_no_thread_can_touch_another_s_data():
    from genn_neuromod.codegen.connectivity import Dense, Sparse
    from genn_neuromod.codegen.kernels.presynaptic import _splits_by_target

    class Info:
        def __init__(self, written=(), functions=()):
            self.names_written, self.functions_used = set(written), set(functions)

    class Compiled:
        def __init__(self, **kw):
            self.info = Info(**kw)

    class Group:
        vars = {"g": type("V", (), {"name": "g", "access": pg.VarAccess.READ_WRITE})()}

    sparse, dense = Sparse(Group()), Dense(Group())
    static = [Compiled(functions={"addToPost"})]
    plastic = [Compiled(written={"g"}, functions={"addToPost"})]
    assert _splits_by_target(sparse, Group(), static) and _splits_by_target(dense, Group(), static)
    assert _splits_by_target(dense, Group(), plastic)        # a thread's targets are a contiguous slice of a row
    assert not _splits_by_target(sparse, Group(), plastic)   # they interleave within a SPARSE row
    assert not _splits_by_target(dense, Group(), [Compiled(functions={"addToPre"})])
    assert not _splits_by_target(dense, Group(), [Compiled(written={"shared_egp"})])


def test_adaptive_threads_off_runs_every_step_on_the_team(tmp_path):
    m = pg.GeNNModel("float", "fixed", num_threads=2, adaptive_threads=False)
    m.add_neuron_population("N", 64, "Izhikevich", {"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0},
                            {"V": -65.0, "U": -13.0})
    m.build(str(tmp_path / "fixed"))
    m.load()
    m.step_time_n(300)
    assert m.thread_steps == (0, 300)


def test_adaptive_threads_must_be_a_bool():
    with pytest.raises(ValueError, match="adaptive_threads must be True or False"):
        pg.GeNNModel("float", "bad", num_threads=2, adaptive_threads="yes")


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores")
@pytest.mark.parametrize("n_pre, team", [(60, False), (1500, True)])
def test_default_threads_follow_the_network_size(tmp_path, n_pre, team):
    """num_threads left at None: every core from AUTO_THREADS_MIN_SYNAPSES synapses (and AUTO_THREADS_MIN_NEURONS
    neurons) up, one thread below."""
    m = pg.GeNNModel("float", f"auto{n_pre}", adaptive_threads=False)
    m.dt = 1.0
    pre = m.add_neuron_population("Pre", n_pre, "SpikeSourceArray", {}, {"startSpike": 0, "endSpike": 0})
    post = m.add_neuron_population("Post", 1500, "LIF", {"C": 1.0, "TauM": 20.0, "Vrest": -65.0, "Vreset": -65.0,
                                                         "Vthresh": -50.0, "Ioffset": 0.0, "TauRefrac": 2.0},
                                   {"V": -65.0, "RefracTime": 0.0})
    m.add_synapse_population("S", "DENSE", pre, post, pg.init_weight_update("StaticPulseConstantWeight", {"g": 0.1}),
                             pg.init_postsynaptic("DeltaCurr"))
    assert (n_pre * 1500 >= AUTO_THREADS_MIN_SYNAPSES and n_pre + 1500 >= AUTO_THREADS_MIN_NEURONS) == team
    m.build(str(tmp_path / "auto"))
    m.load()
    m.step_time_n(50)
    assert m.thread_steps == ((0, 50) if team else (50, 0))
