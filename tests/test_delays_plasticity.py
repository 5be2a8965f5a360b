"""Synaptic delays and plasticity against closed forms and numpy references.

Conventions (GeNN 5.4, ``synapseUpdateGroupMerged.cc``): a spike emitted in
timestep ``n`` is processed by the synapse update of step ``n + 1 + D``
(``D = axonal_delay_steps``); in synapse code ``st_pre = (emission time) + (D + 1) dt``
and ``st_post = (last postsynaptic spike time) + (B + 1) dt`` (``B = back_prop_delay_steps``),
where the postsynaptic spike is visible ``B`` steps late.  A postsynaptic spike of
step ``m`` runs ``post_spike_syn_code`` in step ``m + 1 + B``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import (
    always_spike_model,
    build_load,
    empty_neuron_model,
    make_model,
    run_polling,
    spike_raster,
    spike_source_array,
)

import genn_neuromod as pygenn
from genn_neuromod import VarAccess

# --------------------------------------------------------------------------- helpers

#: a neuron that never spikes and exposes the input it received in each step
integrator_model = pygenn.create_neuron_model(
    "Integrator",
    vars=[("V", "scalar"), ("I", "scalar")],
    sim_code="""
    I = Isyn;
    V += Isyn;
    """)


def _model(name: str, dt: float = 1.0, precision: str = "double"):
    return make_model(name, precision, dt, seed=None)


# --------------------------------------------------------------------------- axonal delays


@pytest.mark.parametrize("delay", [0, 1, 4, 9])
@pytest.mark.parametrize("matrix", ["DENSE", "SPARSE"])
def test_axonal_delay_arrival_step(tmp_path, delay, matrix):
    # neuron 0 spikes once; neuron 1 three times, twice in a row (the delay queue must hold both)
    pre_steps = [[3], [6, 7, 20]]
    g = np.array([[1.0, 2.0, 0.0], [4.0, 0.0, 8.0]])
    model = _model(f"axonal_{matrix}")
    src = spike_source_array(model, "Pre", pre_steps, model.dt)
    post = model.add_neuron_population("Post", 3, integrator_model, {}, {"V": 0.0, "I": 0.0})
    if matrix == "DENSE":
        sg = model.add_synapse_population("Syn", "DENSE", src, post,
                                          pygenn.init_weight_update("StaticPulse", {}, {"g": g.ravel()}),
                                          pygenn.init_postsynaptic("DeltaCurr"))
    else:
        pre_i, post_i = np.nonzero(g)
        sg = model.add_synapse_population(
            "Syn", "SPARSE", src, post, pygenn.init_weight_update("StaticPulse", {}, {"g": g[pre_i, post_i]}),
            pygenn.init_postsynaptic("DeltaCurr"))
        sg.set_sparse_connections(pre_i, post_i)
    sg.axonal_delay_steps = delay
    build_load(model, tmp_path)
    steps = 35
    (inputs,) = run_polling(model, steps, [post.vars["I"]])

    expected = np.zeros((steps, 3))
    for i, s in enumerate(pre_steps):
        for n in s:
            expected[n + 1 + delay] += g[i]
    np.testing.assert_array_equal(inputs, expected)
    np.testing.assert_array_equal(post.vars["V"].values, g[0] + 3 * g[1])


@pytest.mark.parametrize("axonal", [0, 2])
@pytest.mark.parametrize("matrix", ["DENSE", "SPARSE"])
def test_dendritic_delay_arrival_step(tmp_path, axonal, matrix):
    rng = np.random.default_rng(3)
    n_pre, n_post, max_delay = 6, 3, 8
    pre_steps = [[i + 1, i + 12] for i in range(n_pre)]
    d = rng.integers(0, max_delay, (n_pre, n_post))
    # powers of two: each synapse's contribution can be told apart in a sum
    g = 2.0 ** np.arange(n_pre * n_post).reshape(n_pre, n_post)
    model = _model(f"dendritic_{matrix}")
    src = spike_source_array(model, "Pre", pre_steps, model.dt)
    post = model.add_neuron_population("Post", n_post, integrator_model, {}, {"V": 0.0, "I": 0.0})
    if matrix == "DENSE":
        sg = model.add_synapse_population(
            "Syn", "DENSE", src, post,
            pygenn.init_weight_update("StaticPulseDendriticDelay", {}, {"g": g.ravel(), "d": d.ravel()}),
            pygenn.init_postsynaptic("DeltaCurr"))
    else:
        pre_i, post_i = np.nonzero(np.ones((n_pre, n_post)))
        # give the synapses in shuffled order: values follow their (pre, post) pairs
        perm = rng.permutation(pre_i.size)
        pre_i, post_i = pre_i[perm], post_i[perm]
        sg = model.add_synapse_population(
            "Syn", "SPARSE", src, post,
            pygenn.init_weight_update("StaticPulseDendriticDelay", {},
                                      {"g": g[pre_i, post_i], "d": d[pre_i, post_i]}),
            pygenn.init_postsynaptic("DeltaCurr"))
        sg.set_sparse_connections(pre_i, post_i)
    sg.max_dendritic_delay_timesteps = max_delay
    sg.axonal_delay_steps = axonal
    build_load(model, tmp_path)
    steps = 40
    (inputs,) = run_polling(model, steps, [post.vars["I"]])

    expected = np.zeros((steps, n_post))
    for i, s in enumerate(pre_steps):
        for n in s:
            for j in range(n_post):
                expected[n + 1 + axonal + d[i, j], j] += g[i, j]
    assert np.count_nonzero(expected) > 20
    np.testing.assert_array_equal(inputs, expected)


# --------------------------------------------------------------------------- built-in STDP

STDP_PARAMS = {"tauPlus": 10.0, "tauMinus": 15.0, "Aplus": 0.1, "Aminus": 0.12, "Wmin": 0.1, "Wmax": 0.9}


def _stdp_closed_form(g0: float, pre_step: int, post_step: int, axonal: int, back_prop: int, dt: float,
                      p: dict) -> float:
    """One pre and one post spike: GeNN's rule with its st_pre / st_post conventions.

    The pre spike is processed at t_A = (pre + 1 + D) dt with st_post = post dt + (B + 1) dt when the
    post spike is visible by then; the post spike at t_P = (post + 1 + B) dt with
    st_pre = pre dt + (D + 1) dt.  Before any spike, st = -max, which gives exp(-inf) = 0.
    """
    t_a = (pre_step + 1 + axonal) * dt
    t_p = (post_step + 1 + back_prop) * dt
    g = g0
    clip = lambda w: max(p["Wmin"], min(p["Wmax"], w))  # noqa: E731
    events = sorted([(t_a, 0), (t_p, 1)])  # same step: presynaptic update first
    for t, kind in events:
        if kind == 0:
            st_post = post_step * dt + (back_prop + 1) * dt if t_p <= t_a else -np.inf
            delta = t - st_post
            if delta > 0:
                g = clip(g - p["Aminus"] * math.exp(-delta / p["tauMinus"]))
        else:
            st_pre = pre_step * dt + (axonal + 1) * dt if t_a <= t_p else -np.inf
            delta = t - st_pre
            if delta > 0:
                g = clip(g + p["Aplus"] * math.exp(-delta / p["tauPlus"]))
    return g


@pytest.mark.parametrize("axonal,back_prop", [(0, 0), (3, 0), (0, 4), (2, 5)])
def test_stdp_single_pairings_closed_form(tmp_path, axonal, back_prop):
    dt = 0.5
    lags = np.arange(-12, 13)  # post - pre in steps, 0 included
    post_step = 30
    pre_steps = post_step - lags
    n = lags.size
    g0 = np.linspace(0.15, 0.85, n)
    g0[[0, -1]] = [0.12, 0.88]  # close to the bounds: clipped
    model = _model("stdp_pairs", dt)
    pre = spike_source_array(model, "Pre", [[s] for s in pre_steps], dt)
    post = spike_source_array(model, "Post", [[post_step]], dt)
    sg = model.add_synapse_population("Syn", "DENSE", pre, post,
                                      pygenn.init_weight_update("STDP", STDP_PARAMS, {"g": g0}),
                                      pygenn.init_postsynaptic("DeltaCurr"))
    sg.axonal_delay_steps = axonal
    sg.back_prop_delay_steps = back_prop
    build_load(model, tmp_path)
    model.step_time_n(int(pre_steps.max()) + axonal + back_prop + 5)
    sg.vars["g"].pull_from_device()
    g = sg.vars["g"].values.ravel()

    expected = np.array([_stdp_closed_form(g0[i], pre_steps[i], post_step, axonal, back_prop, dt, STDP_PARAMS)
                         for i in range(n)])
    np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-15)
    # the effective lag is (post + B) - (pre + D): positive potentiates, negative depresses, 0 does nothing
    eff = lags + back_prop - axonal
    assert np.all(g[eff > 0] > g0[eff > 0] - 1e-15)
    assert np.all(g[eff < 0] < g0[eff < 0])
    np.testing.assert_array_equal(g[eff == 0], g0[eff == 0])
    assert np.count_nonzero(eff == 0) == 1
    # the outermost pairings push the weights close to the bounds over them: clipped
    assert g[0] == STDP_PARAMS["Wmin"] and g[-1] == STDP_PARAMS["Wmax"]


def test_stdp_simultaneous_spikes_do_not_change_weights(tmp_path):
    """Spikes of the same step see each other with t - st == 0: no change; one step apart: a change."""
    model = _model("stdp_simultaneous", 1.0)
    post_train = [5, 21, 40]
    pre = spike_source_array(model, "Pre", [[5, 20, 40], [5, 22, 40], post_train, [7], [30, 31]], 1.0)
    post = spike_source_array(model, "Post", [post_train], 1.0)
    sg = model.add_synapse_population("Syn", "DENSE", pre, post,
                                      pygenn.init_weight_update("STDP", STDP_PARAMS, {"g": 0.5}),
                                      pygenn.init_postsynaptic("DeltaCurr"))
    build_load(model, tmp_path)
    model.step_time_n(50)
    sg.vars["g"].pull_from_device()
    ap, am, tp, tm = (STDP_PARAMS[k] for k in ("Aplus", "Aminus", "tauPlus", "tauMinus"))
    expected = [
        # pre 20 (processed at t=21, st_post=5+1): lag 15; post 21 (t=22, st_pre=20+1): lag 1;
        # the spikes at 5 and at 40 are simultaneous
        0.5 - am * math.exp(-15.0 / tm) + ap * math.exp(-1.0 / tp),
        # post 21 (t=22, st_pre=5+1): lag 16; pre 22 (t=23, st_post=21+1): lag 1
        0.5 + ap * math.exp(-16.0 / tp) - am * math.exp(-1.0 / tm),
        # identical trains: every event sees the other side's spike of the same step
        0.5,
        # pre 7 (t=8, st_post=5+1): lag 2; post 21 (t=22, st_pre=7+1): lag 14; post 40 (t=41): lag 33
        0.5 - am * math.exp(-2.0 / tm) + ap * math.exp(-14.0 / tp) + ap * math.exp(-33.0 / tp),
        # pre 30, 31 (st_post=22): lags 9 and 10; post 40 (st_pre=32): lag 9
        0.5 - am * math.exp(-9.0 / tm) - am * math.exp(-10.0 / tm) + ap * math.exp(-9.0 / tp),
    ]
    np.testing.assert_allclose(sg.vars["g"].values, expected, rtol=1e-12)
    assert sg.vars["g"].values[2] == 0.5


def _stdp_train_reference(pre_trains, post_trains, g0, axonal, back_prop, steps, p, dt):
    """Event-driven numpy reference of GeNN's STDP for spike trains, step by step."""
    g = g0.copy()
    n_pre, n_post = g.shape
    neg = -np.finfo(np.float64).max
    st_pre = np.full(n_pre, neg)
    st_post = np.full(n_post, neg)
    pre_at = [[i for i in range(n_pre) if k in pre_trains[i]] for k in range(steps)]
    post_at = [[j for j in range(n_post) if k in post_trains[j]] for k in range(steps)]
    def clip(w):
        return max(p["Wmin"], min(p["Wmax"], w))

    for k in range(steps):
        t = k * dt
        # postsynaptic spikes visible now (emitted at step <= k - 1 - B)
        m = k - 1 - back_prop
        vis_post = st_post.copy()
        if m >= 0:
            for j in post_at[m]:
                st_post[j] = m * dt
            vis_post = st_post
        a = k - 1 - axonal
        if a >= 0:
            for i in pre_at[a]:
                st_pre[i] = a * dt
                for j in range(n_post):
                    delta = t - (vis_post[j] + (back_prop + 1) * dt)
                    if delta > 0:
                        g[i, j] = clip(g[i, j] - p["Aminus"] * math.exp(-delta / p["tauMinus"]))
        if m >= 0:
            for j in post_at[m]:
                for i in range(n_pre):
                    delta = t - (st_pre[i] + (axonal + 1) * dt)
                    if delta > 0:
                        g[i, j] = clip(g[i, j] + p["Aplus"] * math.exp(-delta / p["tauPlus"]))
    return g


