"""PNG figures of a recording (matplotlib, Agg backend); each ``plot_*`` returns the path it wrote."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from . import analysis  # noqa: E402
from .reader import Recording  # noqa: E402


def _window(rec: Recording, t_start: float | None, t_stop: float | None) -> tuple[float, float]:
    t0 = rec.t_start if t_start is None else float(t_start)
    t1 = rec.t_stop if t_stop is None else float(t_stop)
    return t0, max(t1, t0 + rec.dt)


def _save(fig: plt.Figure, path: str | Path) -> Path:
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_raster(rec: Recording, pop: str, path: str | Path, t_start: float | None = None,
                t_stop: float | None = None, bin_ms: float = 5.0, max_points: int = 200_000) -> Path:
    """Spike raster of ``pop`` with its population rate below."""
    t0, t1 = _window(rec, t_start, t_stop)
    times, ids = rec.spikes(pop, t0, t1)
    times, ids = np.asarray(times), np.asarray(ids)
    n = rec.num_neurons(pop)
    centres, rate = analysis.population_rate(times, n, t0, t1, bin_ms)
    fig, (ax, ax_rate) = plt.subplots(2, 1, sharex=True, figsize=(9, 5.5), height_ratios=(3, 1))
    if times.size > max_points:  # thin very dense rasters evenly
        keep = np.linspace(0, times.size - 1, max_points).astype(np.int64)
        times, ids = times[keep], ids[keep]
    ax.scatter(times, ids, s=max(0.2, min(4.0, 2e4 / max(times.size, 1))), c="k", marker="|", linewidths=0.6)
    ax.set_ylim(-0.5, n - 0.5)
    ax.set_ylabel("neuron")
    ax.set_title(f"{pop}: {n} neurons")
    ax_rate.plot(centres, rate, lw=0.8)
    ax_rate.set_ylabel(f"rate (Hz)\n{bin_ms:g} ms bins")
    ax_rate.set_xlabel("time (ms)")
    ax_rate.set_xlim(t0, t1)
    fig.tight_layout()
    return _save(fig, path)


def plot_population_rates(rec: Recording, path: str | Path, pops: Sequence[str] | None = None,
                          t_start: float | None = None, t_stop: float | None = None,
                          bin_ms: float = 10.0) -> Path:
    """Population rates (Hz) of several populations on one axis."""
    t0, t1 = _window(rec, t_start, t_stop)
    fig, ax = plt.subplots(figsize=(9, 3.5))
    for pop in pops or rec.spike_populations:
        times, _ = rec.spikes(pop, t0, t1)
        centres, rate = analysis.population_rate(times, rec.num_neurons(pop), t0, t1, bin_ms)
        ax.plot(centres, rate, lw=0.9, label=f"{pop} (mean {rate.mean():.1f} Hz)")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"rate (Hz), {bin_ms:g} ms bins")
    ax.set_xlim(t0, t1)
    ax.legend(loc="upper right", fontsize="small")
    fig.tight_layout()
    return _save(fig, path)


def plot_weight_histogram(rec: Recording, sg: str, path: str | Path, var: str = "g", snapshot: int = -1,
                          bins: int = 50, compare_first: bool = True) -> Path:
    """Histogram of one weight snapshot (default: the last), with the first snapshot outlined."""
    times, values = rec.weights(sg, var)
    fig, ax = plt.subplots(figsize=(6, 4))
    counts, edges = analysis.weight_distribution(values, bins=bins, snapshot=snapshot)
    ax.stairs(counts, edges, fill=True, alpha=0.7, label=f"t = {times[snapshot]:g} ms")
    if compare_first and len(times) > 1:
        lo, hi = edges[0], edges[-1]
        first, first_edges = analysis.weight_distribution(values, bins=bins, snapshot=0, range=(lo, hi))
        ax.stairs(first, first_edges, color="k", lw=1.0, label=f"t = {times[0]:g} ms")
        ax.set_ylim(0, 1.15 * max(counts.max(), 1))  # the final distribution sets the scale
    ax.set_xlabel(f"{sg}.{var}")
    ax.set_ylabel("synapses")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return _save(fig, path)


def plot_weight_trajectories(rec: Recording, sg: str, path: str | Path, var: str = "g",
                             percentiles: Sequence[float] = (5, 25, 50, 75, 95)) -> Path:
    """Mean and percentile bands of the weights over the snapshots."""
    times, values = rec.weights(sg, var)
    st = analysis.weight_trajectories(values, percentiles)
    fig, ax = plt.subplots(figsize=(8, 4))
    p, k = st["percentiles"], len(percentiles)
    for j in range(k // 2):
        ax.fill_between(times, p[j], p[k - 1 - j], color="C0", alpha=0.15 + 0.15 * j,
                        label=f"{percentiles[j]:g}-{percentiles[k - 1 - j]:g}%", lw=0)
    if k % 2:
        ax.plot(times, p[k // 2], color="C0", lw=1.0, label=f"{percentiles[k // 2]:g}%")
    ax.plot(times, st["mean"], color="k", lw=1.2, label="mean")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"{sg}.{var}")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return _save(fig, path)
