"""Neuron and network dynamics against independent numpy reference simulations.

Each reference below re-implements GeNN 5.4's update order and equations from
its source (``neuronModels.h``, ``postsynapticModels.h``): per timestep, the
synapse update delivers the spikes emitted in the previous step into each
postsynaptic model's ``inSyn``; then the neuron update runs the postsynaptic
models (``Isyn``), the current sources, the neuron's sim code, the threshold
and the reset.  Double-precision runs are compared spike for spike.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import build_load, izhikevich_step, run_recorded, spike_source_array

import genn_neuromod as pygenn
from genn_neuromod import VarAccess

# --------------------------------------------------------------------------- helpers


def _recorded(pop) -> tuple[np.ndarray, np.ndarray]:
    """Recorded spikes sorted by time, then id (PyGeNN orders ids within a step by recording word)."""
    times, ids = (np.asarray(x) for x in pop.spike_recording_data[0])
    order = np.lexsort((ids, times))
    return times[order], ids[order]


def _as_spike_list(times: list[np.ndarray], ids: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate per-step spikes (ids ascending within a step), the order of the recording data."""
    if not times:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    return np.concatenate(times), np.concatenate(ids).astype(np.int64)


def _rows(pre: np.ndarray, post: np.ndarray, num_pre: int):
    """Row-ordered (pre, post ascending) synapses with each row's [start, end) slice."""
    order = np.lexsort((post, pre))
    starts = np.searchsorted(pre[order], np.arange(num_pre))
    ends = np.searchsorted(pre[order], np.arange(num_pre), side="right")
    return order, starts, ends


def _random_spike_steps(rng, num: int, num_steps: int, p: float) -> list[np.ndarray]:
    return [np.nonzero(rng.random(num_steps) < p)[0] for _ in range(num)]


def _ids_by_step(spike_steps: list[np.ndarray], num_steps: int) -> list[list[int]]:
    """For each timestep, the sources (ascending) that spike in it."""
    ids_at = [[] for _ in range(num_steps)]
    for i, s in enumerate(spike_steps):
        for k in s:
            ids_at[k].append(i)
    return ids_at


# --------------------------------------------------------------------------- Izhikevich

IZK_N, IZK_NE, IZK_STEPS = 100, 80, 1000


def _izhikevich_network_inputs():
    rng = np.random.default_rng(20240611)
    exc = np.arange(IZK_N) < IZK_NE
    r = rng.random(IZK_N)
    # Izhikevich (2003): RS excitatory and FS inhibitory cells with some heterogeneity
    a = np.where(exc, 0.02, 0.02 + 0.08 * r)
    b = np.where(exc, 0.2, 0.25 - 0.05 * r)
    c = np.where(exc, -65.0 + 15.0 * r ** 2, -65.0)
    d = np.where(exc, 8.0 - 6.0 * r ** 2, 2.0)
    pre, post = np.nonzero(rng.random((IZK_N, IZK_N)) < 0.1)
    # dyadic weights: every sum of them is exact, whatever the order
    g = np.where(pre < IZK_NE, rng.integers(1, 9, pre.size) / 16.0, -rng.integers(1, 17, pre.size) / 16.0)
    i_ext = 3.0 + np.where(exc, 5.0, 2.0) * rng.standard_normal((IZK_STEPS, IZK_N))
    v0 = -65.0 + 5.0 * rng.standard_normal(IZK_N)
    return dict(a=a, b=b, c=c, d=d, pre=pre, post=post, g=g, i_ext=i_ext, v0=v0, u0=b * v0)


def _izhikevich_reference(p: dict, dt: float):
    """GeNN's Izhikevich sim code: reset if V >= 30 first, two half steps of V, U, clamp; V >= 29.99."""
    a, b, c, d = p["a"], p["b"], p["c"], p["d"]
    v, u = p["v0"].copy(), p["u0"].copy()
    order, starts, ends = _rows(p["pre"], p["post"], IZK_N)
    post_s, g_s = p["post"][order], p["g"][order]
    in_syn = np.zeros(IZK_N)
    spikes = np.zeros(0, dtype=np.int64)
    rec_t, rec_i = [], []
    for k in range(IZK_STEPS):
        for i in spikes:  # synapse update: spikes of step k-1, in ascending id order
            in_syn[post_s[starts[i]:ends[i]]] += g_s[starts[i]:ends[i]]
        isyn = 0.0 + in_syn  # DeltaCurr: Isyn += inSyn; inSyn = 0
        in_syn[:] = 0.0
        isyn = isyn + p["i_ext"][k]  # current source
        v, u, spikes = izhikevich_step(v, u, isyn, a, b, c, d, dt)
        rec_t.append(np.full(spikes.size, k * dt))
        rec_i.append(spikes)
    times, ids = _as_spike_list(rec_t, rec_i)
    return times, ids, v, u


