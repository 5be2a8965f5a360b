"""Run an experiment's conditions x seeds, one store per run, in parallel on Dask; resumable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _distal_task(task: dict[str, Any]) -> dict[str, Any]:
    from .distal_reward import run_one

    return run_one(task["condition"], task["seed"], task["duration_s"], task["store"])


def _read_index(path: Path) -> list[dict[str, Any]]:
    """The finished runs listed in a sweep's ``results.json`` (empty where there is none)."""
    if not path.exists():
        return []
    try:
        runs = json.loads(path.read_text())
        for r in runs:
            r["condition"], r["seed"], r["duration_s"] = str(r["condition"]), int(r["seed"]), float(r["duration_s"])
        return runs
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"{path} is not a results index written by this experiment ({exc}); move it away to "
                         "start a new index") from None


def _key(run: dict[str, Any]) -> tuple[str, int, float]:
    return run["condition"], int(run["seed"]), float(run["duration_s"])


def _write_index(path: Path, index: list[dict[str, Any]], done: list[dict[str, Any]]) -> None:
    """Write the runs of ``done`` and those of the old ``index`` not among them, atomically (an interrupted
    sweep never leaves the index cut off)."""
    new = {_key(r) for r in done}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps([r for r in index if _key(r) not in new] + done, indent=1))
    tmp.replace(path)


def run_distal_reward(conditions: list[str], seeds: list[int], duration_s: float, out: str | Path,
                      workers: int | None = None, scheduler: str | None = None,
                      report_only: bool = False) -> list[dict[str, Any]]:
    """Every condition x seed (skipping complete runs), then the results table and figures in ``out``.

    Runs go seed by seed across the conditions, so an interrupted sweep leaves a balanced table;
    ``report_only`` writes the table and figures of the complete runs without running the rest.
    ``out/results.json`` is the sweep's index: it is rewritten after every finished run, and a run listed there
    (same condition, seed and duration) counts as complete even where its store is gone, so a long sweep can be
    carried between machines by its index alone. Delete an entry, or the file, to run it again.
    """
    from .distal_reward import ablation_base, get_condition, summarise
    from .report import ablation_table, plot_ablation, plot_results, results_table

    for c in conditions:
        get_condition(c)  # an unknown name is refused before anything runs
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    index = _read_index(out / "results.json")
    listed = {(r["condition"], r["seed"]): r for r in index if r["duration_s"] == duration_s}
    tasks, done, indexed = [], [], 0
    for s in seeds:
        for c in conditions:
            store = str(out / f"{c}_seed{s}.zarr")
            try:
                summary = summarise(store)
                if summary["duration_s"] == duration_s:
                    done.append(summary)
                    continue
            except (FileNotFoundError, KeyError, ValueError, OSError):
                pass
            if (c, s) in listed:
                done.append(listed[(c, s)])
                indexed += 1
                continue
            tasks.append({"condition": c, "seed": s, "duration_s": duration_s, "store": store})
    print(f"distal reward: {len(tasks) + len(done)} runs ({len(done)} complete, {indexed} of them only in "
          f"results.json; {len(tasks)} to do)", flush=True)
    if tasks and not report_only:
        from tqdm import tqdm

        from ..parallel import map_jobs

        local = scheduler is None and (workers or 1) == 1
        with tqdm(total=len(tasks), desc="distal reward", unit="run") as bar:  # its estimate: the time left
            for res in map_jobs(_distal_task, tasks, workers, scheduler, local=local):
                done.append(res)
                _write_index(out / "results.json", index, done)
                bar.write(f"  done {res['condition']} seed {res['seed']} ({res['wall_s']:.0f} s)")
                bar.update()
    if not done:
        print("no complete runs yet", flush=True)
        return done
    done.sort(key=lambda r: (conditions.index(r["condition"]), r["seed"]))
    table = results_table(done)
    table += (f"\n\n{len(done)} runs of {duration_s:g} s, {sum(r['wall_s'] for r in done) / 3600.0:.2f} CPU-hours "
              "on the embedded single-threaded CPU engine")
    if any(ablation_base(c) for c in conditions):  # ablation variants: each against its base, paired by seed
        ablation = ablation_table(done)
        (out / "ablation.md").write_text(ablation + "\n")
        plot_ablation(done, out)
        table += "\n\n" + ablation
    (out / "results.md").write_text(table + "\n")
    _write_index(out / "results.json", index, done)
    plot_results(done, out)
    print(table)
    return done
