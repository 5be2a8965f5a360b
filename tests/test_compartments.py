"""Two-compartment neurons (soma + apical dendrite): the library models against independent numpy integrations,
BAC firing (Larkum et al. 1999), and receptors that act only on the compartment and the cells that carry them."""

from __future__ import annotations

import numpy as np
import pytest

import genn_neuromod as pg
from genn_neuromod.models import load_model, model_defaults

DT = 0.1


# ------------------------------------------------------------------------------------------ numpy references
class BurstRule:
    """The cells' burst flag, written again from the model description: a spike less than ``burst_isi`` ms after
    the previous one, which was not itself part of a burst, marks a burst (``steps``: where)."""

    def __init__(self, burst_isi: float):
        self.burst_isi, self.t_last, self.in_burst, self.steps = burst_isi, -1.0e6, False, []

    def spike(self, step: int, t: float) -> None:
        if t - self.t_last < self.burst_isi:
            if not self.in_burst:
                self.steps.append(step)
                self.in_burst = True
        else:
            self.in_burst = False
        self.t_last = t


def izhikevich_two_compartment(p: dict, soma_input, dend_input, steps: int, modulators=None):
    """Forward Euler of the TwoCompartmentIzhikevich equations (docs/models.md), written independently of the
    model file; ``soma_input(t)`` and ``dend_input(t)`` give pA, ``modulators`` constant (gain, concentration)
    pairs for ACh and NA. Returns spike times and the steps with burst = 1."""
    ach = na = 0.0
    if modulators:
        ach = modulators.get("ACh", (0.0, 0.0))[0] * modulators.get("ACh", (0.0, 0.0))[1]
        na = modulators.get("NA", (0.0, 0.0))[0] * modulators.get("NA", (0.0, 0.0))[1]
    V, U, Vd, Ud, plateau = p["V"], p["U"], p["Vd"], p["Ud"], 0.0
    spikes, bursts = [], BurstRule(p["burst_isi"])
    for i in range(steps):
        t = i * DT
        if plateau > 0.0:
            plateau -= DT
            if plateau <= 0.0:
                plateau, Vd, Ud = 0.0, p["cd"], Ud + p["dd"]
            else:
                Vd = p["v_plateau"]
        else:
            vtd = p["vtd"] - p["ach_vtd_shift"] * ach
            vd_old = Vd
            Vd += DT / p["Cd"] * (p["kd"] * (Vd - p["vrd"]) * (Vd - vtd) - Ud + dend_input(t) + p["g_c"] * (V - Vd))
            Ud += DT * p["ad"] * (p["bd"] * (vd_old - p["vrd"]) - Ud)
            if Vd >= p["vpeak_d"]:
                plateau, Vd = p["T_plateau"], p["v_plateau"]
        v_old = V
        V += DT / p["C"] * (p["k"] * (V - p["vr"]) * (V - p["vt"]) - U + soma_input(t) + p["g_c"] * (Vd - V))
        U += DT * p["a"] * (p["b"] * (v_old - p["vr"]) - U)
        if V >= p["vpeak"]:
            spikes.append(t)
            if plateau > 0.0:
                V, U = p["c_burst"], U + p["d_burst"]
            else:
                V, U, Vd = p["c"] + p["na_c_shift"] * na, U + p["d"], Vd + p["bap"]
            bursts.spike(i, t)
    return np.array(spikes), np.array(bursts.steps, dtype=int)


# ------------------------------------------------------------------------------------------ the engine
def _pulse_source(model, name: str, pop, target: str, start: float, width: float, amps, engine=pg):
    """A current source of per-neuron amplitude ``amps`` (pA) on [start, start + width) ms into ``target``."""
    pulse = engine.create_current_source_model(
        f"pulse_{name}", params=["start", "width"], vars=[("amp", "scalar")],
        injection_code="if (t >= start - 1e-9 && t < start + width - 1e-9) { injectCurrent(amp); }")
    cs = model.add_current_source(name, pulse, pop, {"start": start, "width": width}, {"amp": amps})
    cs.target_var = target
    return cs


