"""The cuda backend against the cpu backend: same spikes and state in double precision, same Philox draws.

Every test runs on the SIMT emulation (``backend="cuda_emulated"``: the generated CUDA compiled as C++ with
CUDA's thread, barrier and warp semantics, see ``genn_neuromod/backends/simt_emulation``), which needs no GPU,
and again on a real GPU (``backend=device``) where CuPy sees one.  Deterministic models (no transcendental
functions in the per-step code, equal power-of-two weights) must match bit for bit: both backends evaluate the
same snippets without FMA contraction.  On the emulation the maths library is the CPU's, so every model matches
exactly; on a GPU, models whose per-step code calls exp/log/cos are compared with a tolerance (CUDA's libdevice
and glibc may differ in the last bit).
"""

from __future__ import annotations

import dataclasses
import os

import cuda_models as cm
import numpy as np
import pytest

from genn_neuromod.backends import cuda_runtime


def _gpu_present() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # no CuPy, no driver, no device
        return False


#: GENN_NEUROMOD_TEST_BACKENDS="cuda" (or "cuda_emulated", or both, comma-separated) picks the devices
BACKENDS = [b.strip() for b in os.environ.get("GENN_NEUROMOD_TEST_BACKENDS", "").split(",") if b.strip()] or \
    ["cuda_emulated"] + (["cuda"] if _gpu_present() else [])


@pytest.fixture(params=BACKENDS)
def device(request) -> str:
    if request.param == "cuda" and not _gpu_present():
        pytest.skip("backend 'cuda' needs CuPy and a GPU")
    return request.param


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
    return var.values if hasattr(var, "values") else np.copy(var.view)


def _assert_same_spikes(cpu_pop, gpu_pop, batch: int = 0) -> None:
    (tc, ic), (tg, ig) = _spikes(cpu_pop), _spikes(gpu_pop, batch)
    assert tc.size > 0, f"'{cpu_pop.name}' did not spike: the comparison would be vacuous"
    np.testing.assert_array_equal(tg, tc)
    np.testing.assert_array_equal(ig, ic)


@pytest.mark.parametrize("factory", [cm.izh_lif_sparse_axonal, cm.dense_dendritic])
def test_deterministic_double_model_matches_cpu_bit_for_bit(tmp_path, factory, device):
    cpu = _run(factory, "cpu", tmp_path, 400)
    gpu = _run(factory, device, tmp_path, 400)
    for name, pop in cpu.neuron_populations.items():
        if pop.spike_recording_enabled:
            _assert_same_spikes(pop, gpu.neuron_populations[name])
        for vname, var in pop.vars.items():
            np.testing.assert_array_equal(_values(gpu.neuron_populations[name].vars[vname]), _values(var))
    for name, sg in cpu.synapse_populations.items():
        np.testing.assert_array_equal(_values(gpu.synapse_populations[name].out_post), _values(sg.out_post))


def test_philox_draws_identical(tmp_path, device):
    cpu = _run(cm.rng_probe, "cpu", tmp_path, 0)
    gpu = _run(cm.rng_probe, device, tmp_path, 0)
    for _ in range(5):
        cpu.step_time()
        gpu.step_time()
        for v in ("R", "U"):
            np.testing.assert_array_equal(_values(gpu.neuron_populations["Probe"].vars[v]),
                                          _values(cpu.neuron_populations["Probe"].vars[v]))


def test_batch_instances_use_seed_plus_b(tmp_path, device):
    gpu = _run(cm.rng_probe, device, tmp_path, 3, batch_size=5)
    r = _values(gpu.neuron_populations["Probe"].vars["R"])
    assert r.shape == (5, 257)
    for b in range(5):
        cpu = cm.rng_probe(backend="cpu")
        cpu.seed = 987654321 + b
        cpu.build(str(tmp_path / f"cpu{b}"))
        cpu.load()
        cpu.step_time_n(3)
        np.testing.assert_array_equal(r[b], _values(cpu.neuron_populations["Probe"].vars["R"]))
    assert len({tuple(r[b][:8]) for b in range(5)}) == 5


