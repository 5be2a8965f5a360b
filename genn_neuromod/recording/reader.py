"""Read a store written by :class:`~genn_neuromod.recording.Recorder` (complete, or cut short by a kill).

Reads return numpy arrays, or dask arrays when ``lazy=True`` or when the data would exceed the reader's
``memory_limit``. Only the rows covered by the chunk index (spikes) or by written sample times (state, weights)
are returned, so a store from a killed run reads as every chunk that was flushed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import zarr

from .recorder import FORMAT

Array = Any  # numpy.ndarray or dask.array.Array


def _default_memory_limit() -> int:
    try:
        import psutil

        return int(psutil.virtual_memory().available // 4)
    except Exception:  # pragma: no cover
        return 1 << 30


def _dask(arr: zarr.Array) -> Any:
    try:
        import dask.array as da
    except ImportError as e:  # pragma: no cover
        raise ImportError("lazy reads need dask: pip install 'dask[array]'") from e
    return da.from_zarr(arr)


def _leading(mask: np.ndarray) -> int:
    """Length of the leading run of True in ``mask``."""
    bad = np.flatnonzero(~mask)
    return int(bad[0]) if bad.size else int(mask.size)


def open_store(path: str | Path, memory_limit: int | None = None) -> Recording:
    """Open a recording store; ``memory_limit`` (bytes) is the largest read returned as numpy unasked."""
    return Recording(path, memory_limit)


class Recording:
    """A recording store opened read-only."""

    def __init__(self, path: str | Path, memory_limit: int | None = None):
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"no recording store at '{self.path}'")
        try:
            self.root = zarr.open_group(str(self.path), mode="r")
            attrs = dict(self.root.attrs)
        except Exception as e:
            raise ValueError(f"'{self.path}' is not a genn_neuromod recording (not a readable zarr store: {e})") \
                from e
        if attrs.get("format") != FORMAT:
            raise ValueError(f"'{self.path}' is not a genn_neuromod recording (no '{FORMAT}' format attribute)")
        self.attrs: dict[str, Any] = attrs
        self.memory_limit = _default_memory_limit() if memory_limit is None else int(memory_limit)

    def __repr__(self) -> str:
        return (f"<Recording '{self.path}' complete={self.complete} dt={self.dt} duration={self.duration} ms "
                f"spikes={self.spike_populations} state={self.state_vars} weights={self.weight_vars}>")

    # -- description -----------------------------------------------------------
    @property
    def complete(self) -> bool:
        return bool(self.attrs.get("complete"))

    @property
    def dt(self) -> float:
        return float(self.attrs["dt"])

    @property
    def populations(self) -> dict[str, dict]:
        """Model description of every neuron population (``num_neurons``, ``model``, ``params``)."""
        return self.attrs["model"]["populations"]

    @property
    def synapse_groups(self) -> dict[str, dict]:
        return self.attrs["model"]["synapse_groups"]

    def num_neurons(self, pop: str) -> int:
        return int(self.populations[pop]["num_neurons"])

    def _members(self, name: str) -> list[str]:
        return sorted(self.root[name].group_keys()) if name in self.root else []

    @property
    def spike_populations(self) -> list[str]:
        return self._members("spikes")

    @property
    def state_vars(self) -> dict[str, list[str]]:
        return {p: sorted(k for k in self.root["state"][p].array_keys() if k != "times")
                for p in self._members("state")}

    @property
    def weight_vars(self) -> dict[str, list[str]]:
        return {s: sorted(k for k in self.root["weights"][s].array_keys() if k not in ("times", "pre", "post"))
                for s in self._members("weights")}

    @property
    def t_start(self) -> float:
        return float(self.attrs.get("t_start") or 0.0)

    @property
    def duration(self) -> float:
        """Recorded time (ms); for an incomplete store, the time covered by the chunks indexed in every
        spike population (state samples may reach one chunk further)."""
        if self.complete:
            return float(self.attrs["duration"])
        if self.spike_populations:  # the spike chunk index is the commit point of a chunk
            ends = [(int(ci[-1, 1]) + 1) * self.dt if len(ci) else self.t_start
                    for ci in map(self.chunk_index, self.spike_populations)]
            return min(ends) - self.t_start
        ends = [float(t[-1]) for _, t in (self._valid_times(self.root["state"][p]) for p in self._members("state"))
                if len(t)]
        return max(ends, default=self.t_start) - self.t_start

    @property
    def t_stop(self) -> float:
        return self.t_start + self.duration

    # -- spikes ----------------------------------------------------------------
    def _group(self, kind: str, name: str) -> zarr.Group:
        try:
            return self.root[kind][name]
        except KeyError:
            have = self._members(kind)
            raise KeyError(f"'{self.path}' has no {kind} recorded for '{name}'; it has {have}") from None

    def chunk_index(self, pop: str) -> np.ndarray:
        """Flushed chunks of ``pop``'s spikes: rows of (first step, last step, start offset, end offset)."""
        g = self._group("spikes", pop)
        if "chunk_index" not in g:  # killed while the arrays were being created
            return np.empty((0, 4), dtype=np.int64)
        ci = np.asarray(g["chunk_index"][:])
        ci = ci[:_leading(np.all(ci >= 0, axis=1))]
        out = np.empty((len(ci), 4), dtype=np.int64)
        out[:, :3] = ci
        if len(ci):
            out[:-1, 3] = ci[1:, 2]
            # the last chunk ends before any spike of a later, unindexed chunk (times are sorted; NaN sorts last)
            start, last = int(ci[-1, 2]), int(ci[-1, 1])
            tail = np.asarray(g["times"][start:])
            out[-1, 3] = start + np.searchsorted(tail, (last + 0.5) * self.dt, side="left")
        return out

    def spikes(self, pop: str, t_start: float | None = None, t_stop: float | None = None,
               lazy: bool = False) -> tuple[Array, Array]:
        """Spike ``(times, ids)`` of ``pop`` with ``t_start <= t < t_stop``; only the chunks needed are read."""
        g = self._group("spikes", pop)
        ci = self.chunk_index(pop)
        lo, hi = 0, 0
        if len(ci):
            t0 = -np.inf if t_start is None else float(t_start)
            t1 = np.inf if t_stop is None else float(t_stop)
            sel = np.flatnonzero((ci[:, 1] * self.dt >= t0 - 0.5 * self.dt) & (ci[:, 0] * self.dt < t1))
            if sel.size:
                a, b = int(ci[sel[0], 2]), int(ci[sel[-1], 3])
                lo = a + int(np.searchsorted(np.asarray(g["times"][a:int(ci[sel[0], 3])]), t0, side="left"))
                c = int(ci[sel[-1], 2])
                hi = c + int(np.searchsorted(np.asarray(g["times"][c:b]), t1, side="left"))
                hi = max(hi, lo)
        if not len(ci):
            return np.empty(0, dtype=np.float64), np.empty(0, dtype=np.int32)
        if lazy or (hi - lo) * 12 > self.memory_limit:
            return _dask(g["times"])[lo:hi], _dask(g["ids"])[lo:hi]
        return np.asarray(g["times"][lo:hi]), np.asarray(g["ids"][lo:hi])

    # -- sampled arrays --------------------------------------------------------
    @staticmethod
    def _valid_times(g: zarr.Group) -> tuple[int, np.ndarray]:
        if "times" not in g:
            return 0, np.empty(0)
        times = np.asarray(g["times"][:])
        n = _leading(np.isfinite(times))
        return n, times[:n]

    def _rows(self, g: zarr.Group, var: str, lazy: bool, t_start: float | None = None,
              t_stop: float | None = None) -> tuple[np.ndarray, Array]:
        if var not in g:
            raise KeyError(f"'{self.path}': '{g.path}' has no variable '{var}'; it has {sorted(g.array_keys())}")
        arr = g[var]
        n, times = self._valid_times(g)
        n = min(n, arr.shape[0])
        lo = 0 if t_start is None else int(np.searchsorted(times[:n], t_start, side="left"))
        hi = n if t_stop is None else int(np.searchsorted(times[:n], t_stop, side="left"))
        hi = max(hi, lo)
        if lazy or (hi - lo) * int(np.prod(arr.shape[1:])) * arr.dtype.itemsize > self.memory_limit:
            return times[lo:hi], _dask(arr)[lo:hi]
        return times[lo:hi], np.asarray(arr[lo:hi])

    def state(self, pop: str, var: str, t_start: float | None = None, t_stop: float | None = None,
              lazy: bool = False) -> tuple[np.ndarray, Array]:
        """Sampled ``(times, values[time, neuron])`` of a population's variable."""
        return self._rows(self._group("state", pop), var, lazy, t_start, t_stop)

    def weights(self, sg: str, var: str = "g", lazy: bool = False) -> tuple[np.ndarray, Array]:
        """Weight snapshots ``(times, values[snapshot, synapse])``; synapse order as :meth:`connectivity`."""
        return self._rows(self._group("weights", sg), var, lazy)

    def connectivity(self, sg: str) -> tuple[np.ndarray, np.ndarray]:
        """``(pre, post)`` neuron indices of every synapse of ``sg``."""
        g = self._group("weights", sg)
        return np.asarray(g["pre"][:]), np.asarray(g["post"][:])

