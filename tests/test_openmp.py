"""OpenMP (``num_threads`` preference) gives exactly the serial results; ``optimize_code`` runs."""

import numpy as np
import pytest

import genn_neuromod as pg


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
