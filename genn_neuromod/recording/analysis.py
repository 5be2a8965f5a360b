"""Spike-train and weight statistics over numpy or dask arrays.

Each function takes numpy arrays or dask arrays (as returned by :class:`~genn_neuromod.recording.Recording`)
and returns numpy. With dask, a statistic is computed block by block (per-block partial results, e.g.
``bincount``, merged by an ordered tree reduction), so memory stays bounded by a few blocks plus the result.
Spike ``times`` are in ms and sorted, as a recording stores them; time windows are ``[t_start, t_stop)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Array = Any  # numpy.ndarray or dask.array.Array
_EPS = 1e-9  # tolerance (in bins) for spike times that fall exactly on a bin edge


def _is_dask(x: Any) -> bool:
    return type(x).__module__.split(".")[0] == "dask"


def _map_reduce(func: Callable[..., Any], combine: Callable[[Any, Any], Any], *arrays: Array) -> Any:
    """``func`` on aligned blocks of 1-D ``arrays``, merged in order by the associative ``combine``."""
    if not any(_is_dask(a) for a in arrays):
        return func(*(np.asarray(a) for a in arrays))
    import dask
    import dask.array as da

    first = next(a for a in arrays if _is_dask(a))
    arrs = [a if _is_dask(a) else da.from_array(np.asarray(a), chunks=first.chunks) for a in arrays]
    arrs = [a if a.chunks == first.chunks else a.rechunk(first.chunks) for a in arrs]
    parts = [dask.delayed(func)(*blocks) for blocks in zip(*(a.to_delayed().ravel() for a in arrs), strict=True)]
    while len(parts) > 1:
        parts = [dask.delayed(combine)(*parts[k:k + 2]) if k + 1 < len(parts) else parts[k]
                 for k in range(0, len(parts), 2)]
    return dask.compute(parts[0])[0]


def _window(times: np.ndarray, t_start: float, t_stop: float) -> np.ndarray:
    t = np.asarray(times, dtype=np.float64)
    return (t >= t_start) & (t < t_stop)


def _num_bins(t_start: float, t_stop: float, bin_ms: float) -> int:
    if not t_stop > t_start or bin_ms <= 0:
        raise ValueError(f"need t_stop > t_start and bin_ms > 0 (got {t_start}, {t_stop}, {bin_ms})")
    return int(np.floor((t_stop - t_start) / bin_ms + _EPS))


def _bin_of(t: np.ndarray, t_start: float, bin_ms: float) -> np.ndarray:
    return np.floor((np.asarray(t, dtype=np.float64) - t_start) / bin_ms + _EPS).astype(np.int64)


# -- rates -------------------------------------------------------------------------
def spike_counts(times: Array, ids: Array, n_neurons: int, t_start: float, t_stop: float) -> np.ndarray:
    """Number of spikes of each neuron in ``[t_start, t_stop)``."""
    def count(t: np.ndarray, i: np.ndarray) -> np.ndarray:
        return np.bincount(np.asarray(i, dtype=np.int64)[_window(t, t_start, t_stop)], minlength=n_neurons)

    return np.asarray(_map_reduce(count, np.add, times, ids))


def firing_rates(times: Array, ids: Array, n_neurons: int, t_start: float, t_stop: float) -> np.ndarray:
    """Mean firing rate (Hz) of each neuron over ``[t_start, t_stop)`` (ms)."""
    return spike_counts(times, ids, n_neurons, t_start, t_stop) / ((t_stop - t_start) / 1000.0)


def population_rate(times: Array, n_neurons: int, t_start: float, t_stop: float,
                    bin_ms: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Population rate (Hz per neuron) in bins of ``bin_ms``: ``(bin centres, rate)``."""
    nbins = _num_bins(t_start, t_stop, bin_ms)

    def hist(t: np.ndarray) -> np.ndarray:
        b = _bin_of(t, t_start, bin_ms)
        return np.bincount(b[(b >= 0) & (b < nbins)], minlength=nbins)

    counts = np.asarray(_map_reduce(hist, np.add, times))
    centres = t_start + (np.arange(nbins) + 0.5) * bin_ms
    return centres, counts / (n_neurons * bin_ms / 1000.0)


# -- ISI CV ------------------------------------------------------------------------
_IsiStats = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # first, last, n, mean, m2