def _run_izhikevich_network(tmp_path, precision: str, p: dict, dt: float):
    model = pygenn.GeNNModel(precision, "izk_net")
    model.dt = dt
    pop = model.add_neuron_population(
        "Izk", IZK_N, "IzhikevichVariable", {},
        {"V": p["v0"], "U": p["u0"], "a": p["a"], "b": p["b"], "c": p["c"], "d": p["d"]})
    pop.spike_recording_enabled = True
    input_model = pygenn.create_current_source_model(
        "VarInput", vars=[("amp", "scalar", VarAccess.READ_ONLY)], injection_code="injectCurrent(amp);")
    cs = model.add_current_source("Input", input_model, pop, {}, {"amp": 0.0})
    sg = model.add_synapse_population(
        "Recurrent", "SPARSE", pop, pop,
        pygenn.init_weight_update("StaticPulse", {}, {"g": p["g"]}), pygenn.init_postsynaptic("DeltaCurr"))
    sg.set_sparse_connections(p["pre"], p["post"])
    build_load(model, tmp_path, num_recording_timesteps=IZK_STEPS)
    amp = cs.vars["amp"]
    for k in range(IZK_STEPS):
        amp.view[:] = p["i_ext"][k]  # per-neuron input, new every step
        amp.push_to_device()
        model.step_time()
    model.pull_recording_buffers_from_device()
    times, ids = _recorded(pop)
    pop.vars["V"].pull_from_device()
    pop.vars["U"].pull_from_device()
    return times, ids, pop.vars["V"].values, pop.vars["U"].values


def test_izhikevich_network_matches_numpy_spike_for_spike(tmp_path):
    p = _izhikevich_network_inputs()
    ref_t, ref_i, ref_v, ref_u = _izhikevich_reference(p, 1.0)
    # the comparison only means something if the network is active, excitatory and inhibitory
    assert ref_t.size > 500
    assert np.any(ref_i < IZK_NE) and np.any(ref_i >= IZK_NE)
    assert np.any(p["g"][np.isin(p["pre"], ref_i)] < 0)

    times, ids, v, u = _run_izhikevich_network(tmp_path, "double", p, 1.0)
    assert times.size == ref_t.size
    np.testing.assert_array_equal(times, ref_t)
    np.testing.assert_array_equal(ids, ref_i)
    np.testing.assert_array_equal(v, ref_v)
    np.testing.assert_array_equal(u, ref_u)


def test_izhikevich_float_stays_close_to_double(tmp_path):
    p = _izhikevich_network_inputs()
    ref_t, ref_i, _, _ = _izhikevich_reference(p, 1.0)
    times, ids, v, _ = _run_izhikevich_network(tmp_path, "float", p, 1.0)
    assert v.dtype == np.float32
    for sel in (slice(0, IZK_NE), slice(IZK_NE, IZK_N)):
        n_ref = np.count_nonzero((ref_i >= sel.start) & (ref_i < sel.stop))
        n = np.count_nonzero((ids >= sel.start) & (ids < sel.stop))
        assert abs(n - n_ref) <= 0.05 * n_ref, (n, n_ref)
    # per-neuron rates agree too (chaos may move single spikes, not firing rates)
    counts = np.bincount(ids, minlength=IZK_N)
    ref_counts = np.bincount(ref_i, minlength=IZK_N)
    assert np.abs(counts - ref_counts).max() <= 3
    # and the first 100 ms are spike-for-spike identical before rounding differences build up
    early = ref_t < 100.0
    np.testing.assert_array_equal(ids[times < 100.0], ref_i[early])


# Izhikevich (2003) parameter sets: regular spiking, fast spiking, chattering, intrinsically bursting
IZK_CLASSES = {"RS": (0.02, 0.2, -65.0, 8.0), "FS": (0.1, 0.2, -65.0, 2.0),
               "CH": (0.02, 0.2, -50.0, 2.0), "IB": (0.02, 0.2, -55.0, 4.0)}


