"""Three-factor and pair plasticity from the model library, against independent references.

* DASTDPEventDriven against an RK4 integration of NEST's stdp_dopamine_synapse equations
  (Potjans et al. 2010) for scripted pre, post and dopamine spikes;
* DASTDPTimeDriven (Izhikevich 2007) converging to DASTDPEventDriven as dt -> 0;
* MSTDP / MSTDPET against a numpy port of BindsNET's discrete-time rules (Florian 2007);
* PairSTDP (soft / hard bounds, all-to-all / nearest) against an event-list reference.

Time conventions (GeNN 5.4, see tests/test_delays_plasticity.py): a presynaptic spike
emitted in step a counts at (a + 1 + D) dt, a postsynaptic one emitted in step m at
(m + 1 + B) dt; dopamine released by a source that spikes in step j is integrated by the
target in step j + 1 and counts at (j + 1) dt.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import genn_neuromod as pygenn
from genn_neuromod.models import load_model, model_defaults
from genn_neuromod.models import neuromodulation as nm

# --------------------------------------------------------------------------- scenario

PRE_MS = [[5, 30, 31, 80, 150, 151, 220], [12, 60, 100, 180], [40, 41, 42, 200, 260], [7, 90]]
POST_MS = [[10, 35, 45, 95, 152, 230], [20, 41, 120, 181, 250]]
DA_MS = [50, 51, 130, 240]
GAINS = [1.0, -0.5]  # a D1-like and a D2-like (inverting) postsynaptic cell
RELEASE = 0.5


def _ed_params(**kw):
    p = model_defaults("DASTDPEventDriven")
    p.update(tau_c=200.0, tau_n=100.0, b=0.05, Wmin=-1e4, Wmax=1e4)
    p.update(kw)
    return p


def _source(model, name, spike_ms, dt):
    init, times = nm.spike_array_init(spike_ms, dt)
    pop = model.add_neuron_population(name, len(spike_ms), "SpikeSourceArray", {}, init)
    pop.extra_global_params["spikeTimes"].set_init_values(times)
    return pop


def _scenario(name, dt, tau_n, precision="double"):
    model = pygenn.GeNNModel(precision, name)
    model.dt = dt
    pre = _source(model, "Pre", PRE_MS, dt)
    post = nm.add_scripted_neuromod_population(model, "Post", POST_MS, gain=GAINS, tau_DA=tau_n)
    da = _source(model, "DA", [DA_MS], dt)
    nm.add_volume_transmission(model, "VT", da, post, release=RELEASE)
    return model, pre, post


# --------------------------------------------------------------------------- NEST reference


def nest_rk4_reference(pre_t, post_t, da_events, g0, p, checkpoints, h=0.05):
    """Integrate NEST's stdp_dopamine_synapse equations with RK4 between events.

    dw/dt = c (n - b), dc/dt = -c / tau_c, dn/dt = -n / tau_n; at a presynaptic spike of i:
    c[i, :] -= A_minus * K_minus (post spikes strictly earlier, all-to-all); at a postsynaptic
    spike of j: c[:, j] += A_plus * K_plus (pre spikes strictly earlier); at a dopamine arrival
    (t, j, a): n[:, j] += a. The weights of the synapses involved in an event (and all of them
    at a checkpoint) are clipped to [Wmin, Wmax] there, as NEST's update_weight_ does.
    Returns {checkpoint time: (w, c, n)}.
    """
    n_pre, n_post = g0.shape
    w = g0.astype(float).copy()
    c = np.zeros_like(w)
    n = np.zeros_like(w)
    tc, tn, b = p["tau_c"], p["tau_n"], p["b"]

    def rhs(w_, c_, n_):
        return c_ * (n_ - b), -c_ / tc, -n_ / tn

    eps = 1e-9
    times = sorted({*(x for s in pre_t for x in s), *(x for s in post_t for x in s), *(e[0] for e in da_events),
                    *checkpoints})
    t, out = 0.0, {}
    for te in times:
        if te > t:
            k = max(1, math.ceil((te - t) / h))
            hh = (te - t) / k
            for _ in range(k):
                k1 = rhs(w, c, n)
                k2 = rhs(w + hh / 2 * k1[0], c + hh / 2 * k1[1], n + hh / 2 * k1[2])
                k3 = rhs(w + hh / 2 * k2[0], c + hh / 2 * k2[1], n + hh / 2 * k2[2])
                k4 = rhs(w + hh * k3[0], c + hh * k3[1], n + hh * k3[2])
                w = w + hh / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
                c = c + hh / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
                n = n + hh / 6 * (k1[2] + 2 * k2[2] + 2 * k3[2] + k4[2])
            t = te
        involved = np.zeros_like(w, dtype=bool)
        dc = np.zeros_like(c)
        for i, s in enumerate(pre_t):
            if any(abs(x - te) < eps for x in s):
                involved[i, :] = True
                for j in range(n_post):
                    k_minus = sum(math.exp(-(te - x) / p["tau_minus"]) for x in post_t[j] if x < te - eps)
                    dc[i, j] -= p["A_minus"] * k_minus
        for j, s in enumerate(post_t):
            if any(abs(x - te) < eps for x in s):
                involved[:, j] = True
                for i in range(n_pre):
                    k_plus = sum(math.exp(-(te - x) / p["tau_plus"]) for x in pre_t[i] if x < te - eps)
                    dc[i, j] += p["A_plus"] * k_plus
        for td, j, a in da_events:
            if abs(td - te) < eps:
                involved[:, j] = True
                n[:, j] += a
        if te in checkpoints:
            involved[:] = True
        w = np.where(involved, np.clip(w, p["Wmin"], p["Wmax"]), w)
        c = c + dc
        if te in checkpoints:
            out[te] = (w.copy(), c.copy(), n.copy())
    return out


@pytest.mark.parametrize("dt,axonal,back_prop,clip,matrix", [(1.0, 0, 0, False, "DENSE"), (0.5, 2, 1, False, "DENSE"),
                                                               (1.0, 0, 0, True, "DENSE"), (0.5, 1, 2, True, "SPARSE")])
def test_event_driven_da_stdp_matches_nest_equations(tmp_path, dt, axonal, back_prop, clip, matrix):
    p = _ed_params(Wmin=0.0, Wmax=20.0) if clip else _ed_params()
    g0 = np.linspace(5.0, 12.0, 8).reshape(4, 2)
    model, pre, post = _scenario("ed_nest", dt, p["tau_n"])
    if matrix == "DENSE":
        sg = nm.add_da_stdp(model, "Syn", pre, post, form="event", params=p, g=g0.ravel(), matrix_type="DENSE")
    else:  # every pair, given in a shuffled order
        order = np.random.default_rng(1).permutation(8)
        pre_i, post_i = np.divmod(order, 2)
        sg = nm.add_da_stdp(model, "Syn", pre, post, form="event", params=p, g=g0[pre_i, post_i],
                            matrix_type="SPARSE")
        sg.set_sparse_connections(pre_i, post_i)
    sg.axonal_delay_steps = axonal
    sg.back_prop_delay_steps = back_prop
    model.build(str(tmp_path))
    model.load()
    got = {}
    for ms in (100, 200, 300):
        model.step_time_n(int(round(ms / dt)) - model.timestep)
        model.custom_update("DASTDPSync")  # integrates to the time of the last step
        values = []
        for k in ("g", "c", "n"):
            sg.vars[k].pull_from_device()
            if matrix == "DENSE":
                values.append(sg.vars[k].values.reshape(4, 2).copy())
            else:
                dense = np.full((4, 2), np.nan)
                dense[sg.get_sparse_pre_inds(), sg.get_sparse_post_inds()] = sg.vars[k].values
                values.append(dense)
        got[(model.timestep - 1) * dt] = values

    steps = lambda ms_list: [int(round(x / dt)) for x in ms_list]  # noqa: E731
    pre_t = [[(a + 1 + axonal) * dt for a in steps(s)] for s in PRE_MS]
    post_t = [[(m + 1 + back_prop) * dt for m in steps(s)] for s in POST_MS]
    # the cell's Dmod_in, like every postsynaptic neuron variable, reaches the synapse B steps late
    da_events = [((j + 1 + back_prop) * dt, k, RELEASE * GAINS[k]) for j in steps(DA_MS) for k in range(2)]
    ref = nest_rk4_reference(pre_t, post_t, da_events, g0, p, sorted(got))
    for t_check, (w, c, n) in got.items():
        rw, rc, rn = ref[t_check]
        scale = np.abs(rw - g0).max()
        assert scale > 1.0  # the weights did move
        np.testing.assert_allclose(w - g0, rw - g0, rtol=1e-6, atol=1e-6 * scale)
        np.testing.assert_allclose(c, rc, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(n, rn, rtol=1e-6, atol=1e-9)
    w_end = got[max(got)][0]
    if clip:
        assert np.any(w_end == 0.0) and np.any(w_end == 20.0)
    # the D2-like cell (negative gain) sees inverted dopamine: n < 0 on its synapses
    n_end = got[max(got)][2]
    assert np.all(n_end[:, 0] > 0) and np.all(n_end[:, 1] < 0)


def test_event_driven_weights_only_change_at_events_and_sync(tmp_path):
    """Lazy updates: without a sync, g changes only when a synapse processes an event."""
    p = _ed_params()
    model, pre, post = _scenario("ed_lazy", 1.0, p["tau_n"])
    sg = nm.add_da_stdp(model, "Syn", pre, post, form="event", params=p, g=10.0, matrix_type="DENSE")
    model.build(str(tmp_path))
    model.load()
    # events are processed in steps ..., 152, 153 and then 181, 182, ...: steps 154..180 are quiet
    model.step_time_n(154)
    sg.vars["g"].pull_from_device()
    g_before = sg.vars["g"].values.copy()
    model.step_time_n(26)
    state = {}
    for k in ("g", "c", "n", "tlast"):
        sg.vars[k].pull_from_device()
        state[k] = sg.vars[k].values.copy()
    np.testing.assert_array_equal(state["g"], g_before)
    assert np.all(state["tlast"] <= 153.0)
    # the host-side twin of the sync, then the sync itself (to the last step's time, 179 ms)
    expected = nm.event_driven_state(p, state["g"], state["c"], state["n"], state["tlast"], 179.0)
    model.custom_update("DASTDPSync")
    for k in ("g", "tlast"):
        sg.vars[k].pull_from_device()
    assert np.all(sg.vars["tlast"].values == 179.0)
    np.testing.assert_allclose(sg.vars["g"].values, expected, rtol=1e-12)
    assert np.abs(sg.vars["g"].values - g_before).max() > 0.1


# --------------------------------------------------------------------------- time-driven vs event-driven


def _limit_run(tmp_path, dt, p, g0, duration=300.0):
    model, pre, post = _scenario(f"limit_{int(dt * 1000)}", dt, p["tau_n"])
    ed = nm.add_da_stdp(model, "ED", pre, post, form="event", params=p, g=g0, matrix_type="DENSE")
    td_params = dict(A_plus=p["A_plus"], A_minus=p["A_minus"], tau_plus=p["tau_plus"], tau_minus=p["tau_minus"],
                     tau_c=p["tau_c"], T_update=dt, eta=dt, baseline=-p["b"], Wmin=p["Wmin"], Wmax=p["Wmax"],
                     nearest=0.0)
    td = nm.add_da_stdp(model, "TD", pre, post, form="time", params=td_params, g=g0, matrix_type="DENSE")
    model.build(str(tmp_path / f"dt{dt}"))
    model.load()
    model.step_time_n(int(round(duration / dt)))
    model.custom_update("DASTDPSync")
    ed.vars["g"].pull_from_device()
    td.vars["g"].pull_from_device()
    return ed.vars["g"].values, td.vars["g"].values


def test_time_driven_converges_to_event_driven(tmp_path):
    """T_update = dt, eta = dt, baseline = -b, all-to-all traces: forward Euler of the same equations.

    The relative difference of the weight changes is first order in dt (measured: 0.8 % at
    dt = 1 ms, 0.4 % at 0.5 ms, 0.2 % at 0.25 ms); we require < 1 % at 0.5 ms and the
    halving.
    """
    p = _ed_params()
    g0 = np.linspace(5.0, 12.0, 8)
    diffs = []
    for dt in (0.5, 0.25):
        w_ed, w_td = _limit_run(tmp_path, dt, p, g0)
        scale = np.abs(w_ed - g0).max()
        assert scale > 100.0
        diffs.append(np.abs(w_td - w_ed).max() / scale)
    assert diffs[0] < 0.01
    assert 1.8 < diffs[0] / diffs[1] < 2.2


def test_time_driven_izhikevich_defaults_against_numpy(tmp_path):
    """Izhikevich (2007) as published: nearest pairing, updates every 10 ms, weights clipped to [0, 4]."""
    dt = 1.0
    p = model_defaults("DASTDPTimeDriven")
    g0 = np.array([1.0, 2.0, 3.9, 0.05, 1.5, 2.5, 3.0, 0.5])
    model, pre, post = _scenario("td_izh", dt, 200.0)
    p["eta"] = 20.0  # larger steps than Izhikevich's 1.0 so that 300 ms reach the bounds
    sg = nm.add_da_stdp(model, "Syn", pre, post, form="time", params=p, g=g0, matrix_type="DENSE")
    model.build(str(tmp_path))
    model.load()
    steps = 300
    model.step_time_n(steps)
    sg.vars["g"].pull_from_device()
    sg.vars["c"].pull_from_device()

    # numpy: spikes at their processing steps; D is the cell's Dmod at the end of the previous step
    step = lambda ms: int(round(ms / dt))  # noqa: E731
    decay_da = math.exp(-dt / 200.0)
    da_level = np.zeros((steps, 2))
    level = np.zeros(2)
    for k in range(steps):
        level = level * decay_da + (RELEASE * np.array(GAINS) if (k - 1) in [step(x) for x in DA_MS] else 0.0)
        da_level[k] = level
    pre_steps = [[step(x) for x in s] for s in PRE_MS]
    post_steps = [[step(x) for x in s] for s in POST_MS]
    g = g0.reshape(4, 2).copy()
    c = np.zeros((4, 2))
    period = 10
    c_decay = math.exp(-period * dt / p["tau_c"])

    def nearest(t, own, other, tau):
        earlier = [(o + 1) * dt for o in other if (o + 1) * dt < t - 0.5 * dt]
        return math.exp(-(t - earlier[-1]) / tau) if earlier else 0.0

    for k in range(steps):
        t = k * dt
        if k % period == 0:
            d = da_level[k - 1] if k > 0 else np.zeros(2)
            g = np.clip(g + p["eta"] * (p["baseline"] + d[None, :]) * c, p["Wmin"], p["Wmax"])
            c = c * c_decay
        for i in range(4):
            if (k - 1) in pre_steps[i]:
                for j in range(2):
                    c[i, j] -= p["A_minus"] * nearest(t, pre_steps[i], post_steps[j], p["tau_minus"])
        for j in range(2):
            if (k - 1) in post_steps[j]:
                for i in range(4):
                    c[i, j] += p["A_plus"] * nearest(t, post_steps[j], pre_steps[i], p["tau_plus"])
    np.testing.assert_allclose(sg.vars["c"].values, c.ravel(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(sg.vars["g"].values, g.ravel(), rtol=1e-12, atol=1e-14)
    assert np.any(g == 4.0) and np.any(g == 0.0)


# --------------------------------------------------------------------------- MSTDP / MSTDPET (Florian 2007)


def bindsnet_mstdp(pre_spk, post_spk, rewards, w0, p, dt, et: bool):
    """numpy port of BindsNET's MSTDP / MSTDPET ``_connection_update`` (one call per step)."""
    w = w0.copy()
    p_plus = np.zeros(w.shape[0])
    p_minus = np.zeros(w.shape[1])
    elig = np.zeros_like(w)
    e_trace = np.zeros_like(w)
    for k in range(pre_spk.shape[0]):
        s_pre, s_post = pre_spk[k].astype(float), post_spk[k].astype(float)
        if et:
            e_trace = e_trace * math.exp(-dt / p["tau_z"]) + elig / p["tau_z"]
            w = w + p["gamma"] * dt * rewards[k] * e_trace
        else:
            w = w + p["gamma"] * rewards[k] * elig
        w = np.clip(w, p["Wmin"], p["Wmax"])
        p_plus = p_plus * math.exp(-dt / p["tau_plus"]) + p["A_plus"] * s_pre
        p_minus = p_minus * math.exp(-dt / p["tau_minus"]) + p["A_minus"] * s_post
        elig = np.outer(p_plus, s_post) + np.outer(s_pre, p_minus)
    return w