def test_explicit_batch_seeds(tmp_path, device):
    model = cm.rng_probe(backend=device, batch_size=2)
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
def test_stdp_matches_cpu(tmp_path, pre_span, device):
    cpu = _run(cm.stdp_sparse, "cpu", tmp_path, 300, pre_span=pre_span)
    gpu = _run(cm.stdp_sparse, device, tmp_path, 300, pre_span=pre_span)
    _assert_same_spikes(cpu.neuron_populations["Post"], gpu.neuron_populations["Post"])
    g_cpu = _values(cpu.synapse_populations["PrePost"].vars["g"])
    g_gpu = _values(gpu.synapse_populations["PrePost"].vars["g"])
    assert not np.array_equal(g_cpu, np.ones_like(g_cpu)), "no plasticity happened"
    np.testing.assert_allclose(g_gpu, g_cpu, rtol=1e-9, atol=1e-12)


def test_batched_stdp_instances_match_cpu(tmp_path, device):
    """No random numbers after initialisation: every instance reproduces the cpu run."""
    cpu = _run(cm.stdp_sparse, "cpu", tmp_path, 200)
    gpu = _run(cm.stdp_sparse, device, tmp_path, 200, batch_size=3)
    g_cpu = _values(cpu.synapse_populations["PrePost"].vars["g"])
    g_gpu = _values(gpu.synapse_populations["PrePost"].vars["g"])
    assert g_gpu.shape == (3, g_cpu.size)
    for b in range(3):
        _assert_same_spikes(cpu.neuron_populations["Post"], gpu.neuron_populations["Post"], b)
        np.testing.assert_allclose(g_gpu[b], g_cpu, rtol=1e-9, atol=1e-12)


def test_noise_sources_statistically_match_cpu(tmp_path, device):
    cpu = _run(cm.rng_current_sources, "cpu", tmp_path, 1000)
    gpu = _run(cm.rng_current_sources, device, tmp_path, 1000)
    n_cpu = _spikes(cpu.neuron_populations["Pop"])[0].size
    n_gpu = _spikes(gpu.neuron_populations["Pop"])[0].size
    assert n_cpu > 100
    assert abs(n_gpu - n_cpu) < 0.15 * n_cpu


def test_events_and_synapse_dynamics_run(tmp_path, device):
    cpu = _run(cm.graded_events_dynamics, "cpu", tmp_path, 200)
    gpu = _run(cm.graded_events_dynamics, device, tmp_path, 200)
    g_cpu = _values(cpu.synapse_populations["Noisy"].vars["g"])
    g_gpu = _values(gpu.synapse_populations["Noisy"].vars["g"])
    np.testing.assert_allclose(g_gpu, g_cpu, rtol=1e-5, atol=1e-6)  # float model: same uniform draws
    v_cpu = _values(cpu.neuron_populations["Post"].vars["V"])
    v_gpu = _values(gpu.neuron_populations["Post"].vars["V"])
    assert abs(float(v_gpu.mean()) - float(v_cpu.mean())) < 0.5  # tanh differs in the last bits: no exact match


@pytest.mark.parametrize("batch_size", [1, 4])
def test_custom_update_reductions(tmp_path, batch_size, device):
    model = cm.custom_update_reductions(backend=device, batch_size=batch_size)
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


def test_graph_replay_equals_single_steps(tmp_path, device):
    a = _run(cm.izh_lif_sparse_axonal, device, tmp_path / "a", 250)
    b = _run(cm.izh_lif_sparse_axonal, device, tmp_path / "b", 250, one_by_one=True)
    for name in ("Pre", "Post"):
        _assert_same_spikes(a.neuron_populations[name], b.neuron_populations[name])
        np.testing.assert_array_equal(_values(a.neuron_populations[name].vars["V"]),
                                      _values(b.neuron_populations[name].vars["V"]))
    assert a.timestep == b.timestep == 250


