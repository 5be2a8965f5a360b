#!/usr/bin/env python
"""Instructions per simulated step of the benchmark networks, counted by valgrind's callgrind.

Wall-clock timings on a shared machine vary by tens of percent from run to run; instruction counts do not.
This script runs each network of ``_genn_networks.py`` twice under ``valgrind --tool=callgrind`` (once
with no steps, once with ``--steps``) and reports the difference per step, for this checkout and, with
``--baseline CHECKOUT``, for another checkout of genn_neuromod (a ``git worktree`` of an earlier commit),
so that a change to the engine can be compared exactly.  Needs valgrind on the PATH.

Usage:  python scripts/count_instructions.py [--steps 10000] [--baseline /path/to/worktree]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
NETWORKS = ("coba", "izhikevich")

_RUN = """
import sys, tempfile
sys.path.insert(0, {here!r})
import _genn_networks as nets
import genn_neuromod as pg
model, _ = getattr(nets, "_" + {network!r})(pg, 3)
model.build(tempfile.mkdtemp())
model.load()
model.step_time_n({steps})
"""


def _instructions(network: str, steps: int, checkout: str | None, cache: str) -> int:
    env = dict(os.environ, GENN_NEUROMOD_CACHE=cache, PYTHONHASHSEED="0")  # the same Python work in every run
    env["PYTHONPATH"] = os.pathsep.join([checkout or str(REPO)] + [p for p in [env.get("PYTHONPATH")] if p])
    with tempfile.TemporaryDirectory() as wd:
        out = Path(wd) / "callgrind.out"
        code = _RUN.format(here=str(HERE), network=network, steps=steps)
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                        os.path.realpath(sys.executable), "-c", code], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        match = re.search(r"^totals:\s+(\d+)", out.read_text(), re.M)
        return int(match.group(1))


def per_step(network: str, steps: int, checkout: str | None) -> float:
    with tempfile.TemporaryDirectory() as cache:
        _instructions(network, 0, checkout, cache)  # compile outside the counted runs
        return (_instructions(network, steps, checkout, cache) - _instructions(network, 0, checkout, cache)) / steps


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10000)
    ap.add_argument("--networks", nargs="+", default=list(NETWORKS), choices=NETWORKS)
    ap.add_argument("--baseline", metavar="CHECKOUT", help="another checkout of genn_neuromod to compare with")
    args = ap.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not on the PATH", file=sys.stderr)
        return 2
    print(f"{'network':<11} {'this checkout':>16} " + (f"{'baseline':>16} {'ratio':>7}" if args.baseline else ""))
    for net in args.networks:
        ours = per_step(net, args.steps, None)
        line = f"{net:<11} {ours:16,.0f} "
        if args.baseline:
            base = per_step(net, args.steps, args.baseline)
            line += f"{base:16,.0f} {ours / base:7.3f}"
        print(line)
    print(f"\ninstructions per step ({args.steps} steps, single thread, the networks' own flags); "
          "ratio < 1: this checkout executes fewer instructions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
