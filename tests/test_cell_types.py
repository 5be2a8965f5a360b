"""The cell-type catalog: IzhikevichCell, AdaptiveLIF(Variable) and heterogeneous populations.

References, not the code under test:

* the published parameter values (Izhikevich 2003 Fig. 2; 2004 Fig. 1), written out here;
* independent numpy integrations of GeNN 5.4's Izhikevich scheme (``neuronModels.h``: reset
  when ``V >= 30`` at the start of the step, two ``0.5 dt`` Euler half steps of V, one of U,
  V clipped at 30, spike when ``V >= 29.99``) and of the adaptive LIF's exact exponential
  step, compared spike for spike in double precision;
* the defining firing patterns of each type as described by Izhikevich (2003, Fig. 2 and
  text), under the drive of that figure (a DC step of I = 10) unless stated otherwise.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import build_load, izhikevich_step, make_model, run_recorded

import genn_neuromod as pygenn
from genn_neuromod.models import available_models, load_model
from genn_neuromod.models.cell_types import (
    IZHIKEVICH_TYPES,
    add_heterogeneous_population,
    type_counts,
)

# Izhikevich (2003) Fig. 2 and (2004) Fig. 1R, as published: (a, b, c, d)
PUBLISHED = {
    "RS": (0.02, 0.2, -65.0, 8.0), "IB": (0.02, 0.2, -55.0, 4.0), "CH": (0.02, 0.2, -50.0, 2.0),
    "FS": (0.1, 0.2, -65.0, 2.0), "LTS": (0.02, 0.25, -65.0, 2.0), "TC": (0.02, 0.25, -65.0, 0.05),
    "RZ": (0.1, 0.26, -65.0, 2.0), "AC": (0.02, 1.0, -55.0, 4.0),
}

# a current source with a per-neuron step: amp from onset (inclusive) to offset (exclusive)
STEP_SOURCE = dict(vars=[("amp", "scalar", pygenn.VarAccess.READ_ONLY),
                         ("onset", "scalar", pygenn.VarAccess.READ_ONLY),
                         ("offset", "scalar", pygenn.VarAccess.READ_ONLY)],
                   injection_code="if (t >= onset && t < offset) {\n    injectCurrent(amp);\n}\n")


def _step_source(model, pop, amp, onset, offset):
    cs_model = pygenn.create_current_source_model("Step", **STEP_SOURCE)
    return model.add_current_source(f"{pop.name}Step", cs_model, pop, {}, {"amp": amp, "onset": onset,
                                                                           "offset": offset})


def _spikes_per_neuron(pop, n: int) -> list[np.ndarray]:
    times, ids = (np.asarray(x) for x in pop.spike_recording_data[0])
    return [np.sort(times[ids == i]) for i in range(n)]


def _izhikevich_numpy(a, b, c, d, v0, u0, amp, onset, offset, dt, steps, record_v=False):
    """GeNN's Izhikevich scheme in numpy, for per-neuron parameters and step currents."""
    v, u = np.array(v0, dtype=float), np.array(u0, dtype=float)
    spikes = [[] for _ in range(v.size)]
    trace = []
    for k in range(steps):
        t = k * dt
        isyn = np.where((t >= onset) & (t < offset), 0.0 + amp, 0.0)
        v, u, spiking = izhikevich_step(v, u, isyn, a, b, c, d, dt)
        for i in spiking:
            spikes[i].append(t)
        if record_v:
            trace.append(v.copy())
    return [np.array(s) for s in spikes], v, u, (np.array(trace) if record_v else None)


def _rest(b: float) -> float:
    """The stable resting potential of the Izhikevich model at I = 0 (lower root of 0.04V^2 + (5-b)V + 140)."""
    return (-(5.0 - b) - math.sqrt((5.0 - b) ** 2 - 4.0 * 0.04 * 140.0)) / (2.0 * 0.04)


# --------------------------------------------------------------------------- catalog


def test_catalog_has_the_published_values():
    for name, abcd in PUBLISHED.items():
        assert IZHIKEVICH_TYPES[name] == pytest.approx(abcd, abs=0, rel=0), name
    assert IZHIKEVICH_TYPES["BU"] == PUBLISHED["CH"]  # bursting: the CH cell


