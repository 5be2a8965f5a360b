"""The same PyGeNN 5 scripts on real GeNN and on genn_neuromod: identical results in double.

Skipped where ``pygenn`` is not importable (GeNN is not on PyPI).  Real GeNN's CPU backend
compiles without optimisation by default, so both engines do exact IEEE arithmetic and
deterministic models must give the same spikes, bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

import genn_neuromod

pygenn = pytest.importorskip("pygenn")

N = 60


def _network(pg, name: str, matrix: str, delay: int):
    """Izhikevich neurons with heterogeneous drive, STDP synapses with an axonal delay, an LIF readout."""
    model = pg.GeNNModel("double", name, backend="single_threaded_cpu")
    model.dt = 0.5
    rng = np.random.default_rng(42)
    izk = model.add_neuron_population("Izk", N, "Izhikevich", {"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0},
                                      {"V": -65.0, "U": -13.0})
    izk.spike_recording_enabled = True
    drive = pg.create_current_source_model("drive", vars=[("amp", "scalar", pg.VarAccess.READ_ONLY)],
                                           injection_code="injectCurrent(amp);")
    model.add_current_source("Drive", drive, izk, {}, {"amp": rng.uniform(3.0, 12.0, N)})
    lif = model.add_neuron_population("Lif", 20, "LIF",
                                      {"C": 1.0, "TauM": 20.0, "Vrest": -65.0, "Vreset": -65.0, "Vthresh": -55.0,
                                       "Ioffset": 0.0, "TauRefrac": 2.0}, {"V": -65.0, "RefracTime": 0.0})
    lif.spike_recording_enabled = True
    stdp = pg.init_weight_update("STDP", {"tauPlus": 20.0, "tauMinus": 20.0, "Aplus": 0.05, "Aminus": 0.06,
                                          "Wmin": 0.0, "Wmax": 2.0}, {"g": 0.5})
    pre = np.repeat(np.arange(N), 8)
    post = rng.integers(0, N, pre.size)
    keep = np.unique(pre * N + post)
    pre, post = keep // N, keep % N
    if matrix == "SPARSE":
        rec = model.add_synapse_population("Rec", "SPARSE", izk, izk, stdp,
                                           pg.init_postsynaptic("ExpCurr", {"tau": 5.0}))
        rec.set_sparse_connections(pre, post)
    else:
        rec = model.add_synapse_population("Rec", "DENSE", izk, izk, stdp,
                                           pg.init_postsynaptic("ExpCurr", {"tau": 5.0}))
    rec.axonal_delay_steps = delay
    out = model.add_synapse_population(
        "Out", "DENSE", izk, lif, pg.init_weight_update("StaticPulse", {}, {"g": 0.4}),
        pg.init_postsynaptic("ExpCond", {"tau": 3.0, "E": 0.0}, var_refs={"V": pg.create_var_ref(lif, "V")}))
    out.back_prop_delay_steps = 0
    return model, (izk, lif), rec


def _run(pg, tmp_path, name: str, matrix: str, delay: int, steps: int = 800):
    model, pops, rec = _network(pg, name, matrix, delay)
    model.build(str(tmp_path))
    model.load(num_recording_timesteps=steps)
    for _ in range(steps):
        model.step_time()
    model.pull_recording_buffers_from_device()
    spikes = [p.spike_recording_data[0] for p in pops]
    rec.vars["g"].pull_from_device()
    return spikes, rec.vars["g"].values


@pytest.mark.parametrize("matrix,delay", [("SPARSE", 0), ("SPARSE", 3), ("DENSE", 1)])
def test_same_script_same_spikes_and_weights(tmp_path, matrix, delay):
    (tmp_path / "genn").mkdir()
    (tmp_path / "ours").mkdir()
    ref_spikes, ref_g = _run(pygenn, tmp_path / "genn", f"cmp_{matrix}_{delay}", matrix, delay)
    our_spikes, our_g = _run(genn_neuromod, tmp_path / "ours", f"cmp_{matrix}_{delay}", matrix, delay)
    assert sum(len(t) for t, _ in ref_spikes) > 100  # the comparison is not vacuous
    for (rt, ri), (ot, oi) in zip(ref_spikes, our_spikes, strict=True):
        np.testing.assert_array_equal(rt, ot)
        np.testing.assert_array_equal(ri, oi)
    np.testing.assert_allclose(our_g, ref_g, rtol=0, atol=1e-12)
    assert np.ptp(ref_g) > 0  # plasticity did something