def _cells(n: int, name: str = "TwoCompartmentIzhikevich", precision: str = "double", param_changes=None,
           engine=pg, **var_changes):
    model = engine.GeNNModel(precision, f"tc_{n}")
    model.dt = DT
    params = {**_spec(name).default_values("params"), **(param_changes or {})}
    values = {**_spec(name).default_values("vars"), **var_changes}
    pop = model.add_neuron_population("L5", n, load_model(name, backend=engine), params, values)
    pop.spike_recording_enabled = True
    return model, pop, model_defaults(name, None)


def _spec(name: str):
    from genn_neuromod.models import available_models

    return available_models()[name]


def _run(model, pop, steps: int, tmp_path, record_burst: bool = False):
    model.build(str(tmp_path))
    model.load(num_recording_timesteps=steps)
    bursts = []
    record_burst = record_burst and hasattr(pop.vars["burst"], "values")
    for i in range(steps):
        model.step_time()
        if record_burst:
            pop.vars["burst"].pull_from_device()
            bursts.extend((i, int(n)) for n in np.flatnonzero(pop.vars["burst"].values))
    model.pull_recording_buffers_from_device()
    times, ids = pop.spike_recording_data[0]
    return times, ids, bursts


SOMA, DEND = 1500.0, 500.0  # pA: the BAC protocol's pulses (soma 5 ms, dendrite 10 ms, both at 50 ms)


@pytest.fixture(scope="module")
def bac(tmp_path_factory):
    """Three cells under the BAC protocol: soma only, dendrite only, both."""
    model, pop, p = _cells(3)
    _pulse_source(model, "Soma", pop, "Isyn", 50.0, 5.0, [SOMA, 0.0, SOMA])
    _pulse_source(model, "Dend", pop, "Isyn_dend", 50.0, 10.0, [0.0, DEND, DEND])
    times, ids, bursts = _run(model, pop, 2000, tmp_path_factory.mktemp("bac"), record_burst=True)
    return times, ids, bursts, p


def test_bac_firing(bac):
    """Larkum et al. (1999): somatic input alone gives one spike, dendritic input alone none (the dendrite stays
    below its plateau threshold), the two within 5 ms a dendritic plateau and a somatic burst (>= 4 spikes in
    30 ms, recognised as one burst)."""
    times, ids, bursts, _ = bac
    counts = [int(np.sum(ids == i)) for i in range(3)]
    assert counts[0] == 1
    assert counts[1] == 0
    assert counts[2] >= 4
    both = np.sort(times[ids == 2])
    assert both[3] - both[0] < 30.0
    assert [n for _, n in bursts] == [2], "exactly one burst, in the cell that got both inputs"


def test_matches_numpy_reference_spike_for_spike(bac):
    times, ids, bursts, p = bac
    for cell, (s_amp, d_amp) in enumerate([(SOMA, 0.0), (0.0, DEND), (SOMA, DEND)]):
        ref_spikes, ref_bursts = izhikevich_two_compartment(
            p, lambda t, a=s_amp: a if 50.0 - 1e-9 <= t < 55.0 - 1e-9 else 0.0,
            lambda t, a=d_amp: a if 50.0 - 1e-9 <= t < 60.0 - 1e-9 else 0.0, 2000)
        np.testing.assert_allclose(np.sort(times[ids == cell]), ref_spikes, atol=1e-9)
        assert [s for s, n in bursts if n == cell] == list(ref_bursts)


def test_ongoing_drive_matches_reference(tmp_path):
    """Tonic somatic and dendritic drive of different strengths (regular firing, bursting, both)."""
    soma = np.array([0.0, 400.0, 700.0, 400.0, 900.0])
    dend = np.array([900.0, 0.0, 300.0, 700.0, 900.0])
    model, pop, p = _cells(5)
    _pulse_source(model, "Soma", pop, "Isyn", 0.0, 1e9, soma)
    _pulse_source(model, "Dend", pop, "Isyn_dend", 0.0, 1e9, dend)
    times, ids, _ = _run(model, pop, 5000, tmp_path)
    total = 0
    for cell in range(5):
        ref, _ = izhikevich_two_compartment(p, lambda t, a=soma[cell]: a, lambda t, a=dend[cell]: a, 5000)
        np.testing.assert_allclose(np.sort(times[ids == cell]), ref, atol=1e-9)
        total += ref.size
    assert total > 50


