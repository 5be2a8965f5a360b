"""Brian2 reference implementations of the benchmark networks.

This module runs *inside a separate virtual environment that has Brian2*
(Brian2 2.9 needs ``numpy<2.3``), e.g.::

    /opt/brian2-venv/bin/python scripts/_brian2_networks.py \\
        --network coba --device cpp_standalone --duration 1 --seed 1 --workdir /tmp/b2

It builds one network, runs it, and prints exactly one line of JSON to stdout::

    {"network", "device", "build_s", "run_s", "sim_s", "spikes", "peak_rss_mb",
     "brian2_version", ...extra diagnostic keys}

Everything else (Brian2 log messages, make/compiler output, the output of the
standalone binary) goes to stderr or to files, so stdout stays parseable.

Timing
------
``build_s``
    Wall time from the start of network construction until the simulation is
    ready to run.

    * ``cpp_standalone``: construction, ``Network.run`` (which only records the
      run and generates code, because ``build_on_run=False``), then
      ``device.build(compile=True, run=False)`` (writes the C++ project and runs
      ``make``).  Note that in standalone mode the synapse creation
      (``connect``) happens inside the binary, i.e. it is part of ``run_s``.
    * ``cython``: construction (in runtime mode ``connect`` itself is compiled
      Cython code) plus a one-timestep warm-up run that code-generates and
      compiles every remaining code object.  The Cython cache lives in
      ``<workdir>/cython_cache``, so it is a cold compile when ``workdir`` is
      fresh and a warm (cached) one when it is reused.
``run_s``
    Wall time of the main run: ``device.run()`` (starting the compiled binary,
    including its synapse creation and result writing) for standalone,
    ``Network.run(duration)`` for Cython (includes Brian2's per-run
    ``before_run`` code-object preparation, which hits the in-memory cache).
``run_loop_s`` (extra)
    Brian2's own measurement of the pure time-stepping loop.

``peak_rss_mb`` is ``ru_maxrss`` of this Python process; for standalone the
peak RSS of the simulation binary is *added* (both processes are alive while it
runs).  The binary's RSS is taken from ``os.wait4`` on that one child, because
``RUSAGE_CHILDREN`` would also include the compiler processes run by ``make``.

Cython runtime code is serial; the standalone device runs with ``--threads N``
as ``openmp_threads = N`` (its OpenMP code), and with the default ``--threads 0``
without OpenMP (single-threaded).  ``make`` itself runs
one job per core (``-j N``; Brian2's default, an unbounded ``-j``, starts a
compiler for every code object at once, and the microcircuit's hundred of
them ran a 24 GB machine out of memory).
Brian2's default GCC flags are used: ``-w -O3 -ffast-math -fno-finite-math-only
-march=native -std=c++11``.

Networks
--------
``coba`` -- Brette et al. (2007) benchmark 1, the conductance-based (COBA)
    version of the Vogels & Abbott (2005) balanced network, as in Brian's own
    example ``examples/misc/COBA.py`` (R. Brette, 2007; brian-team/brian).
    4000 leaky integrate-and-fire neurons (3200 excitatory, 800 inhibitory)::

        dv/dt  = (ge*(Ee - v) + gi*(Ei - v) - (v - El)) / taum   (unless refractory)
        dge/dt = -ge / taue
        dgi/dt = -gi / taui

    taum = 20 ms, taue = 5 ms, taui = 10 ms, El = Vr = -60 mV, Vt = -50 mV,
    Ee = 0 mV, Ei = -80 mV, refractory 5 ms; conductances are dimensionless
    (in units of the leak conductance); we = 6/10 = 0.6, wi = 67/10 = 6.7;
    random connectivity with p = 0.02 (``connect(p=0.02)``), no delays, forward
    Euler with dt = 0.1 ms, no external input (self-sustained activity).
    Initial state exactly as in the example: v = El + (5*randn() - 5) mV
    (Gaussian, mean -65 mV), ge = 1.5*randn() + 4, gi = 12*randn() + 20.
    The example writes v relative to rest (Ee = +60 mV, Ei = -20 mV, threshold
    10 mV, reset 0 mV); here the same model is written in absolute voltages.

``izhikevich`` -- the network of Izhikevich (2007), "Solving the distal reward
    problem through linkage of STDP and dopamine signaling", Cereb. Cortex
    17:2443 (network/STDP part identical to the polychronization network of
    Izhikevich 2006, spnet).  1000 neurons, dt = 1 ms:

    * 800 excitatory regular-spiking (a=0.02, b=0.2, c=-65, d=8) and 200
      inhibitory fast-spiking (a=0.1, b=0.2, c=-65, d=2) neurons, v0 = -65,
      u0 = b*v0.
    * Every ms: I = 13*(rand() - 0.5) thalamic input per neuron, plus synaptic
      input; spike if v >= 30 -> v = c, u += d; then
      ``v += 0.5*(0.04v^2 + 5v + 140 - u + I)`` twice (two 0.5 ms half steps
      with u fixed) and ``u += a*(b*v - u)``.
    * Each neuron has 100 distinct random postsynaptic targets (no autapses):
      excitatory -> any neuron, initial weight 1.0 (plastic, range [0, 4]);
      inhibitory -> excitatory only, weight -1.0 (fixed).
    * D = 1 ms: a spike detected at step t adds its weight to I used in the
      integration from t to t+1.  In Brian2 (with the schedule used here:
      thresholds -> synapses -> resets -> integration at ``end``) that is a
      synaptic ``delay`` of 0.
    * STDP (excitatory synapses only): nearest-spike traces decaying by 0.95
      per ms (tau = -1 ms / ln 0.95 = 19.5 ms), A+ = 0.1, A- = 0.15.  A post
      spike adds A+ * (pre trace) to the eligibility trace ``elig``; an
      arriving pre spike subtracts A- * (post trace).  The post pathway runs
      before the pre pathway and the pre trace is set to 1/0.95, which
      reproduces Izhikevich's bookkeeping exactly (simultaneous spikes are
      pure depression; LTP at dt = k ms is A+ * 0.95^(k-1)).
    * Dopamine modulation, simplified to a per-ms update as the benchmark
      spec requires: every ms, DA *= 0.995, then
      ``w = clip(w + (0.002 + DA)*elig, 0, 4)`` and ``elig *= 0.99``.
      (Izhikevich applies the weight update and the 0.99 eligibility decay
      every 10 ms instead.)  No reward is delivered, so DA stays 0.

``microcircuit`` -- the Potjans & Diesmann (2014) cortical microcircuit with the
    parameters of ``_microcircuit.py`` (the GeNN side's definition) at
    ``--scale`` x its 77,169 neurons, full in-degrees: LIF neurons (C 250 pF,
    tau_m 10 ms, rest and reset -65 mV, threshold -50 mV, refractory 2 ms,
    initial V ~ N(-58, 5) mV), exponential synaptic currents (0.5 ms), normal
    weights and delays (clipped at 0 and at the GeNN side's maxima), Poisson
    background (``PoissonInput``, 8 Hz per external input), dt 0.1 ms, float32
    state as the GeNN side's ``"float"`` model, every spike recorded.  Each
    projection connects every pair with probability num / (N_pre N_post), which
    gives GeNN's FixedNumberTotalWithReplacement synapse count in expectation;
    where that exceeds 1 (scales below about 0.47 keep the full in-degrees with
    fewer cells) a connected pair gets ceil(num / (N_pre N_post)) synapses at the
    probability divided by that count.  Brian2 samples the pairs in the binary
    (skipping ahead geometrically), so build time does not grow with the synapse
    count.  At 0.05 scale this network fires about 1.3x as many spikes per ms
    after the first 100 ms as the GeNN side's (pairs drawn without replacement,
    delays clipped at 0 rather than redrawn, exact integration of the current).
    ``load_s`` is the binary's run time outside its time-stepping loop
    (synapse creation, start-up, writing results), ``run_s`` the loop itself.

Connectivity for ``izhikevich`` is drawn with ``numpy.random.default_rng(seed)``
so both devices use the same graph; everything else random uses Brian2's
``seed(seed)`` (so runs with the same seed on the same device are
reproducible, but the two devices have different random streams).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import brian2
import numpy as np
from brian2 import (
    Network,
    NeuronGroup,
    PoissonInput,
    SpikeMonitor,
    Synapses,
    defaultclock,
    device,
    ms,
    mV,
    nA,
    nF,
    prefs,
    second,
    seed,
    set_device,
)

NETWORKS = ("coba", "izhikevich", "microcircuit")
DEVICES = ("cpp_standalone", "cython")

# --- COBA (Brette et al. 2007, benchmark 1; Brian examples/misc/COBA.py) ---
COBA_N_EXC = 3200
COBA_N_INH = 800
COBA_DT = 0.1 * ms
COBA_PARAMS: dict[str, Any] = {
    "taum": 20 * ms,
    "taue": 5 * ms,
    "taui": 10 * ms,
    "El": -60 * mV,
    "Vt": -50 * mV,
    "Vr": -60 * mV,
    "Ee": 0 * mV,
    "Ei": -80 * mV,
    "we": 6.0 / 10.0,  # excitatory weight, units of leak conductance
    "wi": 67.0 / 10.0,  # inhibitory weight, units of leak conductance
}
COBA_P_CONNECT = 0.02
COBA_REFRACTORY = 5 * ms

# --- Izhikevich (2007) dopamine-modulated STDP network ---
IZH_N_EXC = 800
IZH_N_INH = 200
IZH_DT = 1 * ms
IZH_N_TARGETS = 100  # postsynaptic targets per neuron
IZH_PARAMS: dict[str, Any] = {
    "W_MAX": 4.0,
    "A_PLUS": 0.1,
    "A_MINUS": 0.15,
    "STDP_DECAY": 0.95,  # per-ms decay of the STDP traces
    "tau_stdp": -1 * ms / np.log(0.95),  # ~19.5 ms, same decay in continuous form
    "ELIG_DECAY": 0.99,  # per-ms decay of the eligibility trace
    "W_BIAS": 0.002,  # constant added to DA in the weight update
    "DA_DECAY": 0.995,  # per-ms decay of dopamine
}

# Runs the standalone binary as a grandchild and records its own peak RSS (kB)
# via wait4, so compiler processes spawned by `make` are not counted.
_RSS_WRAPPER = (
    "import os, sys\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.execv(sys.argv[2], sys.argv[2:])\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "with open(sys.argv[1], 'w') as f:\n"
    "    f.write(str(usage.ru_maxrss))\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


@contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Redirect file descriptor 1 to stderr (covers subprocesses such as make)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def build_coba() -> tuple[list[Any], SpikeMonitor, int]:
    """Create the COBA network; return (objects, spike monitor, neuron count)."""
    defaultclock.dt = COBA_DT
    n = COBA_N_EXC + COBA_N_INH
    eqs = """
    dv/dt = (ge*(Ee - v) + gi*(Ei - v) - (v - El)) / taum : volt (unless refractory)
    dge/dt = -ge / taue : 1
    dgi/dt = -gi / taui : 1
    """
    neurons = NeuronGroup(
        n,
        eqs,
        threshold="v > Vt",
        reset="v = Vr",
        refractory=COBA_REFRACTORY,
        method="euler",
        namespace=COBA_PARAMS,
        name="coba_neurons",
    )
    neurons.v = "El + (5*randn() - 5)*mV"
    neurons.ge = "1.5*randn() + 4"
    neurons.gi = "12*randn() + 20"

    exc = Synapses(
        neurons[:COBA_N_EXC], neurons, on_pre="ge_post += we", namespace=COBA_PARAMS, name="coba_exc"
    )
    inh = Synapses(
        neurons[COBA_N_EXC:], neurons, on_pre="gi_post += wi", namespace=COBA_PARAMS, name="coba_inh"
    )
    exc.connect(p=COBA_P_CONNECT)
    inh.connect(p=COBA_P_CONNECT)

    spikes = SpikeMonitor(neurons, record=False, name="coba_spikes")
    return [neurons, exc, inh, spikes], spikes, n


# the same wiring as the GeNN side (this script runs in Brian2's own environment, beside _genn_networks.py)
from _genn_networks import _izhikevich_targets  # noqa: E402


def build_izhikevich(graph_seed: int) -> tuple[list[Any], SpikeMonitor, int]:
    """Create the Izhikevich (2007) network; return (objects, spike monitor, neuron count)."""
    defaultclock.dt = IZH_DT
    n = IZH_N_EXC + IZH_N_INH
    eqs = """
    v : 1
    u : 1
    I : 1
    a : 1 (constant)
    b : 1 (constant)
    c : 1 (constant)
    d : 1 (constant)
    """
    neurons = NeuronGroup(n, eqs, threshold="v >= 30", reset="v = c\nu += d", name="izh_neurons")
    neurons.a[:IZH_N_EXC] = 0.02
    neurons.a[IZH_N_EXC:] = 0.1
    neurons.b = 0.2
    neurons.c = -65.0
    neurons.d[:IZH_N_EXC] = 8.0
    neurons.d[IZH_N_EXC:] = 2.0
    neurons.v = -65.0
    neurons.u = "b*v"

    # Schedule per 1 ms step: start (thalamic input) -> thresholds -> synapses
    # (adds to I, STDP) -> resets -> end (integration, then plasticity).
    neurons.run_regularly("I = 13*(rand() - 0.5)", when="start", name="izh_thalamic")
    neurons.run_regularly(
        """
        v += 0.5*(0.04*v**2 + 5*v + 140 - u + I)
        v += 0.5*(0.04*v**2 + 5*v + 140 - u + I)
        u += a*(b*v - u)
        """,
        when="end",
        order=0,
        name="izh_integrate",
    )

    rng = np.random.default_rng(graph_seed)
    exc = Synapses(
        neurons[:IZH_N_EXC],
        neurons,
        model="""
        w : 1
        elig : 1
        DA : 1 (shared)
        dapre/dt = -apre / tau_stdp : 1 (event-driven)
        dapost/dt = -apost / tau_stdp : 1 (event-driven)
        """,
        on_pre="""
        I_post += w
        elig -= A_MINUS * apost
        apre = 1.0 / STDP_DECAY
        """,
        on_post="""
        elig += A_PLUS * apre
        apost = 1.0
        """,
        namespace=IZH_PARAMS,
        name="izh_exc",
    )
    pre, post = _izhikevich_targets(rng, IZH_N_EXC, n, offset=0, exclude_self=True)
    exc.connect(i=pre, j=post)
    exc.w = 1.0
    # Post pathway (LTP, reads the old pre trace) before the pre pathway
    # (LTD, reads the post trace including a spike in this very step).
    exc.post.order = -2
    exc.pre.order = -1
    exc.run_regularly("DA *= DA_DECAY", when="end", order=1, name="izh_da_decay")
    exc.run_regularly(
        """
        w = clip(w + (W_BIAS + DA)*elig, 0, W_MAX)
        elig *= ELIG_DECAY
        """,
        when="end",
        order=2,
        name="izh_weight_update",
    )

    inh = Synapses(
        neurons[IZH_N_EXC:], neurons[:IZH_N_EXC], model="w : 1", on_pre="I_post += w", name="izh_inh"
    )
    pre, post = _izhikevich_targets(rng, IZH_N_INH, IZH_N_EXC, offset=IZH_N_EXC, exclude_self=False)
    inh.connect(i=pre, j=post)
    inh.w = -1.0

    spikes = SpikeMonitor(neurons, record=False, name="izh_spikes")
    return [neurons, exc, inh, spikes], spikes, n


def build_microcircuit(scale: float) -> tuple[list[Any], SpikeMonitor, int]:
    """Create the Potjans-Diesmann microcircuit at ``scale``; return (objects, spike monitor, neuron count)."""
    import _microcircuit as mc

    prefs.core.default_float_dtype = np.float32
    defaultclock.dt = mc.DT_MS * ms
    lif = mc.LIF_PARAMS
    namespace = {"C_m": lif["C"] * nF, "tau_m": lif["TauM"] * ms, "V_rest": lif["Vrest"] * mV,
                 "tau_syn": mc.TAU_SYN * ms}
    sizes = mc.population_sizes(scale)
    neurons = NeuronGroup(sum(sizes.values()), """
        dV/dt = -(V - V_rest) / tau_m + I / C_m : volt (unless refractory)
        dI/dt = -I / tau_syn : amp
        """, threshold=f"V >= {lif['Vthresh']}*mV", reset=f"V = {lif['Vreset']}*mV",
                          refractory=lif["TauRefrac"] * ms, method="exact", namespace=namespace, name="mc_neurons")
    neurons.V = "-58*mV + 5*mV*randn()"
    objects: list[Any] = [neurons]
    starts = dict(zip(mc.POPS, np.cumsum([0] + [sizes[p] for p in mc.POPS[:-1]]).tolist(), strict=True))
    pops = {name: neurons[starts[name]:starts[name] + sizes[name]] for name in mc.POPS}
    objects += [PoissonInput(pops[name], "I", mc.EXTERNAL_INPUTS[name], mc.BACKGROUND_HZ * brian2.Hz,
                             weight=mc.W_EXC * nA) for name in mc.POPS]
    # one Synapses object per source population (one per projection would be 8x the code objects to compile),
    # connected to each target population's slice of the neurons in turn
    counts = mc.projection_sizes(scale)
    for src in mc.POPS:
        syn = Synapses(pops[src], neurons, "w : amp (constant)", on_pre="I_post += w", name=f"mc_from_{src}")
        for trg in mc.POPS:
            num = counts[f"{src}_{trg}"]
            if num == 0:
                continue
            p = num / (sizes[src] * sizes[trg])
            per_pair = math.ceil(p)  # multapses where the in-degree exceeds the (scaled) source population
            lo, hi = starts[trg], starts[trg] + sizes[trg]
            syn.connect(j=f"k for k in sample({lo}, {hi}, p={p / per_pair!r})", n=per_pair)
        kind = src[-1]
        base = mc.mean_weight(src, "6E")
        # sd is 10 % of the mean, and 5 % of the doubled 4E -> 2/3E mean: 0.1 |base| for every excitatory projection
        mean = f"{base!r}*nA*(1 + int(j < {sizes['23E']}))" if src == "4E" else f"{base!r}*nA"
        bounds = "0*nA, 1e6*nA" if kind == "E" else "-1e6*nA, 0*nA"  # a sign bound (inf overflows float32 checks)
        syn.w = f"clip({mean} + {abs(base) * mc.W_REL_SD!r}*nA*randn(), {bounds})"
        syn.delay = (f"clip({mc.DELAY_MEAN[kind]!r}*ms + {mc.DELAY_SD[kind]!r}*ms*randn(), 0*ms, "
                     f"{mc.DELAY_MAX[kind]!r}*ms)")
        objects.append(syn)
    spikes = SpikeMonitor(neurons, name="mc_spikes")  # records every spike, as the GeNN side
    objects.append(spikes)
    return objects, spikes, len(neurons)


def _build(network: str, seed_value: int, scale: float = 1.0) -> tuple[list[Any], SpikeMonitor, int]:
    if network == "coba":
        return build_coba()
    if network == "microcircuit":
        return build_microcircuit(scale)
    return build_izhikevich(seed_value)


def _maxrss_mb(who: int) -> float:
    # Linux reports ru_maxrss in kilobytes.
    return resource.getrusage(who).ru_maxrss / 1024.0


def run_benchmark(network: str, device_name: str, duration_s: float, seed_value: int, workdir: Path,
                  threads: int = 0, scale: float = 1.0) -> dict:
    """Build and run one network on one Brian2 device; return the result record."""
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    duration = duration_s * second
    extra: dict[str, Any] = {}

    if device_name == "cpp_standalone":
        project_dir = workdir / f"{network}_standalone"
        set_device("cpp_standalone", directory=str(project_dir), build_on_run=False)
        prefs.devices.cpp_standalone.openmp_threads = threads
        prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{os.cpu_count() or 1}"]
        extra["openmp_threads"] = threads
        rss_file = project_dir / "binary_maxrss_kb.txt"
        wrapper = [sys.executable, "-c", _RSS_WRAPPER, str(rss_file), "./main"]
        prefs.devices.cpp_standalone.run_cmd_unix = wrapper
        seed(seed_value)

        t0 = time.perf_counter()
        objects, spikes, n_neurons = _build(network, seed_value, scale)
        net = Network(*objects)
        net.run(duration)  # only records the run; code is generated here
        device.build(directory=str(project_dir), compile=True, run=False)
        build_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        device.run(with_output=False)
        run_s = time.perf_counter() - t0

        n_spikes = int(spikes.num_spikes)
        binary_rss_mb = float(rss_file.read_text()) / 1024.0
        python_rss_mb = _maxrss_mb(resource.RUSAGE_SELF)
        extra["python_rss_mb"] = round(python_rss_mb, 1)
        extra["binary_rss_mb"] = round(binary_rss_mb, 1)
        peak_rss_mb = python_rss_mb + binary_rss_mb
    else:
        prefs.codegen.target = "cython"  # never fall back silently to numpy
        prefs.codegen.runtime.cython.cache_dir = str(workdir / "cython_cache")
        extra["cython_cache_dir"] = prefs.codegen.runtime.cython.cache_dir
        seed(seed_value)

        t0 = time.perf_counter()
        objects, spikes, n_neurons = _build(network, seed_value, scale)
        net = Network(*objects)
        net.run(defaultclock.dt)  # warm-up: generates and compiles all code objects
        build_s = time.perf_counter() - t0
        warmup_spikes = int(spikes.num_spikes)

        t0 = time.perf_counter()
        net.run(duration)
        run_s = time.perf_counter() - t0

        n_spikes = int(spikes.num_spikes) - warmup_spikes
        peak_rss_mb = _maxrss_mb(resource.RUSAGE_SELF)

    n_synapses = sum(len(obj) for obj in objects if isinstance(obj, Synapses))
    if network == "microcircuit":  # the columns of bench_cpu.py's microcircuit table
        loop_s = float(device._last_run_time)
        extra.update(network=f"microcircuit {scale:g} SPARSE", load_s=round(run_s - loop_s, 4),
                     bytes_per_synapse=extra.get("binary_rss_mb", peak_rss_mb) * 2**20 / max(n_synapses, 1),
                     scale=scale)
        run_s = loop_s
    return {
        "network": network,
        "device": device_name,
        "build_s": round(build_s, 4),
        "run_s": round(run_s, 4),
        "sim_s": float(duration_s),
        "spikes": n_spikes,
        "peak_rss_mb": round(peak_rss_mb, 1),
        "brian2_version": brian2.__version__,
        "run_loop_s": round(float(device._last_run_time), 4),
        "dt_ms": float(defaultclock.dt / ms),
        "n_neurons": n_neurons,
        "n_synapses": int(n_synapses),
        "seed": seed_value,
        **extra,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", choices=NETWORKS, required=True)
    parser.add_argument("--device", choices=DEVICES, required=True)
    parser.add_argument("--duration", type=float, required=True, help="simulated time in seconds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, required=True, help="build/cache directory")
    parser.add_argument("--threads", type=int, default=0, help="cpp_standalone: OpenMP threads (0: no OpenMP)")
    parser.add_argument("--scale", type=float, default=1.0, help="microcircuit: fraction of its neurons")
    args = parser.parse_args(argv)

    with _stdout_to_stderr():
        result = run_benchmark(args.network, args.device, args.duration, args.seed, args.workdir, args.threads,
                               args.scale)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