def test_library_files_document_their_models():
    models = available_models("neuron")
    for name in ("IzhikevichCell", "AdaptiveLIFVariable", "AdaptiveLIF"):
        spec = models[name]
        assert spec.summary and spec.references and spec.data.get("equations")
    for name in ("IzhikevichCell", "AdaptiveLIFVariable"):
        spec = models[name]
        for v in spec.data["vars"]:
            assert v[0] in spec.units, (name, v[0])
    izk = {v[0]: v for v in models["IzhikevichCell"].data["vars"]}
    assert all(izk[p][1:] == ["scalar", "READ_ONLY"] for p in "abcd")
    assert izk["cell_type"][1:] == ["unsigned int", "READ_ONLY"]


# --------------------------------------------------------------------------- spike for spike


@pytest.mark.parametrize("dt", [1.0, 0.5])
def test_izhikevich_cell_dc_steps_match_numpy_spike_for_spike(tmp_path, dt):
    names = list(PUBLISHED) + ["BU"]
    amps = np.array([3.0, 5.0, 10.0, 15.0])
    n = len(names) * amps.size
    abcd = np.array([IZHIKEVICH_TYPES[t] for t in names for _ in amps])
    a, b, c, d = abcd.T
    amp = np.tile(amps, len(names))
    onset, offset, steps = 20.0, 1e9, int(round(500.0 / dt))
    v0, u0 = np.full(n, -65.0), b * -65.0

    model = pygenn.GeNNModel("double", f"izk_cell_dc_{int(dt * 10)}")
    model.dt = dt
    cell = model.add_neuron_population("Cell", n, load_model("IzhikevichCell"), {},
                                       {"V": v0, "U": u0, "a": a, "b": b, "c": c, "d": d,
                                        "cell_type": np.repeat(np.arange(len(names)), amps.size)})
    # GeNN's built-in IzhikevichVariable with the same inputs: the two must be the same model
    builtin = model.add_neuron_population("Builtin", n, "IzhikevichVariable", {},
                                          {"V": v0, "U": u0, "a": a, "b": b, "c": c, "d": d})
    for pop in (cell, builtin):
        pop.spike_recording_enabled = True
        _step_source(model, pop, amp, onset, offset)
    run_recorded(model, tmp_path, steps)

    ref, v, u, _ = _izhikevich_numpy(a, b, c, d, v0, u0, amp, onset, offset, dt, steps)
    assert sum(len(r) for r in ref) > 500
    got = _spikes_per_neuron(cell, n)
    got_builtin = _spikes_per_neuron(builtin, n)
    for i in range(n):
        np.testing.assert_array_equal(got[i], ref[i], err_msg=f"{names[i // amps.size]} I={amp[i]}")
        np.testing.assert_array_equal(got_builtin[i], ref[i])
    for name, expected in (("V", v), ("U", u)):
        cell.vars[name].pull_from_device()
        np.testing.assert_array_equal(cell.vars[name].values, expected)
    cell.vars["cell_type"].pull_from_device()
    assert cell.vars["cell_type"].values.dtype == np.uint32


# --------------------------------------------------------------------------- defining features

