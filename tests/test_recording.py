"""Recording to zarr: round trip, windowed and lazy reads, analysis, bounded memory, killed runs."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import zarr

import genn_neuromod as pygenn
from genn_neuromod.recording import (
    Recorder,
    fano_factor,
    firing_rates,
    isi_cv,
    open_store,
    plot_population_rates,
    plot_raster,
    plot_weight_histogram,
    plot_weight_trajectories,
    population_rate,
    spike_counts,
    synchrony,
    synchrony_traces,
    weight_distribution,
    weight_trajectories,
)

da = pytest.importorskip("dask.array")

HERE = Path(__file__).resolve().parent
SEED = 5
STDP = {"tauPlus": 20.0, "tauMinus": 20.0, "Aplus": 0.1, "Aminus": 0.105, "Wmin": 0.0, "Wmax": 10.0}


def build_model(path: str | Path, n_poisson: int = 200, n_izh: int = 100, rate: float = 20.0,
                seed: int = SEED) -> pygenn.GeNNModel:
    """Poisson inputs -> Izhikevich neurons through plastic (STDP) SPARSE synapses; built in ``path``."""
    m = pygenn.GeNNModel("float", f"rec_{n_poisson}_{n_izh}")
    m.dt = 1.0
    m.seed = seed
    p = m.add_neuron_population("P", n_poisson, "Poisson", {"rate": rate}, {"timeStepToSpike": 0.0})
    p.spike_recording_enabled = True
    if n_izh:
        e = m.add_neuron_population("E", n_izh, "Izhikevich", {"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0},
                                    {"V": -65.0, "U": -13.0})
        e.spike_recording_enabled = True
        m.add_synapse_population(
            "PE", "SPARSE", p, e, pygenn.init_weight_update("STDP", STDP, {"g": 5.0}),
            pygenn.init_postsynaptic("DeltaCurr"), pygenn.init_sparse_connectivity("FixedProbability", {"prob": 0.1}))
    m.build(str(path))
    return m


# -- a recorded run shared by several tests ------------------------------------------------
DURATION, CHUNK, STATE_EVERY, WEIGHT_EVERY = 1000, 400, 7, 300


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    d = tmp_path_factory.mktemp("rec")
    m = build_model(d)
    rec = Recorder(m, d / "run.zarr", spikes=["P", "E"], state={"E": ["V", "U"]}, state_every=STATE_EVERY,
                   weights={"PE": ["g"]}, weight_every=WEIGHT_EVERY, chunk_steps=CHUNK, metadata={"who": "test"})
    m.load(num_recording_timesteps=rec.chunk_steps)
    rec.run(DURATION)
    rec.close()
    return d, open_store(d / "run.zarr")


def _reference(path: Path, steps: int, state_every: int = STATE_EVERY, weight_every: int | None = WEIGHT_EVERY):
    """The same model run step by step, polling state and weights: spikes, state samples, snapshots."""
    m = build_model(path)
    m.load(num_recording_timesteps=steps)
    e, sg = m.neuron_populations["E"], m.synapse_populations["PE"]
    st_t, v, u, w_t, w = [], [], [], [0.0], [sg.vars["g"].values]
    for _ in range(steps):
        m.step_time()
        if m.timestep % state_every == 0:
            st_t.append(m.t)
            v.append(e.vars["V"].view.copy())
            u.append(e.vars["U"].view.copy())
        if (weight_every and m.timestep % weight_every == 0) or m.timestep == steps:
            w_t.append(m.t)
            w.append(sg.vars["g"].values)
    m.pull_recording_buffers_from_device()
    spikes = {p: m.neuron_populations[p].spike_recording_data[0] for p in ("P", "E")}
    conn = (sg.get_sparse_pre_inds(), sg.get_sparse_post_inds())
    return spikes, (np.array(st_t), np.array(v), np.array(u)), (np.array(w_t), np.array(w)), conn


def test_round_trip(recorded, tmp_path):
    d, r = recorded
    spikes, (st_t, v, u), (w_t, w), (pre, post) = _reference(tmp_path, DURATION)
    assert r.complete and r.dt == 1.0 and r.duration == DURATION
    a = r.attrs
    assert a["seed"] == SEED and a["seed_used"] == SEED and a["engine"] == "genn_neuromod"
    assert a["backend"] == "single_threaded_cpu" and a["metadata"] == {"who": "test"}
    rev = a["genn_neuromod_revision"]  # the commit of a git checkout, None for an installed wheel
    assert rev is None or re.fullmatch(r"[0-9a-f]{40}(-dirty)?", rev)
    assert a["model"]["populations"]["E"] == {"num_neurons": 100, "model": "Izhikevich",
                                              "params": {"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0}}
    sg = a["model"]["synapse_groups"]["PE"]
    assert (sg["source"], sg["target"], sg["matrix_type"], sg["weight_update_model"]) == ("P", "E", "SPARSE", "STDP")
    for pop in ("P", "E"):
        times, ids = r.spikes(pop)
        assert times.dtype == np.float64 and ids.dtype == np.int32 and len(times) > 100
        np.testing.assert_array_equal(times, spikes[pop][0])
        np.testing.assert_array_equal(ids, spikes[pop][1])
    np.testing.assert_array_equal(r.chunk_index("P")[:, :2], [[0, 399], [400, 799], [800, 999]])
    times, values = r.state("E", "V")
    np.testing.assert_array_equal(times, st_t)
    np.testing.assert_array_equal(values, v)
    np.testing.assert_array_equal(r.state("E", "U")[1], u)
    times, values = r.weights("PE", "g")
    np.testing.assert_array_equal(times, [0, 300, 600, 900, 1000])
    np.testing.assert_array_equal(times, w_t)
    np.testing.assert_array_equal(values, w)
    assert not np.array_equal(values[0], values[-1])  # STDP changed the weights
    np.testing.assert_array_equal(r.connectivity("PE")[0], pre)
    np.testing.assert_array_equal(r.connectivity("PE")[1], post)


def test_windowed_reads(recorded):
    _, r = recorded
    all_t, all_i = r.spikes("P")
    for t0, t1 in [(0, 1000), (123, 456), (400, 800), (399, 401), (950, 5000), (-5, 10), (500, 500), (2000, 3000)]:
        t, i = r.spikes("P", t0, t1)
        keep = (all_t >= t0) & (all_t < t1)
        np.testing.assert_array_equal(t, all_t[keep])
        np.testing.assert_array_equal(i, all_i[keep])
        tl, il = r.spikes("P", t0, t1, lazy=True)
        np.testing.assert_array_equal(tl.compute(), all_t[keep])
        np.testing.assert_array_equal(il.compute(), all_i[keep])
    st, sv = r.state("E", "V")
    t, v = r.state("E", "V", 100, 200)
    keep = (st >= 100) & (st < 200)
    np.testing.assert_array_equal(t, st[keep])
    np.testing.assert_array_equal(v, sv[keep])


def test_dask_and_numpy_agree(recorded):
    d, r = recorded
    lazy = open_store(d / "run.zarr", memory_limit=0)  # every read exceeds the limit: dask
    for pop in ("P", "E"):
        n = r.num_neurons(pop)
        t, i = r.spikes(pop)
        tl, il = lazy.spikes(pop)
        assert isinstance(tl, da.Array) and isinstance(il, da.Array)
        np.testing.assert_array_equal(tl.compute(), t)
        tl, il = tl.rechunk(97), il.rechunk(97)  # many blocks: exercises the block merges
        for f, args in [(spike_counts, (n, 0, 1000)), (firing_rates, (n, 100, 900)), (isi_cv, (n,)),
                        (fano_factor, (n, 0, 1000, 50.0)), (synchrony, (n, 0, 1000, 5.0))]:
            np.testing.assert_allclose(f(tl, il, *args), f(t, i, *args), rtol=1e-10, equal_nan=True)
        np.testing.assert_array_equal(population_rate(tl, n, 0, 1000, 10)[1], population_rate(t, n, 0, 1000, 10)[1])
    _, v = r.state("E", "V")
    _, vl = lazy.state("E", "V")
    assert isinstance(vl, da.Array)
    assert synchrony_traces(vl) == pytest.approx(synchrony_traces(v), rel=1e-5)
    _, w = r.weights("PE", "g")
    _, wl = lazy.weights("PE", "g")
    tr, trl = weight_trajectories(w), weight_trajectories(wl)
    for k in ("mean", "std", "min", "max", "percentiles"):
        np.testing.assert_allclose(trl[k], tr[k], rtol=1e-12)
    for snap in (0, -1):
        c, e = weight_distribution(w, bins=20, snapshot=snap)
        cl, el = weight_distribution(wl, bins=20, snapshot=snap)
        np.testing.assert_array_equal(cl, c)
        np.testing.assert_allclose(el, e)


@pytest.mark.parametrize("chunks", [None, 7])
def test_analysis_hand_examples(chunks):
    def arr(x):  # with dask: blocks of 7 elements, or about 13 blocks for long arrays
        x = np.asarray(x)
        return x if chunks is None else da.from_array(x, chunks=max(chunks, x.size // 13))

    # a regular train of neuron 0 every 10 ms, neuron 1 silent: rate 100 Hz, CV 0
    t = np.arange(5.0, 1000.0, 10.0)
    i = np.zeros(t.size, dtype=np.int32)
    np.testing.assert_allclose(firing_rates(arr(t), arr(i), 2, 0, 1000), [100.0, 0.0])
    cv = isi_cv(arr(t), arr(i), 2)
    assert cv[0] == pytest.approx(0.0, abs=1e-9) and np.isnan(cv[1])
    # identical counts in every bin: Fano 0; identical trains in every neuron: synchrony chi 1
    t3 = np.sort(np.concatenate([np.arange(b, 1000, 100.0) for b in (10.0, 40.0, 70.0)]))
    tt = np.repeat(t3, 4)
    ii = np.tile(np.arange(4, dtype=np.int32), t3.size)
    np.testing.assert_allclose(fano_factor(arr(tt), arr(ii), 4, 0, 1000, 100.0), 0.0, atol=1e-12)
    assert synchrony(arr(tt), arr(ii), 4, 0, 1000, 10.0) == pytest.approx(1.0)
    # population rate by hand: 2 neurons, spikes at 0.5, 1.5, 1.7 ms, 1 ms bins; a spike on a bin edge (0.3 / 0.1)
    centres, rate = population_rate(arr([0.5, 1.5, 1.7]), 2, 0, 2, 1.0)
    np.testing.assert_allclose(centres, [0.5, 1.5])
    np.testing.assert_allclose(rate, [500.0, 1000.0])
    assert population_rate(arr([0.1 * 3]), 1, 0, 1.0, 0.1)[1].argmax() == 3
    # Poisson trains: ISI CV ~ 1, Fano ~ 1, weak synchrony
    rng = np.random.default_rng(1)
    n, rate_hz, dur = 100, 50.0, 20_000.0
    isis = rng.exponential(1000.0 / rate_hz, size=(n, int(2 * dur * rate_hz / 1000)))
    st = np.cumsum(isis, axis=1)
    ids = np.broadcast_to(np.arange(n)[:, None], st.shape)
    keep = st < dur
    order = np.argsort(st[keep], kind="stable")
    pt, pi = st[keep][order], ids[keep][order].astype(np.int32)
    assert np.nanmean(isi_cv(arr(pt), arr(pi), n)) == pytest.approx(1.0, abs=0.03)
    assert np.nanmean(fano_factor(arr(pt), arr(pi), n, 0, dur, 100.0)) == pytest.approx(1.0, abs=0.05)
    assert synchrony(arr(pt), arr(pi), n, 0, dur, 5.0) < 0.2
    # weights by hand
    w = np.array([[1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 2.0, 2.0]])
    tr = weight_trajectories(arr(w) if chunks is None else da.from_array(w, chunks=(1, 3)), (0, 50, 100))
    np.testing.assert_allclose(tr["mean"], [2.5, 2.0])
    np.testing.assert_allclose(tr["percentiles"], [[1.0, 2.0], [2.5, 2.0], [4.0, 2.0]])
    counts, edges = weight_distribution(w if chunks is None else da.from_array(w, chunks=(1, 3)), bins=4,
                                        snapshot=0, range=(0.5, 4.5))
    np.testing.assert_array_equal(counts, [1, 1, 1, 1])


def test_loaded_model_and_repeated_runs(tmp_path):
    m = build_model(tmp_path)
    m.load(num_recording_timesteps=300)
    m.step_time_n(50)  # the recorder starts wherever the model is
    with pytest.raises(ValueError, match="recording buffer"):
        Recorder(m, tmp_path / "big.zarr", spikes=["P"], chunk_steps=301).run(10)
    rec = Recorder(m, tmp_path / "run.zarr", spikes=["P"], state={"E": ["V"]}, state_every=40,
                   weights={"PE": ["g"]}, chunk_steps=300)
    rec.run(400)
    rec.run(200)
    rec.close()
    r = open_store(tmp_path / "run.zarr")
    assert r.complete and r.t_start == 50 and r.duration == 600 and r.t_stop == 650
    np.testing.assert_array_equal(r.chunk_index("P")[:, :2], [[50, 349], [350, 449], [450, 649]])
    np.testing.assert_array_equal(r.state("E", "V")[0], np.arange(90, 651, 40))
    np.testing.assert_array_equal(r.weights("PE", "g")[0], [50, 450, 650])  # start and end of each run
    ref = build_model(tmp_path / "ref")
    ref.load(num_recording_timesteps=650)
    ref.step_time_n(650)
    t, i = ref.neuron_populations["P"].spike_recording_data[0]
    np.testing.assert_array_equal(r.spikes("P")[0], t[t >= 50])
    np.testing.assert_array_equal(r.spikes("P")[1], i[t >= 50])


def test_plots(recorded, tmp_path):
    _, r = recorded
    paths = [plot_raster(r, "E", tmp_path / "raster.png"), plot_population_rates(r, tmp_path / "rates.png"),
             plot_weight_histogram(r, "PE", tmp_path / "whist.png"),
             plot_weight_trajectories(r, "PE", tmp_path / "wtraj.png")]
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5000


def test_errors(recorded, tmp_path):
    d, _ = recorded
    with pytest.raises(FileNotFoundError, match="nope.zarr"):
        open_store(tmp_path / "nope.zarr")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="not a genn_neuromod recording"):
        open_store(tmp_path / "empty")
    zarr.open_group(str(tmp_path / "other.zarr"), mode="w").attrs["x"] = 1
    with pytest.raises(ValueError, match="not a genn_neuromod recording"):
        open_store(tmp_path / "other.zarr")
    m = build_model(tmp_path)
    m.neuron_populations["P"].spike_recording_enabled = False  # as if it had been built without recording
    with pytest.raises(ValueError, match="spike recording is not enabled"):
        Recorder(m, tmp_path / "x.zarr", spikes=["P"])
    fresh = pygenn.GeNNModel("float", "rec_unbuilt")
    fresh.add_neuron_population("P", 10, "Poisson", {"rate": 10.0}, {"timeStepToSpike": 0.0})
    Recorder(fresh, tmp_path / "z.zarr", spikes="P")  # before build(): the recorder enables spike recording
    assert fresh.neuron_populations["P"].spike_recording_enabled
    with pytest.raises(FileExistsError):
        Recorder(m, d / "run.zarr")
    with pytest.raises(KeyError, match="no neuron population 'Q'"):
        Recorder(m, tmp_path / "y.zarr", spikes=["Q"])
    proc = pygenn.GeNNModel("float", "rec_procedural")
    src = proc.add_neuron_population("P", 10, "Poisson", {"rate": 10.0}, {"timeStepToSpike": 0.0})
    proc.add_synapse_population("S", "PROCEDURAL", src, src,
                                pygenn.init_weight_update("StaticPulse", {}, {"g": 1.0}),
                                pygenn.init_postsynaptic("DeltaCurr"),
                                pygenn.init_sparse_connectivity("FixedProbability", {"prob": 0.5}))
    with pytest.raises(ValueError, match="'S' has a PROCEDURAL matrix, which does not store its weights"):
        Recorder(proc, tmp_path / "w.zarr", weights={"S": ["g"]})
    assert not (tmp_path / "w.zarr").exists()


# -- subprocess runs: bounded memory, SIGKILL ---------------------------------------------------
CHILD = textwrap.dedent("""
    import resource, sys, time
    sys.path.insert(0, {here!r})
    from test_recording import build_model
    from genn_neuromod.recording import Recorder

    class Slow(Recorder):
        def _flush(self, *args):
            time.sleep({sleep})
            super()._flush(*args)

    m = build_model({build!r}, n_poisson={n_poisson}, n_izh={n_izh}, rate={rate})
    rec = Slow(m, {store!r}, spikes=["P"], state={state!r}, state_every={every},
               chunk_steps={chunk})
    m.load(num_recording_timesteps=rec.chunk_steps)
    rec.run({duration})
    rec.close()
    print("MAXRSS_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
""")


def _child(tmp_path: Path, name: str, **kw) -> list[str]:
    args = {"here": str(HERE), "build": str(tmp_path), "store": str(tmp_path / name), "sleep": 0.0, "n_izh": 100,
            "n_poisson": 200, "rate": 20.0, "every": 10, "chunk": 1000, "state": {"P": ["timeStepToSpike"]}, **kw}
    return [sys.executable, "-c", CHILD.format(**args)]


def test_memory_does_not_grow_with_run_length(tmp_path):
    build_model(tmp_path)  # compile (if not cached) outside the measured runs
    rss = {}
    state = {"P": ["timeStepToSpike"], "E": ["V", "U"]}  # every step: 1.6 kB per simulated ms
    for name, duration in (("short", 2_000), ("long", 20_000)):
        out = subprocess.run(_child(tmp_path, f"{name}.zarr", duration=duration, state=state, every=1),
                             capture_output=True, text=True, timeout=120, check=True).stdout
        rss[name] = int(out.split("MAXRSS_KB")[1].split()[0])
    r = open_store(tmp_path / "long.zarr")
    n_spikes = r.chunk_index("P")[-1, 3]
    n_state = sum(r.state(p, v, lazy=True)[1].nbytes for p, vs in state.items() for v in vs)
    data_mb = (n_spikes * 12 + n_state) / 2**20
    print(f"\npeak RSS: 2 s run {rss['short']} kB, 20 s run {rss['long']} kB "
          f"(the 20 s run recorded {n_spikes} spikes and {data_mb:.1f} MB of data, uncompressed)")
    assert r.complete and r.duration == 20_000 and data_mb > 15
    assert rss["long"] <= rss["short"] + 4 * 1024


def test_killed_run_leaves_readable_store(tmp_path):
    build_model(tmp_path)
    store = tmp_path / "killed.zarr"
    chunk = 200
    proc = subprocess.Popen(_child(tmp_path, "killed.zarr", chunk=chunk, sleep=0.02, duration=10**7),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if zarr.open_group(str(store), mode="r")["spikes/P/chunk_index"].shape[0] >= 2:
                    break
            except (KeyError, FileNotFoundError, ValueError):
                pass
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.02)
        time.sleep(0.013)  # land somewhere inside a later chunk
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    r = open_store(store)
    assert not r.complete
    ci = r.chunk_index("P")
    n = len(ci)
    assert n >= 2
    np.testing.assert_array_equal(ci[:, 0], np.arange(n) * chunk)
    np.testing.assert_array_equal(ci[:, 1], np.arange(n) * chunk + chunk - 1)
    np.testing.assert_array_equal(ci[1:, 2], ci[:-1, 3])
    raw_t = zarr.open_group(str(store), mode="r")["spikes/P/times"]
    for first, last, a, b in ci:  # every indexed chunk holds exactly its own steps' spikes
        t = raw_t[a:b]
        assert np.all((t >= first) & (t <= last)) and np.all(np.diff(t) >= 0)
    assert r.duration == n * chunk
    # the flushed chunks hold what an uninterrupted run of the same model produces
    st, sv = r.state("P", "timeStepToSpike")
    assert n * chunk // 10 <= len(st) <= (n + 1) * chunk // 10  # state is written before the chunk index
    np.testing.assert_array_equal(st, 10.0 * np.arange(1, len(st) + 1))
    m = build_model(tmp_path / "ref")
    m.load(num_recording_timesteps=(n + 2) * chunk)
    ref_v = []
    for _ in range(len(st)):
        m.step_time_n(10)
        ref_v.append(m.neuron_populations["P"].vars["timeStepToSpike"].view.copy())
    m.step_time_n(max(0, n * chunk - m.timestep))
    np.testing.assert_array_equal(sv, ref_v)
    m.pull_recording_buffers_from_device()
    times, ids = r.spikes("P")
    ref_t, ref_i = m.neuron_populations["P"].spike_recording_data[0]
    keep = ref_t < n * chunk
    np.testing.assert_array_equal(times, ref_t[keep])
    np.testing.assert_array_equal(ids, ref_i[keep])
    print(f"\nkilled after {n} indexed chunks ({len(times)} spikes, {len(st)} state samples); store opens with "
          f"complete={r.complete}")