@pytest.mark.parametrize("modulator", ["ACh", "NA"])
def test_receptors_act_only_where_expressed(tmp_path, modulator):
    """A constant concentration of ACh (dendritic threshold) or NA (somatic reset) changes the firing of the
    cells with the receptor, as the reference predicts, and leaves cells without it as unmodulated cells."""
    gain = np.array([0.0, 1.0, 0.0, 1.0])
    soma = np.array([SOMA, SOMA, 600.0, 600.0])
    dend = np.array([0.4 * DEND, 0.4 * DEND, 0.0, 0.0])  # 200 pA: too weak for BAC without ACh
    conc = 1.0
    # no decay of the concentration during the test: tau very long
    model, pop, p = _cells(4, param_changes={f"tau_{modulator}": 1e12}, **{f"gain_{modulator}": gain, modulator: conc})
    _pulse_source(model, "Soma", pop, "Isyn", 50.0, 5.0 if modulator == "ACh" else 300.0, soma)
    _pulse_source(model, "Dend", pop, "Isyn_dend", 50.0, 10.0, dend)
    times, ids, _ = _run(model, pop, 4000, tmp_path)
    for cell in range(4):
        mods = {modulator: (gain[cell], conc)}
        width = 5.0 if modulator == "ACh" else 300.0
        ref, _ = izhikevich_two_compartment(
            p, lambda t, a=soma[cell], w=width: a if 50.0 - 1e-9 <= t < 50.0 + w - 1e-9 else 0.0,
            lambda t, a=dend[cell]: a if 50.0 - 1e-9 <= t < 60.0 - 1e-9 else 0.0, 4000, mods)
        np.testing.assert_allclose(np.sort(times[ids == cell]), ref, atol=1e-9, err_msg=f"cell {cell}")
    unmodulated = [np.sort(times[ids == c]) for c in (0, 2)]
    modulated = [np.sort(times[ids == c]) for c in (1, 3)]
    if modulator == "ACh":  # a dendritic pulse too weak for BAC becomes one with ACh
        assert unmodulated[0].size < modulated[0].size
    else:  # NA raises the reset: more spikes for the same somatic drive
        assert unmodulated[1].size < modulated[1].size


def test_bac_same_on_real_genn(tmp_path, bac):
    """The same protocol on real GeNN (where pygenn imports): the same spikes."""
    pygenn = pytest.importorskip("pygenn")
    model, pop, _ = _cells(3, engine=pygenn)
    _pulse_source(model, "Soma", pop, "Isyn", 50.0, 5.0, [SOMA, 0.0, SOMA], engine=pygenn)
    _pulse_source(model, "Dend", pop, "Isyn_dend", 50.0, 10.0, [0.0, DEND, DEND], engine=pygenn)
    times, ids, _ = _run(model, pop, 2000, tmp_path)
    ours_t, ours_i = bac[0], bac[1]
    for cell in range(3):
        np.testing.assert_allclose(np.sort(times[ids == cell]), np.sort(ours_t[ours_i == cell]), atol=1e-9)


def lif_two_compartment(p: dict, soma: float, dend: float, steps: int):
    """Forward Euler of the TwoCompartmentLIF equations (docs/models.md) for constant inputs (pA), independent of
    the model file. Returns spike times and the steps with burst = 1."""
    V, Vd, ws, wd, ref, bap = p["V"], p["Vd"], 0.0, 0.0, 0.0, 0.0
    spikes, bursts = [], BurstRule(p["burst_isi"])
    for i in range(steps):
        t = i * DT
        f = 1.0 / (1.0 + np.exp(-(Vd - p["E_d"]) / p["D_d"]))
        i_bap = 0.0
        if bap > 0.0:
            i_bap = p["c_d"]
            bap -= DT
        vd_old = Vd
        Vd += DT / p["C_d"] * (-(p["C_d"] / p["tau_d"]) * (Vd - p["EL"]) + p["g_d"] * f + i_bap + dend - wd)
        wd += DT / p["tau_wd"] * (-wd + p["a_wd"] * (vd_old - p["EL"]))
        if ref > 0.0:
            ref -= DT
        else:
            V += DT / p["C_s"] * (-(p["C_s"] / p["tau_s"]) * (V - p["EL"]) + p["g_s"] * f + soma - ws)
        ws += DT / p["tau_ws"] * (-ws)
        if ref <= 0.0 and V >= p["V_th"]:
            spikes.append(t)
            V, ws, ref, bap = p["V_reset"], ws + p["b_ws"], p["t_ref"], p["T_bap"]
            bursts.spike(i, t)
    return np.array(spikes), np.array(bursts.steps, dtype=int)