@pytest.mark.parametrize("cell", sorted(IZK_CLASSES))
def test_builtin_izhikevich_with_dc_matches_numpy(tmp_path, cell):
    a, b, c, d = IZK_CLASSES[cell]
    dt, steps = 0.1, 5000
    amps = np.array([4.0, 7.0, 10.0, 15.0])
    model = pygenn.GeNNModel("double", f"izk_{cell}")
    model.dt = dt
    pops = []
    for j, amp in enumerate(amps):
        pop = model.add_neuron_population(f"Pop{j}", 1, "Izhikevich", {"a": a, "b": b, "c": c, "d": d},
                                          {"V": -65.0, "U": b * -65.0})
        model.add_current_source(f"DC{j}", "DC", pop, {"amp": amp})
        pop.spike_recording_enabled = True
        pops.append(pop)
    run_recorded(model, tmp_path, steps)

    v = np.full(amps.size, -65.0)
    u = b * v
    ref = [[] for _ in amps]
    for k in range(steps):
        v, u, spikes = izhikevich_step(v, u, 0.0 + amps, a, b, c, d, dt)
        for j in spikes:
            ref[j].append(k * dt)
    assert sum(len(r) for r in ref) > 40
    assert len(ref[-1]) > len(ref[0])
    for j, pop in enumerate(pops):
        times, ids = _recorded(pop)
        assert np.all(ids == 0)
        np.testing.assert_array_equal(times, np.array(ref[j]))
        np.testing.assert_array_equal(pop.vars["V"].values, v[j:j + 1])


# --------------------------------------------------------------------------- LIF

LIF_PARAMS = {"C": 0.25, "TauM": 10.0, "Vrest": -65.0, "Vreset": -70.0, "Vthresh": -50.0,
              "Ioffset": 0.3, "TauRefrac": 2.0}


def _lif_step(v, refrac, isyn, p, dt):
    """GeNN's LIF sim code, threshold and reset (ExpTC and Rmembrane are derived parameters)."""
    exp_tc = math.exp(-dt / p["TauM"])
    r_mem = p["TauM"] / p["C"]
    active = refrac <= 0.0
    alpha = ((isyn + p["Ioffset"]) * r_mem) + p["Vrest"]
    v = np.where(active, alpha - (exp_tc * (alpha - v)), v)
    refrac = np.where(active, refrac, refrac - dt)
    spike = (refrac <= 0.0) & (v >= p["Vthresh"])
    v = np.where(spike, p["Vreset"], v)
    refrac = np.where(spike, p["TauRefrac"], refrac)
    return v, refrac, np.nonzero(spike)[0]


def test_lif_exp_curr_matches_numpy(tmp_path):
    rng = np.random.default_rng(7)
    dt, steps, n_in, n_out = 0.1, 3000, 60, 25
    in_steps = _random_spike_steps(rng, n_in, steps, 0.02)  # 200 Hz each
    pre, post = np.nonzero(rng.random((n_in, n_out)) < 0.3)
    g = rng.integers(1, 33, pre.size) / 256.0
    tau = 5.0
    v0 = -65.0 + 10.0 * rng.random(n_out)

    model = pygenn.GeNNModel("double", "lif_expcurr")
    model.dt = dt
    src = spike_source_array(model, "Input", in_steps, dt)
    lif = model.add_neuron_population("LIF", n_out, "LIF", LIF_PARAMS, {"V": v0, "RefracTime": 0.0})
    lif.spike_recording_enabled = True
    sg = model.add_synapse_population("Syn", "SPARSE", src, lif,
                                      pygenn.init_weight_update("StaticPulse", {}, {"g": g}),
                                      pygenn.init_postsynaptic("ExpCurr", {"tau": tau}))
    sg.set_sparse_connections(pre, post)
    run_recorded(model, tmp_path, steps)
    times, ids = _recorded(lif)

    # reference
    exp_decay = math.exp(-dt / tau)
    init = (tau * (1.0 - math.exp(-dt / tau))) * (1.0 / dt)
    spikes_at = _ids_by_step(in_steps, steps)
    order, starts, ends = _rows(pre, post, n_in)
    post_s, g_s = post[order], g[order]
    v, refrac, in_syn = v0.copy(), np.zeros(n_out), np.zeros(n_out)
    rec_t, rec_i = [], []
    for k in range(steps):
        if k > 0:
            for i in spikes_at[k - 1]:
                in_syn[post_s[starts[i]:ends[i]]] += g_s[starts[i]:ends[i]]
        isyn = 0.0 + init * in_syn
        in_syn = in_syn * exp_decay
        v, refrac, spk = _lif_step(v, refrac, isyn, LIF_PARAMS, dt)
        rec_t.append(np.full(spk.size, k * dt))
        rec_i.append(spk)
    ref_t, ref_i = _as_spike_list(rec_t, rec_i)
    assert ref_t.size > 100
    np.testing.assert_array_equal(times, ref_t)
    np.testing.assert_array_equal(ids, ref_i)
    np.testing.assert_allclose(lif.vars["V"].values, v, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sg.out_post.view[0], in_syn, rtol=1e-13, atol=0)
    # refractoriness: no interspike interval shorter than TauRefrac
    for j in range(n_out):
        isi = np.diff(times[ids == j])
        assert np.all(isi >= LIF_PARAMS["TauRefrac"] - 1e-9)