@pytest.mark.parametrize("axonal,back_prop", [(0, 0), (2, 3)])
def test_stdp_spike_trains_match_numpy(tmp_path, axonal, back_prop):
    rng = np.random.default_rng(17)
    n_pre, n_post, steps, dt = 8, 5, 300, 1.0
    pre_trains = [set(np.nonzero(rng.random(steps - 20) < 0.05)[0].tolist()) for _ in range(n_pre)]
    post_trains = [set(np.nonzero(rng.random(steps - 20) < 0.05)[0].tolist()) for _ in range(n_post)]
    g0 = rng.uniform(0.3, 0.7, (n_pre, n_post))
    model = _model("stdp_trains", dt)
    pre = spike_source_array(model, "Pre", [sorted(s) for s in pre_trains], dt)
    post = spike_source_array(model, "Post", [sorted(s) for s in post_trains], dt)
    sg = model.add_synapse_population("Syn", "SPARSE", pre, post,
                                      pygenn.init_weight_update("STDP", STDP_PARAMS, {"g": g0.ravel()}),
                                      pygenn.init_postsynaptic("DeltaCurr"))
    pre_i, post_i = np.nonzero(np.ones((n_pre, n_post)))
    sg.set_sparse_connections(pre_i, post_i)
    sg.axonal_delay_steps = axonal
    sg.back_prop_delay_steps = back_prop
    build_load(model, tmp_path)
    model.step_time_n(steps)
    sg.vars["g"].pull_from_device()
    expected = _stdp_train_reference(pre_trains, post_trains, g0, axonal, back_prop, steps, STDP_PARAMS, dt)
    assert np.abs(expected - g0).max() > 0.05
    np.testing.assert_allclose(sg.vars["g"].values, expected.ravel(), rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------- trace STDP (pre/post vars)

trace_stdp_model = pygenn.create_weight_update_model(
    "TraceSTDP",
    params=["tauPre", "tauPost", "Aplus", "Aminus"],
    derived_params=[("decayPre", lambda pars, dt: math.exp(-dt / pars["tauPre"])),
                    ("decayPost", lambda pars, dt: math.exp(-dt / pars["tauPost"]))],
    vars=[("g", "scalar")],
    pre_vars=[("preTrace", "scalar")],
    post_vars=[("postTrace", "scalar")],
    pre_spike_syn_code="""
    addToPost(g);
    g -= Aminus * postTrace;
    """,
    post_spike_syn_code="""
    g += Aplus * preTrace;
    """,
    pre_spike_code="""
    preTrace += 1.0;
    """,
    post_spike_code="""
    postTrace += 1.0;
    """,
    pre_dynamics_code="""
    preTrace *= decayPre;
    """,
    post_dynamics_code="""
    postTrace *= decayPost;
    """)


@pytest.mark.parametrize("axonal,back_prop", [(0, 0), (3, 0), (0, 2), (1, 4)])
def test_trace_stdp_with_pre_post_vars_matches_numpy(tmp_path, axonal, back_prop):
    rng = np.random.default_rng(23)
    n_pre, n_post, steps, dt = 7, 4, 400, 0.5
    params = {"tauPre": 10.0, "tauPost": 7.0, "Aplus": 0.01, "Aminus": 0.012}
    pre_trains = [np.nonzero(rng.random(steps) < 0.06)[0] for _ in range(n_pre)]
    post_trains = [np.nonzero(rng.random(steps) < 0.06)[0] for _ in range(n_post)]
    g0 = rng.uniform(0.0, 1.0, (n_pre, n_post))

    model = _model("trace_stdp", dt)
    pre = spike_source_array(model, "Pre", pre_trains, dt)
    post = spike_source_array(model, "Post", post_trains, dt)
    sg = model.add_synapse_population(
        "Syn", "DENSE", pre, post,
        pygenn.init_weight_update(trace_stdp_model, params, {"g": g0.ravel()}, {"preTrace": 0.0},
                                  {"postTrace": 0.0}),
        pygenn.init_postsynaptic("DeltaCurr"))
    sg.axonal_delay_steps = axonal
    sg.back_prop_delay_steps = back_prop
    build_load(model, tmp_path)
    pre_tr, post_tr = [], []
    for _ in range(steps):
        model.step_time()
        pre_tr.append(np.copy(sg.pre_vars["preTrace"].current_values))
        post_tr.append(np.copy(sg.post_vars["postTrace"].current_values))
    sg.vars["g"].pull_from_device()

    # reference: traces updated in the neuron update (decay, then +1 on a spike) ...
    decay_pre, decay_post = math.exp(-dt / params["tauPre"]), math.exp(-dt / params["tauPost"])
    pre_spk, post_spk = spike_raster(pre_trains, steps), spike_raster(post_trains, steps)
    hist_pre = np.zeros((steps, n_pre))
    hist_post = np.zeros((steps, n_post))
    x_pre, x_post = np.zeros(n_pre), np.zeros(n_post)
    g = g0.copy()
    for k in range(steps):
        # ... and read by synapse code from the (delayed) end-of-step value
        a, m = k - 1 - axonal, k - 1 - back_prop
        post_seen = hist_post[k - 1 - back_prop] if m >= 0 else np.zeros(n_post)
        pre_seen = hist_pre[k - 1 - axonal] if a >= 0 else np.zeros(n_pre)
        if a >= 0:
            for i in np.nonzero(pre_spk[a])[0]:
                g[i] = g[i] - params["Aminus"] * post_seen
        if m >= 0:
            for j in np.nonzero(post_spk[m])[0]:
                g[:, j] = g[:, j] + params["Aplus"] * pre_seen
        x_pre = x_pre * decay_pre
        x_pre = np.where(pre_spk[k], x_pre + 1.0, x_pre)
        x_post = x_post * decay_post
        x_post = np.where(post_spk[k], x_post + 1.0, x_post)
        hist_pre[k], hist_post[k] = x_pre, x_post

    np.testing.assert_allclose(np.array(pre_tr), hist_pre, rtol=1e-13, atol=0)
    np.testing.assert_allclose(np.array(post_tr), hist_post, rtol=1e-13, atol=0)
    assert np.abs(g - g0).max() > 0.01
    np.testing.assert_allclose(sg.vars["g"].values, g.ravel(), rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------- back-propagation delay

spike_time_probe_model = pygenn.create_weight_update_model(
    "SpikeTimeProbe",
    vars=[("seenStPost", "scalar"), ("preT", "scalar"), ("seenStPre", "scalar"), ("postT", "scalar")],
    pre_spike_syn_code="""
    seenStPost = st_post;
    preT = t;
    """,
    post_spike_syn_code="""
    seenStPre = st_pre;
    postT = t;
    """)


@pytest.mark.parametrize("axonal,back_prop", [(0, 0), (0, 4), (3, 2)])
def test_back_prop_delay_shifts_st_post(tmp_path, axonal, back_prop):
    dt = 0.5
    pre_steps, post_steps = [2, 9, 12, 13, 14, 15, 16, 17, 30], [10, 25]
    model = _model("st_probe", dt)
    pre = spike_source_array(model, "Pre", [pre_steps], dt)
    post = spike_source_array(model, "Post", [post_steps], dt)
    lowest = -np.finfo(np.float64).max
    sg = model.add_synapse_population(
        "Syn", "DENSE", pre, post,
        pygenn.init_weight_update(spike_time_probe_model, {},
                                  {"seenStPost": 0.0, "preT": lowest, "seenStPre": 0.0, "postT": lowest}),
        pygenn.init_postsynaptic("DeltaCurr"))
    sg.axonal_delay_steps = axonal
    sg.back_prop_delay_steps = back_prop
    build_load(model, tmp_path)
    steps = 40
    seen_post, pre_t, seen_pre, post_t = run_polling(
        model, steps, [sg.vars["seenStPost"], sg.vars["preT"], sg.vars["seenStPre"], sg.vars["postT"]])

    exp_seen_post, exp_pre_t = 0.0, lowest
    exp_seen_pre, exp_post_t = 0.0, lowest
    for k in range(steps):
        t = k * dt
        if (k - 1 - axonal) in pre_steps:
            exp_pre_t = t
            visible = [m for m in post_steps if m <= k - 1 - back_prop]
            exp_seen_post = (visible[-1] * dt if visible else lowest) + (back_prop + 1) * dt
        if (k - 1 - back_prop) in post_steps:
            exp_post_t = t
            visible = [a for a in pre_steps if a <= k - 1 - axonal]
            exp_seen_pre = (visible[-1] * dt if visible else lowest) + (axonal + 1) * dt
        # the processing step of a presynaptic spike: st_pre would equal t
        assert pre_t[k, 0] == exp_pre_t, k
        assert seen_post[k, 0] == exp_seen_post, k
        assert post_t[k, 0] == exp_post_t, k
        assert seen_pre[k, 0] == exp_seen_pre, k
    assert seen_post[-1, 0] == (25 + back_prop + 1) * dt
    assert post_t[-1, 0] == (25 + 1 + back_prop) * dt


# --------------------------------------------------------------------------- addToPre

retro_model = pygenn.create_weight_update_model(
    "Retrograde",
    vars=[("g", "scalar", VarAccess.READ_ONLY)],
    post_spike_syn_code="""
    addToPre(g);
    """)

two_input_integrator = pygenn.create_neuron_model(
    "TwoInputIntegrator",
    vars=[("I", "scalar"), ("I2", "scalar")],
    additional_input_vars=[("Isyn2", "scalar", 0.0)],
    sim_code="""
    I = Isyn;
    I2 = Isyn2;
    """)


@pytest.mark.parametrize("target", ["Isyn", "Isyn2"])
@pytest.mark.parametrize("back_prop", [0, 3])
def test_add_to_pre_reaches_pre_target_var(tmp_path, target, back_prop):
    n_pre, n_post = 3, 4
    post_steps = [[4], [4, 9], [12], [20, 21]]
    g = (2.0 ** np.arange(n_pre * n_post)).reshape(n_pre, n_post)
    model = _model("add_to_pre")
    pre = model.add_neuron_population("Pre", n_pre, two_input_integrator, {}, {"I": 0.0, "I2": 0.0})
    post = spike_source_array(model, "Post", post_steps, model.dt)
    sg = model.add_synapse_population("Syn", "DENSE", pre, post,
                                      pygenn.init_weight_update(retro_model, {}, {"g": g.ravel()}),
                                      pygenn.init_postsynaptic("DeltaCurr"))
    sg.pre_target_var = target
    sg.back_prop_delay_steps = back_prop
    build_load(model, tmp_path)
    steps = 30
    i_syn, i_syn2 = run_polling(model, steps, [pre.vars["I"], pre.vars["I2"]])

    expected = np.zeros((steps, n_pre))
    for j, s in enumerate(post_steps):
        for m in s:
            expected[m + 1 + back_prop] += g[:, j]
    assert expected.any()
    np.testing.assert_array_equal(i_syn2 if target == "Isyn2" else i_syn, expected)
    np.testing.assert_array_equal(i_syn if target == "Isyn2" else i_syn2, np.zeros((steps, n_pre)))


# --------------------------------------------------------------------------- GeNN's test_event_times

def _gen_st_syn(t, float_min):
    # GeNN tests/features/test_event_times.py: delay 20, read one step after emission, t after the step
    delayed_time = np.arange(10) + 11.0 + (10.0 * np.floor((t - 22.0 - np.arange(10)) / 10.0))
    delayed_time[delayed_time < 21.0] = float_min
    return delayed_time


def _gen_prev_st_syn(t, float_min):
    delayed_time = np.arange(10) + 21.0 + (10.0 * np.floor((t - 22.0 - np.arange(10)) / 10.0))
    delayed_time[delayed_time < 21.0] = float_min
    return delayed_time


def _gen_st_neuron(t, float_min):
    delayed_time = np.arange(10) + (10.0 * np.floor((t - 2.0 - np.arange(10)) / 10.0))
    delayed_time[delayed_time < 0.0] = float_min
    return delayed_time


def _gen_st_neuron_event(t, float_min):
    delayed_time = np.arange(10) + 10.0 + (10.0 * np.floor((t - 21.0 - np.arange(10)) / 10.0))
    delayed_time[delayed_time < 0.0] = float_min
    return delayed_time




@pytest.mark.parametrize("which", ["st", "prev_st"])
@pytest.mark.parametrize("precision", ["double", "float"])
def test_genn_feature_spike_times_with_delays(tmp_path, precision, which):
    """Port of GeNN 5.4's tests/features/test_event_times.py::test_spike_times (the spec).

    Axonal delay 20 on PreSynapses, back-propagation delay 20 on PostSynapses; ``which`` picks the
    samples: spike times (st_pre, st_post, neuron st, st_pre in pre_spike_code) or previous spike times.
    """
    pattern_spike_neuron_model = pygenn.create_neuron_model(
        "pattern_spike_neuron",
        vars=[("a", "scalar")],
        sim_code="""
        a = st;
        """,
        threshold_condition_code="""
        t >= (scalar)id && fmod(t - (scalar)id, 10.0) < 1e-4
        """)
    pre_weight_update_model = pygenn.create_weight_update_model(
        "pre_weight_update",
        vars=[("a", "scalar"), ("b", "scalar")],
        pre_vars=[("c", "scalar")],
        pre_spike_syn_code="""
        a = prev_st_pre;
        """,
        post_spike_syn_code="""
        b = st_pre;
        """,
        pre_spike_code="""
        c = st_pre;
        """)
    post_weight_update_model = pygenn.create_weight_update_model(
        "post_weight_update",
        vars=[("a", "scalar"), ("b", "scalar")],
        pre_spike_syn_code="""
        a = st_post;
        """,
        post_spike_syn_code="""
        b = prev_st_post;
        """)

    model = _model("test_spike_times", 1.0, precision)
    float_min = np.finfo(np.float32 if precision == "float" else np.float64).min
    pre_n_pop = model.add_neuron_population("PreNeurons", 10, pattern_spike_neuron_model, {},
                                            {"a": float_min})
    post_n_pop = model.add_neuron_population("PostNeurons", 10, always_spike_model, {}, {})
    s_pre_pop = model.add_synapse_population(
        "PreSynapses", "SPARSE", pre_n_pop, post_n_pop,
        pygenn.init_weight_update(pre_weight_update_model, {}, {"a": float_min, "b": float_min},
                                  {"c": float_min}),
        pygenn.init_postsynaptic("DeltaCurr"), pygenn.init_sparse_connectivity("OneToOne"))
    s_pre_pop.axonal_delay_steps = 20
    s_post_pop = model.add_synapse_population(
        "PostSynapses", "SPARSE", post_n_pop, pre_n_pop,
        pygenn.init_weight_update(post_weight_update_model, {}, {"a": float_min, "b": float_min}),
        pygenn.init_postsynaptic("DeltaCurr"), pygenn.init_sparse_connectivity("OneToOne"))
    s_post_pop.back_prop_delay_steps = 20
    build_load(model, tmp_path)

    if which == "st":  # b = st_pre, a = st_post, a = st (neuron), c = st_pre (pre_spike_code)
        samples = [(s_pre_pop.vars["b"], _gen_prev_st_syn), (s_post_pop.vars["a"], _gen_prev_st_syn),
                   (pre_n_pop.vars["a"], _gen_st_neuron), (s_pre_pop.pre_vars["c"], _gen_st_neuron_event)]
    else:  # a = prev_st_pre, b = prev_st_post
        samples = [(s_pre_pop.vars["a"], _gen_st_syn), (s_post_pop.vars["b"], _gen_st_syn)]
    while model.timestep < 100:
        model.step_time()
        for var, gen_fn in samples:
            expected = gen_fn(model.t, float_min)
            var.pull_from_device()
            np.testing.assert_allclose(var.current_values, expected,
                                       err_msg=f"{var.group.name} '{var.name}' at t={model.t}")


def test_genn_feature_spike_event_times_pre(tmp_path):
    """Presynaptic half of GeNN 5.4's tests/features/test_event_times.py::test_spike_event_times."""
    pre_weight_update_model = pygenn.create_weight_update_model(
        "pre_weight_update",
        vars=[("a", "scalar"), ("b", "scalar")],
        pre_event_syn_code="""
        a = prev_set_pre;
        """,
        pre_event_threshold_condition_code="""
        t >= (scalar)id && fmod(t - (scalar)id, 10.0) < 1e-4
        """,
        post_spike_syn_code="""
        b = set_pre;
        """)
    model = _model("test_spike_event_times", 1.0)
    float_min = np.finfo(np.float64).min
    pre_n_pop = model.add_neuron_population("PreNeurons", 10, empty_neuron_model, {}, {})
    post_n_pop = model.add_neuron_population("PostNeurons", 10, always_spike_model, {}, {})
    s_pre_pop = model.add_synapse_population(
        "PreSynapses", "SPARSE", pre_n_pop, post_n_pop,
        pygenn.init_weight_update(pre_weight_update_model, {}, {"a": float_min, "b": float_min}),
        pygenn.init_postsynaptic("DeltaCurr"), pygenn.init_sparse_connectivity("OneToOne"))
    s_pre_pop.axonal_delay_steps = 20
    build_load(model, tmp_path)
    while model.timestep < 100:
        model.step_time()
        for var, gen_fn in ((s_pre_pop.vars["a"], _gen_st_syn), (s_pre_pop.vars["b"], _gen_prev_st_syn)):
            var.pull_from_device()
            np.testing.assert_allclose(var.values, gen_fn(model.t, float_min))


def test_time_driven_rule_guard_is_hoisted_and_exact(tmp_path):
    """A rule written as ``if (step % period == 0)`` runs its loop only on those steps (the condition is
    tested once per step, outside the loop) and gives exactly what the per-synapse test gives."""
    from helpers import make_model

    import genn_neuromod as pg

    def run(code, sub):
        wu = pg.create_weight_update_model("Periodic", vars=[("g", "scalar"), ("n", "scalar")],
                                           params=["period"], synapse_dynamics_code=code)
        model = make_model("hoist", "double")
        pre = model.add_neuron_population("Pre", 3, "SpikeSourceArray", {}, {"startSpike": [0, 0, 0],
                                                                              "endSpike": [0, 0, 0]})
        post = model.add_neuron_population("Post", 2, pg.create_neuron_model("n0"), {}, {})
        sg = model.add_synapse_population("S", "DENSE", pre, post,
                                          pg.init_weight_update(wu, {"period": 4.0}, {"g": 1.0, "n": 0.0}),
                                          pg.init_postsynaptic("DeltaCurr"))
        model.build(str(tmp_path / sub))
        model.load()
        while model.timestep < 21:
            model.step_time()
        sg.vars["n"].pull_from_device()
        sg.vars["g"].pull_from_device()
        src = (tmp_path / sub / "hoist_CODE" / "model.c").read_text()
        return sg.vars["n"].values.copy(), sg.vars["g"].values.copy(), src

    guarded = "if (((int)round(t / dt)) % ((int)period) == 0) {\n    n += 1.0;\n    g *= 0.5;\n}\n"
    n, g, src = run(guarded, "a")
    assert "uniform condition" in src
    assert np.all(n == 6) and np.allclose(g, 0.5 ** 6)  # steps 0, 4, ..., 20
    # the same rule with a per-synapse term in the condition is not hoisted, and agrees
    n2, g2, src2 = run("if (((int)round(t / dt)) % ((int)period) == 0 && g > -1.0) {\n    n += 1.0;\n"
                       "    g *= 0.5;\n}\n", "b")
    assert "uniform condition" not in src2
    np.testing.assert_array_equal(n, n2)
    np.testing.assert_array_equal(g, g2)


def test_loading_leaves_no_temporary_files(tmp_path, monkeypatch):
    import tempfile

    from helpers import make_model

    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    tempfile.tempdir = None
    try:
        model = make_model("leak")
        model.add_neuron_population("P", 2, "LIF", {"C": 1.0, "TauM": 20.0, "Vrest": -70.0, "Vreset": -70.0,
                                                    "Vthresh": -50.0, "Ioffset": 0.0, "TauRefrac": 2.0},
                                    {"V": -70.0, "RefracTime": 0.0})
        model.build(str(tmp_path / "b"))
        model.load()
        model.step_time()
        assert list((tmp_path / "tmp").iterdir()) == []  # not even while loaded, nor after the model is dropped
    finally:
        tempfile.tempdir = None
