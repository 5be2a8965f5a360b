"""Spike encoders for pixel intensities in [0, 1], the input-noise models, and packing for SpikeSourceArray.

A spike train set is a list with one integer array of spike steps (0 <= step < steps) per input neuron.
"""

from __future__ import annotations

import numpy as np

Trains = list[np.ndarray]


def poisson_encode(x: np.ndarray, steps: int, dt: float, max_rate_hz: float, rng: np.random.Generator) -> Trains:
    """Rate code: input i spikes in each step with probability ``x[i] * max_rate * dt`` (Bernoulli per step)."""
    x = _check_pixels(x)
    p = x * _spikes_per_step(max_rate_hz, dt)
    hits = rng.random((steps, x.size)) < p[None, :]
    return [np.flatnonzero(hits[:, i]) for i in range(x.size)]


def regular_encode(x: np.ndarray, steps: int, dt: float, max_rate_hz: float) -> Trains:
    """Deterministic rate code: input i spikes at ``x[i] * max_rate`` with a regular period, its k-th spike at
    ``(k + 1/2)`` periods (brighter pixels start earlier); no Poisson noise, so over the window every cell's
    filtered input approaches its weights' dot product with the intensities."""
    rate = _check_pixels(x) * _spikes_per_step(max_rate_hz, dt)
    trains = []
    for r in rate:
        if r <= 0.0:
            trains.append(np.zeros(0, np.int64))
            continue
        t = np.floor((np.arange(int(np.ceil(steps * r)) + 1) + 0.5) / r).astype(np.int64)
        trains.append(t[t < steps])  # at most one spike per step: the times are increasing
    return trains


def latency_encode(x: np.ndarray, steps: int, threshold: float = 0.05) -> Trains:
    """Time-to-first-spike code: one spike per input at step ``round((1 - x) * (steps - 1))``; none below
    ``threshold`` (brighter pixels fire earlier)."""
    x = _check_pixels(x)
    t = np.rint((1.0 - x) * (steps - 1)).astype(np.int64)
    return [np.array([t[i]], dtype=np.int64) if x[i] >= threshold else np.zeros(0, np.int64) for i in range(x.size)]


def jitter(trains: Trains, sd_steps: float, steps: int, rng: np.random.Generator) -> Trains:
    """Move every spike by a Gaussian offset of ``sd_steps`` steps (clipped to the window, duplicates merged)."""
    if sd_steps <= 0:
        return [t.copy() for t in trains]
    return [np.unique(np.clip(np.rint(t + rng.normal(0.0, sd_steps, t.size)), 0, steps - 1).astype(np.int64))
            for t in trains]


def delete(trains: Trains, p: float, rng: np.random.Generator) -> Trains:
    """Drop each spike independently with probability ``p``."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"deletion probability must be in [0, 1], got {p}")
    return [t[rng.random(t.size) >= p] for t in trains]


def add_background(trains: Trains, rate_hz: float, steps: int, dt: float, rng: np.random.Generator) -> Trains:
    """Add Poisson background spikes at ``rate_hz`` to every input (merged with the existing spikes)."""
    if rate_hz <= 0:
        return [t.copy() for t in trains]
    p = rate_hz * dt * 1.0e-3
    extra = rng.random((steps, len(trains))) < p
    return [np.union1d(t, np.flatnonzero(extra[:, i])) for i, t in enumerate(trains)]


def to_spike_source_array(trains: Trains, t0: float, dt: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``startSpike``, ``endSpike`` and ``spikeTimes`` for a SpikeSourceArray whose spikes start at time ``t0``.

    Times sit half a step before the wanted step, so GeNN's ``t >= spikeTimes[i]`` test fires in that step.
    """
    counts = np.array([t.size for t in trains], dtype=np.int64)
    end = np.cumsum(counts)
    start = end - counts
    steps = np.concatenate([np.sort(t) for t in trains]) if counts.sum() else np.zeros(0)
    times = t0 + (steps.astype(np.float64) - 0.5) * dt
    return start.astype(np.uint32), end.astype(np.uint32), times


def _regular_rate(t: np.ndarray) -> float:
    """Spikes per step of a regular train: from its period, or with one spike from its time (half a period)."""
    if t.size == 0:
        return 0.0
    if t.size == 1:
        return 0.5 / (float(t[0]) + 0.5)
    return (t.size - 1) / float(t.max() - t.min())


def _spikes_per_step(max_rate_hz: float, dt: float) -> float:
    """The rate of a pixel of intensity 1 in spikes per step (at most one)."""
    per_step = max_rate_hz * dt * 1.0e-3
    if per_step > 1.0:
        raise ValueError(f"max_rate_hz * dt = {per_step:.3g} spikes per step exceeds 1")
    return per_step


def _check_pixels(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64).ravel()
    if x.size == 0 or np.any(~np.isfinite(x)) or x.min() < 0.0 or x.max() > 1.0:
        raise ValueError("pixel intensities must be finite and in [0, 1]")
    return x


def encode(x: np.ndarray, encoder: str, steps: int, dt: float = 1.0, max_rate_hz: float = 200.0,
           rng: np.random.Generator | None = None) -> Trains:
    """Spike trains of one sample by the named encoder ("latency", "regular", or "poisson", which needs
    ``rng``)."""
    if encoder == "latency":
        return latency_encode(x, steps)
    if encoder == "regular":
        return regular_encode(x, steps, dt, max_rate_hz)
    if encoder == "poisson":
        return poisson_encode(x, steps, dt, max_rate_hz, rng)
    raise ValueError(f"unknown encoder '{encoder}' (use 'latency', 'regular' or 'poisson')")


def decode(trains: Trains, steps: int, encoder: str, dt: float = 1.0, max_rate_hz: float = 200.0) -> np.ndarray:
    """Pixel intensities read back from spike trains, the inverse of an encoder: the latency code's first
    spike (none: 0), the regular code's period, or the Poisson code's count over its expected maximum. The ANN
    baselines see inputs this way, so input noise acts on them as on the spiking network."""
    if encoder == "latency":
        return np.array([1.0 - t.min() / max(steps - 1, 1) if t.size else 0.0 for t in trains])
    if encoder == "regular":
        return np.array([min(_regular_rate(t) / _spikes_per_step(max_rate_hz, dt), 1.0) for t in trains])
    if encoder == "poisson":
        return np.minimum(np.array([t.size for t in trains]) / (steps * _spikes_per_step(max_rate_hz, dt)), 1.0)
    raise ValueError(f"unknown encoder '{encoder}' (use 'latency', 'regular' or 'poisson')")
