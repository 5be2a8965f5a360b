"""Run variants x seeds of the task suite, one zarr store per run (resumable), then the table and figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .circuit import FULL, QUICK, TaskConfig
from .data import TASK_CLASSES
from .protocol import ALL_VARIANTS, load_result, run_tasks, summary_of


def _task(job: dict[str, Any]) -> dict[str, Any]:
    return run_tasks(job["variant"], job["seed"], job["store"], job["cfg"])


def split_tag(split: tuple[tuple[int, ...], ...]) -> str:
    """``""`` for the default split, else e.g. ``"_split-02-13-45-67-89"`` (part of the store names)."""
    return "" if tuple(map(tuple, split)) == TASK_CLASSES else "_split-" + "-".join("".join(map(str, t)) for t in split)


def run_task_suite(variants: list[str], seeds: list[int], out: str | Path, quick: bool = False,
                   workers: int = 1, scheduler: str | None = None, report_only: bool = False,
                   split: tuple[tuple[int, ...], ...] = TASK_CLASSES) -> list[dict[str, Any]]:
    """Every variant x seed on the task ``split`` (skipping complete stores of the same mode and split), then
    ``results.md``, ``results.json`` and the figures in ``out``."""
    from tqdm import tqdm

    from .report import diagonal_table, energy_share_table, plot_results, results_table

    unknown = [v for v in variants if v not in ALL_VARIANTS]
    if unknown:
        raise ValueError(f"unknown variant(s) {unknown}; choose from {list(ALL_VARIANTS)}")
    cfg: TaskConfig = (QUICK if quick else FULL).with_changes(split=tuple(map(tuple, split)))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    mode = ("quick" if quick else "full") + split_tag(cfg.split)
    jobs, results = [], []
    for s in seeds:
        for v in variants:
            store = str(out / f"{v}_seed{s}_{mode}.zarr")
            try:
                results.append(load_result(store))
                continue
            except (FileNotFoundError, KeyError, ValueError, OSError):
                pass
            jobs.append({"variant": v, "seed": s, "store": store, "cfg": cfg})
    print(f"task suite ({mode}): {len(jobs) + len(results)} runs ({len(results)} complete, {len(jobs)} to do)",
          flush=True)
    if jobs and not report_only:
        from ...parallel import map_jobs

        local = scheduler is None and workers <= 1
        for _ in tqdm(map_jobs(_task, jobs, workers, scheduler, local=local), total=len(jobs), desc="runs",
                      unit="run"):
            pass
        results += [load_result(j["store"]) for j in jobs]
    if not results:
        print("no complete runs yet")
        return []
    results.sort(key=lambda r: (variants.index(r["variant"]), r["seed"]))
    summaries = [summary_of(r) for r in results]
    cpu_h = sum(r["wall_s"] for r in results) / 3600.0
    parts = [results_table(summaries),
             "Accuracy right after learning each task (mean over seeds):\n\n" + diagonal_table(results)]
    share = energy_share_table(summaries)
    if share:
        parts.append("Share of the inference energy spent by each layer's outgoing synapses:\n\n" + share)
    parts.append(f"{len(results)} runs ({mode} mode, tasks {cfg.split}), {cpu_h:.2f} CPU-hours on the embedded "
                 "single-threaded CPU engine")
    table = "\n\n".join(parts)
    (out / "results.md").write_text(table + "\n")
    (out / "results.json").write_text(json.dumps(summaries, indent=1, default=float))
    plot_results(results, out)
    print(table)
    return summaries
