"""Random search of the task circuit's parameters on the validation split (the test split is never read).

Each trial trains a spiking variant on the whole task sequence with parameters drawn from the ranges below
and scores it by the final validation accuracy (mean of class- and task-incremental, no context), on seeds
that the results table does not use. Prints the trials ranked and writes them as JSON lines.

    python scripts/tune_tasks.py --variant hom_nm --trials 40 --seeds 101 102 --out tune.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from genn_neuromod.experiments.tasks.circuit import FULL
from genn_neuromod.experiments.tasks.protocol import run_tasks

#: parameters searched: a factor up to ``SPREAD`` either side of the current value (log-uniform)
RANGES = ("in_norm", "w_ei", "w_ie", "teacher_e", "theta_plus", "tau_theta", "eta_in", "eta_out", "tau_syn",
          "out_norm", "teacher", "w_rr", "tau_x", "tau_alpha", "tau_inh")
#: ... or drawn uniformly from an absolute range
ABSOLUTE = {"x_tar_in": (0.1, 0.6), "x_tar_out": (0.1, 0.6), "punish": (0.0, 1.0)}
SPREAD = 1.6


def draw(rng: np.random.Generator, names: list[str], around: dict[str, float], spread: float = SPREAD
         ) -> dict[str, float]:
    """Parameter values for one trial: a factor up to ``spread`` either side of ``around`` (log-uniform), or
    uniform in the absolute range where one is given and ``spread`` is the default."""
    out = {}
    for k in names:
        if k in ABSOLUTE and spread == SPREAD:
            out[k] = float(rng.uniform(*ABSOLUTE[k]))
        else:
            lo, hi = ABSOLUTE.get(k, (0.0, np.inf))
            out[k] = float(np.clip(around[k] * spread ** rng.uniform(-1.0, 1.0), lo, hi))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", default="hom_nm")
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--seeds", type=int, nargs="+", default=[101])
    ap.add_argument("--params", nargs="+", default=[*RANGES, *ABSOLUTE], choices=[*RANGES, *ABSOLUTE])
    ap.add_argument("--base", default="{}", help="JSON of fixed parameter changes")
    ap.add_argument("--search-seed", type=int, default=0)
    ap.add_argument("--spread", type=float, default=SPREAD, help="largest factor either side of the base values")
    ap.add_argument("--out", default="tune_tasks.jsonl")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.search_seed)
    base = json.loads(args.base)
    quick_eval = {"noise_samples": 10, "jitter_ms": (0.0,), "deletion": (0.0,), "background_hz": (0.0,),
                  "curve_points": (50,)}
    around = {**FULL.to_dict(), **base}
    trials = [{}] + [draw(rng, args.params, around, args.spread) for _ in range(args.trials - 1)]
    rows = []
    for k, changes in enumerate(trials):
        cfg = FULL.with_changes(**{**quick_eval, **base, **changes})
        t0 = time.perf_counter()
        scores = [run_tasks(args.variant, s, cfg=cfg, evaluation="validation") for s in args.seeds]
        row = {"trial": k, "changes": {**base, **changes}, "acc_ci": float(np.mean([s["acc_ci"] for s in scores])),
               "acc_ti": float(np.mean([s["acc_ti"] for s in scores])), "wall_s": time.perf_counter() - t0}
        row["score"] = (row["acc_ci"] + row["acc_ti"]) / 2
        rows.append(row)
        with open(args.out, "a") as f:
            f.write(json.dumps(row) + "\n")
        print(f"trial {k}: ci {row['acc_ci']:.3f} ti {row['acc_ti']:.3f} ({row['wall_s']:.0f} s) {changes}",
              flush=True)
    rows.sort(key=lambda r: -r["score"])
    print("\nbest:", json.dumps(rows[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
