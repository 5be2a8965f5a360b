"""Run variants x seeds of the task suite, one zarr store per run (resumable), then the table and figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .circuit import FULL, QUICK, TaskConfig
from .protocol import ALL_VARIANTS, load_result, run_tasks, summary_of


def _task(job: dict[str, Any]) -> dict[str, Any]:
    return run_tasks(job["variant"], job["seed"], job["store"], job["cfg"])


def run_task_suite(variants: list[str], seeds: list[int], out: str | Path, quick: bool = False,
                   workers: int = 1, scheduler: str | None = None, report_only: bool = False) -> list[dict[str, Any]]:
    """Every variant x seed (skipping complete stores of the same mode), then ``results.md``, ``results.json``
    and the figures in ``out``."""
    from tqdm import tqdm

    from .report import plot_results, results_table

    unknown = [v for v in variants if v not in ALL_VARIANTS]
    if unknown:
        raise ValueError(f"unknown variant(s) {unknown}; choose from {list(ALL_VARIANTS)}")
    cfg: TaskConfig = QUICK if quick else FULL
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    mode = "quick" if quick else "full"
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
    table = results_table(summaries)
    cpu_h = sum(r["wall_s"] for r in results) / 3600.0
    table += f"\n\n{len(results)} runs ({mode} mode), {cpu_h:.2f} CPU-hours on the embedded single-threaded CPU engine"
    (out / "results.md").write_text(table + "\n")
    (out / "results.json").write_text(json.dumps(summaries, indent=1, default=float))
    plot_results(results, out)
    print(table)
    return summaries
