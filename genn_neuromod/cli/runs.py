"""Running one circuit into one store: shared by ``genn-neuromod run`` and sweep workers."""

from __future__ import annotations

import copy
import math
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import networkx as nx

from ..compiler.errors import ModelError


def parse_record_specs(specs: list[str]) -> dict[str, Any]:
    """``spikes:E``, ``state:E.V``, ``weights:EE.g`` -> the recorder's ``spikes``/``state``/``weights``."""
    plan: dict[str, Any] = {"spikes": [], "state": {}, "weights": {}}
    for spec in specs:
        kind, _, what = spec.partition(":")
        if kind == "spikes" and what:
            plan["spikes"] += [w for w in what.split(",") if w]
        elif kind in ("state", "weights") and "." in what:
            group, _, var = what.partition(".")
            plan[kind].setdefault(group, []).append(var)
        else:
            raise ValueError(f"bad --record '{spec}': use spikes:POP[,POP], state:POP.VAR or weights:SYNAPSES.VAR")
    return plan


def set_path(graph: nx.MultiDiGraph, path: str, value: Any) -> None:
    """Set ``graph.dt``, ``nodes.E.params.a`` or ``edges.EE.weight_update.vars.g`` in a circuit graph."""
    parts = path.split(".")
    if parts[0] == "graph" and len(parts) == 2:
        graph.graph[parts[1]] = value
        return
    if parts[0] == "nodes" and len(parts) >= 3:
        if parts[1] not in graph.nodes:
            raise ModelError(f"sweep parameter '{path}': no node '{parts[1]}' (nodes: {sorted(graph.nodes)})")
        target = graph.nodes[parts[1]]
    elif parts[0] == "edges" and len(parts) >= 3:
        found = [d for _, _, d in graph.edges(data=True) if d.get("name") == parts[1]]
        if not found:
            names = sorted(d.get("name") for _, _, d in graph.edges(data=True))
            raise ModelError(f"sweep parameter '{path}': no edge '{parts[1]}' (edges: {names})")
        target = found[0]
    else:
        raise ModelError(f"sweep parameter '{path}': use graph.FIELD, nodes.NODE.FIELD... or edges.EDGE.FIELD...")
    for key in parts[2:-1]:
        target = target.setdefault(key, {})
    target[parts[-1]] = value


def run_circuit(graph: nx.MultiDiGraph, out: str | Path, duration_ms: float, engine: str = "embedded",
                backend: str = "cpu", seed: int | None = None, record: dict[str, Any] | None = None,
                overrides: dict[str, Any] | None = None, threads: int | None = None, chunk_steps: int = 1000,
                progress: bool = False, overwrite: bool = False, metadata: dict | None = None) -> dict[str, Any]:
    """Build ``graph``, run it for ``duration_ms`` and record into the zarr store ``out``; return a summary."""
    from ..circuits import build_model
    from ..recording import Recorder

    graph = copy.deepcopy(graph)
    for path, value in (overrides or {}).items():
        set_path(graph, path, value)
    if seed is not None:
        graph.graph["seed"] = int(seed)
    prefs = {"num_threads": threads} if engine == "embedded" else {}
    model, handles = build_model(graph, engine=engine, backend=backend, **prefs)
    plan = asdict(handles.record)
    if record:
        plan["spikes"] = list(dict.fromkeys(plan["spikes"] + record.get("spikes", [])))
        for kind in ("state", "weights"):
            for group, names in record.get(kind, {}).items():
                plan[kind][group] = list(dict.fromkeys(plan[kind].get(group, []) + names))
        for pop in record.get("spikes", []):
            if pop not in handles.populations:
                raise ModelError(f"--record spikes:{pop}: the circuit has no population '{pop}'")
            handles.populations[pop].spike_recording_enabled = True
    if engine == "genn":  # PyGeNN hands out spike recordings only once its buffer is full
        steps = int(round(duration_ms / float(graph.graph.get("dt", 0.1))))
        chunk_steps = math.gcd(steps, chunk_steps) or chunk_steps
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gn_code_") as code_dir:
        model.build(code_dir)
        meta = {"circuit": graph.graph.get("name"), "overrides": overrides or {}, **(metadata or {})}
        rec = Recorder(model, out, chunk_steps=chunk_steps, metadata=meta, overwrite=overwrite, **plan)
        model.load(num_recording_timesteps=rec.chunk_steps)
        rec.run(duration_ms, progress=progress)
        rec.close()
    wall = time.perf_counter() - start
    return {"store": str(out), "duration_ms": duration_ms, "wall_s": wall, "seed": graph.graph.get("seed"),
            "overrides": overrides or {}}