FEATURE_DT, FEATURE_MS, ONSET = 0.1, 1000.0, 50.0
# (label, type, amp, onset, offset, start at rest?)
FEATURE_CELLS = [
    *[(f"{t}@10", t, 10.0, ONSET, 1e9, False) for t in PUBLISHED],  # Izhikevich 2003 Fig. 2 drive
    ("RS@3", "RS", 3.0, ONSET, 1e9, True),       # below RS rheobase (I = 4 for b = 0.2) ...
    ("FS@3", "FS", 3.0, ONSET, 1e9, True),
    ("LTS@3", "LTS", 3.0, ONSET, 1e9, True),     # ... above LTS rheobase (about 1 for b = 0.25)
    ("TC@1.5", "TC", 1.5, ONSET, 1e9, True),     # TC depolarised from rest with a low drive: tonic
    ("TC@-10", "TC", -10.0, 100.0, 300.0, True),  # TC hyperpolarised, then released: rebound burst
    ("RS@-10", "RS", -10.0, 100.0, 300.0, True),
    ("RZ@0.2", "RZ", 0.2, 100.0, 1e9, True),     # subthreshold step: damped oscillation (resonator)
    ("RS@0.2", "RS", 0.2, 100.0, 1e9, True),     # subthreshold step: no oscillation (integrator)
    ("AC@0", "AC", 0.0, ONSET, 1e9, False),      # no input at all (see the AC caveat)
]


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    n = len(FEATURE_CELLS)
    abcd = np.array([IZHIKEVICH_TYPES[c[1]] for c in FEATURE_CELLS])
    a, b, c, d = abcd.T
    v0 = np.array([_rest(bb) if cell[5] else -65.0 for bb, cell in zip(b, FEATURE_CELLS, strict=True)])
    model = pygenn.GeNNModel("double", "izk_features")
    model.dt = FEATURE_DT
    pop = model.add_neuron_population("Cells", n, load_model("IzhikevichCell"), {},
                                      {"V": v0, "U": b * v0, "a": a, "b": b, "c": c, "d": d, "cell_type": 0})
    pop.spike_recording_enabled = True
    _step_source(model, pop, np.array([x[2] for x in FEATURE_CELLS]), np.array([x[3] for x in FEATURE_CELLS]),
                 np.array([x[4] for x in FEATURE_CELLS]))
    steps = int(round(FEATURE_MS / FEATURE_DT))
    build_load(model, tmp_path_factory.mktemp("features"), num_recording_timesteps=steps)
    trace = np.empty((steps, n))
    v = pop.vars["V"]
    for k in range(steps):
        model.step_time()
        v.pull_from_device()
        trace[k] = v.view
    model.pull_recording_buffers_from_device()
    spikes = _spikes_per_neuron(pop, n)
    return {cell[0]: (spikes[i], trace[:, i]) for i, cell in enumerate(FEATURE_CELLS)}


def _isi(features, label):
    return np.diff(features[label][0])


def test_fs_fires_faster_than_rs_at_equal_drive(features):
    rs, fs = (len(features[f"{t}@10"][0]) for t in ("RS", "FS"))
    assert rs >= 15 and fs > 3 * rs, (rs, fs)
    # FS: little adaptation (Izhikevich 2003: "periodic trains of spikes with extremely high frequency
    # practically without any adaptation"): the steady ISI is within 2x the first
    isi = _isi(features, "FS@10")
    assert isi[-5:].mean() < 2.0 * isi[0]


def test_rs_adapts(features):
    isi = _isi(features, "RS@10")
    assert isi[1] > 1.5 * isi[0]              # a few fast spikes, then the frequency drops
    assert np.all(isi[1:] > isi[0])
    assert np.ptp(isi[-5:]) < 0.1 * isi[-5:].mean()  # ... to a steady tonic rate


def test_ib_bursts_then_spikes_tonically(features):
    isi = _isi(features, "IB@10")
    assert isi[0] < 5.0 and isi[1] < 5.0      # an initial burst of spikes ...
    assert np.all(isi[2:] > 20.0)              # ... then repetitive single spikes
    assert len(isi) > 15


def test_ch_bursts_repeatedly(features):
    isi = _isi(features, "CH@10")
    short, long = isi < 8.0, isi > 30.0
    assert np.all(short | long), isi           # bimodal: nothing in between
    assert short.sum() > 2 * long.sum() and long.sum() >= 10  # many bursts of several spikes each
    # BU is CH: the same firing (checked by the spike-for-spike test) -- here the paper's picture
    assert features["CH@10"][0].size > features["RS@10"][0].size


def test_lts_low_threshold_and_adaptation(features):
    # below their rheobase RS and FS fire at most one onset spike (U is slow to follow the step) ...
    assert len(features["RS@3"][0]) <= 1 and len(features["FS@3"][0]) <= 1
    assert len(features["LTS@3"][0]) > 10      # ... where LTS fires repetitively
    isi = _isi(features, "LTS@10")
    assert isi[0] < 5.0                        # a high-frequency train ...
    assert isi[-5:].mean() > 3 * isi[0]        # ... with spike-frequency adaptation
    assert np.all(np.diff(isi[:6]) > 0)


