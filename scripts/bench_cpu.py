#!/usr/bin/env python
"""CPU benchmark: genn_neuromod side by side with Brian2 and (when available) real GeNN.

Networks (see ``_genn_networks.py``, ``_microcircuit.py`` and ``_brian2_networks.py`` for their exact definitions):
  * coba          Vogels-Abbott COBA, 4000 LIF, p = 0.02, dt 0.1 ms   (default 10 s simulated)
  * izhikevich    Izhikevich 2007, 1000 neurons x 100 synapses, STDP traces, dt 1 ms (default 60 s)
  * microcircuit  Potjans & Diesmann (2014), 77,169 LIF x --scales (0.5 and 1.0), full in-degrees (~0.3e9
                  synapses at 1.0), dt 0.1 ms, 1 s simulated, synapses stored (SPARSE) and regenerated at every
                  spike (PROCEDURAL); beside real GeNN's CPU backend and Brian2 standalone's OpenMP code at 1 and
                  all cores (build, load, speed, peak memory and memory per synapse)

Every engine runs in its own subprocess (so peak memory is its own) on the same machine in
the same invocation; the table reports ratios measured side by side.  Brian2 2.9 needs
numpy < 2.3, so it runs from a virtual environment of its own: ``--brian2-python`` or,
by default, ``.venv-bench-brian2`` next to this repository, created on first use
(``pip install brian2 'numpy<2.3' cython``).  Real GeNN is used when ``--genn-python``
names an interpreter that can ``import pygenn`` (GeNN is not on PyPI; build it from
GeNN's own instructions), or when this interpreter can.

Usage:  python scripts/bench_cpu.py [--quick] [--networks coba izhikevich microcircuit] [--no-brian2]
                                   [--scales 0.5 1.0] [--matrices SPARSE PROCEDURAL] [--baseline CHECKOUT]
                                   [--repeats 3] [--mc-repeats 1] [--competing N]

``--competing 1`` measures the engines beside one busy process (the check that two threads degrade gracefully
on a shared machine: no slower than one).  Before and after the engines, ``_machine_probe.py`` measures what a
second thread can give on this machine at all (two threads' vector and scalar throughput in units of one
thread's, and a barrier's cost): the ceiling for every 2-thread row.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import venv
from functools import partial
from pathlib import Path

import _machine_probe

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DURATIONS = {"coba": 10.0, "izhikevich": 60.0, "microcircuit": 1.0}
QUICK = {"coba": 1.0, "izhikevich": 5.0, "microcircuit": 0.1}


def _run_json(cmd: list[str], env: dict | None = None, cwd: str | None = None) -> dict:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
        raise RuntimeError(f"{' '.join(cmd[:3])} ... failed:\n{tail}")
    return json.loads(lines[-1])


def ensure_brian2_python(path: str | None) -> str | None:
    if path:
        return path
    env_dir = REPO / ".venv-bench-brian2"
    py = env_dir / "bin" / "python"
    if not py.exists():
        print(f"creating {env_dir} with Brian2 (numpy<2.3) ...", file=sys.stderr)
        venv.create(env_dir, with_pip=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "brian2", "numpy<2.3", "cython", "setuptools"],
                       check=True)
    return str(py)


def genn_python(path: str | None) -> str | None:
    candidates = [path] if path else [sys.executable]
    for c in candidates:
        if c and subprocess.run([c, "-c", "import pygenn"], capture_output=True).returncode == 0:
            return c
    return None


def ours(network: str, duration: float, seed: int, cache: str, threads: int, baseline: str | None = None) -> dict:
    """This checkout's engine, or with ``baseline`` another checkout's (same network script, own cache)."""
    env = dict(os.environ, GENN_NEUROMOD_CACHE=cache)
    if baseline:
        env["PYTHONPATH"] = os.pathsep.join([baseline] + [p for p in [env.get("PYTHONPATH")] if p])
    cmd = [sys.executable, str(HERE / "_genn_networks.py"), "--network", network, "--seed", str(seed),
           "--threads", str(threads)]
    with tempfile.TemporaryDirectory() as wd:
        first = _run_json(cmd + ["--duration", str(duration), "--workdir", wd], env, wd)
        again = _run_json(cmd + ["--duration", "0.01", "--workdir", wd], env, wd)
    first["rebuild_s"] = again["build_s"]
    first["engine"] = f"baseline @{_revision(baseline)}, {threads} thr" if baseline else \
        f"genn_neuromod cpu, {threads} thr"
    return first


def microcircuit(py: str, engine: str, label: str, scale: float, matrix: str, duration: float, seed: int,
                 env: dict | None = None, threads: int = 1) -> dict:
    """One microcircuit run in its own process (so peak memory is its own); a failed run becomes a row saying so."""
    cmd = [py, str(HERE / "_genn_networks.py"), "--engine", engine, "--network", "microcircuit", "--scale",
           str(scale), "--matrix", matrix, "--duration", str(duration), "--seed", str(seed), "--threads", str(threads)]
    with tempfile.TemporaryDirectory() as wd:
        try:
            res = _run_json(cmd + ["--workdir", wd], env, wd)
        except RuntimeError as exc:
            return _failed_row(label, f"microcircuit {scale:g} {matrix}", exc)
    res["engine"] = label
    return res


def _failed_row(label: str, network: str, exc: RuntimeError) -> dict:
    """A microcircuit run that failed, as a row of the table saying why."""
    reason = str(exc).splitlines()[-1]
    print(f"  {label}: failed ({reason})", file=sys.stderr)
    return {"network": network, "engine": label, "failed": reason}


def microcircuit_table(rows: list[dict]) -> str:
    head = (f"{'network':<29} {'engine':<28} {'build s':>8} {'load s':>7} {'run s':>8} {'sim s/wall s':>12} "
            f"{'peak MB':>8} {'B/synapse':>9} {'spikes':>9} {'ours(1 thr) x':>14}")
    out = [head, "-" * len(head)]
    for net in dict.fromkeys(r["network"] for r in rows):
        group = [r for r in rows if r["network"] == net]
        base = next((r for r in group if r["engine"] == "genn_neuromod cpu, 1 thr" and not r.get("failed")), None)
        for r in group:
            if r.get("failed"):
                out.append(f"{net:<29} {r['engine']:<28} failed: {r['failed'][:90]}")
                continue
            speed = r["sim_s"] / r["run_s"]
            ratio = f"{(base['sim_s'] / base['run_s']) / speed:14.2f}" if base else f"{'-':>14}"
            spread = (f"  run s {min(r['run_s_all']):.1f}-{max(r['run_s_all']):.1f} over {len(r['run_s_all'])}"
                      if len(r.get("run_s_all", [])) > 1 else "")
            out.append(f"{net:<29} {r['engine']:<28} {r['build_s']:8.1f} {r['load_s']:7.1f} {r['run_s']:8.1f} "
                       f"{speed:12.3f} {r['peak_rss_mb']:8.0f} {r['bytes_per_synapse']:9.2f} {r['spikes']:9d}{ratio}"
                       f"{spread}{_team_share(r)}")
    return "\n".join(out)


def _revision(path: str) -> str:
    proc = subprocess.run(["git", "-C", path, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return proc.stdout.strip() or Path(path).name


def real_genn(py: str, network: str, duration: float, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as wd:
        res = _run_json([py, str(HERE / "_genn_networks.py"), "--engine", "pygenn", "--network", network,
                         "--duration", str(duration), "--seed", str(seed), "--workdir", wd], cwd=wd)
    res["engine"] = "GeNN single_threaded_cpu"
    return res


def brian2(py: str, network: str, device: str, duration: float, seed: int, threads: int = 0,
           scale: float = 1.0) -> dict:
    """Brian2 on ``device``; ``cpp_standalone`` with ``threads`` > 0 runs its OpenMP code on that many threads."""
    with tempfile.TemporaryDirectory() as wd:
        res = _run_json([py, str(HERE / "_brian2_networks.py"), "--network", network, "--device", device,
                         "--duration", str(duration), "--seed", str(seed), "--workdir", wd,
                         "--threads", str(threads), "--scale", str(scale)], cwd=wd)
    res["engine"] = f"Brian2 {device}" + (f", {threads} thr" if threads else "")
    return res


def brian2_microcircuit(py: str, scale: float, duration: float, seed: int, threads: int) -> dict:
    """Brian2 standalone's microcircuit (its OpenMP code on ``threads``); a failed run becomes a row saying so."""
    label = f"Brian2 cpp_standalone, {threads} thr"
    try:
        return brian2(py, "microcircuit", "cpp_standalone", duration, seed, threads, scale)
    except RuntimeError as exc:
        return _failed_row(label, f"microcircuit {scale:g} SPARSE", exc)