def test_lif_exp_cond_plus_delta_curr_matches_numpy(tmp_path):
    rng = np.random.default_rng(11)
    dt, steps, n_exc, n_inh, n_out = 0.1, 3000, 40, 20, 15
    exc_steps = _random_spike_steps(rng, n_exc, steps, 0.03)
    inh_steps = _random_spike_steps(rng, n_inh, steps, 0.02)
    exc_pre, exc_post = np.nonzero(rng.random((n_exc, n_out)) < 0.5)
    inh_pre, inh_post = np.nonzero(rng.random((n_inh, n_out)) < 0.5)
    g_exc = rng.integers(1, 17, exc_pre.size) / 1024.0
    g_inh = -rng.integers(1, 17, inh_pre.size) / 64.0
    tau, e_rev = 3.0, 0.0
    v0 = -65.0 + 10.0 * rng.random(n_out)

    model = pygenn.GeNNModel("double", "lif_expcond")
    model.dt = dt
    exc = spike_source_array(model, "Exc", exc_steps, dt)
    inh = spike_source_array(model, "Inh", inh_steps, dt)
    lif = model.add_neuron_population("LIF", n_out, "LIF", LIF_PARAMS, {"V": v0, "RefracTime": 0.0})
    lif.spike_recording_enabled = True
    s_exc = model.add_synapse_population(
        "ExcSyn", "SPARSE", exc, lif, pygenn.init_weight_update("StaticPulse", {}, {"g": g_exc}),
        pygenn.init_postsynaptic("ExpCond", {"tau": tau, "E": e_rev},
                                 var_refs={"V": pygenn.create_var_ref(lif, "V")}))
    s_exc.set_sparse_connections(exc_pre, exc_post)
    model.add_synapse_population(
        "InhSyn", "DENSE", inh, lif,
        pygenn.init_weight_update("StaticPulse", {}, {"g": _dense(inh_pre, inh_post, g_inh, n_inh, n_out)}),
        pygenn.init_postsynaptic("DeltaCurr"))
    run_recorded(model, tmp_path, steps)
    times, ids = _recorded(lif)

    exp_decay = math.exp(-dt / tau)
    exc_at, inh_at = _ids_by_step(exc_steps, steps), _ids_by_step(inh_steps, steps)
    e_order, e_starts, e_ends = _rows(exc_pre, exc_post, n_exc)
    e_post, e_g = exc_post[e_order], g_exc[e_order]
    w_inh = _dense(inh_pre, inh_post, g_inh, n_inh, n_out)
    v, refrac = v0.copy(), np.zeros(n_out)
    g_cond, i_delta = np.zeros(n_out), np.zeros(n_out)
    rec_t, rec_i = [], []
    for k in range(steps):
        if k > 0:
            for i in exc_at[k - 1]:
                g_cond[e_post[e_starts[i]:e_ends[i]]] += e_g[e_starts[i]:e_ends[i]]
            for i in inh_at[k - 1]:  # DENSE: every post neuron, zero weights included
                i_delta = i_delta + w_inh[i]
        # PSMs in the order their synapse populations were added, then the neuron
        isyn = 0.0 + g_cond * (e_rev - v)
        g_cond = g_cond * exp_decay
        isyn = isyn + i_delta
        i_delta = np.zeros(n_out)
        v, refrac, spk = _lif_step(v, refrac, isyn, LIF_PARAMS, dt)
        rec_t.append(np.full(spk.size, k * dt))
        rec_i.append(spk)
    ref_t, ref_i = _as_spike_list(rec_t, rec_i)
    assert ref_t.size > 50
    np.testing.assert_array_equal(times, ref_t)
    np.testing.assert_array_equal(ids, ref_i)
    np.testing.assert_allclose(lif.vars["V"].values, v, rtol=0, atol=1e-12)
    np.testing.assert_allclose(s_exc.out_post.view[0], g_cond, rtol=1e-13, atol=0)


