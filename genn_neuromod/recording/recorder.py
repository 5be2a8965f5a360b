"""``Recorder``: run a model and stream spikes, sampled state and weight snapshots into a zarr v3 store.

Layout (one store per run; the README's recording section)::

    attrs                      model description, seeds, engine, backend, versions (and the git revision of a
                               source checkout), dt, duration, metadata,
                               complete (false until close())
    spikes/<pop>/times         float64 [n_spikes]     spike times (ms), in time order
    spikes/<pop>/ids           int32   [n_spikes]     neuron indices
    spikes/<pop>/chunk_index   int64   [n_chunks, 3]  first step, last step, offset of the chunk into times
    state/<pop>/times          float64 [n_samples]    model.t when sampled (after the step)
    state/<pop>/<var>          [n_samples, n_neurons]
    weights/<sg>/times         float64 [n_snapshots]
    weights/<sg>/<var>         [n_snapshots, n_synapses]
    weights/<sg>/pre, post     int32   [n_synapses]   connectivity (synapse order of the snapshots)

Every chunk of ``chunk_steps`` steps is appended and written out before the next starts, data first and
``chunk_index`` last, so memory does not grow with the run and a killed run leaves a readable store that holds
every flushed chunk. Time-axis arrays are filled with NaN, so a write cut short is recognisable.
"""

from __future__ import annotations

import datetime as _dt
import time
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import zarr

FORMAT = "genn_neuromod.recording"
FORMAT_VERSION = 1
SPIKE_CHUNK = 1 << 18  # zarr chunk (elements) of the spike arrays
MAX_CHUNK_BYTES = 8 << 20  # upper bound of one zarr chunk of state / weight arrays
#: matrix types whose weight-update variables are stored per synapse, so snapshots of them can be recorded
RECORDABLE_MATRICES = ("DENSE", "SPARSE")


def _jsonable(value: Any) -> Any:
    """Convert parameters (numpy scalars and arrays, initialisers, enums) into JSON values."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (str, bool, int, float)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        if value.size <= 64:
            return value.tolist()
        return {"shape": list(value.shape), "mean": float(np.mean(value)), "min": float(np.min(value)),
                "max": float(np.max(value))}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    snippet = getattr(value, "snippet", None)
    if snippet is not None:  # VarInit / SparseConnectivityInit
        return {"snippet": _class_name(snippet), "params": _jsonable(getattr(value, "params", {}))}
    name = getattr(value, "name", None)
    return name if isinstance(name, str) else repr(value)


def _class_name(model: Any) -> str:
    return str(getattr(model, "class_name", None) or type(model).__name__)


def _init_params(init: Any) -> dict:
    """Parameter values of an initialiser (genn_neuromod: ``.params``; PyGeNN: ``get_params()``)."""
    params = getattr(init, "params", None)
    if params is None and hasattr(init, "get_params"):
        params = {k: getattr(v, "value", v) for k, v in init.get_params().items()}
    return dict(params or {})


def describe_model(model: Any) -> dict[str, Any]:
    """A JSON description of a model's populations and synapse groups."""
    pops = {name: {"num_neurons": int(p.num_neurons), "model": _class_name(p.model), "params": _jsonable(p.params)}
            for name, p in model.neuron_populations.items()}
    syns = {}
    for name, sg in model.synapse_populations.items():
        conn = getattr(sg, "connectivity_initialiser", None)
        syns[name] = {
            "source": sg.src.name, "target": sg.trg.name,
            "matrix_type": _matrix_name(sg),
            "weight_update_model": _class_name(sg.wu_initialiser.snippet),  # both engines have the initialisers
            "postsynaptic_model": _class_name(sg.ps_initialiser.snippet),
            "wu_params": _jsonable(_init_params(sg.wu_initialiser)),
            "ps_params": _jsonable(_init_params(sg.ps_initialiser)),
            "connectivity": _jsonable(conn) if conn is not None else None,
            "axonal_delay_steps": int(getattr(sg, "axonal_delay_steps", 0)),
            "back_prop_delay_steps": int(getattr(sg, "back_prop_delay_steps", 0)),
            "max_dendritic_delay_timesteps": int(getattr(sg, "max_dendritic_delay_timesteps", 1)),
        }
    sources = {n: {"model": _class_name(c.model), "target": getattr(getattr(c, "pop", None), "name", None),
                   "params": _jsonable(getattr(c, "params", {}))}
               for n, c in getattr(model, "current_sources", {}).items()}
    return {"name": getattr(model, "name", None), "precision": str(getattr(model, "precision", "")),
            "populations": pops, "synapse_groups": syns, "current_sources": sources}


