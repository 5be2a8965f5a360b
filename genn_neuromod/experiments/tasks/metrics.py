"""Continual-learning metrics computed from an accuracy matrix and from learning curves.

``R[i, j]`` is the accuracy on task ``j`` measured after training on tasks ``0..i`` (a T x T matrix;
entries with ``j > i`` are the accuracy on tasks not yet trained).
"""

from __future__ import annotations

import numpy as np


def _square(r: np.ndarray) -> np.ndarray:
    r = np.asarray(r, dtype=np.float64)
    if r.ndim != 2 or r.shape[0] != r.shape[1] or r.shape[0] == 0:
        raise ValueError(f"an accuracy matrix must be square (T x T), got shape {r.shape}")
    return r


def average_accuracy(r: np.ndarray) -> float:
    """Mean accuracy over all tasks after the last one: ``mean_j R[T-1, j]``."""
    r = _square(r)
    return float(r[-1].mean())


def backward_transfer(r: np.ndarray) -> float:
    """``mean_{j<T-1} (R[T-1, j] - R[j, j])`` (Lopez-Paz & Ranzato 2017); negative means forgetting."""
    r = _square(r)
    t = r.shape[0]
    if t < 2:
        return float("nan")
    return float(np.mean([r[-1, j] - r[j, j] for j in range(t - 1)]))


def forgetting(r: np.ndarray) -> float:
    """``mean_{j<T-1} (max_{l<T-1} R[l, j] - R[T-1, j])`` (Chaudhry et al. 2018): the drop from each
    earlier task's best accuracy."""
    r = _square(r)
    t = r.shape[0]
    if t < 2:
        return float("nan")
    return float(np.mean([r[j:t - 1, j].max() - r[-1, j] for j in range(t - 1)]))


def samples_to_criterion(samples: np.ndarray, accuracy: np.ndarray, criterion: float) -> float:
    """Training samples seen when a learning curve first reaches ``criterion``; ``inf`` if it never does."""
    samples = np.asarray(samples, dtype=np.float64)
    accuracy = np.asarray(accuracy, dtype=np.float64)
    if samples.shape != accuracy.shape:
        raise ValueError(f"samples {samples.shape} and accuracy {accuracy.shape} must have the same shape")
    hit = np.flatnonzero(accuracy >= criterion)
    return float(samples[hit[0]]) if hit.size else float("inf")


def forward_adaptation(samples_needed: np.ndarray) -> float:
    """Cross-task adaptation: the first task's samples-to-criterion divided by the mean over the later
    tasks (> 1: later tasks are learned with fewer samples than the first, from scratch)."""
    s = np.asarray(samples_needed, dtype=np.float64)
    if s.size < 2:
        return float("nan")
    later = s[1:]
    if not np.all(np.isfinite(later)) or not np.isfinite(s[0]):
        return float("nan")
    return float(s[0] / later.mean())


def predict(counts: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
    """Class per sample from readout scores ``(samples, classes)``: the highest-scoring allowed readout;
    -1 (an abstention, always wrong) when no allowed readout responded or the highest score is tied."""
    counts = np.asarray(counts, dtype=np.float64)
    if allowed is not None:
        mask = np.full(counts.shape[1], -np.inf)
        mask[np.asarray(allowed)] = 0.0
        counts = counts + mask[None, :]
    best = np.argmax(counts, axis=1)
    top = counts[np.arange(counts.shape[0]), best]
    tied = (counts == top[:, None]).sum(axis=1) > 1
    return np.where((top <= 0) | tied, -1, best)