def _dense(pre, post, g, n_pre, n_post) -> np.ndarray:
    w = np.zeros((n_pre, n_post))
    w[pre, post] = g
    return w


def test_lif_float_close_to_double(tmp_path):
    """A noise-driven LIF population: float and double runs give the same spike counts within a few %."""
    counts = {}
    for precision in ("double", "float"):
        model = pygenn.GeNNModel(precision, f"lif_{precision}")
        model.dt = 0.1
        model.seed = 99
        lif = model.add_neuron_population("LIF", 200, "LIF", LIF_PARAMS,
                                          {"V": -65.0, "RefracTime": 0.0})
        model.add_current_source("Noise", "GaussianNoise", lif, {"mean": 0.5, "sd": 1.0})
        lif.spike_recording_enabled = True
        run_recorded(model, tmp_path / precision, 2000)
        counts[precision] = _recorded(lif)[0].size
    assert counts["double"] > 500
    assert abs(counts["float"] - counts["double"]) <= 0.03 * counts["double"], counts


# --------------------------------------------------------------------------- recording


def test_recording_matches_polled_spike_times_over_several_pulls(tmp_path):
    n, n_rec, blocks, dt = 70, 50, 4, 0.1  # 70 neurons: three 32-bit words per step
    model = pygenn.GeNNModel("double", "rec_poll")
    model.dt = dt
    model.seed = 5
    lif = model.add_neuron_population("LIF", n, "LIF", LIF_PARAMS, {"V": -55.0, "RefracTime": 0.0})
    model.add_current_source("Noise", "GaussianNoise", lif, {"mean": 1.0, "sd": 2.0})
    lif.spike_recording_enabled = True
    build_load(model, tmp_path, num_recording_timesteps=n_rec)
    all_ids = []
    for block in range(blocks):
        polled_t, polled_i = [], []
        for _ in range(n_rec):
            model.step_time()
            lif.spike_times.pull_from_device()
            st = lif.spike_times.view
            lif.vars["RefracTime"].pull_from_device()
            fired = np.nonzero(st == (model.timestep - 1) * dt)[0]
            # a spike this step resets RefracTime to TauRefrac: the two polls agree
            np.testing.assert_array_equal(
                fired, np.nonzero(lif.vars["RefracTime"].view == LIF_PARAMS["TauRefrac"])[0])
            polled_t.append(np.full(fired.size, model.timestep - 1) * dt)
            polled_i.append(fired)
        model.pull_recording_buffers_from_device()
        times, ids = _recorded(lif)
        ref_t, ref_i = _as_spike_list(polled_t, polled_i)
        assert times.min(initial=np.inf) >= block * n_rec * dt - 1e-9
        np.testing.assert_allclose(times, ref_t, rtol=0, atol=1e-9)
        np.testing.assert_array_equal(ids, ref_i)
        all_ids.append(ids)
    all_ids = np.concatenate(all_ids)
    assert all_ids.size > 100
    assert np.any(all_ids >= 64)  # the last, partial recording word is used too
    assert model.timestep == n_rec * blocks


# --------------------------------------------------------------------------- seeding


def _poisson_spikes(tmp_path, name: str, seed: int):
    model = pygenn.GeNNModel("float", "poisson_seed")
    model.dt = 1.0
    model.seed = seed
    pop = model.add_neuron_population("Poisson", 100, "Poisson", {"rate": 50.0}, {"timeStepToSpike": 0.0})
    pop.spike_recording_enabled = True
    run_recorded(model, tmp_path / name, 400)
    return _recorded(pop)


def test_poisson_seed_reproducibility(tmp_path):
    t1, i1 = _poisson_spikes(tmp_path, "a", 1234)
    t2, i2 = _poisson_spikes(tmp_path, "b", 1234)
    t3, i3 = _poisson_spikes(tmp_path, "c", 4321)
    np.testing.assert_array_equal(t1, t2)
    np.testing.assert_array_equal(i1, i2)
    assert t1.size != t3.size or not (np.array_equal(t1, t3) and np.array_equal(i1, i3))
    # 100 neurons x 400 ms x 50 Hz = 2000 expected spikes (sd ~ 45)
    for t in (t1, t3):
        assert 1750 < t.size < 2250
    # spikes are spread over neurons and over time
    assert np.unique(i1).size > 90
    assert np.histogram(t1, bins=4, range=(0, 400))[0].min() > 350
