"""Benchmark networks written once against the PyGeNN 5 API.

Run with ``--engine genn_neuromod`` (the embedded CPU engine) or ``--engine pygenn``
(real GeNN): only the import differs.  Prints one JSON line with build time,
run time, spike count and peak memory.  The definitions match
``_brian2_networks.py`` (the Brian2 side of ``bench_cpu.py``):

* ``coba``: Vogels & Abbott (2005) / Brette et al. (2007) COBA benchmark: 4000
  LIF neurons (3200 E, 800 I), conductances in units of the leak, forward Euler
  at dt = 0.1 ms, p = 0.02, we = 0.6, wi = 6.7, refractory 5 ms, Gaussian
  initial state, no external input.
* ``izhikevich``: Izhikevich (2007) network: 800 RS + 200 FS neurons,
  100 distinct targets per neuron (E -> all, I -> E), delays of 1 ms, thalamic
  input 13*(rand-0.5) per ms, STDP traces decaying x0.95/ms (A+ 0.1, A- 0.15),
  eligibility x0.99/ms and w += (0.002 + DA)*elig clipped to [0, 4] every ms
  (DA is a host-set dynamic parameter, 0 here, as on the Brian2 side).
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import sys
import time

import numpy as np

IZH_TARGETS = 100


THREADS = 1


def _model(pg, name: str):
    """Every engine at its optimised flags: GeNN's and ours ``optimize_code`` (-O3 -ffast-math, as Brian2's)."""
    extra = {"optimize_code": True}
    if pg.__name__ == "genn_neuromod":
        extra["num_threads"] = THREADS
    return pg.GeNNModel("float", name, backend="single_threaded_cpu", **extra)


def _coba(pg, seed: int):
    model = _model(pg, "coba_bench")
    model.dt = 0.1
    model.seed = seed
    lif = pg.create_neuron_model(
        "coba_lif",
        params=["taum", "taue", "taui", "El", "Vt", "Vr", "Ee", "Ei", "tref"],
        vars=[("V", "scalar"), ("ge", "scalar"), ("gi", "scalar"), ("RefracTime", "scalar")],
        additional_input_vars=[("Ie", "scalar", 0.0), ("Ii", "scalar", 0.0)],
        sim_code="""
        ge += Ie;
        gi += Ii;
        if (RefracTime <= 0.0) {
            V += dt * (ge * (Ee - V) + gi * (Ei - V) - (V - El)) / taum;
        }
        else {
            RefracTime -= dt;
        }
        ge += dt * (-ge / taue);
        gi += dt * (-gi / taui);
        """,
        threshold_condition_code="RefracTime <= 0.0 && V > Vt",
        reset_code="V = Vr;\nRefracTime = tref;")
    params = {"taum": 20.0, "taue": 5.0, "taui": 10.0, "El": -60.0, "Vt": -50.0, "Vr": -60.0, "Ee": 0.0,
              "Ei": -80.0, "tref": 5.0}
    ini = {"V": pg.init_var("Normal", {"mean": -65.0, "sd": 5.0}),
           "ge": pg.init_var("Normal", {"mean": 4.0, "sd": 1.5}),
           "gi": pg.init_var("Normal", {"mean": 20.0, "sd": 12.0}), "RefracTime": 0.0}
    exc = model.add_neuron_population("E", 3200, lif, params, ini)
    inh = model.add_neuron_population("I", 800, lif, params, dict(ini))
    pops = [exc, inh]
    conn = pg.init_sparse_connectivity("FixedProbability", {"prob": 0.02})
    for src, w, target in ((exc, 0.6, "Ie"), (inh, 6.7, "Ii")):
        for trg in pops:
            sg = model.add_synapse_population(
                f"{src.name}{trg.name}", "SPARSE", src, trg,
                pg.init_weight_update("StaticPulseConstantWeight", {"g": w}),
                pg.init_postsynaptic("DeltaCurr"), conn)
            sg.post_target_var = target
    return model, pops


def _izhikevich_targets(rng, n_src: int, n_trg: int, offset: int, exclude_self: bool):
    pre = np.repeat(np.arange(n_src), IZH_TARGETS)
    post = np.empty_like(pre)
    for k in range(n_src):
        self_idx = k + offset
        if exclude_self and self_idx < n_trg:
            choice = rng.choice(n_trg - 1, size=IZH_TARGETS, replace=False)
            choice[choice >= self_idx] += 1
        else:
            choice = rng.choice(n_trg, size=IZH_TARGETS, replace=False)
        post[k * IZH_TARGETS:(k + 1) * IZH_TARGETS] = choice
    return pre, post


def _izhikevich(pg, seed: int):
    model = _model(pg, "izhikevich_bench")
    model.dt = 1.0
    model.seed = seed
    n_exc, n_inh = 800, 200
    a = np.r_[np.full(n_exc, 0.02), np.full(n_inh, 0.1)]
    d = np.r_[np.full(n_exc, 8.0), np.full(n_inh, 2.0)]
    pop = model.add_neuron_population(
        "N", n_exc + n_inh, "IzhikevichVariable", {},
        {"V": -65.0, "U": -13.0, "a": a, "b": 0.2, "c": -65.0, "d": d})
    thalamic = pg.create_current_source_model(
        "thalamic", injection_code="injectCurrent(13.0 * (gennrand_uniform() - 0.5));")
    model.add_current_source("thalamus", thalamic, pop)
    da_stdp = pg.create_weight_update_model(
        "da_stdp", params=["Aplus", "Aminus", "Wmax", "bias", "DA"],
        vars=[("g", "scalar"), ("elig", "scalar")], pre_vars=[("apre", "scalar")], post_vars=[("apost", "scalar")],
        pre_spike_syn_code="addToPost(g);\nelig -= Aminus * apost;",
        post_spike_syn_code="elig += Aplus * apre;",
        pre_spike_code="apre = 1.0;", pre_dynamics_code="apre *= 0.95;",
        post_spike_code="apost = 1.0;", post_dynamics_code="apost *= 0.95;",
        synapse_dynamics_code="g = fmin(Wmax, fmax(0.0, g + (bias + DA) * elig));\nelig *= 0.99;")
    rng = np.random.default_rng(seed)
    pre, post = _izhikevich_targets(rng, n_exc, n_exc + n_inh, 0, True)
    ee = model.add_synapse_population(
        "Exc", "SPARSE", pop, pop,
        pg.init_weight_update(da_stdp, {"Aplus": 0.1, "Aminus": 0.15, "Wmax": 4.0, "bias": 0.002, "DA": 0.0},
                              {"g": 1.0, "elig": 0.0}, {"apre": 0.0}, {"apost": 0.0}),
        pg.init_postsynaptic("DeltaCurr"))
    ee.set_wu_param_dynamic("DA")
    # one population; excitatory rows are neurons 0..799, inhibitory 800..999
    ee.set_sparse_connections(pre, post)
    pre_i, post_i = _izhikevich_targets(rng, n_inh, n_exc, n_exc, False)
    inh = model.add_synapse_population(
        "Inh", "SPARSE", pop, pop, pg.init_weight_update("StaticPulse", {}, {"g": -1.0}),
        pg.init_postsynaptic("DeltaCurr"))
    inh.set_sparse_connections(pre_i + n_exc, post_i)
    return model, [pop]


NETWORKS = {"coba": (_coba, 0.1), "izhikevich": (_izhikevich, 1.0)}


def step_counting_spikes(model, pops, steps: int, chunk: int, dt: float) -> int:
    """Run ``steps`` in chunks of ``chunk`` (the recording length), counting the spikes of ``pops`` (PyGeNN
    without ``step_time_n`` steps one at a time)."""
    spikes, done = 0, 0
    while done < steps:
        n = min(chunk, steps - done)
        if hasattr(model, "step_time_n"):
            model.step_time_n(n)
        else:
            for _ in range(n):
                model.step_time()
        done += n
        model.pull_recording_buffers_from_device()
        for p in pops:  # the buffer holds the last `chunk` steps: count only this chunk's
            times = p.spike_recording_data[0][0]
            spikes += int(np.sum(times >= (done - n) * dt - 1e-9))
    return spikes


def run(engine: str, network: str, duration_s: float, seed: int, workdir: str) -> dict:
    pg = importlib.import_module(engine)
    build_net, dt = NETWORKS[network]
    t0 = time.perf_counter()
    model, pops = build_net(pg, seed)
    for p in pops:
        p.spike_recording_enabled = True
    model.build(workdir)
    t_build = time.perf_counter() - t0
    steps = int(round(duration_s * 1000.0 / dt))
    chunk = 1000
    t1 = time.perf_counter()
    model.load(num_recording_timesteps=chunk)
    t_load = time.perf_counter() - t1
    t2 = time.perf_counter()
    spikes = step_counting_spikes(model, pops, steps, chunk, dt)
    t_run = time.perf_counter() - t2
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {"network": network, "engine": engine, "build_s": t_build, "load_s": t_load, "run_s": t_run,
            "sim_s": duration_s, "spikes": spikes, "peak_rss_mb": rss,
            "thread_steps": list(getattr(model, "thread_steps", ())), "threads": _threads(pg),
            "version": getattr(pg, "__version__", "?")}


def _threads(pg) -> int:
    """The thread count an engine ran with (this package: THREADS; GeNN's CPU backend: one)."""
    return THREADS if pg.__name__ == "genn_neuromod" else 1


def _rss_mb() -> float:
    """Resident memory now (Linux), in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def run_microcircuit(engine: str, scale: float, matrix: str, duration_s: float, seed: int, workdir: str) -> dict:
    """The Potjans-Diesmann microcircuit (``_microcircuit.py``): build, load and run time, peak memory and the
    memory growth per synapse (peak RSS minus the RSS before the model was built, over the synapse count)."""
    from _microcircuit import DT_MS, build_microcircuit

    pg = importlib.import_module(engine)
    prefs = {"optimize_code": True}
    if engine == "genn_neuromod":
        prefs["num_threads"] = THREADS
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    model, neurons, synapses = build_microcircuit(pg, scale, "single_threaded_cpu", seed, matrix, **prefs)
    model.build(workdir)
    t_build = time.perf_counter() - t0
    steps = int(round(duration_s * 1000.0 / DT_MS))
    chunk = 1000
    t1 = time.perf_counter()
    model.load(num_recording_timesteps=chunk)
    t_load = time.perf_counter() - t1
    t2 = time.perf_counter()
    spikes = step_counting_spikes(model, list(model.neuron_populations.values()), steps, chunk, DT_MS)
    t_run = time.perf_counter() - t2
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {"network": f"microcircuit {scale:g} {matrix}", "engine": engine, "build_s": t_build, "load_s": t_load,
            "run_s": t_run, "sim_s": duration_s, "spikes": spikes, "peak_rss_mb": peak, "neurons": neurons,
            "synapses": synapses, "bytes_per_synapse": (peak - rss0) * 2**20 / max(synapses, 1),
            "thread_steps": list(getattr(model, "thread_steps", ())), "threads": _threads(pg),
            "version": getattr(pg, "__version__", "?")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", default="genn_neuromod", choices=["genn_neuromod", "pygenn"])
    ap.add_argument("--network", required=True, choices=sorted(NETWORKS) + ["microcircuit"])
    ap.add_argument("--scale", type=float, default=1.0, help="microcircuit: fraction of its neurons")
    ap.add_argument("--matrix", default="SPARSE", choices=["SPARSE", "PROCEDURAL"], help="microcircuit: synapses")
    ap.add_argument("--duration", type=float, required=True, help="simulated seconds")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", default=".")
    ap.add_argument("--threads", type=int, default=1, help="OpenMP threads (genn_neuromod only; 0 = all cores)")
    args = ap.parse_args(argv)
    global THREADS
    THREADS = args.threads
    if args.network == "microcircuit":
        result = run_microcircuit(args.engine, args.scale, args.matrix, args.duration, args.seed, args.workdir)
    else:
        result = run(args.engine, args.network, args.duration, args.seed, args.workdir)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