def interleaved(runs: list[tuple[str, object]], repeats: int) -> list[dict]:
    """Run every ``(label, run)`` ``repeats`` times in rounds, each round in a rotated order, and keep per label the
    run with the median run time (its row gains ``run_s_all``).  On a shared machine one run per engine can be
    off by tens of percent; interleaving spreads that noise over every engine alike."""
    results: dict[str, list[dict]] = {label: [] for label, _ in runs}
    for r in range(repeats):
        for label, run in runs[r % len(runs):] + runs[:r % len(runs)]:
            print(f"  {label} (round {r + 1} of {repeats}) ...", file=sys.stderr, flush=True)
            results[label].append(run())
    out = []
    for label, _ in runs:
        rs = sorted(results[label], key=lambda row: row.get("run_s", float("inf")))  # a failed run sorts last
        row = dict(rs[(len(rs) - 1) // 2])
        row["run_s_all"] = [x["run_s"] for x in results[label] if "run_s" in x]
        if "build_s" in results[label][0]:
            row["build_s"] = results[label][0]["build_s"]  # the cold build is the first
        out.append(row)
    return out


def _team_share(row: dict) -> str:
    """Our multi-threaded rows (``threads`` > 1): the share of steps the adaptive choice ran on the whole team."""
    one, team = (row.get("thread_steps") or [0, 0])[:2]
    if row.get("threads", 1) <= 1 or not (one + team):
        return ""
    return f"  team {100.0 * team / (one + team):.0f}% of steps"


def table(rows: list[dict]) -> str:
    ours_rows = [r for r in rows if r["engine"].startswith("genn_neuromod")]
    labels = [r["engine"].split(", ")[1] for r in ours_rows if r["network"] == rows[0]["network"]]
    head = (f"{'network':<11} {'engine':<28} {'build s':>8} {'rebuild s':>9} {'run s':>8} {'sim s/wall s':>12} "
            f"{'peak MB':>8} {'spikes':>9}" + "".join(f" {'ours(' + lb + ') x':>16}" for lb in labels))
    out = [head, "-" * len(head)]
    for net in dict.fromkeys(r["network"] for r in rows):
        group = [r for r in rows if r["network"] == net]
        bases = [r for r in group if r["engine"].startswith("genn_neuromod")]
        for r in group:
            speed = r["sim_s"] / r["run_s"]
            ratios = "".join(f" {(b['sim_s'] / b['run_s']) / speed:16.2f}" for b in bases)
            rebuild = f"{r['rebuild_s']:9.2f}" if "rebuild_s" in r else f"{'-':>9}"
            spread = (f"  run s {min(r['run_s_all']):.2f}-{max(r['run_s_all']):.2f} over {len(r['run_s_all'])}"
                      if len(r.get("run_s_all", [])) > 1 else "") + _team_share(r)
            out.append(f"{net:<11} {r['engine']:<28} {r['build_s']:8.2f} {rebuild} {r['run_s']:8.2f} "
                       f"{speed:12.1f} {r['peak_rss_mb']:8.0f} {r['spikes']:9d}{ratios}{spread}")
    return "\n".join(out)


@contextlib.contextmanager
def competing_processes(n: int):
    """``n`` busy processes (a Python loop each, normal priority) for the duration of the block; killed after."""
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        yield busy
    finally:
        for proc in busy:
            proc.kill()
            proc.wait()


def _run_all(args, durations: dict, b2: str | None, gpy: str | None, thread_counts: tuple[int, ...],
             scales: list[float], rows: list[dict], mc_rows: list[dict]) -> None:
    """Every engine on every network, appending to ``rows`` (COBA, Izhikevich) and ``mc_rows`` (microcircuit)."""
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as baseline_cache:
        for net in [n for n in args.networks if n != "microcircuit"]:
            d = durations[net]
            runs = []
            for threads in thread_counts:
                runs.append((f"genn_neuromod, {threads} thread(s)",
                             partial(ours, net, d, args.seed, cache, threads)))
                if args.baseline:
                    runs.append((f"baseline {args.baseline}, {threads} thread(s)",
                                 partial(ours, net, d, args.seed, baseline_cache, threads, args.baseline)))
            if gpy:
                runs.append(("real GeNN", partial(real_genn, gpy, net, d, args.seed)))
            if b2:
                for dev in ("cpp_standalone", "cython"):
                    runs.append((f"Brian2 {dev}", partial(brian2, b2, net, dev, d, args.seed)))
                for threads in thread_counts:  # its OpenMP code
                    runs.append((f"Brian2 cpp_standalone, {threads} thr",
                                 partial(brian2, b2, net, "cpp_standalone", d, args.seed, threads)))
            print(f"[{net}]", file=sys.stderr)
            rows += interleaved(runs, args.repeats)
        if "microcircuit" in args.networks:
            d = durations["microcircuit"]
            for scale in scales:
                for matrix in args.matrices:
                    engines = [(sys.executable, "genn_neuromod", f"genn_neuromod cpu, {t} thr",
                                dict(os.environ, GENN_NEUROMOD_CACHE=cache), t)
                               for t in thread_counts]
                    if args.baseline:
                        env = dict(os.environ, GENN_NEUROMOD_CACHE=baseline_cache,
                                   PYTHONPATH=os.pathsep.join([args.baseline] + [p for p in [os.environ.get(
                                       "PYTHONPATH")] if p]))
                        engines.append((sys.executable, "genn_neuromod", f"baseline @{_revision(args.baseline)}, 1 thr",
                                        env, 1))
                    if gpy:
                        engines.append((gpy, "pygenn", "GeNN single_threaded_cpu", None, 1))
                    runs = [(label, partial(microcircuit, py, engine, label, scale, matrix, d, args.seed, env, threads))
                            for py, engine, label, env, threads in engines]
                    if b2 and matrix == "SPARSE":  # Brian2 stores its synapses
                        runs += [(f"Brian2 cpp_standalone, {t} thr",
                                  partial(brian2_microcircuit, b2, scale, d, args.seed, t)) for t in thread_counts]
                    print(f"[microcircuit {scale:g} {matrix}]", file=sys.stderr)
                    mc_rows += interleaved(runs, args.mc_repeats)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="CPU benchmark of genn_neuromod against Brian2 and GeNN")
    ap.add_argument("--networks", nargs="+", default=["coba", "izhikevich", "microcircuit"], choices=sorted(DURATIONS))
    ap.add_argument("--quick", action="store_true",
                    help="short runs (1 s COBA, 5 s Izhikevich, 0.1 s microcircuit at scale 0.05)")
    ap.add_argument("--scales", nargs="+", type=float, default=[0.5, 1.0], help="microcircuit sizes")
    ap.add_argument("--matrices", nargs="+", default=["SPARSE", "PROCEDURAL"], choices=["SPARSE", "PROCEDURAL"],
                    help="microcircuit synapse storage")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--brian2-python", help="interpreter with brian2 (default: create .venv-bench-brian2)")
    ap.add_argument("--no-brian2", action="store_true")
    ap.add_argument("--genn-python", help="interpreter that can import pygenn (real GeNN)")
    ap.add_argument("--json", help="also write the rows to this JSON file")
    ap.add_argument("--threads", type=int, default=0,
                    help="OpenMP threads for the second genn_neuromod row (default: all cores)")
    ap.add_argument("--repeats", type=int, default=3,
                    help="COBA and Izhikevich: runs per engine, interleaved in rounds; the median is reported "
                         "(default 3)")
    ap.add_argument("--mc-repeats", type=int, default=1, metavar="N",
                    help="microcircuit: runs per engine, interleaved in rounds like --repeats (default 1: a full-scale "
                         "round takes minutes per engine)")
    ap.add_argument("--competing", type=int, default=0, metavar="N",
                    help="keep N busy processes (a Python loop each, normal priority) running beside every engine, "
                         "as on a machine shared with other work (default 0)")
    ap.add_argument("--baseline", metavar="CHECKOUT",
                    help="also run another checkout of genn_neuromod (e.g. a 'git worktree' of an earlier commit) "
                         "in the same invocation, to compare a change side by side")
    args = ap.parse_args(argv)
    durations = QUICK if args.quick else DURATIONS
    b2 = None if args.no_brian2 else ensure_brian2_python(args.brian2_python)
    gpy = genn_python(args.genn_python)
    if gpy is None:
        print("real GeNN: not found (pass --genn-python); skipping it", file=sys.stderr)
    thread_counts = tuple(dict.fromkeys((1, args.threads or (os.cpu_count() or 1))))  # 1 and --threads (all cores)
    rows, mc_rows = [], []
    scales = [0.05] if args.quick else args.scales
    with competing_processes(args.competing) as busy:
        machine = [_machine_probe.probe()]  # what a second thread can give, before and after the engines
        _run_all(args, durations, b2, gpy, thread_counts, scales, rows, mc_rows)
        machine.append(_machine_probe.probe())
    if busy:
        print(f"(with {len(busy)} competing busy process(es) running throughout)\n")
    for when, result in zip(("before", "after"), machine, strict=True):
        print(f"machine, {when} the engines: {_machine_probe.describe(result)}")
    print()

    if rows:
        print(table(rows))
        print("\n'ours(...) x' = (our simulated s per wall s, in that configuration) / (that engine's).  All engines "
              "run with fast-math optimisation (Brian2's default flags; GeNN's and ours optimize_code=True).  Brian2 "
              "cpp_standalone without a thread count is its code without OpenMP, with 'N thr' its OpenMP code on N "
              "threads; GeNN's CPU backend is single-threaded.  Ours on N threads chooses per block of steps between "
              "one thread and the team (adaptive_threads): 'team %' is the share of steps it ran on the team.  "
              "build s: cold build (empty caches); rebuild s: an unchanged model's second "
              "build.  Spike counts differ between engines only through their random number streams.  With "
              "--repeats N each engine ran N times, interleaved in rounds: the row is the median run, the range "
              "all N.\n")
    if mc_rows:
        print(microcircuit_table(mc_rows))
        print("\nmicrocircuit: build s = model definition + code generation + compilation; load s = allocation and "
              "initialisation (connectivity included); B/synapse = (peak RSS - RSS before the model) / synapses, so "
              "it includes neurons, buffers and the engine's own overhead; 'ours(1 thr) x' as above.  Brian2: build "
              "s = code generation + make; load s = its binary's time outside the stepping loop (synapse creation "
              "included); B/synapse = the binary's peak RSS / synapses; its pairs are drawn with the projection's "
              "probability, so its synapse and spike counts differ from GeNN's by sampling.")
    if args.json:  # every row keeps the machine probe of its invocation (before and after the engines)
        probe = dict(zip(("before", "after"), machine, strict=True))
        Path(args.json).write_text(json.dumps([dict(r, machine_probe=probe) for r in rows + mc_rows], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
