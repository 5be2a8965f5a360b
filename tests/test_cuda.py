"""The cuda backend against the cpu backend: same spikes and state in double precision, same Philox draws.

Skipped unless CuPy imports and sees a GPU.  Deterministic models (no transcendental functions in the
per-step code, equal power-of-two weights) must match bit for bit: both backends evaluate the same
snippets without FMA contraction.  Models whose per-step code calls exp/log/cos are compared with a
tolerance (CUDA's libdevice and glibc may differ in the last bit).
"""

from __future__ import annotations

import numpy as np
import pytest

cupy = pytest.importorskip("cupy")
try:
    _DEVICES = cupy.cuda.runtime.getDeviceCount()
except Exception:  # no driver, no device
    _DEVICES = 0
if _DEVICES == 0:
    pytest.skip("no CUDA device", allow_module_level=True)

import cuda_models as cm  # noqa: E402


def _run(factory, backend: str, path, steps: int, one_by_one: bool = False, **kwargs):
    model = factory(backend=backend, **kwargs)
    model.build(str(path / backend))
    model.load(num_recording_timesteps=steps)
    if one_by_one:
        for _ in range(steps):
            model.step_time()
    else:
        model.step_time_n(steps)
    if any(p.spike_recording_enabled for p in model.neuron_populations.values()):
        model.pull_recording_buffers_from_device()
    return model


def _spikes(pop, batch: int = 0) -> tuple[np.ndarray, np.ndarray]:
    times, ids = pop.spike_recording_data[batch]
    order = np.lexsort((ids, times))
    return times[order], ids[order]


def _values(var) -> np.ndarray:
    var.pull_from_device()
    return var.values


def _assert_same_spikes(cpu_pop, gpu_pop, batch: int = 0) -> None:
    (tc, ic), (tg, ig) = _spikes(cpu_pop), _spikes(gpu_pop, batch)
    assert tc.size > 0, f"'{cpu_pop.name}' did not spike: the comparison would be vacuous"
    np.testing.assert_array_equal(tg, tc)
    np.testing.assert_array_equal(ig, ic)


@pytest.mark.parametrize("factory", [cm.izh_lif_sparse_axonal, cm.dense_dendritic])
def test_deterministic_double_model_matches_cpu_bit_for_bit(tmp_path, factory):
    cpu = _run(factory, "cpu", tmp_path, 400)
    gpu = _run(factory, "cuda", tmp_path, 400)
    for name, pop in cpu.neuron_populations.items():
        if pop.spike_recording_enabled:
            _assert_same_spikes(pop, gpu.neuron_populations[name])
        for vname, var in pop.vars.items():
            np.testing.assert_array_equal(_values(gpu.neuron_populations[name].vars[vname]), _values(var))
    for name, sg in cpu.synapse_populations.items():
        np.testing.assert_array_equal(_values(gpu.synapse_populations[name].out_post), _values(sg.out_post))


def test_philox_draws_identical(tmp_path):
    cpu = _run(cm.rng_probe, "cpu", tmp_path, 0)
    gpu = _run(cm.rng_probe, "cuda", tmp_path, 0)
    for _ in range(5):
        cpu.step_time()
        gpu.step_time()
        for v in ("R", "U"):
            np.testing.assert_array_equal(_values(gpu.neuron_populations["Probe"].vars[v]),
                                          _values(cpu.neuron_populations["Probe"].vars[v]))


def test_batch_instances_use_seed_plus_b(tmp_path):
    gpu = _run(cm.rng_probe, "cuda", tmp_path, 3, batch_size=4)
    r = _values(gpu.neuron_populations["Probe"].vars["R"])
    assert r.shape == (4, 257)
    for b in range(4):
        cpu = cm.rng_probe(backend="cpu")
        cpu.seed = 987654321 + b
        cpu.build(str(tmp_path / f"cpu{b}"))
        cpu.load()
        cpu.step_time_n(3)
        np.testing.assert_array_equal(r[b], _values(cpu.neuron_populations["Probe"].vars["R"]))
    assert len({tuple(r[b][:8]) for b in range(4)}) == 4


def test_explicit_batch_seeds(tmp_path):
    model = cm.rng_probe(backend="cuda", batch_size=2)
    model.batch_seeds = [11, 99]
    model.build(str(tmp_path))
    model.load()
    model.step_time()
    r = _values(model.neuron_populations["Probe"].vars["R"])
    cpu = cm.rng_probe(backend="cpu")
    cpu.seed = 99
    cpu.build(str(tmp_path / "cpu"))
    cpu.load()
    cpu.step_time()
    np.testing.assert_array_equal(r[1], _values(cpu.neuron_populations["Probe"].vars["R"]))


@pytest.mark.parametrize("pre_span", [False, True])
def test_stdp_matches_cpu(tmp_path, pre_span):
    cpu = _run(cm.stdp_sparse, "cpu", tmp_path, 300, pre_span=pre_span)
    gpu = _run(cm.stdp_sparse, "cuda", tmp_path, 300, pre_span=pre_span)
    _assert_same_spikes(cpu.neuron_populations["Post"], gpu.neuron_populations["Post"])
    g_cpu = _values(cpu.synapse_populations["PrePost"].vars["g"])
    g_gpu = _values(gpu.synapse_populations["PrePost"].vars["g"])
    assert not np.array_equal(g_cpu, np.ones_like(g_cpu)), "no plasticity happened"
    np.testing.assert_allclose(g_gpu, g_cpu, rtol=1e-9, atol=1e-12)