def test_tc_tonic_at_low_drive_and_rebound_burst(features):
    isi = _isi(features, "TC@1.5")
    assert len(isi) > 10 and np.all(isi > 10.0)          # single spikes, no bursts
    late = isi[len(isi) // 2:]
    assert late.std() < 0.1 * late.mean()                # tonic: a regular rate
    spikes, trace = features["TC@-10"]
    assert not np.any(spikes < 300.0)                    # silent while hyperpolarised ...
    rebound = spikes[(spikes >= 300.0) & (spikes < 350.0)]
    assert len(rebound) >= 2 and np.all(np.diff(rebound) < 15.0)  # ... a burst on release
    assert len(features["RS@-10"][0]) == 0               # RS does not rebound


def test_rz_subthreshold_oscillation(features):
    def undershoot(label):
        spikes, v = features[label]
        assert len(spikes) == 0
        after = v[int(100.0 / FEATURE_DT):]
        peak = int(np.argmax(after))
        return after[-1] - after[peak:].min()
    assert undershoot("RZ@0.2") > 0.5          # resonator: damped oscillation around the new rest
    assert undershoot("RS@0.2") < 1e-6         # integrator: monotonic relaxation after the peak


def test_ac_with_standard_recovery_has_no_rest(features):
    # Documented caveat: b = 1 with du/dt = a(bV - u) has no resting state; AC fires without input,
    # with a high-frequency onset that adapts (Izhikevich's accommodation panel uses du/dt = a b (V + 65)).
    isi = _isi(features, "AC@0")
    assert len(isi) > 50 and isi[0] < 2.0 and isi[-10:].mean() > 3 * isi[0]


# --------------------------------------------------------------------------- adaptive LIF


def _alif_numpy(p, tau_m, v_th, b, tau_a, v0, amp, dt, steps):
    """AdaptiveLIF's sim code, threshold and reset, per neuron (math.exp as the model's exp)."""
    n = v0.size
    exp_tc = np.array([math.exp(-dt / x) for x in tau_m])
    exp_a = np.array([math.exp(-dt / x) for x in tau_a])
    r_mem = tau_m / p["C"]
    v, adapt, refrac = v0.copy(), np.zeros(n), np.zeros(n)
    spikes = [[] for _ in range(n)]
    for k in range(steps):
        isyn = 0.0 + amp
        active = refrac <= 0.0
        alpha = ((isyn + p["Ioffset"] - adapt) * r_mem) + p["Vrest"]
        v = np.where(active, alpha - (exp_tc * (alpha - v)), v)
        refrac = np.where(active, refrac, refrac - dt)
        adapt = adapt * exp_a
        spike = (refrac <= 0.0) & (v >= v_th)
        v = np.where(spike, p["Vreset"], v)
        adapt = np.where(spike, adapt + b, adapt)
        refrac = np.where(spike, p["TauRefrac"], refrac)
        for i in np.nonzero(spike)[0]:
            spikes[i].append(k * dt)
    return [np.array(s) for s in spikes], v, adapt


ALIF = {"C": 0.25, "TauM": 20.0, "Vrest": -70.0, "Vreset": -70.0, "Vthresh": -50.0, "Ioffset": 0.0,
        "TauRefrac": 2.0, "TauA": 100.0, "b": 0.05}


def test_adaptive_lif_adapts_and_matches_numpy(tmp_path):
    dt, steps = 0.1, 5000
    amps = np.array([0.4, 0.6, 0.8])  # nA: rheobase is (Vthresh - Vrest) C / TauM = 0.25 nA
    model = pygenn.GeNNModel("double", "alif_dc")
    model.dt = dt
    pops = []
    for j, amp in enumerate(amps):
        pop = model.add_neuron_population(f"ALIF{j}", 1, load_model("AdaptiveLIF"), ALIF,
                                          {"V": -70.0, "A": 0.0, "RefracTime": 0.0})
        model.add_current_source(f"DC{j}", "DC", pop, {"amp": float(amp)})
        pop.spike_recording_enabled = True
        pops.append(pop)
    run_recorded(model, tmp_path, steps)
    n = amps.size
    ref, v, adapt = _alif_numpy(ALIF, np.full(n, 20.0), np.full(n, -50.0), np.full(n, 0.05), np.full(n, 100.0),
                                np.full(n, -70.0), amps, dt, steps)
    for j, pop in enumerate(pops):
        got = _spikes_per_neuron(pop, 1)[0]
        np.testing.assert_array_equal(got, ref[j])
        np.testing.assert_array_equal(pop.vars["A"].values, adapt[j:j + 1])
        isi = np.diff(got)
        assert len(isi) > 10
        assert isi[-1] > 1.5 * isi[0] and np.all(np.diff(isi[:6]) > 0)  # spike-frequency adaptation


def test_adaptive_lif_variable_heterogeneous_matches_numpy_and_alif(tmp_path):
    dt, steps, n = 0.1, 3000, 60
    model = pygenn.GeNNModel("double", "alif_var")
    model.dt = dt
    pop = add_heterogeneous_population(
        model, "Het", n, {"fast": 0.5, "slow": 0.5}, neuron="AdaptiveLIF", seed=3,
        params={"fast": {"TauM": 10.0, "b": 0.02}, "slow": {"TauM": 30.0, "TauA": 300.0}},
        distributions={"TauM": ("lognormal", {"sd": 0.2}), "Vthresh": ("normal", {"sd": 2.0}),
                       "b": ("uniform", {"half_width": 0.01})})
    same = model.add_neuron_population("Same", 1, load_model("AdaptiveLIFVariable"),
                                       {k: ALIF[k] for k in ("C", "Vrest", "Vreset", "Ioffset", "TauRefrac")},
                                       {"V": -70.0, "A": 0.0, "RefracTime": 0.0, "TauM": 20.0, "Vthresh": -50.0,
                                        "b": 0.05, "TauA": 100.0, "cell_type": 0})
    plain = model.add_neuron_population("Plain", 1, load_model("AdaptiveLIF"), ALIF,
                                        {"V": -70.0, "A": 0.0, "RefracTime": 0.0})
    amp = np.linspace(0.4, 2.0, n)
    for p in (pop, same, plain):
        p.spike_recording_enabled = True
    _step_source(model, pop, amp, 0.0, 1e9)
    for p in (same, plain):
        model.add_current_source(f"DC{p.name}", "DC", p, {"amp": 1.5})
    run_recorded(model, tmp_path, steps)

    cp = pop.cell_params
    assert pop.model is not None and sorted(cp) == ["TauA", "TauM", "Vthresh", "b"]
    ref, v, _ = _alif_numpy(ALIF, cp["TauM"], cp["Vthresh"], cp["b"], cp["TauA"], np.full(n, -70.0), amp, dt, steps)
    got = _spikes_per_neuron(pop, n)
    assert sum(len(r) for r in ref) > 300
    for i in range(n):
        np.testing.assert_array_equal(got[i], ref[i])
    np.testing.assert_array_equal(pop.vars["V"].values, v)
    # with equal values in every neuron the per-neuron model is AdaptiveLIF, to the bit
    np.testing.assert_array_equal(_spikes_per_neuron(same, 1)[0], _spikes_per_neuron(plain, 1)[0])
    np.testing.assert_array_equal(same.vars["V"].values, plain.vars["V"].values)


# --------------------------------------------------------------------------- heterogeneous populations


def _model(name="het"):
    return make_model(name, "double", seed=None)


def test_exact_counts_by_largest_remainder():
    assert type_counts({"RS": 0.8, "FS": 0.2}, 1000) == {"RS": 800, "FS": 200}
    assert type_counts({"RS": 0.55, "IB": 0.45}, 11) == {"RS": 6, "IB": 5}   # 6.05, 4.95 -> 6, 5
    assert type_counts({"A": 1 / 3, "B": 1 / 3, "C": 1 / 3}, 10) == {"A": 4, "B": 3, "C": 3}
    assert type_counts({"A": 0.29, "B": 0.71}, 100) == {"A": 29, "B": 71}    # 0.29 * 100 = 28.999...
    assert type_counts({"A": 0.5, "B": 0.5, "C": 0.0}, 3) == {"A": 2, "B": 1, "C": 0}
    pop = add_heterogeneous_population(_model(), "E", 997, {"RS": 0.6, "CH": 0.25, "FS": 0.15}, seed=4)
    counts = {t: int(np.sum(pop.cell_types == t)) for t in ("RS", "CH", "FS")}
    assert counts == pop.cell_type_counts == {"RS": 598, "CH": 249, "FS": 150}  # 598.2, 249.25, 149.55


def test_labels_and_parameters_travel_with_the_state(tmp_path):
    model = _model("het_labels")
    mixture = {"RS": 0.5, "IB": 0.2, "LTS": 0.2, "TC": 0.1}
    pop = add_heterogeneous_population(model, "Mix", 200, mixture, seed=11)
    assert pop.cell_type_names == list(mixture)
    assert pop.cell_types.shape == (200,) and pop.num_neurons == 200
    # neurons of a type are spread over the population (shuffled), not in blocks
    assert len(set(pop.cell_types[:20])) > 1
    build_load(model, tmp_path)
    labels = pop.vars["cell_type"]
    labels.pull_from_device()
    np.testing.assert_array_equal(np.asarray(pop.cell_type_names)[labels.values], pop.cell_types)
    for p, col in zip("abcd", range(4), strict=True):
        pop.vars[p].pull_from_device()
        expected = np.array([IZHIKEVICH_TYPES[t][col] for t in pop.cell_types])
        np.testing.assert_array_equal(pop.vars[p].values, expected)
    pop.vars["U"].pull_from_device()
    np.testing.assert_array_equal(pop.vars["U"].values, pop.vars["b"].values * -65.0)


def test_seed_reproduces_and_differs():
    kw = dict(mixture={"RS": 0.7, "FS": 0.3}, distributions={"d": ("normal", {"sd": 0.5})})
    p1 = add_heterogeneous_population(_model(), "P", 300, seed=5, **kw)
    p2 = add_heterogeneous_population(_model(), "P", 300, seed=5, **kw)
    p3 = add_heterogeneous_population(_model(), "P", 300, seed=6, **kw)
    np.testing.assert_array_equal(p1.cell_types, p2.cell_types)
    np.testing.assert_array_equal(p1.cell_params["d"], p2.cell_params["d"])
    assert np.any(p1.cell_types != p3.cell_types)
    assert not np.any(p1.cell_params["d"] == p3.cell_params["d"])
    assert p1.cell_type_counts == p3.cell_type_counts


def test_distributions_have_the_requested_moments():
    n = 40000
    pop = add_heterogeneous_population(
        _model(), "P", n, {"RS": 0.5, "FS": 0.5}, seed=1,
        distributions={"a": ("normal", {"sd": 0.005}), "c": ("uniform", {"half_width": 5.0}),
                       "FS": {"d": ("normal", {"cv": 0.1})}})
    for t in ("RS", "FS"):
        a, _, c, _ = PUBLISHED[t]
        sel = pop.cell_types == t
        tol = 4.0 / math.sqrt(sel.sum())  # 4 standard errors, in units of the sd
        assert abs(pop.cell_params["a"][sel].mean() - a) < tol * 0.005
        assert abs(pop.cell_params["a"][sel].std() / 0.005 - 1.0) < tol * 0.8
        assert abs(pop.cell_params["c"][sel].mean() - c) < tol * 10 / math.sqrt(12)
        assert pop.cell_params["c"][sel].min() >= c - 5.0 and pop.cell_params["c"][sel].max() <= c + 5.0
    fs, rs = pop.cell_types == "FS", pop.cell_types == "RS"
    assert abs(pop.cell_params["d"][fs].std() / 0.2 - 1.0) < 0.05       # cv 0.1 of d = 2
    assert np.all(pop.cell_params["d"][rs] == 8.0)                       # no distribution for RS d
    assert np.all(pop.cell_params["b"] == 0.2)

    alif = add_heterogeneous_population(_model(), "L", n, {"E": 1.0}, params={"E": {}}, neuron="AdaptiveLIF",
                                        seed=2, distributions={"TauM": ("lognormal", {"mean": 20.0, "sd": 0.2})})
    tau = alif.cell_params["TauM"]
    assert abs(tau.mean() - 20.0) < 4 * tau.std() / math.sqrt(n)
    assert abs(np.log(tau).std() - 0.2) < 0.005
    assert abs(np.median(tau) - 20.0 * math.exp(-0.02)) < 0.1            # median = mean exp(-sd^2 / 2)


def test_distributions_are_clipped():
    pop = add_heterogeneous_population(
        _model(), "P", 5000, {"RS": 1.0}, seed=3,
        distributions={"a": ("normal", {"sd": 0.05}), "d": ("normal", {"sd": 10.0, "clip": (6.0, 10.0)})})
    a, d = pop.cell_params["a"], pop.cell_params["d"]
    assert a.min() == 0.001 and a.max() <= 0.5                      # the default range of a
    frac = np.mean(a == 0.001)
    expected = 0.5 * math.erfc((0.02 - 0.001) / 0.05 / math.sqrt(2))  # P(N(0.02, 0.05) < 0.001)
    assert abs(frac - expected) < 0.03
    assert d.min() == 6.0 and d.max() == 10.0 and np.mean((d == 6.0) | (d == 10.0)) > 0.7
    alif = add_heterogeneous_population(_model(), "L", 2000, {"E": 1.0}, params={"E": {}, "Vrest": -65.0},
                                        neuron="AdaptiveLIF", seed=3,
                                        distributions={"Vthresh": ("normal", {"sd": 20.0})})
    vt = alif.cell_params["Vthresh"]
    assert vt.min() == -64.0 and vt.max() == -20.0                  # above max(Vrest, Vreset) by 1 mV


def test_population_wide_parameters(tmp_path):
    model = _model("het_alif")
    pop = add_heterogeneous_population(model, "L", 10, {"A": 0.5, "B": 0.5},
                                       params={"C": 0.5, "A": {"TauM": 15.0}, "B": {"b": 0.0}},
                                       neuron="AdaptiveLIF", vars={"V": -60.0})
    assert pop.params["C"] == 0.5 and pop.params["Vrest"] == -70.0
    assert pop.cell_type_params == {"A": {"TauM": 15.0, "Vthresh": -50.0, "b": 0.05, "TauA": 100.0},
                                    "B": {"TauM": 20.0, "Vthresh": -50.0, "b": 0.0, "TauA": 100.0}}
    build_load(model, tmp_path)
    pop.vars["V"].pull_from_device()
    assert np.all(pop.vars["V"].values == -60.0)


@pytest.mark.parametrize("kwargs, match", [
    (dict(mixture={"RS": 0.5, "XX": 0.5}), "unknown cell type 'XX'"),
    (dict(mixture={"RS": 0.5, "FS": 0.4}), "sum to 1"),
    (dict(mixture={"RS": 1.2, "FS": -0.2}), "proportion of 'FS' must be"),
    (dict(mixture={}), "non-empty"),
    (dict(mixture={"RS": 1.0}, size=-5), "size must be positive"),
    (dict(mixture={"RS": 1.0}, size=0), "size must be positive"),
    (dict(mixture={"RS": 1.0}, size=2.5), "size must be an integer"),
    (dict(mixture={"RS": 1.0}, distributions={"a": ("gamma", {"k": 1})}), "unknown kind 'gamma'"),
    (dict(mixture={"RS": 1.0}, distributions={"a": ("normal", {"mean": 0.1})}), "exactly one of 'sd' or 'cv'"),
    (dict(mixture={"RS": 1.0}, distributions={"e": ("normal", {"sd": 1})}), "'e' is neither"),
    (dict(mixture={"RS": 1.0}, params={"RS": {"tau": 2.0}}), "'tau' is not a parameter"),
    (dict(mixture={"RS": 1.0}, vars={"a": 0.1}), "not state variables"),
    (dict(mixture={"E": 1.0}, neuron="AdaptiveLIF"), "unknown cell type 'E'"),
    (dict(mixture={"E": 1.0}, neuron="AdaptiveLIF", params={"E": {}}, distributions={"C": ("normal", {"sd": 1})}),
     "population-wide"),
    (dict(mixture={"E": 0.5, "I": 0.5}, neuron="AdaptiveLIF", params={"E": {"C": 0.2}, "I": {"C": 0.3}}),
     "cannot differ between cell types"),
    (dict(mixture={"RS": 1.0}, neuron="NoSuchModel"), "no neuron model 'NoSuchModel'"),
])
def test_invalid_inputs_are_refused_clearly(kwargs, match):
    kwargs = {"size": 10, **kwargs}
    with pytest.raises(pygenn.ModelError, match=match):
        add_heterogeneous_population(_model(), "Bad", **kwargs)


def test_new_types_can_be_defined_in_params():
    pop = add_heterogeneous_population(_model(), "P", 4, {"RS": 0.5, "Mine": 0.5},
                                       params={"Mine": {"a": 0.03, "b": 0.25, "c": -60.0, "d": 4.0}})
    assert pop.cell_type_params["Mine"] == {"a": 0.03, "b": 0.25, "c": -60.0, "d": 4.0}
    assert sorted(pop.cell_params["a"]) == [0.02, 0.02, 0.03, 0.03]


def test_read_only_parameters_cannot_be_written_by_the_neuron_code(tmp_path):
    # e.g. a naive "noradrenaline switches c" variant of IzhikevichCell writing its own c
    spec = available_models("neuron")["IzhikevichCell"].data
    vars_ = [(v[0], v[1], getattr(pygenn.VarAccess, v[2])) if len(v) > 2 else tuple(v) for v in spec["vars"]]
    for target in ("c", "cell_type"):
        writer = pygenn.create_neuron_model(
            f"Writes_{target}", vars=vars_, sim_code=spec["sim_code"] + f"{target} = 1;\n",
            threshold_condition_code=spec["threshold_condition_code"])
        model = _model(f"ro_{target}")
        add_heterogeneous_population(model, "P", 4, {"RS": 1.0})
        model.add_neuron_population("W", 4, writer, {}, {"V": -65.0, "U": -13.0, "a": 0.02, "b": 0.2, "c": -65.0,
                                                         "d": 8.0, "cell_type": 0})
        with pytest.raises(pygenn.SnippetError, match=target):
            model.build(str(tmp_path / target))


def test_custom_update_may_switch_parameters_through_a_read_write_reference(tmp_path):
    # As GeNN 5: READ_ONLY restricts the neuron's own code; a custom update with a READ_WRITE
    # reference may change a READ_ONLY variable (how a neuromodulator switches c, d for some types).
    model = _model("switch")
    pop = add_heterogeneous_population(model, "P", 50, {"RS": 0.6, "FS": 0.4}, seed=2)
    switch = pygenn.create_custom_update_model(
        "to_burst", var_refs=[("c", "scalar", pygenn.VarAccessMode.READ_WRITE),
                              ("d", "scalar", pygenn.VarAccessMode.READ_WRITE),
                              ("cell_type", "unsigned int", pygenn.VarAccessMode.READ_ONLY)],
        update_code="if (cell_type == 0) {\n    c = -50.0;\n    d = 2.0;\n}\n")
    model.add_custom_update("NA", "NA", switch, {}, {},
                            {k: pygenn.create_var_ref(pop, k) for k in ("c", "d", "cell_type")})
    build_load(model, tmp_path)
    model.custom_update("NA")
    for k in ("c", "d"):
        pop.vars[k].pull_from_device()
    rs = pop.cell_types == "RS"
    assert np.all(pop.vars["c"].values[rs] == -50.0) and np.all(pop.vars["d"].values[rs] == 2.0)
    assert np.all(pop.vars["c"].values[~rs] == -65.0) and np.all(pop.vars["d"].values[~rs] == 2.0)


def test_backend_follows_the_model():
    from genn_neuromod.models import cell_types

    assert cell_types._backend_of(_model()) is pygenn
    real = pytest.importorskip("pygenn")
    model = real.GeNNModel("double", "real_het", backend="single_threaded_cpu")
    pop = add_heterogeneous_population(model, "P", 10, {"RS": 0.5, "FS": 0.5})
    assert list(pop.cell_types).count("FS") == 5