def test_lif_matches_numpy_reference_spike_for_spike(tmp_path):
    soma = np.array([0.0, 500.0, 700.0, 500.0, 700.0, 300.0])
    dend = np.array([400.0, 0.0, 0.0, 200.0, 400.0, 800.0])
    model, pop, p = _cells(6, name="TwoCompartmentLIF")
    _pulse_source(model, "Soma", pop, "Isyn", 0.0, 1e9, soma)
    _pulse_source(model, "Dend", pop, "Isyn_dend", 0.0, 1e9, dend)
    times, ids, bursts = _run(model, pop, 10000, tmp_path, record_burst=True)
    kinds = set()
    for cell in range(6):
        ref, ref_bursts = lif_two_compartment(p, soma[cell], dend[cell], 10000)
        np.testing.assert_allclose(np.sort(times[ids == cell]), ref, atol=1e-9, err_msg=f"cell {cell}")
        assert [s for s, n in bursts if n == cell] == list(ref_bursts)
        kinds.add((ref.size > 0, ref_bursts.size > 0))
    assert (True, True) in kinds and (True, False) in kinds, "the drives should give regular firing and bursts"


def test_lif_multiplexing(tmp_path):
    """Naud & Sprekeler (2018): in one noisy population, the burst fraction rises with dendritic drive at every
    somatic drive, and the event rate (bursts count once) rises with somatic drive at every dendritic drive."""
    soma_levels, dend_levels, per = [300.0, 500.0, 700.0], [0.0, 150.0, 300.0], 20
    grid = [(s, d) for s in soma_levels for d in dend_levels]
    n = len(grid) * per
    soma = np.repeat([s for s, _ in grid], per)
    dend = np.repeat([d for _, d in grid], per)
    model, pop, _ = _cells(n, name="TwoCompartmentLIF", precision="float")
    noisy = pg.create_current_source_model("noisy_drive", vars=[("mean", "scalar")], params=["sigma"],
                                           injection_code="injectCurrent(mean + sigma * gennrand_normal());")
    model.seed = 11
    model.add_current_source("SomaNoise", noisy, pop, {"sigma": 3000.0}, {"mean": soma})
    dn = model.add_current_source("DendNoise", noisy, pop, {"sigma": 3000.0}, {"mean": dend})
    dn.target_var = "Isyn_dend"
    steps = 30000  # 3 s
    times, ids, _ = _run(model, pop, steps, tmp_path)
    events = np.zeros(n)
    bursts = np.zeros(n)
    for cell in range(n):
        t = np.sort(times[ids == cell])
        isi = np.diff(t)
        events[cell] = t.size - np.sum(isi < 16.0)
        starts = (isi < 16.0) & np.r_[True, isi[:-1] >= 16.0]  # a burst begins where a short ISI follows a long
        bursts[cell] = np.sum(starts)
    rate = events.reshape(len(soma_levels), len(dend_levels), per).sum(axis=2) / (per * steps * DT / 1000.0)
    frac = (bursts.reshape(len(soma_levels), len(dend_levels), per).sum(axis=2)
            / np.maximum(events.reshape(len(soma_levels), len(dend_levels), per).sum(axis=2), 1))
    assert rate.min() > 2.0, rate
    for i in range(len(soma_levels)):
        assert np.all(np.diff(frac[i]) > 0.0), f"burst fraction along dendritic drive: {frac[i]}"
    for j in range(len(dend_levels)):
        assert np.all(np.diff(rate[:, j]) > 0.0), f"event rate along somatic drive: {rate[:, j]}"