def test_push_pull_and_cuda_array_interface(tmp_path, device):
    model = _run(cm.izh_lif_sparse_axonal, device, tmp_path, 10)
    v = model.neuron_populations["Post"].vars["V"]
    v.pull_from_device()
    v.view[:] = -55.0
    v.push_to_device()
    cp = model._runtime.cp  # CuPy, or the emulation's numpy-backed stand-in
    dev = cp.asarray(v)  # through __cuda_array_interface__, no copy
    assert dev.shape == v.view.shape
    assert float(dev.min()) == float(dev.max()) == -55.0
    dev[:] = -66.0
    v.pull_from_device()
    assert np.all(v.view == -66.0)


def _assert_close_or_equal(actual, expected, exact: bool) -> None:
    if exact:
        np.testing.assert_array_equal(actual, expected)
    else:
        np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("batch_size", [1, 2])
def test_matrix_types_match_cpu(tmp_path, batch_size, device):
    """BITMASK, TOEPLITZ with kernel weights, PROCEDURAL (weights and dendritic delays drawn at every spike),
    PROCEDURAL_KERNELG and DENSE_PROCEDURALG: spikes and postsynaptic inputs as on the cpu backend."""
    cpu = _run(cm.matrix_types, "cpu", tmp_path, 300, precision="double", batch_size=batch_size)
    gpu = _run(cm.matrix_types, device, tmp_path, 300, precision="double", batch_size=batch_size)
    exact = device == "cuda_emulated"  # PROCEDURAL draws normals (log, cos) at every spike
    for b in range(batch_size):
        for name in ("Pre", "Post"):
            (tc, ic), (tg, ig) = _spikes(cpu.neuron_populations[name], b), _spikes(gpu.neuron_populations[name], b)
            assert tc.size > 0
            if exact:
                np.testing.assert_array_equal(tg, tc)
                np.testing.assert_array_equal(ig, ic)
            else:
                assert abs(tg.size - tc.size) <= 0.02 * tc.size
    for name, sg in cpu.synapse_populations.items():
        _assert_close_or_equal(_values(gpu.synapse_populations[name].out_post), _values(sg.out_post), exact)


def test_delayed_state_current_view_batched(tmp_path, device):
    """current_view of a variable read with a delay gives each instance's current slot (batch > 1)."""
    cpu = _run(cm.izh_lif_sparse_axonal, "cpu", tmp_path, 37, batch_size=3)
    gpu = _run(cm.izh_lif_sparse_axonal, device, tmp_path, 37, batch_size=3)
    for name in ("Pre", "Post"):
        for vname in ("V",):
            vc, vg = cpu.neuron_populations[name].vars[vname], gpu.neuron_populations[name].vars[vname]
            vc.pull_from_device()
            vg.pull_from_device()
            np.testing.assert_array_equal(vg.current_view, vc.current_view)
            assert vg.current_view.shape[0] == 3


def test_per_instance_egps_make_independent_runs(tmp_path, device):
    """Each instance reads its own EGP schedule and writes its own EGP log: batched = separate cpu runs."""
    batch = 3
    schedules = np.random.default_rng(2).uniform(0.0, 2.0, (batch, 50))
    seeds = [101, 202, 303]
    gpu = cm.run_egp_schedule(tmp_path / device, seeds, schedules, 120, backend=device)
    pop = gpu.neuron_populations["Pop"]
    log = pop.extra_global_params["log"]
    log.pull_from_device()
    assert log.view.shape == (batch, 50)
    for b in range(batch):
        cpu = cm.run_egp_schedule(tmp_path / f"cpu{b}", [seeds[b]], schedules[b], 120)
        cpop = cpu.neuron_populations["Pop"]
        _assert_same_spikes(cpop, pop, b)
        clog = cpop.extra_global_params["log"]
        clog.pull_from_device()
        _assert_close_or_equal(log.view[b], clog.view, device == "cuda_emulated")
    assert not np.array_equal(log.view[0], log.view[1])


