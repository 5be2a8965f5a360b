"""``genn-neuromod``: run circuits, inspect, analyse and plot recordings, run sweeps."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ..compiler.errors import ModelError, SnippetError

#: exceptions reported as one line and exit status 2 (anything else is a bug and keeps its traceback)
USER_ERRORS = (ModelError, SnippetError, FileNotFoundError, FileExistsError, ValueError, KeyError, ImportError,
               NotImplementedError)


def _cmd_run(args: argparse.Namespace) -> int:
    from ..circuits import load_graph
    from .runs import parse_record_specs, run_circuit

    graph = load_graph(args.circuit)
    out = args.out or Path(args.circuit).with_suffix(".zarr").name
    summary = run_circuit(graph, out, args.duration, engine=args.engine, backend=args.backend, seed=args.seed,
                          record=parse_record_specs(args.record or []), threads=args.threads,
                          chunk_steps=args.chunk_steps, progress=not args.quiet, overwrite=args.overwrite,
                          metadata={"circuit_file": str(Path(args.circuit).resolve())})
    print(f"wrote {summary['store']}: {args.duration:g} ms simulated in {summary['wall_s']:.1f} s")
    return 0


def _open(path: str):
    from ..recording import open_store

    return open_store(path)


def _cmd_inspect(args: argparse.Namespace) -> int:
    rec = _open(args.store)
    a = rec.attrs
    print(f"store      {args.store}  ({'complete' if rec.complete else 'INCOMPLETE: the run did not finish'})")
    print(f"engine     {a.get('engine')} {a.get('engine_version') or ''}  backend {a.get('backend')}  "
          f"genn_neuromod {a.get('genn_neuromod_version')}")
    print(f"time       dt {rec.dt} ms, {rec.duration:g} ms recorded from t = {rec.t_start:g} ms, "
          f"seed {a.get('seed')} (used: {a.get('seed_used')})")
    for pop, info in rec.populations.items():
        line = f"population {pop}: {info.get('num_neurons')} x {info.get('model')}"
        if pop in rec.spike_populations:
            times, _ = rec.spikes(pop)
            line += f", {len(times)} spikes"
        if rec.state_vars.get(pop):
            line += f", state {rec.state_vars[pop]}"
        print(line)
    for sg, info in rec.synapse_groups.items():
        line = f"synapses   {sg}: {info.get('source')} -> {info.get('target')} ({info.get('matrix_type')})"
        if rec.weight_vars.get(sg):
            line += f", snapshots of {rec.weight_vars[sg]}"
        print(line)
    meta = a.get("metadata") or {}
    if meta:
        print("metadata   " + json.dumps(meta, sort_keys=True))
    return 0


def _nanmean(x: np.ndarray) -> float:
    """Mean over the finite entries (neurons that fired enough), NaN if there are none."""
    x = np.asarray(x, dtype=float)
    return float(np.mean(x[np.isfinite(x)])) if np.any(np.isfinite(x)) else float("nan")


def analyze(rec, t_start: float | None = None, t_stop: float | None = None) -> dict:
    """Summary statistics of a recording (the numbers ``genn-neuromod analyze`` prints)."""
    from ..recording import fano_factor, firing_rates, isi_cv, synchrony, weight_trajectories

    t0 = rec.t_start if t_start is None else t_start
    t1 = rec.t_start + rec.duration if t_stop is None else t_stop
    out: dict = {"t_start": t0, "t_stop": t1, "populations": {}, "synapses": {}}
    for pop in rec.spike_populations:
        n = rec.num_neurons(pop)
        times, ids = rec.spikes(pop, t0, t1)
        rates = firing_rates(times, ids, n, t0, t1)
        cv = isi_cv(times, ids, n)
        fano = fano_factor(times, ids, n, t0, t1)
        out["populations"][pop] = {
            "neurons": n, "spikes": int(len(times)), "rate_hz_mean": float(np.mean(rates)),
            "rate_hz_sd": float(np.std(rates)), "isi_cv_mean": _nanmean(cv), "fano_factor_mean": _nanmean(fano),
            "synchrony": float(synchrony(times, ids, n, t0, t1))}
    for sg, names in rec.weight_vars.items():
        for var in names:
            _, values = rec.weights(sg, var)
            traj = weight_trajectories(values)
            out["synapses"][f"{sg}.{var}"] = {"snapshots": int(len(traj["mean"])), "mean_first": float(traj["mean"][0]),
                                              "mean_last": float(traj["mean"][-1])}
    return out


def _cmd_analyze(args: argparse.Namespace) -> int:
    rec = _open(args.store)
    res = analyze(rec, args.t_start, args.t_stop)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))
    print(f"{'population':<12} {'neurons':>7} {'spikes':>9} {'rate Hz':>15} {'ISI CV':>7} {'Fano':>6} {'sync':>6}")
    for pop, r in res["populations"].items():
        print(f"{pop:<12} {r['neurons']:>7} {r['spikes']:>9} {r['rate_hz_mean']:>7.2f} +- {r['rate_hz_sd']:<5.2f}"
              f" {r['isi_cv_mean']:>7.2f} {r['fano_factor_mean']:>6.2f} {r['synchrony']:>6.3f}")
    for name, r in res["synapses"].items():
        print(f"weights {name}: mean {r['mean_first']:.4g} -> {r['mean_last']:.4g} over {r['snapshots']} snapshots")
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    from ..recording import plot_population_rates, plot_raster, plot_weight_histogram, plot_weight_trajectories

    rec = _open(args.store)
    out = Path(args.out_dir or Path(args.store).with_suffix("").name + "_plots")
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for pop in rec.spike_populations:
        made.append(plot_raster(rec, pop, out / f"raster_{pop}.png"))
    if rec.spike_populations:
        made.append(plot_population_rates(rec, out / "population_rates.png"))
    for sg, names in rec.weight_vars.items():
        for var in names:
            made.append(plot_weight_histogram(rec, sg, out / f"weights_{sg}_{var}.png", var=var))
            made.append(plot_weight_trajectories(rec, sg, out / f"weight_trajectories_{sg}_{var}.png", var=var))
    if not made:
        raise ValueError(f"'{args.store}' holds nothing to plot (no spikes or weights were recorded)")
    for p in made:
        print(p)
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from .sweep import run_sweep

    run_sweep(args.config, scheduler=args.scheduler, workers=args.workers, progress=True)
    return 0


def _cmd_experiment(args: argparse.Namespace) -> int:
    from ..experiments.distal_reward import QUIRK_SUFFIX, ablation_variants, get_condition
    from ..experiments.runner import run_distal_reward

    conditions = ablation_variants() if args.ablation else args.conditions
    if args.seed_ltp_quirk:  # the quirk belongs to the seed's pairing convention: conditions that use it
        conditions = [c if c.endswith(QUIRK_SUFFIX) or get_condition(c).stdp != "seed" else c + QUIRK_SUFFIX
                      for c in conditions]
    n_seeds = args.seeds if args.seeds is not None else (10 if args.ablation else 20)
    out = args.out if args.out is not None else ("distal_reward_ablation" if args.ablation else
                                                 "distal_reward_results")
    seeds = list(range(args.first_seed, args.first_seed + n_seeds))
    run_distal_reward(conditions, seeds, args.duration, out, workers=args.workers, scheduler=args.scheduler,
                      report_only=args.report_only)
    return 0


def _cmd_compartments(args: argparse.Namespace) -> int:
    from ..experiments.compartments import MultiplexingConfig, run_multiplexing
    from ..experiments.runner import run_distal_reward

    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    if args.part in ("multiplexing", "both"):
        config = MultiplexingConfig(cells=args.cells, duration_s=args.duration)
        run_multiplexing(seeds, args.out, config, report_only=args.report_only)
    if args.part in ("learning", "both"):  # the distal-reward network with two-compartment E cells, and without
        run_distal_reward(["tc_coupled", "tc_isolated"], seeds, args.learning_duration,
                          str(Path(args.out) / "learning"), workers=args.workers, scheduler=args.scheduler,
                          report_only=args.report_only)
    return 0


def _cmd_tasks(args: argparse.Namespace) -> int:
    from ..experiments.tasks import run_task_suite

    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    run_task_suite(args.variants, seeds, args.out, quick=args.quick, workers=args.workers,
                   scheduler=args.scheduler, report_only=args.report_only, split=args.split)
    return 0



def _task_split(text: str):
    from ..experiments.tasks import parse_split

    try:
        return parse_split(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _distal_condition(name: str) -> str:
    from ..experiments.distal_reward import get_condition

    try:
        get_condition(name)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return name


def _add_sweep_options(parser: argparse.ArgumentParser, default_out: str | None) -> None:
    """Options every seed-sweeping experiment shares: where, from which seed, on what, or only the report."""
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--out", default=default_out)
    parser.add_argument("--workers", type=int, default=1, help="parallel runs on a Dask LocalCluster")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler")
    parser.add_argument("--report-only", action="store_true",
                        help="write the table and figures of the runs complete in --out; run nothing")

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="genn-neuromod", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a circuit (JSON or GraphML) and record it into a zarr store")
    r.add_argument("circuit")
    r.add_argument("--engine", choices=["embedded", "genn"], default="embedded")
    r.add_argument("--backend", choices=["cpu", "cuda"], default="cpu")
    r.add_argument("--duration", type=float, default=1000.0, help="simulated ms (default 1000)")
    r.add_argument("--record", nargs="*", metavar="SPEC",
                   help="extra recordings: spikes:POP[,POP] state:POP.VAR weights:SYNAPSES.VAR")
    r.add_argument("--out", help="store path (default: CIRCUIT name with .zarr)")
    r.add_argument("--seed", type=int, help="model seed (default: the circuit's)")
    r.add_argument("--threads", type=int, default=None,
                   help="OpenMP threads of the embedded CPU engine (0 = all; default: all for networks of at least "
                        "2 M synapses and 2,000 neurons, else 1)")
    r.add_argument("--chunk-steps", type=int, default=1000, help="steps per recording chunk")
    r.add_argument("--overwrite", action="store_true", help="replace an existing store")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=_cmd_run)
    i = sub.add_parser("inspect", help="describe a recording store")
    i.add_argument("store")
    i.set_defaults(func=_cmd_inspect)
    a = sub.add_parser("analyze", help="rates, ISI CV, Fano factor, synchrony, weight changes")
    a.add_argument("store")
    a.add_argument("--t-start", type=float)
    a.add_argument("--t-stop", type=float)
    a.add_argument("--json", help="also write the results to this JSON file")
    a.set_defaults(func=_cmd_analyze)
    pl = sub.add_parser("plot", help="raster, population rates and weight plots as PNG")
    pl.add_argument("store")
    pl.add_argument("--out-dir", help="folder for the PNGs (default: STORE_plots)")
    pl.set_defaults(func=_cmd_plot)
    s = sub.add_parser("sweep", help="run a parameter sweep from a TOML configuration on Dask")
    s.add_argument("config")
    s.add_argument("--scheduler", help="address of a running Dask scheduler (default: a LocalCluster)")
    s.add_argument("--workers", type=int, help="LocalCluster workers (default: one per core)")
    s.set_defaults(func=_cmd_sweep)
    e = sub.add_parser("experiment", help="reference experiments (distal-reward, tasks, compartments)")
    esub = e.add_subparsers(dest="experiment", required=True)
    dr = esub.add_parser("distal-reward", help="Izhikevich (2007) distal reward x heterogeneity x NA/ACh")
    from ..experiments.distal_reward import CONDITIONS

    dr.add_argument("--conditions", nargs="+", default=list(CONDITIONS), type=_distal_condition, metavar="NAME",
                    help=f"conditions (default all: {', '.join(CONDITIONS)}); also an ablation variant "
                         "'base-change' (see --ablation), each optionally with '+quirk'")
    dr.add_argument("--seeds", type=int, help="seeds per condition (default 20, or 10 with --ablation)")
    dr.add_argument("--duration", type=float, default=3600.0, help="simulated seconds per run (default 3600)")
    dr.add_argument("--ablation", action="store_true",
                    help="instead of --conditions: na_ach, bu_fs and rs_fs (the seed authors' protocol), each with "
                         "each earlier deviation put back one at a time (cell d, switch rule, dopamine clamp, delays, "
                         "STDP convention, LTP quirk); writes ablation.md and ablation.png "
                         "(out: distal_reward_ablation)")
    dr.add_argument("--seed-ltp-quirk", action="store_true",
                    help="reproduce the seed code's LTP step, which assumes the delay ceil(j/20) for synapse j "
                         "whatever its real delay (conditions with the seed's pairing convention)")
    _add_sweep_options(dr, None)
    dr.set_defaults(func=_cmd_experiment)
    from ..experiments.tasks import ALL_VARIANTS

    tk = esub.add_parser("tasks", help="digits task suite: continual learning, adaptation, noise, energy")
    tk.add_argument("--variants", nargs="+", default=list(ALL_VARIANTS), choices=list(ALL_VARIANTS))
    tk.add_argument("--seeds", type=int, default=5, help="seeds per variant (default 5)")
    tk.add_argument("--quick", action="store_true", help="a few dozen samples per task (minutes in all)")
    tk.add_argument("--split", type=_task_split, default="01,23,45,67,89",
                    help="the tasks' digits, in learning order (default 01,23,45,67,89)")
    _add_sweep_options(tk, "task_results")
    tk.set_defaults(func=_cmd_tasks)
    cp = esub.add_parser("compartments", help="burst multiplexing with two-compartment cells (Naud & Sprekeler 2018)")
    cp.add_argument("--seeds", type=int, default=5, help="seeds (default 5)")
    cp.add_argument("--duration", type=float, default=20.0, help="simulated seconds per seed (default 20)")
    cp.add_argument("--cells", type=int, default=400, help="cells in the population (default 400)")
    cp.add_argument("--part", choices=["multiplexing", "learning", "both"], default="multiplexing",
                    help="multiplexing: burst multiplexing (default); learning: the distal-reward network with "
                         "two-compartment excitatory cells (tc_coupled) against the same cells uncoupled "
                         "(tc_isolated), into OUT/learning")
    cp.add_argument("--learning-duration", type=float, default=3600.0,
                    help="simulated seconds per learning run (default 3600)")
    _add_sweep_options(cp, "compartments_results")
    cp.set_defaults(func=_cmd_compartments)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except USER_ERRORS as exc:
        msg = _message(exc).strip().splitlines()
        print(f"genn-neuromod {args.command}: error: {' / '.join(m.strip() for m in msg if m.strip())}",
              file=sys.stderr)
        return 2


def _message(exc: Exception) -> str:
    """The exception's message; a KeyError's (whose str() is the repr of its key) as the message it carries, or,
    for a bare key, which key was not found."""
    if isinstance(exc, KeyError) and len(exc.args) == 1:
        key = exc.args[0]
        return key if isinstance(key, str) and " " in key.strip() else f"not found: {key!r}"
    return str(exc)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
