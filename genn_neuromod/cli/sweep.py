"""Parameter sweeps: a grid or list of points x seeds, one store per run, on a Dask cluster.

Configuration (TOML; paths are relative to the configuration file)::

    circuit = "example_circuit.json"
    duration = 1000.0          # ms
    out = "sweep_out"          # one store per point and seed, plus sweep.json
    seeds = [1, 2, 3]
    engine = "embedded"        # or "genn"
    backend = "cpu"

    [grid]                     # the Cartesian product of these values ...
    "nodes.E.params.a" = [0.02, 0.03]

    [[points]]                 # ... and/or explicit points
    "edges.EE.weight_update.vars.g" = 0.3

A sweep is resumable: a run whose store exists and is complete is skipped.
"""

from __future__ import annotations

import itertools
import json
import tomllib
from pathlib import Path
from typing import Any

from ..compiler.errors import ModelError


def load_sweep_config(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"sweep configuration '{path}' does not exist")
    try:
        cfg = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ModelError(f"sweep configuration '{path}': {exc}") from None
    for key in ("circuit", "duration"):
        if key not in cfg:
            raise ModelError(f"sweep configuration '{path}': missing '{key}'")
    unknown = set(cfg) - {"circuit", "duration", "out", "seeds", "engine", "backend", "grid", "points", "record",
                          "chunk_steps", "threads"}
    if unknown:
        raise ModelError(f"sweep configuration '{path}': unknown keys {sorted(unknown)}")
    base = path.parent
    cfg["circuit"] = str((base / cfg["circuit"]).resolve())
    cfg["out"] = str((base / cfg.get("out", path.stem + "_out")).resolve())
    cfg.setdefault("seeds", [0])
    return cfg


def sweep_points(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    """The parameter points of a configuration: the grid's product followed by the listed points."""
    points: list[dict[str, Any]] = []
    grid = cfg.get("grid", {})
    if grid:
        keys = list(grid)
        for values in itertools.product(*(grid[k] if isinstance(grid[k], list) else [grid[k]] for k in keys)):
            points.append(dict(zip(keys, values, strict=True)))
    points += [dict(p) for p in cfg.get("points", [])]
    return points or [{}]


def plan_runs(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    out = Path(cfg["out"])
    runs = []
    for i, point in enumerate(sweep_points(cfg)):
        for seed in cfg["seeds"]:
            runs.append({"index": i, "point": point, "seed": int(seed),
                         "store": str(out / f"point{i:03d}_seed{seed}.zarr")})
    return runs


def _is_complete(store: str) -> bool:
    try:
        from ..recording import open_store

        return bool(open_store(store).complete)
    except (FileNotFoundError, ValueError, KeyError, OSError):
        return False


def _run_one(task: dict[str, Any]) -> dict[str, Any]:
    """Executed on a worker: one circuit run into one store."""
    from ..circuits import load_graph
    from .runs import run_circuit

    graph = load_graph(task["circuit"])
    summary = run_circuit(graph, task["store"], task["duration"], engine=task["engine"], backend=task["backend"],
                          seed=task["seed"], overrides=task["point"], record=task.get("record"),
                          chunk_steps=task.get("chunk_steps", 1000), threads=task.get("threads", 1), overwrite=True,
                          metadata={"sweep_index": task["index"]})
    summary["index"] = task["index"]
    return summary


def run_sweep(config_path: str | Path, scheduler: str | None = None, workers: int | None = None,
              progress: bool = True) -> list[dict[str, Any]]:
    """Run every point x seed not yet complete; return the summaries of the runs done now."""
    cfg = load_sweep_config(config_path)
    runs = plan_runs(cfg)
    Path(cfg["out"]).mkdir(parents=True, exist_ok=True)
    (Path(cfg["out"]) / "sweep.json").write_text(json.dumps({"config": cfg, "runs": runs}, indent=1))
    todo = []
    for r in runs:
        if _is_complete(r["store"]):
            continue
        todo.append({**r, "circuit": cfg["circuit"], "duration": float(cfg["duration"]),
                     "engine": cfg.get("engine", "embedded"), "backend": cfg.get("backend", "cpu"),
                     "record": cfg.get("record"), "chunk_steps": int(cfg.get("chunk_steps", 1000)),
                     "threads": int(cfg.get("threads", 1))})
    if progress:
        print(f"sweep: {len(runs)} runs ({len(runs) - len(todo)} already complete, {len(todo)} to do)")
    if not todo:
        return []
    from ..parallel import map_jobs

    done = []
    for res in map_jobs(_run_one, todo, workers, scheduler):
        done.append(res)
        if progress:
            print(f"  done {len(done)}/{len(todo)}: {Path(res['store']).name} ({res['wall_s']:.1f} s)")
    return sorted(done, key=lambda r: r["store"])