@pytest.mark.parametrize("rule", ["MSTDP", "MSTDPET"])
def test_mstdp_matches_bindsnet_formulation(tmp_path, rule):
    rng = np.random.default_rng(11)
    dt, steps, n_pre, n_post = 1.0, 400, 5, 3
    pre_steps = [np.nonzero(rng.random(steps - 10) < 0.04)[0] for _ in range(n_pre)]
    post_steps = [np.nonzero(rng.random(steps - 10) < 0.04)[0] for _ in range(n_post)]
    post_steps[0] = np.union1d(post_steps[0], pre_steps[0][:3])  # some simultaneous pairs
    da_steps = [60, 61, 150, 151, 152, 300]
    gains = np.array([1.0, -1.0, 0.5])  # reward, punishment (D2-like), weaker reward
    p = model_defaults(rule)
    p.update(gamma=0.2, Wmin=-3.0, Wmax=3.0) if rule == "MSTDP" else p.update(gamma=0.5, Wmin=-3.0, Wmax=3.0)
    w0 = rng.uniform(-0.5, 0.5, (n_pre, n_post))

    model = pygenn.GeNNModel("double", rule.lower())
    model.dt = dt
    pre = _source(model, "Pre", [list(s * dt) for s in pre_steps], dt)
    post = nm.add_scripted_neuromod_population(model, "Post", [list(s * dt) for s in post_steps], gain=gains,
                                               tau_DA=50.0)
    da = _source(model, "DA", [[s * dt for s in da_steps]], dt)
    nm.add_volume_transmission(model, "VT", da, post, release=0.7)
    wu_vars = {"g": w0.ravel()} if rule == "MSTDP" else {"g": w0.ravel(), "z": 0.0}
    sg = model.add_synapse_population(
        "Syn", "DENSE", pre, post,
        pygenn.init_weight_update(load_model(rule), p, wu_vars, {"P_plus": 0.0}, {"P_minus": 0.0},
                                  post_var_refs={"R": pygenn.create_var_ref(post, "Dmod")}),
        pygenn.init_postsynaptic("DeltaCurr"))
    model.build(str(tmp_path))
    model.load()
    model.step_time_n(steps)
    sg.vars["g"].pull_from_device()

    pre_spk = np.zeros((steps, n_pre), dtype=bool)
    post_spk = np.zeros((steps, n_post), dtype=bool)
    for i, s in enumerate(pre_steps):
        pre_spk[s, i] = True
    for j, s in enumerate(post_steps):
        post_spk[s, j] = True
    # the reward each postsynaptic cell sees at the end of step k: its Dmod
    level = np.zeros((steps, n_post))
    x = np.zeros(n_post)
    for k in range(steps):
        x = x * math.exp(-dt / 50.0) + (0.7 * gains if (k - 1) in da_steps else 0.0)
        level[k] = x
    # BindsNET applies the eligibility of step k at step k + 1 with that step's reward (MSTDP), and the
    # eligibility trace of step k at step k (MSTDPET); GeNN processes step k's spikes in step k + 1 with
    # the reward of the end of step k. Equivalent reward sequences for the port:
    if rule == "MSTDP":
        rewards = np.vstack([np.zeros((1, n_post)), level[:-1]])  # reward_{k} = R(k - 1)
        ref = bindsnet_mstdp(pre_spk, post_spk, rewards[:, None, :], w0, p, dt, et=False)
    else:
        # GeNN's step k uses z_{k-1} (BindsNET's e_trace at k - 1) with R(k - 1): BindsNET's step k - 1
        ref = bindsnet_mstdp(pre_spk[:-1], post_spk[:-1], level[:-1, None, :], w0, p, dt, et=True)
    assert np.abs(ref - w0).max() > 0.05
    np.testing.assert_allclose(sg.vars["g"].values, ref.ravel(), rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------- PairSTDP


def pair_stdp_reference(pre_steps, post_steps, g0, p, steps, dt):
    """Event-list reference: LTD at presynaptic, LTP at postsynaptic spikes, processed one step after
    emission (pre before post within a step); pairs with strictly earlier spikes of the other side."""
    g = g0.copy()
    n_pre, n_post = g.shape
    soft, nearest = p["soft"] != 0, p["nearest"] != 0

    def factor(t, others, tau):
        earlier = [(o + 1) * dt for o in others if (o + 1) * dt < t - 0.5 * dt]
        if not earlier:
            return 0.0
        if nearest:
            return math.exp(-(t - earlier[-1]) / tau)
        return sum(math.exp(-(t - e) / tau) for e in earlier)

    for k in range(steps):
        t = k * dt
        for i in range(n_pre):
            if (k - 1) in pre_steps[i]:
                for j in range(n_post):
                    q = factor(t, post_steps[j], p["tau_minus"])
                    if soft:
                        g[i, j] -= p["A_minus"] * q * (g[i, j] - p["Wmin"])
                    else:
                        g[i, j] = min(p["Wmax"], max(p["Wmin"], g[i, j] - p["A_minus"] * q))
        for j in range(n_post):
            if (k - 1) in post_steps[j]:
                for i in range(n_pre):
                    q = factor(t, pre_steps[i], p["tau_plus"])
                    if soft:
                        g[i, j] += p["A_plus"] * q * (p["Wmax"] - g[i, j])
                    else:
                        g[i, j] = min(p["Wmax"], max(p["Wmin"], g[i, j] + p["A_plus"] * q))
    return g


def test_pair_stdp_bounds_and_pairing(tmp_path):
    rng = np.random.default_rng(5)
    dt, steps, n_pre, n_post = 1.0, 600, 6, 3
    pre_steps = [sorted(np.nonzero(rng.random(steps - 5) < 0.06)[0].tolist()) for _ in range(n_pre)]
    post_steps = [sorted(np.nonzero(rng.random(steps - 5) < 0.06)[0].tolist()) for _ in range(n_post)]
    post_steps[1] = sorted(set(post_steps[1]) | set(pre_steps[2][:4]))  # simultaneous spikes
    g0 = rng.uniform(0.05, 0.95, (n_pre, n_post))
    g0[0, 0], g0[5, 2] = 0.995, 0.002  # near the bounds: hard bounds clip, soft bounds do not reach
    base = dict(A_plus=0.05, A_minus=0.06, tau_plus=20.0, tau_minus=15.0, Wmin=0.0, Wmax=1.0)
    variants = {f"s{s}n{n}": dict(base, soft=float(s), nearest=float(n)) for s in (0, 1) for n in (0, 1)}

    model = pygenn.GeNNModel("double", "pair_stdp")
    model.dt = dt
    pre = _source(model, "Pre", [[x * dt for x in s] for s in pre_steps], dt)
    post = _source(model, "Post", [[x * dt for x in s] for s in post_steps], dt)
    groups = {}
    for name, p in variants.items():
        groups[name] = model.add_synapse_population(
            name, "DENSE", pre, post,
            pygenn.init_weight_update(load_model("PairSTDP"), p, {"g": g0.ravel()}, {"x": 0.0}, {"y": 0.0}),
            pygenn.init_postsynaptic("DeltaCurr"))
    model.build(str(tmp_path))
    model.load()
    model.step_time_n(steps)
    results = {}
    for name, p in variants.items():
        groups[name].vars["g"].pull_from_device()
        got = groups[name].vars["g"].values.reshape(n_pre, n_post)
        ref = pair_stdp_reference(pre_steps, post_steps, g0, p, steps, dt)
        np.testing.assert_allclose(got, ref, rtol=1e-11, atol=1e-13, err_msg=name)
        results[name] = got
    # hard bounds reach the bounds; soft bounds stay strictly inside
    hard = np.concatenate([results["s0n0"].ravel(), results["s0n1"].ravel()])
    soft = np.concatenate([results["s1n0"].ravel(), results["s1n1"].ravel()])
    assert np.any(hard == 0.0) or np.any(hard == 1.0)
    assert np.all((soft > 0.0) & (soft < 1.0))
    # all-to-all and nearest differ once spikes come closer than the time constants
    assert np.abs(results["s0n0"] - results["s0n1"]).max() > 1e-3