def test_a_broken_kernel_index_is_caught(tmp_path, monkeypatch):
    """The comparison these tests make catches index errors: neighbouring neurons' states swapped in the neuron
    update kernel of 'Post' (thread t updates neuron t ^ 1) must change the spikes."""
    def broken(*args, **kwargs):
        source = generate(*args, **kwargs)
        marker = "/* neuron population 'Post' */"
        head, tail = source.source.split(marker, 1)
        line = "* blockDim.x + threadIdx.x;"
        assert line in tail
        tail = tail.replace(line, "* blockDim.x + (threadIdx.x ^ 1u);", 1)
        return dataclasses.replace(source, source=head + marker + tail)

    generate = cuda_runtime.generate_cuda
    cpu = _run(cm.izh_lif_sparse_axonal, "cpu", tmp_path, 300)
    monkeypatch.setattr(cuda_runtime, "generate_cuda", broken)
    gpu = _run(cm.izh_lif_sparse_axonal, "cuda_emulated", tmp_path, 300)
    with pytest.raises(AssertionError):
        _assert_same_spikes(cpu.neuron_populations["Post"], gpu.neuron_populations["Post"])


def test_batched_distal_reward_is_64_independent_runs(tmp_path, device):
    """The Izhikevich (2007) DA-STDP network batched 64 times: each instance, with its own thalamic noise and its
    own per-instance reward schedule and logs, is the run of a separate model with that instance's seed."""
    from genn_neuromod.experiments.distal_reward import build_network

    batch, steps, seed = 64, 120, 5
    model, h = build_network("izhikevich2007", seed, backend=device, batch_size=batch)
    model.build(str(tmp_path / "batched"))
    model.load(num_recording_timesteps=steps)
    model.step_time_n(steps)
    model.pull_recording_buffers_from_device()
    wlog = h["chosen"].extra_global_params["wlog"]
    wlog.pull_from_device()
    assert wlog.view.shape[0] == batch
    counts = []
    for b in range(batch):
        single, hs = build_network("izhikevich2007", seed, backend="cpu")
        single.seed = seed + 1 + b
        single.build(str(tmp_path / "single"))
        single.load(num_recording_timesteps=steps)
        single.step_time_n(steps)
        single.pull_recording_buffers_from_device()
        _assert_same_spikes(hs["net"], h["net"], b)
        swlog = hs["chosen"].extra_global_params["wlog"]
        swlog.pull_from_device()
        _assert_close_or_equal(wlog.view[b], swlog.view, device == "cuda_emulated")
        counts.append(hs["net"].spike_recording_data[0][0].size)
    assert len(set(counts)) > batch // 2, "the instances should differ (their noise seeds do)"


def test_custom_connectivity_updates_match_cpu(tmp_path, device):
    """Pruning and growing rows between runs (on the host, for the cuda backend) while STDP learns through the
    column index: connectivity, weights and spikes as on the cpu backend."""
    models = {}
    for backend in ("cpu", device):
        model = cm.stdp_rewired(backend=backend)
        model.build(str(tmp_path / backend))
        model.load(num_recording_timesteps=300)
        for _ in range(3):
            model.step_time_n(100)
            model.custom_update("Rewire")
        model.pull_recording_buffers_from_device()
        models[backend] = model
    cpu, gpu = models["cpu"], models[device]
    sc, sgpu = cpu.synapse_populations["PrePost"], gpu.synapse_populations["PrePost"]
    sc.pull_connectivity_from_device()
    sgpu.pull_connectivity_from_device()
    np.testing.assert_array_equal(sgpu.get_sparse_pre_inds(), sc.get_sparse_pre_inds())
    np.testing.assert_array_equal(sgpu.get_sparse_post_inds(), sc.get_sparse_post_inds())
    g_cpu, g_gpu = _values(sc.vars["g"]), _values(sgpu.vars["g"])
    assert np.any(g_cpu == 2.0), "no synapse was added"
    np.testing.assert_allclose(g_gpu, g_cpu, rtol=1e-9, atol=1e-12)
    _assert_same_spikes(cpu.neuron_populations["Post"], gpu.neuron_populations["Post"])