def _merge_moments(n1: np.ndarray, m1: np.ndarray, q1: np.ndarray, n2: np.ndarray, m2: np.ndarray,
                   q2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chan et al.'s pairwise merge of (count, mean, sum of squared deviations)."""
    n = n1 + n2
    safe = np.maximum(n, 1)
    mean = (n1 * m1 + n2 * m2) / safe
    q = q1 + q2 + (m2 - m1) ** 2 * n1 * n2 / safe
    return n, mean, q


def _isi_block(n_neurons: int) -> Callable[[np.ndarray, np.ndarray], _IsiStats]:
    def block(t: np.ndarray, i: np.ndarray) -> _IsiStats:
        t = np.asarray(t, dtype=np.float64)
        i = np.asarray(i, dtype=np.int64)
        order = np.lexsort((t, i))
        t, i = t[order], i[order]
        same = i[1:] == i[:-1]
        d, di = np.diff(t)[same], i[1:][same]
        n = np.bincount(di, minlength=n_neurons).astype(np.float64)
        mean = np.bincount(di, d, n_neurons) / np.maximum(n, 1)
        q = np.bincount(di, (d - mean[di]) ** 2, n_neurons)
        first = np.full(n_neurons, np.nan)
        last = np.full(n_neurons, np.nan)
        if i.size:
            starts = np.r_[True, ~same]
            ends = np.r_[~same, True]
            first[i[starts]] = t[starts]
            last[i[ends]] = t[ends]
        return first, last, n, mean, q

    return block


def _isi_combine(a: _IsiStats, b: _IsiStats) -> _IsiStats:
    fa, la, na, ma, qa = a
    fb, lb, nb, mb, qb = b
    both = ~np.isnan(la) & ~np.isnan(fb)  # the ISI that spans the two blocks
    nx = both.astype(np.float64)
    mx = np.where(both, fb - la, 0.0)
    n, m, q = _merge_moments(na, ma, qa, nx, mx, np.zeros_like(qa))
    n, m, q = _merge_moments(n, m, q, nb, mb, qb)
    return np.where(np.isnan(fa), fb, fa), np.where(np.isnan(lb), la, lb), n, m, q


def isi_cv(times: Array, ids: Array, n_neurons: int, min_isis: int = 2) -> np.ndarray:
    """Coefficient of variation (std / mean, ddof 0) of each neuron's inter-spike intervals.

    NaN for neurons with fewer than ``min_isis`` intervals.
    """
    _, _, n, mean, q = _map_reduce(_isi_block(n_neurons), _isi_combine, times, ids)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = np.sqrt(q / n) / mean
    return np.where(n >= max(min_isis, 1), cv, np.nan)


# -- binned counts: Fano factor and synchrony --------------------------------------
_CountStats = tuple[np.ndarray, np.ndarray, list]  # total count, sum of squared complete-bin counts, partial bins


def _count_block(n_neurons: int, t_start: float, bin_ms: float, nbins: int) -> Callable[..., _CountStats]:
    def block(t: np.ndarray, i: np.ndarray) -> _CountStats:
        b = _bin_of(t, t_start, bin_ms)
        keep = (b >= 0) & (b < nbins)
        b, i = b[keep], np.asarray(i, dtype=np.int64)[keep]
        total = np.bincount(i, minlength=n_neurons).astype(np.float64)
        sumsq = np.zeros(n_neurons)
        if not b.size:
            return total, sumsq, []
        lo, hi = int(b.min()), int(b.max())
        # bins at the block's edges may continue in the neighbouring blocks: keep their counts apart
        partial = [(x, np.bincount(i[b == x], minlength=n_neurons).astype(np.float64)) for x in sorted({lo, hi})]
        inner = (b > lo) & (b < hi)
        keys, c = np.unique(b[inner] * n_neurons + i[inner], return_counts=True)
        sumsq += np.bincount(keys % n_neurons, c.astype(np.float64) ** 2, n_neurons)
        return total, sumsq, partial

    return block


def _count_combine(a: _CountStats, b: _CountStats) -> _CountStats:
    merged: dict[int, np.ndarray] = {}
    for x, c in a[2] + b[2]:
        merged[x] = merged[x] + c if x in merged else c
    sumsq = a[1] + b[1]
    keys = sorted(merged)
    for x in keys[1:-1]:  # bins strictly inside the merged span are complete
        sumsq = sumsq + merged[x] ** 2
    return a[0] + b[0], sumsq, [(x, merged[x]) for x in sorted({keys[0], keys[-1]})] if keys else []


def _count_moments(times: Array, ids: Array, n_neurons: int, t_start: float, t_stop: float,
                   bin_ms: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-neuron mean and variance over time bins of the binned spike counts."""
    nbins = _num_bins(t_start, t_stop, bin_ms)
    total, sumsq, partial = _map_reduce(_count_block(n_neurons, t_start, bin_ms, nbins), _count_combine, times, ids)
    for _, c in partial:
        sumsq = sumsq + c ** 2
    mean = total / nbins
    return mean, np.maximum(sumsq / nbins - mean ** 2, 0.0)


def fano_factor(times: Array, ids: Array, n_neurons: int, t_start: float, t_stop: float,
                bin_ms: float = 100.0) -> np.ndarray:
    """Fano factor (variance / mean over bins of ``bin_ms``) of each neuron's spike counts; NaN if silent."""
    mean, var = _count_moments(times, ids, n_neurons, t_start, t_stop, bin_ms)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(mean > 0, var / mean, np.nan)


def synchrony(times: Array, ids: Array, n_neurons: int, t_start: float, t_stop: float,
              bin_ms: float = 5.0) -> float:
    """Golomb's (2007) synchrony measure chi of binned spike counts.

    ``chi**2 = Var_t(population mean count) / mean_i Var_t(count_i)``: 1 for identical trains, about
    ``1/sqrt(N)`` for independent ones.
    """
    _, var_i = _count_moments(times, ids, n_neurons, t_start, t_stop, bin_ms)
    _, rate = population_rate(times, n_neurons, t_start, t_stop, bin_ms)
    denom = var_i.mean()
    return float(np.sqrt(np.var(rate) / denom) * (bin_ms / 1000.0)) if denom > 0 else float("nan")


def synchrony_traces(values: Array) -> float:
    """Golomb's chi of sampled traces ``values[time, neuron]`` (e.g. membrane potentials)."""
    v = values if _is_dask(values) else np.asarray(values, dtype=np.float64)
    pop_var = v.mean(axis=1).var()
    mean_var = v.var(axis=0).mean()
    if _is_dask(v):
        import dask

        pop_var, mean_var = dask.compute(pop_var, mean_var)
    return float(np.sqrt(pop_var / mean_var)) if mean_var > 0 else float("nan")


# -- weights -------------------------------------------------------------------------
def weight_trajectories(values: Array, percentiles: Sequence[float] = (5, 25, 50, 75, 95)) -> dict[str, np.ndarray]:
    """Per-snapshot statistics of ``values[snapshot, synapse]``: ``mean``, ``std``, ``min``, ``max`` and
    ``percentiles`` (``[len(percentiles), snapshot]``); with dask, one snapshot is in memory at a time."""
    q = np.asarray(percentiles, dtype=np.float64)
    rows = range(values.shape[0])
    if _is_dask(values):
        stats = [_row_stats(np.asarray(values[k].compute(), dtype=np.float64), q) for k in rows]
    else:
        stats = [_row_stats(np.asarray(values[k], dtype=np.float64), q) for k in rows]
    out = {k: np.array([s[k] for s in stats]) for k in ("mean", "std", "min", "max")}
    out["percentiles"] = np.array([s["percentiles"] for s in stats]).T.reshape(q.size, len(stats))
    out["q"] = q
    return out


def _row_stats(row: np.ndarray, q: np.ndarray) -> dict[str, Any]:
    if not row.size:
        return {"mean": np.nan, "std": np.nan, "min": np.nan, "max": np.nan, "percentiles": np.full(q.size, np.nan)}
    return {"mean": row.mean(), "std": row.std(), "min": row.min(), "max": row.max(),
            "percentiles": np.percentile(row, q)}


def weight_distribution(values: Array, bins: int = 50, snapshot: int = -1,
                        range: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Histogram ``(counts, edges)`` of one snapshot of ``values[snapshot, synapse]`` (default: the last)."""
    row = values[snapshot]
    if _is_dask(row):
        import dask
        import dask.array as da

        if range is None:
            range = tuple(float(x) for x in dask.compute(row.min(), row.max()))
        if range[0] == range[1]:
            range = (range[0] - 0.5, range[1] + 0.5)
        counts, edges = da.histogram(row, bins=bins, range=range)
        return np.asarray(counts.compute()), np.asarray(edges)
    return np.histogram(np.asarray(row), bins=bins, range=range)
