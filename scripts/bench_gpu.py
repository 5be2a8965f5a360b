#!/usr/bin/env python
"""GPU benchmark of the cuda backend, side by side with real GeNN's CUDA backend when pygenn imports.

Networks:
  * microcircuit  Potjans & Diesmann (2014) cortical microcircuit: 77,169 LIF neurons in 8 populations,
                  ~0.3e9 synapses (FixedNumberTotalWithReplacement, in-degrees kept when --scale < 1),
                  exponential currents (0.5 ms), normally distributed dendritic delays, Poisson background
                  (PoissonExp current sources, 8 Hz per external input), dt 0.1 ms
  * distal        Izhikevich (2007) DA-STDP network (genn_neuromod.experiments.distal_reward), 1000 neurons
                  x 100 synapses, dt 1 ms, batched over --batch seeds (one launch runs every instance)

Reported per run: build and load time, biological time simulated (per instance), simulation wall time, speed
(simulated seconds per wall second summed over the instances, "x realtime"), synaptic events per second
(spikes x out-degree, all instances), device memory.

Usage:  python scripts/bench_gpu.py [--scale 1.0] [--duration 10] [--batch 64] [--networks microcircuit distal]
                                   [--matrices SPARSE PROCEDURAL] [--out DIR]
        python scripts/bench_gpu.py --backend cuda_emulated --scale 0.01 --duration 0.01 --batch 2  # no GPU
        python scripts/bench_gpu.py --backend cpu --scale 0.01 --duration 0.1   # model check on the CPU

With --out DIR each row is appended to DIR/bench_gpu.txt as soon as its run ends, so a run cut short by a
time limit keeps what it measured.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass

from _microcircuit import DT_MS, build_microcircuit, projection_sizes


def build_distal(pg, batch: int, backend: str, seed: int = 1):
    from genn_neuromod.experiments.distal_reward import build_network

    # real PyGeNN has no per-instance EGPs: its instances share the reward schedule (same work, timed as such)
    model, h = build_network("izhikevich2007", seed, pg=pg, backend=backend, batch_size=batch,
                             independent_instances=pg.__name__.startswith("genn_neuromod"))
    n = h["net"].num_neurons
    return model, n, n * 100


# --------------------------------------------------------------------------- measurement
@dataclass
class Result:
    network: str
    engine: str
    batch: int
    neurons: int
    synapses: int
    build_s: float
    load_s: float
    sim_s: float
    simulated_s: float
    spikes: int
    syn_events: float
    device_mb: float | None

    @property
    def speed(self) -> float:
        return self.simulated_s * self.batch / self.sim_s if self.sim_s else float("nan")


def _device_used_mb() -> float | None:
    try:
        import cupy

        free, total = cupy.cuda.runtime.memGetInfo()
        return (total - free) / 2**20
    except Exception:
        return None


def _model_memory_mb(model) -> float | None:
    runtime = getattr(model, "_runtime", None)
    if runtime is None or not hasattr(runtime, "memory_bytes"):
        return None
    return runtime.memory_bytes() / 2**20


def device_name(backend: str) -> str:
    if backend == "cpu":
        import platform

        return f"CPU ({platform.processor() or platform.machine()})"
    if backend == "cuda_emulated":
        return "SIMT emulation on the CPU (not a GPU: times say nothing about GPU speed)"
    import cupy

    props = cupy.cuda.runtime.getDeviceProperties(0)
    return f"{props['name'].decode()} (compute capability {props['major']}.{props['minor']}, " \
           f"{props['totalGlobalMem'] / 2**30:.0f} GiB), CUDA runtime {cupy.cuda.runtime.runtimeGetVersion()}"


def _spike_count_and_events(model, out_degree: dict[str, float]) -> tuple[int, float]:
    spikes, events = 0, 0.0
    for name, pop in model.neuron_populations.items():
        if not pop.spike_recording_enabled:
            continue
        n = sum(len(t) for t, _ in pop.spike_recording_data)
        spikes += n
        events += n * out_degree.get(name, 0.0)
    return spikes, events


def _out_degrees(model, counts: dict[str, int] | None = None) -> dict[str, float]:
    """Mean out-degree of each source population; ``counts`` gives the synapses of groups whose connectivity is
    not stored (PROCEDURAL)."""
    deg: dict[str, float] = {}
    for sg in model.synapse_populations.values():
        src = sg.src if hasattr(sg, "src") else sg.source
        n_syn = counts[sg.name] if counts and sg.name in counts else _num_synapses(sg)
        deg[src.name] = deg.get(src.name, 0.0) + n_syn / src.num_neurons
    return deg


def _num_synapses(sg) -> float:
    try:
        return float(len(sg.get_sparse_post_inds()))
    except Exception:  # DENSE
        src = sg.src if hasattr(sg, "src") else sg.source
        trg = sg.trg if hasattr(sg, "trg") else sg.target
        return float(src.num_neurons * trg.num_neurons)


def run(network: str, engine: str, args, allowance_s: float = float("inf")) -> Result:
    """Build, load and run one network on one engine ('ours' or 'genn')."""
    if engine == "genn":
        import pygenn as pg

        backend = "cuda"
    else:
        import genn_neuromod as pg

        backend = args.backend
    batch = args.batch if network == "distal" else 1
    t0 = time.perf_counter()
    counts = None
    if network.startswith("microcircuit"):
        matrix = network.split()[1]
        model, neurons, synapses = build_microcircuit(pg, args.scale, backend, matrix=matrix)
        counts = projection_sizes(args.scale)
        dt_ms = DT_MS
    else:
        model, neurons, synapses = build_distal(pg, batch, backend)
        dt_ms = 1.0
    duration = args.distal_duration if network == "distal" and args.distal_duration else args.duration
    steps = int(round(duration * 1000.0 / dt_ms))
    chunk = max(d for d in range(1, min(steps, args.chunk_steps) + 1) if steps % d == 0)  # divides steps
    mem0 = _device_used_mb()
    with tempfile.TemporaryDirectory() as tmp:
        model.build(tmp)
        t1 = time.perf_counter()
        model.load(num_recording_timesteps=chunk)
        t2 = time.perf_counter()
        mem1 = _device_used_mb()
        degree = _out_degrees(model, counts)
        spikes, events, sim = 0, 0.0, 0.0
        done = 0
        while done < steps and time.perf_counter() - t0 < allowance_s:  # a time budget may end the run early
            n = min(chunk, steps - done)
            s0 = time.perf_counter()
            if hasattr(model, "step_time_n"):
                model.step_time_n(n)
            else:
                for _ in range(n):
                    model.step_time()
            s1 = time.perf_counter()
            sim += s1 - s0
            done += n
            model.pull_recording_buffers_from_device()  # spikes come back in chunks of `chunk` steps
            c, e = _spike_count_and_events(model, degree)
            spikes, events = spikes + c, events + e
        model_memory_mb = _model_memory_mb(model)
        model.unload()
    device = (mem1 - mem0) if (mem0 is not None and mem1 is not None and backend == "cuda") else None
    if device is None and backend == "cuda_emulated":
        device = model_memory_mb
    return Result(network, "genn_neuromod" if engine == "ours" else "GeNN", batch, neurons, synapses,
                  t1 - t0, t2 - t1, sim, done * dt_ms / 1000.0, spikes, events / sim if sim else 0.0, device)


HEAD = (f"{'network':<24}{'engine':<14}{'batch':>6}{'neurons':>9}{'synapses':>12}{'build s':>9}{'load s':>8}"
        f"{'bio s':>8}{'sim s':>9}{'x realtime':>11}{'syn ev/s':>11}{'spikes':>11}{'dev MB':>9}")


def format_row(r: Result) -> str:
    dev = f"{r.device_mb:.0f}" if r.device_mb is not None else "n/a"
    return (f"{r.network:<24}{r.engine:<14}{r.batch:>6}{r.neurons:>9}{r.synapses:>12.3g}{r.build_s:>9.2f}"
            f"{r.load_s:>8.2f}{r.simulated_s:>8.3g}{r.sim_s:>9.2f}{r.speed:>11.3g}{r.syn_events:>11.3g}{r.spikes:>11}{dev:>9}")


def print_table(results: list[Result]) -> None:
    print(HEAD)
    print("-" * len(HEAD))
    for r in results:
        print(format_row(r))
    by_net: dict[str, dict[str, Result]] = {}
    for r in results:
        by_net.setdefault(r.network, {})[r.engine] = r
    for net, pair in by_net.items():
        if "GeNN" in pair and "genn_neuromod" in pair:
            a, b = pair["genn_neuromod"], pair["GeNN"]
            print(f"{net}: genn_neuromod / GeNN  sim time x{a.sim_s / b.sim_s:.2f}, build+load x"
                  f"{(a.build_s + a.load_s) / (b.build_s + b.load_s):.2f}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--networks", nargs="+", choices=("microcircuit", "distal"), default=["microcircuit", "distal"])
    p.add_argument("--scale", type=float, default=1.0, help="fraction of the microcircuit's neurons (in-degrees kept)")
    p.add_argument("--duration", type=float, default=10.0, help="simulated seconds per run")
    p.add_argument("--batch", type=int, default=64, help="instances (seeds) of the distal-reward network")
    p.add_argument("--matrices", nargs="+", choices=("SPARSE", "PROCEDURAL"), default=["SPARSE", "PROCEDURAL"],
                   help="microcircuit synapse storage")
    p.add_argument("--backend", choices=("cuda", "cuda_emulated", "cpu"), default="cuda",
                   help="genn_neuromod backend; 'cuda_emulated' and 'cpu' check the models without a GPU")
    p.add_argument("--distal-duration", type=float, help="simulated seconds per distal-reward instance "
                   "(default: --duration)")
    p.add_argument("--time-budget", type=float, default=float("inf"),
                   help="wall seconds for all runs: each run gets an equal share of what is left and stops "
                        "stepping when its share is used (the table reports the simulated time reached)")
    p.add_argument("--out", help="folder: rows are appended to bench_gpu.txt (and bench_gpu.jsonl) as runs end")
    p.add_argument("--chunk-steps", type=int, default=1000, help="timesteps between pulls of the spike recording")
    p.add_argument("--no-genn", action="store_true", help="skip real GeNN even when pygenn imports")
    args = p.parse_args(argv)
    if args.backend == "cuda":
        from genn_neuromod.backends.cuda_runtime import CudaUnavailableError, import_cupy

        try:
            import_cupy()
        except CudaUnavailableError as exc:
            print(f"bench_gpu: no GPU run possible: {exc}\n(use --backend cpu to check the models on the CPU)",
                  file=sys.stderr)
            return 2
    engines = ["ours"]
    if args.backend == "cuda" and not args.no_genn:
        try:
            import pygenn  # noqa: F401

            engines.append("genn")
        except ImportError:
            print("pygenn is not importable: real GeNN is skipped", file=sys.stderr)
    runs = [f"microcircuit {m}" for m in args.matrices] * ("microcircuit" in args.networks)
    runs += ["distal"] * ("distal" in args.networks)
    out = None
    if args.out:
        from pathlib import Path

        Path(args.out).mkdir(parents=True, exist_ok=True)
        out = Path(args.out)
        (out / "bench_gpu.txt").write_text(f"device: {device_name(args.backend)}\nscale {args.scale}, "
                                           f"{args.duration} s simulated, distal batch {args.batch}\n{HEAD}\n"
                                           f"{'-' * len(HEAD)}\n")
    results = []
    jobs = [(net, engine) for net in runs for engine in engines]
    start = time.perf_counter()
    for i, (net, engine) in enumerate(jobs):
        allowance = (args.time_budget - (time.perf_counter() - start)) / (len(jobs) - i)
        print(f"running {net} on {engine} ...", file=sys.stderr, flush=True)
        try:
            r = run(net, engine, args, allowance)
        except Exception as exc:  # one failed run (GeNN refusing a model, out of memory) does not stop the rest
            print(f"{net} on {engine} failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            if out is not None:
                with open(out / "bench_gpu.txt", "a") as f:
                    f.write(f"{net:<24}{engine:<14}failed: {type(exc).__name__}: {str(exc)[:200]}\n")
            continue
        results.append(r)
        if out is not None:
            with open(out / "bench_gpu.txt", "a") as f:
                f.write(format_row(r) + "\n")
            with open(out / "bench_gpu.jsonl", "a") as f:
                f.write(json.dumps(dict(vars(r), speed=r.speed)) + "\n")
    print(f"device: {device_name(args.backend)}")
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