# ------------------------------------------------------------------------------------------ plasticity
def _classify(spike_steps: np.ndarray, burst_isi_steps: float):
    """(event steps, burst-start steps) of a spike train, by the 16-ms rule."""
    events, bursts, last, in_burst = [], [], None, False
    for s in spike_steps:
        if last is None or s - last >= burst_isi_steps - 1e-9:
            events.append(s)
            in_burst = False
        elif not in_burst:
            bursts.append(s)
            in_burst = True
        last = s
    return np.array(events, dtype=int), np.array(bursts, dtype=int)


def bdsp_reference(p: dict, g0: float, pre_steps, post_steps, steps: int) -> float:
    """BurstDependentPlasticity on given spike trains, step by step in the engine's order: synapse code at step
    n + 1 for a spike at step n, traces and averages updated in the neuron update (decay, then +1 on a spike)."""
    pre_events, _ = _classify(np.asarray(pre_steps), p["burst_isi"] / DT)
    post_events, post_bursts = _classify(np.asarray(post_steps), p["burst_isi"] / DT)
    d_pre, d_avg = np.exp(-DT / p["tau_pre"]), np.exp(-DT / p["tau_avg"])
    x = e_bar = b_bar = 0.0
    g = g0
    pending = None  # (kind, x, P) of a postsynaptic spike, applied at the next step
    for n in range(steps):
        if pending is not None:
            kind, xv, pv = pending
            g += p["eta"] * xv if kind == "burst" else -p["eta"] * pv * xv
            g = min(p["Wmax"], max(p["Wmin"], g))
            pending = None
        x = x * d_pre + (1.0 if n in pre_events else 0.0)
        e_bar = e_bar * d_avg + (1.0 if n in post_events else 0.0)
        b_bar = b_bar * d_avg + (1.0 if n in post_bursts else 0.0)
        if n in post_bursts:
            pending = ("burst", x, 0.0)
        elif n in post_events:
            pending = ("event", x, b_bar / e_bar if e_bar > 0.0 else p["P_init"])
    return g


def _plastic_pair(tmp_path, rule: str, rule_params: dict, refs: dict, steps: int = 6000, g0: float = 1.0,
                  post_vars=None, da: float = 0.0, bursts: bool = True):
    """Cell 0 fires single spikes every 25 ms; cell 1 gets somatic pulses (single spikes) every 100 ms, half of
    them with a dendritic pulse (BAC: bursts), and optionally a constant dopamine level ``da``. One synapse 0 -> 1
    with ``rule``. Returns (final weight, pre spike steps, post spike steps)."""
    model = pg.GeNNModel("double", f"pair_{rule}")
    model.dt = DT
    name = "TwoCompartmentIzhikevich"
    params = {**_spec(name).default_values("params"), "tau_DA": 1e6}
    values = {**_spec(name).default_values("vars"), "gain_D1": 1.0, "DA": da}
    cells = model.add_neuron_population("Cells", 2, load_model(name), params, values)  # 0: pre, 1: post
    cells.spike_recording_enabled = True
    sched = pg.create_current_source_model(
        "schedule", params=["width", "n"], vars=[("amp", "scalar")], extra_global_params=[("starts", "scalar*")],
        injection_code="""
for (unsigned int k = 0; k < (unsigned int)n; k++) {
    if (t >= starts[k] - 1e-9 && t < starts[k] + width - 1e-9) { injectCurrent(amp); }
}""")
    for label, times, width, amps, target in (
            ("PreSoma", np.arange(20.0, 600.0, 25.0), 5.0, [SOMA, 0.0], "Isyn"),
            ("PostSoma", [30.0, 130.0, 230.0, 330.0, 430.0, 530.0], 5.0, [0.0, SOMA], "Isyn"),
            ("PostDend", [130.0, 330.0, 530.0], 10.0, [0.0, DEND if bursts else 0.0], "Isyn_dend")):
        cs = model.add_current_source(label, sched, cells, {"width": width, "n": len(times)}, {"amp": amps})
        cs.extra_global_params["starts"].set_init_values(np.asarray(times, dtype=float))
        cs.target_var = target
    wu_vars = {"g": g0}
    wu_vars.update({k: 0.0 for k in post_vars or {}})
    rule_model = load_model(rule)
    pre_state = {v.name: 0.0 for v in rule_model.pre_vars}
    post_state = {v.name: 0.0 for v in rule_model.post_vars}
    state = {v.name: (g0 if v.name == "g" else 0.0) for v in rule_model.vars}
    sg = model.add_synapse_population(
        "Plastic", "SPARSE", cells, cells,
        pg.init_weight_update(rule_model, rule_params, state, pre_state, post_state,
                              pre_var_refs=refs.get("pre", {}), post_var_refs=refs.get("post", {})),
        pg.init_postsynaptic("DeltaCurr"))
    sg.set_sparse_connections(np.array([0]), np.array([1]))
    model.build(str(tmp_path))
    model.load(num_recording_timesteps=steps)
    model.step_time_n(steps)
    model.pull_recording_buffers_from_device()
    times, ids = cells.spike_recording_data[0]
    sg.vars["g"].pull_from_device()
    return (float(sg.vars["g"].values[0]), np.rint(np.sort(times[ids == 0]) / DT).astype(int),
            np.rint(np.sort(times[ids == 1]) / DT).astype(int))