def test_batched_stdp_instances_match_cpu(tmp_path):
    """No random numbers after initialisation: every instance reproduces the cpu run."""
    cpu = _run(cm.stdp_sparse, "cpu", tmp_path, 200)
    gpu = _run(cm.stdp_sparse, "cuda", tmp_path, 200, batch_size=3)
    g_cpu = _values(cpu.synapse_populations["PrePost"].vars["g"])
    g_gpu = _values(gpu.synapse_populations["PrePost"].vars["g"])
    assert g_gpu.shape == (3, g_cpu.size)
    for b in range(3):
        _assert_same_spikes(cpu.neuron_populations["Post"], gpu.neuron_populations["Post"], b)
        np.testing.assert_allclose(g_gpu[b], g_cpu, rtol=1e-9, atol=1e-12)


def test_noise_sources_statistically_match_cpu(tmp_path):
    cpu = _run(cm.rng_current_sources, "cpu", tmp_path, 1000)
    gpu = _run(cm.rng_current_sources, "cuda", tmp_path, 1000)
    n_cpu = _spikes(cpu.neuron_populations["Pop"])[0].size
    n_gpu = _spikes(gpu.neuron_populations["Pop"])[0].size
    assert n_cpu > 100
    assert abs(n_gpu - n_cpu) < 0.15 * n_cpu


def test_events_and_synapse_dynamics_run(tmp_path):
    cpu = _run(cm.graded_events_dynamics, "cpu", tmp_path, 200)
    gpu = _run(cm.graded_events_dynamics, "cuda", tmp_path, 200)
    g_cpu = _values(cpu.synapse_populations["Noisy"].vars["g"])
    g_gpu = _values(gpu.synapse_populations["Noisy"].vars["g"])
    np.testing.assert_allclose(g_gpu, g_cpu, rtol=1e-5, atol=1e-6)  # float model: same uniform draws
    v_cpu = _values(cpu.neuron_populations["Post"].vars["V"])
    v_gpu = _values(gpu.neuron_populations["Post"].vars["V"])
    assert abs(float(v_gpu.mean()) - float(v_cpu.mean())) < 0.5  # tanh differs in the last bits: no exact match


@pytest.mark.parametrize("batch_size", [1, 4])
def test_custom_update_reductions(tmp_path, batch_size):
    model = cm.custom_update_reductions(backend="cuda", batch_size=batch_size)
    model.build(str(tmp_path))
    model.load()
    pop = model.neuron_populations["Pop"]
    x = _values(pop.vars["X"]).reshape(batch_size, -1)
    for g in ("Softmax1", "Softmax2", "Softmax3", "BatchReduce"):
        model.custom_update(g)
    y = _values(pop.vars["Y"]).reshape(batch_size, -1)
    for b in range(batch_size):
        e = np.exp(x[b] - x[b].max())
        np.testing.assert_allclose(y[b], e / e.sum(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(_values(pop.vars["SumX"]), x.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(_values(model.custom_updates["RedN"].vars["MaxX"]), x.max(axis=0))
    dense = model.synapse_populations["Dense"]
    xd = _values(dense.vars["X"]).reshape(batch_size, -1)
    np.testing.assert_allclose(_values(dense.vars["SumX"]), xd.sum(axis=0), rtol=1e-12)
    sparse = model.synapse_populations["Sparse"]
    np.testing.assert_allclose(_values(sparse.vars["SumX"]), batch_size * np.ones(100))
    model.custom_update("Scale")
    np.testing.assert_allclose(_values(sparse.vars["X"]), 2.0)
    if batch_size > 1:  # per-instance seeds: Uniform-initialised X differs between instances
        assert not np.array_equal(x[0], x[1])


def test_graph_replay_equals_single_steps(tmp_path):
    a = _run(cm.izh_lif_sparse_axonal, "cuda", tmp_path / "a", 250)
    b = _run(cm.izh_lif_sparse_axonal, "cuda", tmp_path / "b", 250, one_by_one=True)
    for name in ("Pre", "Post"):
        _assert_same_spikes(a.neuron_populations[name], b.neuron_populations[name])
        np.testing.assert_array_equal(_values(a.neuron_populations[name].vars["V"]),
                                      _values(b.neuron_populations[name].vars["V"]))
    assert a.timestep == b.timestep == 250


def test_push_pull_and_cuda_array_interface(tmp_path):
    model = _run(cm.izh_lif_sparse_axonal, "cuda", tmp_path, 10)
    v = model.neuron_populations["Post"].vars["V"]
    v.pull_from_device()
    v.view[:] = -55.0
    v.push_to_device()
    dev = cupy.asarray(v)  # through __cuda_array_interface__, no copy
    assert dev.shape == v.view.shape
    assert float(dev.min()) == float(dev.max()) == -55.0
    dev[:] = -66.0
    v.pull_from_device()
    assert np.all(v.view == -66.0)