def _engine(model: Any) -> tuple[str, str | None]:
    root = type(model).__module__.split(".")[0]
    try:
        import importlib

        version = getattr(importlib.import_module(root), "__version__", None)
    except ImportError:  # pragma: no cover
        version = None
    return root, version


def _var_values(var: Any) -> np.ndarray:
    """Current values of a neuron variable as a 1-D array (delayed variables: the current slot)."""
    var.pull_from_device()
    view = getattr(var, "current_view", None)
    if view is None:  # pragma: no cover - older PyGeNN
        view = var.view
    return np.asarray(view).reshape(-1)


def _fill(dtype: np.dtype) -> Any:
    return np.nan if np.issubdtype(dtype, np.floating) else 0


def _time_array(group: zarr.Group, name: str, chunk: int) -> zarr.Array:
    return group.create_array(name, shape=(0,), chunks=(chunk,), dtype="float64", fill_value=np.nan)


class Recorder:
    """Run a model and record it chunk by chunk into a zarr v3 store.

    Args:
        model: a built (or loaded) ``GeNNModel``; if it is not built yet, spike recording is enabled on the
            populations in ``spikes``.
        store_path: path of the new store (a directory, conventionally ``*.zarr``).
        spikes: names of the populations whose spikes are recorded (``spike_recording_enabled`` must be set
            before ``build()``).
        state: ``{population: [variables]}`` sampled every ``state_every`` steps.
        state_every: sampling interval of ``state`` in steps.
        weights: ``{synapse group: [variables]}`` snapshot at the start and the end of each ``run`` and every
            ``weight_every`` steps.
        weight_every: snapshot interval in steps (``None``: start and end only).
        chunk_steps: steps per chunk (one recording buffer, one write); load the model with
            ``num_recording_timesteps=rec.chunk_steps``.
        metadata: user metadata stored in the root attributes (JSON values).
        overwrite: replace an existing store at ``store_path``.
    """

    def __init__(self, model: Any, store_path: str | Path, spikes: Iterable[str] | str = (),
                 state: Mapping[str, Iterable[str]] | None = None, state_every: int = 1,
                 weights: Mapping[str, Iterable[str]] | None = None, weight_every: int | None = None,
                 chunk_steps: int = 1000, metadata: dict | None = None, overwrite: bool = False):
        self.model = model
        self.path = Path(store_path)
        self.spikes = [spikes] if isinstance(spikes, str) else list(spikes)
        self.state = {p: list(v) for p, v in (state or {}).items()}
        self.weights = {s: list(v) for s, v in (weights or {}).items()}
        self.state_every = int(state_every)
        self.weight_every = None if weight_every is None else int(weight_every)
        self.chunk_steps = int(chunk_steps)
        if self.chunk_steps < 1 or self.state_every < 1 or (self.weight_every is not None and self.weight_every < 1):
            raise ValueError("chunk_steps, state_every and weight_every must be positive")
        self._check_groups()
        if self.path.exists() and not overwrite:
            raise FileExistsError(f"a store already exists at '{self.path}' (pass overwrite=True to replace it)")
        self.root = zarr.open_group(str(self.path), mode="w", zarr_format=3)
        engine, engine_version = _engine(model)
        from .. import __version__
        from ..provenance import source_revision

        self.root.attrs.update({
            "format": FORMAT, "format_version": FORMAT_VERSION, "complete": False,
            "model": describe_model(model), "engine": engine, "engine_version": engine_version,
            "backend": str(getattr(model, "backend_name", None) or type(model).__name__),
            "genn_neuromod_version": __version__, "genn_neuromod_revision": source_revision(),
            "dt": float(model.dt), "seed": int(getattr(model, "seed", 0)),
            "seed_used": None, "chunk_steps": self.chunk_steps, "state_every": self.state_every,
            "weight_every": self.weight_every, "spikes": self.spikes, "state": self.state, "weights": self.weights,
            "metadata": _jsonable(metadata or {}), "start_time": None, "end_time": None,
            "t_start": None, "duration": 0.0, "steps": 0,
        })
        self._weight_buf: dict[tuple[str, str], list[np.ndarray]] = {}
        self._weight_times: dict[str, list[float]] = {}
        self._origin: int | None = None  # timestep of the first run's start (sampling schedules count from it)
        self._steps = 0
        self._last_snapshot: int | None = None
        self._closed = False

    # -- setup -----------------------------------------------------------------
    def _check_groups(self) -> None:
        m = self.model
        for pop in list(self.spikes) + list(self.state):
            if pop not in m.neuron_populations:
                raise KeyError(f"no neuron population '{pop}'; the model has {sorted(m.neuron_populations)}")
        for sg in self.weights:
            if sg not in m.synapse_populations:
                raise KeyError(f"no synapse population '{sg}'; the model has {sorted(m.synapse_populations)}")
        for pop, names in self.state.items():
            for v in names:
                if v not in m.neuron_populations[pop].vars:
                    raise KeyError(f"population '{pop}' has no variable '{v}'")
        for sg, names in self.weights.items():
            matrix = _matrix_name(m.synapse_populations[sg])
            if matrix not in RECORDABLE_MATRICES:
                raise ValueError(f"synapse population '{sg}' has a {matrix} matrix, which does not store its weights "
                                 f"per synapse; only {' and '.join(RECORDABLE_MATRICES)} weights can be recorded")
            for v in names:
                if v not in m.synapse_populations[sg].vars:
                    raise KeyError(f"synapse population '{sg}' has no weight update variable '{v}'")
        built = getattr(m, "_built", True)
        for pop in self.spikes:
            ng = m.neuron_populations[pop]
            if not ng.spike_recording_enabled:
                if built:
                    raise ValueError(f"spike recording is not enabled for '{pop}': set "
                                     f"model.neuron_populations['{pop}'].spike_recording_enabled = True before "
                                     "build(), or create the Recorder before build()")
                ng.spike_recording_enabled = True

    def _buffer_steps(self) -> int:
        """Size of the loaded model's spike recording buffer (steps)."""
        rt = getattr(self.model, "_runtime", None)
        for owner, attr in ((rt, "num_recording_timesteps"), (self.model, "_num_recording_timesteps")):
            n = getattr(owner, attr, None) if owner is not None else None
            if isinstance(n, (int, np.integer)) and n > 0:
                return int(n)
        return self.chunk_steps

    def _start(self) -> None:
        """First run: load the model if needed and create the arrays."""
        m = self.model
        if not getattr(m, "_loaded", True):
            m.load(num_recording_timesteps=self.chunk_steps)
        if self.spikes and self._buffer_steps() < self.chunk_steps:
            raise ValueError(f"the model's recording buffer ({self._buffer_steps()} steps) is smaller than "
                             f"chunk_steps={self.chunk_steps}; load it with num_recording_timesteps=rec.chunk_steps")
        self._origin = int(m.timestep)
        used = getattr(getattr(m, "_runtime", None), "seed", None) or getattr(m, "seed", 0) or None
        self.root.attrs.update({"seed_used": None if used is None else int(used),
                                "start_time": _dt.datetime.now(_dt.UTC).isoformat(), "t_start": float(m.t)})
        for pop in self.spikes:
            g = self.root.require_group("spikes").require_group(pop)
            _time_array(g, "times", SPIKE_CHUNK)
            g.create_array("ids", shape=(0,), chunks=(SPIKE_CHUNK,), dtype="int32", fill_value=-1)
            g.create_array("chunk_index", shape=(0, 3), chunks=(4096, 3), dtype="int64", fill_value=-1)
        self._state_buf: dict[tuple[str, str], np.ndarray] = {}
        rows = max(1, self.chunk_steps // self.state_every)
        for pop, names in self.state.items():
            g = self.root.require_group("state").require_group(pop)
            n = m.neuron_populations[pop].num_neurons
            _time_array(g, "times", max(rows, 1024))
            for v in names:
                dtype = _var_values(m.neuron_populations[pop].vars[v]).dtype
                zrows = int(np.clip(MAX_CHUNK_BYTES // max(1, n * dtype.itemsize), 1, rows))
                g.create_array(v, shape=(0, n), chunks=(zrows, n), dtype=dtype, fill_value=_fill(dtype))
                self._state_buf[pop, v] = np.empty((rows + 1, n), dtype=dtype)
        self._state_times = np.empty(rows + 1)
        for sg_name, names in self.weights.items():
            sg = m.synapse_populations[sg_name]
            pre, post = _connectivity(sg)
            g = self.root.require_group("weights").require_group(sg_name)
            g.create_array("pre", data=pre.astype(np.int32), chunks=(min(max(pre.size, 1), 1 << 22),))
            g.create_array("post", data=post.astype(np.int32), chunks=(min(max(post.size, 1), 1 << 22),))
            _time_array(g, "times", 1024)
            for v in names:
                dtype = np.asarray(sg.vars[v].values).dtype
                cols = int(np.clip(MAX_CHUNK_BYTES // dtype.itemsize, 1, max(pre.size, 1)))
                g.create_array(v, shape=(0, pre.size), chunks=(1, cols), dtype=dtype, fill_value=_fill(dtype))

    # -- running ---------------------------------------------------------------
    def _step(self, n: int) -> None:
        step_n = getattr(self.model, "step_time_n", None)
        if step_n is not None:
            step_n(n)
        else:  # real PyGeNN
            for _ in range(n):
                self.model.step_time()

    def _snapshot(self) -> None:
        """Take one weight snapshot of every recorded synapse group (buffered; written by _flush_weights)."""
        m = self.model
        if self._last_snapshot == m.timestep or not self.weights:
            return
        for sg_name, names in self.weights.items():
            sg = m.synapse_populations[sg_name]
            for v in names:
                var = sg.vars[v]
                var.pull_from_device()
                self._weight_buf.setdefault((sg_name, v), []).append(np.array(var.values).reshape(1, -1))
            self._weight_times.setdefault(sg_name, []).append(m.t)
        self._last_snapshot = m.timestep

    def _flush_weights(self) -> None:
        """Append the buffered snapshots: one zarr write per array and chunk, not one per snapshot."""
        for (sg_name, v), snaps in self._weight_buf.items():
            if snaps:
                self.root["weights"][sg_name][v].append(np.concatenate(snaps, axis=0), axis=0)
        for sg_name, times in self._weight_times.items():
            if times:
                self.root["weights"][sg_name]["times"].append(np.asarray(times, dtype=np.float64))
        self._weight_buf = {}
        self._weight_times = {}

    def run(self, duration_ms: float, progress: bool = False) -> None:
        """Simulate ``duration_ms`` more milliseconds, writing each chunk as it completes."""
        if self._closed:
            raise RuntimeError("the recorder is closed")
        if self._origin is None:
            self._start()
        m = self.model
        total = int(round(duration_ms / m.dt))
        from tqdm.auto import tqdm

        bar = tqdm(total=total * m.dt, unit="ms", desc="simulating", disable=not progress,
                   bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} ms [{elapsed}<{remaining}{postfix}]")
        wall0, done = time.perf_counter(), 0
        self._snapshot()
        try:
            while done < total:
                n = min(self.chunk_steps, total - done)
                self._run_chunk(n)
                done += n
                bar.update(n * m.dt)
                wall = time.perf_counter() - wall0
                bar.set_postfix_str(f"{done * m.dt / 1000.0 / max(wall, 1e-9):.2f}x realtime")
        except BaseException as exc:  # the chunks written so far stay readable (the store stays incomplete)
            self.root.attrs.update({"error": f"{type(exc).__name__}: {exc}", "steps": self._steps,
                                    "duration": self._steps * m.dt})
            raise
        finally:
            bar.close()
        self._snapshot()
        self._flush_weights()
        self.root.attrs.update({"duration": self._steps * m.dt, "steps": self._steps})

    def _run_chunk(self, n: int) -> None:
        m = self.model
        first = int(m.timestep)
        end = first + n
        rows = 0
        while m.timestep < end:
            rel = m.timestep - self._origin
            stop = end
            if self.state:
                stop = min(stop, m.timestep + self.state_every - rel % self.state_every)
            if self.weights and self.weight_every:
                stop = min(stop, m.timestep + self.weight_every - rel % self.weight_every)
            self._step(stop - m.timestep)
            rel = m.timestep - self._origin
            if self.state and rel % self.state_every == 0:
                for (pop, v), buf in self._state_buf.items():
                    buf[rows] = _var_values(m.neuron_populations[pop].vars[v])
                self._state_times[rows] = m.t
                rows += 1
            if self.weights and self.weight_every and rel % self.weight_every == 0:
                self._snapshot()
        self._steps += n
        self._flush_weights()
        self._flush(first, end - 1, rows)

    def _flush(self, first: int, last: int, rows: int) -> None:
        """Append one chunk: spikes and state data first, then the chunk index."""
        m = self.model
        if rows:
            for pop in self.state:
                g = self.root["state"][pop]
                for v in self.state[pop]:
                    g[v].append(self._state_buf[pop, v][:rows], axis=0)
                g["times"].append(self._state_times[:rows])
        if not self.spikes:
            return
        m.pull_recording_buffers_from_device()
        if self._engine_is_pygenn() and (last + 1) % self._buffer_steps():
            warnings.warn("with PyGeNN, spike recording is exact only when every chunk fills the recording "
                          "buffer (run durations a multiple of chunk_steps)", stacklevel=3)
        for pop in self.spikes:
            times, ids = m.neuron_populations[pop].spike_recording_data[0]
            steps = np.rint(np.asarray(times, dtype=np.float64) / m.dt).astype(np.int64)
            keep = (steps >= first) & (steps <= last)
            g = self.root["spikes"][pop]
            offset = g["times"].shape[0]
            g["times"].append(steps[keep] * m.dt)
            g["ids"].append(np.asarray(ids)[keep].astype(np.int32))
            g["chunk_index"].append(np.array([[first, last, offset]], dtype=np.int64), axis=0)

    def _engine_is_pygenn(self) -> bool:
        return _engine(self.model)[0] == "pygenn"

    # -- closing ---------------------------------------------------------------
    def close(self) -> None:
        """Mark the store complete (``attrs['complete'] = True``)."""
        if self._closed:
            return
        self.root.attrs.update({"complete": True, "end_time": _dt.datetime.now(_dt.UTC).isoformat(),
                                "duration": self._steps * float(self.model.dt), "steps": self._steps})
        self._closed = True

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if exc_type is None:
            self.close()


def _matrix_name(sg: Any) -> str:
    """A synapse group's matrix type by name ("SPARSE"), on either engine."""
    return getattr(sg.matrix_type, "name", str(sg.matrix_type)).rsplit(".", 1)[-1]


def _connectivity(sg: Any) -> tuple[np.ndarray, np.ndarray]:
    """(pre, post) indices of a synapse group, in the order of its ``vars[...].values``."""
    if _matrix_name(sg) == "SPARSE":
        sg.pull_connectivity_from_device()
        return np.asarray(sg.get_sparse_pre_inds()), np.asarray(sg.get_sparse_post_inds())
    pre, post = np.meshgrid(np.arange(sg.src.num_neurons), np.arange(sg.trg.num_neurons), indexing="ij")
    return pre.ravel(), post.ravel()