def test_burst_dependent_plasticity_matches_reference(tmp_path):
    """Postsynaptic single spikes (events) depress, BAC bursts potentiate; the weight follows the reference."""
    rule = model_defaults("BurstDependentPlasticity")
    rule_params = {k: rule[k] for k in ("eta", "tau_pre", "tau_avg", "P_init", "Wmin", "Wmax", "burst_isi")}
    rule_params["eta"] = 0.5
    g0, steps = 1.0, 6000  # 1 pA: too small to change the postsynaptic spikes
    g, pre_steps, post_steps = _plastic_pair(
        tmp_path, "BurstDependentPlasticity", rule_params,
        {"pre": {"in_burst_pre": "in_burst"},
         "post": {"burst_post": "burst", "in_burst_post": "in_burst", "t_last_post": "t_last"}}, steps, g0)
    post_events, post_bursts = _classify(post_steps, 16.0 / DT)
    assert len(post_bursts) == 3 and len(post_events) == 6, (post_steps, post_bursts)
    expected = bdsp_reference(rule_params, g0, pre_steps, post_steps, steps)
    assert g == pytest.approx(expected, rel=1e-12, abs=1e-12)
    only_events = bdsp_reference(rule_params, g0, pre_steps, post_steps[np.isin(post_steps, post_events)], steps)
    assert expected > only_events, "bursts should potentiate relative to the same events without bursts"


def burst_dastdp_reference(p: dict, g0: float, pre_steps, post_steps, steps: int, da0: float, tau_da: float):
    """BurstDASTDP step by step in the engine's order: synapse dynamics (with the dopamine of the previous step),
    presynaptic then postsynaptic spike code for the previous step's spikes, then the neuron update (traces)."""
    pre = set(int(s) for s in pre_steps)
    post_events, post_bursts = _classify(np.asarray(post_steps), p["burst_isi"] / DT)
    post_events, post_bursts = set(post_events.tolist()), set(post_bursts.tolist())
    dp, dm, dc, e_da = (np.exp(-DT / p["tau_plus"]), np.exp(-DT / p["tau_minus"]), np.exp(-DT / p["tau_c"]),
                        np.exp(-DT / tau_da))
    g, c, x, y, da = g0, 0.0, 0.0, 0.0, da0
    dmod = 0.0  # the neuron's Dmod before its first update
    for n in range(steps):
        g = min(p["Wmax"], max(p["Wmin"], g + p["eta"] * (p["baseline"] + dmod) * c))
        c *= dc
        if n - 1 in pre:
            c -= p["A_minus"] * y
        if n - 1 in post_bursts:
            c += p["A_plus"] * x
        da = da * e_da
        dmod = da
        x = x * dp + (1.0 if n in pre else 0.0)
        y = y * dm + (1.0 if n in post_events else 0.0)
    return g


