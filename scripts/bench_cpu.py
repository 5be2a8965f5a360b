#!/usr/bin/env python
"""CPU benchmark: genn_neuromod side by side with Brian2 and (when available) real GeNN.

Networks (see ``_genn_networks.py`` and ``_brian2_networks.py`` for their exact definitions):
  * coba        Vogels-Abbott COBA, 4000 LIF, p = 0.02, dt 0.1 ms   (default 10 s simulated)
  * izhikevich  Izhikevich 2007, 1000 neurons x 100 synapses, STDP traces, dt 1 ms (default 60 s)

Every engine runs in its own subprocess (so peak memory is its own) on the same machine in
the same invocation; the table reports ratios measured side by side.  Brian2 2.9 needs
numpy < 2.3, so it runs from a virtual environment of its own: ``--brian2-python`` or,
by default, ``.venv-bench-brian2`` next to this repository, created on first use
(``pip install brian2 'numpy<2.3' cython``).  Real GeNN is used when ``--genn-python``
names an interpreter that can ``import pygenn`` (GeNN is not on PyPI; build it from
GeNN's own instructions), or when this interpreter can.

Usage:  python scripts/bench_cpu.py [--quick] [--networks coba izhikevich] [--no-brian2] [--baseline CHECKOUT]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DURATIONS = {"coba": 10.0, "izhikevich": 60.0}
QUICK = {"coba": 1.0, "izhikevich": 5.0}


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


def _revision(path: str) -> str:
    proc = subprocess.run(["git", "-C", path, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return proc.stdout.strip() or Path(path).name


def real_genn(py: str, network: str, duration: float, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as wd:
        res = _run_json([py, str(HERE / "_genn_networks.py"), "--engine", "pygenn", "--network", network,
                         "--duration", str(duration), "--seed", str(seed), "--workdir", wd], cwd=wd)
    res["engine"] = "GeNN single_threaded_cpu"
    return res


def brian2(py: str, network: str, device: str, duration: float, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as wd:
        res = _run_json([py, str(HERE / "_brian2_networks.py"), "--network", network, "--device", device,
                         "--duration", str(duration), "--seed", str(seed), "--workdir", wd], cwd=wd)
    res["engine"] = f"Brian2 {device}"
    return res


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
            out.append(f"{net:<11} {r['engine']:<28} {r['build_s']:8.2f} {rebuild} {r['run_s']:8.2f} "
                       f"{speed:12.1f} {r['peak_rss_mb']:8.0f} {r['spikes']:9d}{ratios}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="CPU benchmark of genn_neuromod against Brian2 and GeNN")
    ap.add_argument("--networks", nargs="+", default=["coba", "izhikevich"], choices=sorted(DURATIONS))
    ap.add_argument("--quick", action="store_true", help="short runs (1 s COBA, 5 s Izhikevich)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--brian2-python", help="interpreter with brian2 (default: create .venv-bench-brian2)")
    ap.add_argument("--no-brian2", action="store_true")
    ap.add_argument("--genn-python", help="interpreter that can import pygenn (real GeNN)")
    ap.add_argument("--json", help="also write the rows to this JSON file")
    ap.add_argument("--threads", type=int, default=0,
                    help="OpenMP threads for the second genn_neuromod row (default: all cores)")
    ap.add_argument("--baseline", metavar="CHECKOUT",
                    help="also run another checkout of genn_neuromod (e.g. a 'git worktree' of an earlier commit) "
                         "in the same invocation, to compare a change side by side")
    args = ap.parse_args(argv)
    durations = QUICK if args.quick else DURATIONS
    b2 = None if args.no_brian2 else ensure_brian2_python(args.brian2_python)
    gpy = genn_python(args.genn_python)
    if gpy is None:
        print("real GeNN: not found (pass --genn-python); skipping it", file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as baseline_cache:
        for net in args.networks:
            d = durations[net]
            for threads in dict.fromkeys((1, args.threads or (os.cpu_count() or 1))):
                print(f"[{net}] genn_neuromod, {threads} thread(s) ...", file=sys.stderr)
                rows.append(ours(net, d, args.seed, cache, threads))
                if args.baseline:
                    print(f"[{net}] baseline {args.baseline}, {threads} thread(s) ...", file=sys.stderr)
                    rows.append(ours(net, d, args.seed, baseline_cache, threads, args.baseline))
            if gpy:
                print(f"[{net}] real GeNN ...", file=sys.stderr)
                rows.append(real_genn(gpy, net, d, args.seed))
            if b2:
                for dev in ("cpp_standalone", "cython"):
                    print(f"[{net}] Brian2 {dev} ...", file=sys.stderr)
                    rows.append(brian2(b2, net, dev, d, args.seed))
    print(table(rows))
    print("\n'ours(...) x' = (our simulated s per wall s, in that configuration) / (that engine's).  All engines "
          "run with fast-math optimisation (Brian2's default flags; GeNN's and ours optimize_code=True); Brian2 and "
          "GeNN single-threaded.  build s: cold build (empty caches); rebuild s: an unchanged model's second build. "
          "Spike counts differ between engines only through their random number streams.")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
