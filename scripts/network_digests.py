#!/usr/bin/env python
"""Digests of four reference networks' results, to check that a change to the engine keeps them bit for bit.

Runs, on the embedded CPU engine with fixed seeds:
  * coba        the Vogels-Abbott COBA network of ``_genn_networks.py`` (1 s; 1 and 2 OpenMP threads)
  * izhikevich  the Izhikevich (2007) STDP network of ``_genn_networks.py`` (10 s)
  * microcircuit  the Potjans-Diesmann microcircuit of ``_microcircuit.py`` at 0.02 scale (200 ms; 1 and 2 threads)
  * distal_reward  the distal-reward experiment's network, conditions ``izhikevich2007`` and ``na_ach`` (60 s),
                   with its in-model logs (rewarded weight, dopamine)

and prints (or writes with ``--out``) a JSON object of SHA-256 digests of every spike train and final state.
``--compare FILE`` compares with digests written earlier (e.g. on the commit before a refactoring) and exits
non-zero when any differs.

Usage:  python scripts/network_digests.py --out before.json
        python scripts/network_digests.py --compare before.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from genn_neuromod.recording.collect import run_collecting_spikes

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _digest(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str(a.dtype).encode() + str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:20]


def _run(model, pops, steps: int, workdir: str, chunk: int = 1000) -> list[tuple[np.ndarray, np.ndarray]]:
    for p in pops:
        p.spike_recording_enabled = True
    model.build(workdir)
    model.load(num_recording_timesteps=chunk)
    return run_collecting_spikes(model, pops, steps, chunk)


def _digest_spikes_and_v(results: dict, prefix: str, pops, spikes: dict) -> None:
    """Digests of every population's spike train and final V, under ``prefix/<population>/``."""
    for name, (t, i) in spikes.items():
        results[f"{prefix}/{name}/spikes"] = _digest(t, i)
    for p in pops:
        results[f"{prefix}/{p.name}/V"] = _digest(p.vars["V"].values)


def genn_networks(results: dict, workdir: str) -> None:
    import _genn_networks as nets

    import genn_neuromod as pg

    for threads in (1, 2):
        nets.THREADS = threads
        model, pops = nets._coba(pg, seed=3)
        _digest_spikes_and_v(results, f"coba/threads{threads}", pops,
                             _run(model, pops, 10000, f"{workdir}/coba{threads}"))
        del model
    nets.THREADS = 1
    model, pops = nets._izhikevich(pg, seed=3)
    spikes = _run(model, pops, 10000, f"{workdir}/izh")
    results["izhikevich/N/spikes"] = _digest(*spikes["N"])
    syn = model.synapse_populations["Exc"]
    results["izhikevich/Exc/g"] = _digest(syn.vars["g"].values, syn.get_sparse_post_inds())
    results["izhikevich/N/V"] = _digest(pops[0].vars["V"].values)
    del model


def microcircuit(results: dict, workdir: str) -> None:
    """The Potjans-Diesmann microcircuit at 0.02 scale (PoissonExp background, dendritic delays), 200 ms on one
    thread and on a forced team of two."""
    from _microcircuit import build_microcircuit

    import genn_neuromod as pg

    for threads in (1, 2):
        model, _, _ = build_microcircuit(pg, 0.02, "single_threaded_cpu", seed=11, num_threads=threads,
                                         adaptive_threads=False)
        pops = list(model.neuron_populations.values())
        _digest_spikes_and_v(results, f"microcircuit/threads{threads}", pops,
                             _run(model, pops, 2000, f"{workdir}/mc{threads}"))
        del model


def distal_reward(results: dict, workdir: str) -> None:
    from genn_neuromod.experiments import distal_reward as dr

    for cond in ("izhikevich2007", "na_ach"):
        model, h = dr.build_network(cond, seed=5)
        pops = [h["net"], h["reward"]]
        spikes = _run(model, pops, 60000, f"{workdir}/dr_{cond}", chunk=10000)
        results[f"distal_reward/{cond}/Reward/count"] = str(len(spikes["Reward"][0]))
        for name, (t, i) in spikes.items():
            results[f"distal_reward/{cond}/{name}/spikes"] = _digest(t, i)
        for name, sg in sorted(h["excitatory"].items()):
            results[f"distal_reward/{cond}/{name}/g"] = _digest(sg.vars["g"].values, sg.vars["c"].values)
        results[f"distal_reward/{cond}/chosen/wlog"] = _digest(h["chosen"].extra_global_params["wlog"].values)
        results[f"distal_reward/{cond}/probe/dalog"] = _digest(h["probe"].extra_global_params["dalog"].values)
        results[f"distal_reward/{cond}/N/DA"] = _digest(h["net"].vars["DA"].values)
        del model


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", help="write the digests to this JSON file")
    ap.add_argument("--compare", help="compare with digests in this JSON file")
    args = ap.parse_args(argv)
    results: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as wd:
        genn_networks(results, wd)
        microcircuit(results, wd)
        distal_reward(results, wd)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    if args.compare:
        before = json.loads(Path(args.compare).read_text())
        differ = sorted(k for k in set(before) | set(results) if before.get(k) != results.get(k))
        for k in differ:
            print(f"DIFFERS  {k}: {before.get(k)} -> {results.get(k)}")
        print(f"{len(results) - len(differ)} of {len(set(before) | set(results))} digests identical")
        return 1 if differ else 0
    if not args.out:
        print(json.dumps(results, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