def test_burst_dastdp_matches_reference_and_needs_dopamine(tmp_path):
    rule = model_defaults("BurstDASTDP")
    rule_params = {k: rule[k] for k in ("A_plus", "A_minus", "tau_plus", "tau_minus", "tau_c", "eta", "baseline",
                                        "Wmin", "Wmax", "burst_isi")}
    rule_params.update(A_minus=0.1, eta=0.001)  # no clipping at Wmin: the comparison below stays informative
    refs = {"post": {"burst_post": "burst", "t_last_post": "t_last", "D": "Dmod"}}
    out = {}
    for da, bursts in ((0.0, True), (1.0, True), (1.0, False)):
        g, pre_steps, post_steps = _plastic_pair(tmp_path / f"da{da}{bursts}", "BurstDASTDP", rule_params, refs, da=da,
                                                 bursts=bursts)
        expected = burst_dastdp_reference(rule_params, 1.0, pre_steps, post_steps, 6000, da, 1e6)
        assert g == pytest.approx(expected, rel=1e-10, abs=1e-12)
        out[da, bursts] = g
    assert out[0.0, True] == 1.0, "without dopamine (and baseline 0) the weight does not move"
    assert out[1.0, True] > 1.0 > out[1.0, False], f"bursts potentiate, single spikes do not: {out}"


# ------------------------------------------------------------------------------------------ the experiment
def test_events_and_bursts_counting():
    from genn_neuromod.experiments.compartments import events_and_bursts

    # cell 0: isolated, burst of 3, isolated; cell 1: doublet (interleaved in time with cell 0)
    times = np.array([10.0, 100.0, 105.0, 112.0, 300.0, 104.0, 110.0])
    ids = np.array([0, 0, 0, 0, 0, 1, 1])
    events, bursts = events_and_bursts(times, ids)
    np.testing.assert_array_equal(np.sort(events), [10.0, 100.0, 104.0, 300.0])
    np.testing.assert_array_equal(np.sort(bursts), [105.0, 110.0])
    for n in (0, 1):  # a silent population, and a single spike, count without error
        events, bursts = events_and_bursts(times[:n], ids[:n])
        assert (events.size, bursts.size) == (n, 0)


def test_multiplexing_experiment_command(tmp_path):
    """`genn-neuromod experiment compartments` end to end at a small size: the event rate follows the somatic
    signal more than the dendritic one, the burst fraction the dendritic more than the somatic."""
    from genn_neuromod.cli.main import main

    out = tmp_path / "mux"
    assert main(["experiment", "compartments", "--seeds", "1", "--duration", "4", "--cells", "200",
                 "--out", str(out)]) == 0
    import json

    summary = json.loads((out / "compartments_multiplexing.json").read_text())["summary"]
    assert summary["rate_soma"]["median"] > summary["rate_dend"]["median"] + 0.2
    assert summary["burstfrac_dend"]["median"] > summary["burstfrac_soma"]["median"] + 0.2
    assert (out / "compartments_multiplexing.png").stat().st_size > 10000
    assert "burst fraction ~ dendrite" in (out / "compartments_multiplexing.md").read_text()
    assert main(["experiment", "compartments", "--seeds", "1", "--out", str(out), "--report-only"]) == 0


def test_compartments_command_runs_the_learning_comparison(tmp_path, capsys):
    """`experiment compartments --part learning`: the distal-reward network with coupled and uncoupled
    two-compartment E cells, one store per run and the results table (tiny: one seed, 2 s); each finished run is
    reported under the sweep's progress bar."""
    import json

    from genn_neuromod.cli.main import main

    out = tmp_path / "comp"
    assert main(["experiment", "compartments", "--part", "learning", "--seeds", "1", "--learning-duration", "2",
                 "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "done tc_coupled seed 1" in captured.out and "done tc_isolated seed 1" in captured.out
    assert "distal reward: 100%" in captured.err and "2/2" in captured.err
    runs = json.loads((out / "learning" / "results.json").read_text())
    assert sorted(r["condition"] for r in runs) == ["tc_coupled", "tc_isolated"]
    assert all(r["duration_s"] == 2.0 and r["rate_exc_hz"] > 0 for r in runs)
    assert "E burst fraction" in (out / "learning" / "results.md").read_text()
