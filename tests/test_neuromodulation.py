"""Neuromodulators, receptors and homeostasis from the model library, against numpy references.

Volume transmission: a source spiking in step j releases into the target's input in
step j + 1 + D (D = axonal delay); the target integrates X <- X exp(-dt/tau_X) + in_X.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import run_polling

import genn_neuromod as pygenn
from genn_neuromod.models import available_models, load_model, model_defaults
from genn_neuromod.models import neuromodulation as nm

MY_MODELS = ["IzhikevichNeuromod", "Reward", "VolumeTransmission", "VolumeTransmissionGraded",
             "SpikeSourceArrayNeuromod", "DASTDPTimeDriven", "DASTDPEventDriven", "DASTDPEventDrivenSync",
             "MSTDP", "MSTDPET", "PairSTDP", "SynapticScaling"]


def _source(model, name, spike_ms, dt):
    init, times = nm.spike_array_init(spike_ms, dt)
    pop = model.add_neuron_population(name, len(spike_ms), "SpikeSourceArray", {}, init)
    pop.extra_global_params["spikeTimes"].set_init_values(times)
    return pop


def izhikevich_neuromod_reference(steps, dt, p, v0, inputs, isyn):
    """numpy IzhikevichNeuromod: ``inputs[X]`` is the release arriving in each step, shape (steps, n)."""
    n = v0["V"].size
    V, U = v0["V"].copy(), v0["U"].copy()
    a, b, c, d = v0["a"], v0["b"], v0["c"], v0["d"]
    conc = {x: np.zeros(n) for x in ("DA", "NA", "ACh", "SHT")}
    tau = {"DA": p["tau_DA"], "NA": p["tau_NA"], "ACh": p["tau_ACh"], "SHT": p["tau_5HT"]}
    mode = np.zeros(n, dtype=int)
    hist = {k: np.zeros((steps, n)) for k in ("V", "DA", "NA", "ACh", "SHT", "Dmod", "Dmod_in", "mode")}
    spikes = np.zeros((steps, n), dtype=bool)
    d_gain = v0["gain_D1"] - v0["gain_D2"]
    for k in range(steps):
        for x in conc:
            conc[x] = conc[x] * math.exp(-dt / tau[x]) + inputs[x][k]
        mode = np.where(v0["gain_NA"] * conc["NA"] > p["theta_NA"], 1, mode)
        mode = np.where(v0["gain_ACh"] * conc["ACh"] > p["theta_ACh"], 0, mode)
        fired = V >= 30.0
        V = np.where(fired, np.where(mode == 1, p["c_burst"], c), V)
        U = np.where(fired, U + np.where(mode == 1, p["d_burst"], d), U)
        V = V + 0.5 * (0.04 * V * V + 5.0 * V + 140.0 - U + isyn) * dt
        V = V + 0.5 * (0.04 * V * V + 5.0 * V + 140.0 - U + isyn) * dt
        U = U + a * (b * V - U) * dt
        V = np.minimum(V, 30.0)
        spikes[k] = V >= 29.99
        hist["V"][k] = V
        for x in conc:
            hist[x][k] = conc[x]
        hist["Dmod"][k] = d_gain * conc["DA"]
        hist["Dmod_in"][k] = d_gain * inputs["DA"][k]
        hist["mode"][k] = mode
    return hist, spikes


# --------------------------------------------------------------------------- volume transmission


def test_volume_transmission_integrates_release(tmp_path):
    rng = np.random.default_rng(2)
    dt, steps, n = 0.5, 400, 3
    p = nm.izhikevich_neuromod_params(tau_DA=40.0, tau_NA=25.0, tau_ACh=60.0, tau_5HT=10.0)
    v0 = nm.izhikevich_neuromod_vars(n, gain_D1=[1.0, 0.0, 0.5], gain_D2=[0.0, 1.0, 0.0], V=-70.0)
    model = pygenn.GeNNModel("double", "volume")
    model.dt = dt
    target = model.add_neuron_population("Target", n, nm.izhikevich_neuromod_model(), p, v0)
    control = model.add_neuron_population("Control", n, nm.izhikevich_neuromod_model(), p, dict(v0))
    for pop in (target, control):
        model.add_current_source(f"DC_{pop.name}", "DC", pop, {"amp": 6.0})
    da_steps = [[10, 11, 150], [40, 300], [150, 151, 152, 350]]
    da_src = _source(model, "DAsrc", [[s * dt for s in x] for x in da_steps], dt)
    g_da = rng.uniform(0.1, 1.0, (3, n))
    nm.add_volume_transmission(model, "DA_vt", da_src, target, release=g_da.ravel(), modulator="DA",
                               axonal_delay_steps=3)
    na_steps = [20, 21, 22, 200]
    na_src = _source(model, "NAsrc", [[s * dt for s in na_steps]], dt)
    nm.add_volume_transmission(model, "NA_vt", na_src, target, release=0.1, modulator="NA")
    sht_src = model.add_neuron_population("SHTsrc", 2, "Poisson", {"rate": 80.0}, {"timeStepToSpike": 0.0})
    sht_src.spike_recording_enabled = True
    nm.add_volume_transmission(model, "SHT_vt", sht_src, target, release=np.array([0.2, 0.2, 0.2, 0.05, 0.05, 0.05]),
                               modulator="5HT")
    rate_model = pygenn.create_neuron_model("RateUnit", vars=[("r", "scalar")],
                                            sim_code="r = 0.02 * sin(t / 15.0);")
    ach_src = model.add_neuron_population("AChsrc", 1, rate_model, {}, {"r": 0.0})
    nm.add_volume_transmission(model, "ACh_vt", ach_src, target, release=[0.5, 1.0, 2.0], modulator="ACh",
                               graded=True)
    model.seed = 7
    model.build(str(tmp_path))
    model.load(num_recording_timesteps=steps)
    names = ["DA", "NA", "ACh", "SHT", "Dmod", "Dmod_in", "V"]
    polled = run_polling(model, steps, [target.vars[x] for x in names] + [control.vars["V"]])
    got = dict(zip(names + ["V_control"], polled, strict=True))
    model.pull_recording_buffers_from_device()
    sht_times, sht_ids = sht_src.spike_recording_data[0]
    assert 10 < sht_times.size < 200

    inputs = {x: np.zeros((steps, n)) for x in ("DA", "NA", "ACh", "SHT")}
    for i, s in enumerate(da_steps):
        for j in s:
            inputs["DA"][j + 1 + 3] += g_da[i]
    for j in na_steps:
        inputs["NA"][j + 1] += 0.1
    for t_sp, i in zip(np.round(sht_times / dt).astype(int), sht_ids, strict=True):
        inputs["SHT"][t_sp + 1] += [0.2, 0.05][i]
    r = 0.02 * np.sin(np.arange(steps) * dt / 15.0)  # r at the end of step k
    inputs["ACh"][1:] = np.outer(np.maximum(r[:-1], 0.0) * dt, [0.5, 1.0, 2.0])
    ref, _ = izhikevich_neuromod_reference(steps, dt, p, v0, inputs, 6.0)
    for x in ("DA", "NA", "ACh", "SHT", "Dmod", "Dmod_in"):
        np.testing.assert_allclose(got[x], ref[x], rtol=1e-12, atol=1e-15, err_msg=x)
        assert got[x].max() > 0.05, x
    assert got["Dmod"][:, 1].min() < -0.05  # D2-only cell: inverted signal
    # release changes concentrations only: the membrane follows the control population exactly
    np.testing.assert_array_equal(got["V"], got["V_control"])
    np.testing.assert_allclose(got["V"], ref["V"], rtol=1e-12)


# --------------------------------------------------------------------------- receptors: NA / ACh


def test_na_and_ach_switch_only_cells_with_receptors(tmp_path):
    dt, steps, n = 1.0, 1000, 6
    p = nm.izhikevich_neuromod_params()
    gain_na = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
    gain_ach = np.array([1.0, 1.0, 0.0, 1.0, 0.0, 0.0])
    v0 = nm.izhikevich_neuromod_vars(n, gain_NA=gain_na, gain_ACh=gain_ach)
    model = pygenn.GeNNModel("double", "receptors")
    model.dt = dt
    pop = model.add_neuron_population("E", n, nm.izhikevich_neuromod_model(), p, v0)
    pop.spike_recording_enabled = True
    model.add_current_source("DC", "DC", pop, {"amp": 10.0})
    na = nm.add_reward_source(model, "NArelease")
    ach = nm.add_reward_source(model, "AChrelease")
    nm.add_volume_transmission(model, "NA_vt", na, pop, release=1.0, modulator="NA")
    nm.add_volume_transmission(model, "ACh_vt", ach, pop, release=1.0, modulator="ACh")
    model.build(str(tmp_path))
    model.load(num_recording_timesteps=steps)
    nm.schedule_reward(na, 300.0)
    nm.schedule_reward(ach, 650.0)
    v, mode = run_polling(model, steps, [pop.vars["V"], pop.vars["mode"]])
    model.pull_recording_buffers_from_device()
    times, ids = pop.spike_recording_data[0]

    inputs = {x: np.zeros((steps, n)) for x in ("DA", "NA", "ACh", "SHT")}
    inputs["NA"][301] = 1.0  # the source spikes in step 300, the cells receive it in step 301
    inputs["ACh"][651] = 1.0
    ref, ref_spikes = izhikevich_neuromod_reference(steps, dt, p, v0, inputs, 10.0)
    np.testing.assert_array_equal(mode, ref["mode"])
    np.testing.assert_allclose(v, ref["V"], rtol=1e-12, atol=1e-12)
    ref_k, ref_i = np.nonzero(ref_spikes)
    order = np.lexsort((ids, times))
    np.testing.assert_array_equal(np.round(times[order] / dt).astype(int), ref_k)
    np.testing.assert_array_equal(ids[order], ref_i)

    # the switch itself: only cells with the NA receptor burst, only those with ACh receptors come back
    assert np.all(mode[:301] == 0)
    np.testing.assert_array_equal(mode[320], [1, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(mode[-1], [0, 0, 1, 0, 0, 0])
    # bursting (c = -50, d = 2) fires more, with short inter-spike intervals, than regular spiking
    window = (times >= 350) & (times < 650)
    counts = np.bincount(ids[window].astype(int), minlength=n)
    assert counts[:3].min() > 1.5 * counts[3:].max()
    isi_min = [np.diff(times[window & (ids == i)]).min() for i in range(n)]
    assert max(isi_min[:3]) < min(isi_min[3:])
    # before NA every cell is the same regular-spiking cell
    early = times < 300
    assert len(set(np.bincount(ids[early].astype(int), minlength=n))) == 1


# --------------------------------------------------------------------------- reward source


def test_reward_source_spikes_once_and_releases_dopamine(tmp_path):
    model = pygenn.GeNNModel("double", "reward")
    model.dt = 1.0
    reward = nm.add_reward_source(model, "Reward", num=2)
    reward.spike_recording_enabled = True
    cells = model.add_neuron_population("Cells", 2, nm.izhikevich_neuromod_model(), nm.izhikevich_neuromod_params(),
                                        nm.izhikevich_neuromod_vars(2, gain_D1=1.0))
    # neuron 0 of Reward reaches both cells, neuron 1 only cell 1: release 0.5 (Izhikevich 2007)
    nm.add_volume_transmission(model, "DA", reward, cells, release=[0.5, 0.5, 0.0, 0.5])
    model.build(str(tmp_path))
    model.load(num_recording_timesteps=60)
    model.step_time_n(10)
    nm.deliver_reward(reward, [0])
    nm.schedule_reward(reward, 25.0, [1])
    (da,) = run_polling(model, 50, [cells.vars["DA"]])
    model.pull_recording_buffers_from_device()
    times, ids = reward.spike_recording_data[0]
    np.testing.assert_array_equal(times, [10.0, 25.0])
    np.testing.assert_array_equal(ids, [0, 1])
    decay = math.exp(-1.0 / 200.0)
    expected = np.zeros((50, 2))
    level = np.zeros(2)
    for k in range(10, 60):
        level = level * decay + (0.5 if k == 11 else 0.0) + (np.array([0.0, 0.5]) if k == 26 else 0.0)
        expected[k - 10] = level
    np.testing.assert_allclose(da, expected, rtol=1e-13)
    reward.vars["t_due"].pull_from_device()
    np.testing.assert_array_equal(reward.vars["t_due"].values, [-1.0, -1.0])


# --------------------------------------------------------------------------- dopamine receptors on plasticity


def test_d1_d2_receptors_gate_da_stdp(tmp_path):
    """Identical cells (dopamine does not touch the membrane) with D1, D2 or no receptor."""
    dt, steps = 1.0, 1500
    model = pygenn.GeNNModel("double", "d1d2")
    model.dt = dt
    cells = model.add_neuron_population("Cells", 3, nm.izhikevich_neuromod_model(), nm.izhikevich_neuromod_params(),
                                        nm.izhikevich_neuromod_vars(3, gain_D1=[1.0, 0.0, 0.0],
                                                                    gain_D2=[0.0, 1.0, 0.0]))
    model.add_current_source("DC", "DC", cells, {"amp": 5.0})
    cells.spike_recording_enabled = True
    model.build(str(tmp_path / "probe"))
    model.load(num_recording_timesteps=steps)
    model.step_time_n(steps)
    model.pull_recording_buffers_from_device()
    post_times = cells.spike_recording_data[0][0][cells.spike_recording_data[0][1] == 0]
    assert post_times.size > 5
    model.unload()

    model = pygenn.GeNNModel("double", "d1d2")
    model.dt = dt
    cells = model.add_neuron_population("Cells", 3, nm.izhikevich_neuromod_model(), nm.izhikevich_neuromod_params(),
                                        nm.izhikevich_neuromod_vars(3, gain_D1=[1.0, 0.0, 0.0],
                                                                    gain_D2=[0.0, 1.0, 0.0]))
    model.add_current_source("DC", "DC", cells, {"amp": 5.0})
    pre = _source(model, "Pre", [list(post_times - 5.0)], dt)  # pre leads post by 5 ms: LTP
    reward = nm.add_reward_source(model, "Reward")
    nm.add_volume_transmission(model, "DA", reward, cells, release=0.5)
    sg = nm.add_da_stdp(model, "Syn", pre, cells, form="time", params={"Wmin": -100.0, "Wmax": 100.0}, g=2.0,
                        matrix_type="DENSE")
    sg.post_target_var = "in5HT"  # keep the membranes identical: transmission goes to an input nothing uses here
    model.build(str(tmp_path / "plastic"))
    model.load()
    for k in range(steps):
        if k % 300 == 150:
            nm.deliver_reward(reward)
        model.step_time()
    sg.vars["g"].pull_from_device()
    dw = sg.vars["g"].values - 2.0
    assert dw[0] > dw[2] > 0.0 > dw[1]  # D1 potentiates, no receptor only the baseline, D2 inverts
    # identical eligibility, Dmod = +DA / -DA: the dopamine parts are opposite
    np.testing.assert_allclose(dw[0] - dw[2], dw[2] - dw[1], rtol=1e-9)


# --------------------------------------------------------------------------- homeostasis


def test_synaptic_scaling_against_numpy(tmp_path):
    dt, steps = 1.0, 2000
    p = model_defaults("SynapticScaling")
    p.update(eta=2e-5, tau_rate=200.0, T_update=10.0)
    post_steps = [list(range(5, steps, 20)), list(range(7, steps, 500))]  # 50 Hz and 2 Hz
    model = pygenn.GeNNModel("double", "scaling")
    model.dt = dt
    pre = _source(model, "Pre", [[1.0], [2.0]], dt)
    post = _source(model, "Post", [[s * dt for s in x] for x in post_steps], dt)
    g0 = np.array([1.0, 2.0, 3.0, 4.0])
    sg = model.add_synapse_population(
        "Syn", "DENSE", pre, post,
        pygenn.init_weight_update(load_model("SynapticScaling"), p, {"g": g0}, {}, {"rate": 5.0}),
        pygenn.init_postsynaptic("DeltaCurr"))
    model.build(str(tmp_path))
    model.load()
    model.step_time_n(steps)
    sg.vars["g"].pull_from_device()

    rate = np.full(2, 5.0)
    hist = np.zeros((steps, 2))
    spk = np.zeros((steps, 2), dtype=bool)
    for j, s in enumerate(post_steps):
        spk[s, j] = True
    g = g0.reshape(2, 2).copy()
    for k in range(steps):
        if k % 10 == 0:
            seen = hist[k - 1] if k > 0 else np.full(2, 5.0)
            g = g * np.exp(p["eta"] * (p["target_rate"] - seen) * 10.0 * dt)
        rate = rate * math.exp(-dt / p["tau_rate"]) + np.where(spk[k], 1000.0 / p["tau_rate"], 0.0)
        hist[k] = rate
    np.testing.assert_allclose(sg.vars["g"].values, g.ravel(), rtol=1e-10)
    assert np.all(g[:, 0] < 0.8 * g0.reshape(2, 2)[:, 0])  # 50 Hz > target: scaled down
    assert np.all(g[:, 1] > 1.05 * g0.reshape(2, 2)[:, 1])  # 2 Hz < target: scaled up


@pytest.mark.parametrize("matrix", ["DENSE", "SPARSE"])
def test_normalise_incoming_weights(tmp_path, matrix):
    rng = np.random.default_rng(4)
    model = pygenn.GeNNModel("double", f"norm_{matrix}")
    pre = model.add_neuron_population("Pre", 5, "SpikeSourceArray", {}, {"startSpike": 0, "endSpike": 0})
    post = model.add_neuron_population("Post", 4, "SpikeSourceArray", {}, {"startSpike": 0, "endSpike": 0})
    w = rng.uniform(0.1, 1.0, (5, 4))
    mask = rng.random((5, 4)) < 0.7
    mask[:, 3] = False  # a cell without inputs is left alone
    if matrix == "DENSE":
        w = np.where(mask, w, 0.0)
        sg = model.add_synapse_population("Syn", "DENSE", pre, post,
                                          pygenn.init_weight_update("StaticPulse", {}, {"g": w.ravel()}),
                                          pygenn.init_postsynaptic("DeltaCurr"))
    else:
        pi, pj = np.nonzero(mask)
        sg = model.add_synapse_population("Syn", "SPARSE", pre, post,
                                          pygenn.init_weight_update("StaticPulse", {}, {"g": w[pi, pj]}),
                                          pygenn.init_postsynaptic("DeltaCurr"))
        sg.set_sparse_connections(pi, pj)
    model.build(str(tmp_path))
    model.load()
    nm.normalise_incoming_weights(sg, [1.0, 2.0, 3.0, 4.0])
    sg.vars["g"].pull_from_device()
    if matrix == "DENSE":
        sums = sg.vars["g"].values.reshape(5, 4).sum(axis=0)
    else:
        sums = np.bincount(sg.get_sparse_post_inds(), weights=sg.vars["g"].values, minlength=4)
    np.testing.assert_allclose(sums, [1.0, 2.0, 3.0, 0.0])


# --------------------------------------------------------------------------- the library files themselves


def test_library_models_are_documented_and_build_in_float(tmp_path):
    models = available_models()
    for name in MY_MODELS:
        spec = models[name]
        assert spec.summary and spec.references and spec.data.get("equations") and spec.data.get("description"), name
        params = [x if isinstance(x, str) else x[0] for x in spec.data.get("params", [])]
        for prm in params:
            assert prm in spec.units, f"{name}: no unit for {prm}"
            assert prm in spec.defaults, f"{name}: no default for {prm}"
        load_model(name)
    # every model compiles in single precision too
    model = pygenn.GeNNModel("float", "float_build")
    izh = model.add_neuron_population("E", 4, nm.izhikevich_neuromod_model(), nm.izhikevich_neuromod_params(),
                                      nm.izhikevich_neuromod_vars(4, gain_D1=1.0, gain_NA=1.0, gain_ACh=1.0))
    src = nm.add_scripted_neuromod_population(model, "S", [[1.0], [2.0]])
    reward = nm.add_reward_source(model)
    nm.add_volume_transmission(model, "VT", reward, izh)
    nm.add_volume_transmission(model, "VTg", izh, src, graded=True, rate_var="V")
    nm.add_da_stdp(model, "TD", src, izh, form="time", matrix_type="DENSE")
    nm.add_da_stdp(model, "ED", src, izh, form="event", matrix_type="DENSE")
    for rule in ("MSTDP", "MSTDPET"):
        model.add_synapse_population(
            rule, "DENSE", src, izh,
            pygenn.init_weight_update(load_model(rule), model_defaults(rule),
                                      {"g": 0.1} if rule == "MSTDP" else {"g": 0.1, "z": 0.0}, {"P_plus": 0.0},
                                      {"P_minus": 0.0}, post_var_refs={"R": pygenn.create_var_ref(izh, "Dmod")}),
            pygenn.init_postsynaptic("DeltaCurr"))
    model.add_synapse_population("Pair", "DENSE", src, izh,
                                 pygenn.init_weight_update(load_model("PairSTDP"), model_defaults("PairSTDP"),
                                                           {"g": 0.5}, {"x": 0.0}, {"y": 0.0}),
                                 pygenn.init_postsynaptic("DeltaCurr"))
    model.add_synapse_population("Scale", "DENSE", src, izh,
                                 pygenn.init_weight_update(load_model("SynapticScaling"),
                                                           model_defaults("SynapticScaling"), {"g": 0.5}, {},
                                                           {"rate": 5.0}),
                                 pygenn.init_postsynaptic("DeltaCurr"))
    model.build(str(tmp_path))
    model.load()
    model.step_time_n(20)
    model.custom_update("DASTDPSync")
