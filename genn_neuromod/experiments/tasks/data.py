"""scikit-learn's bundled 8x8 digits, split into a sequence of two-class tasks (no download)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: the five tasks of two classes each, in the order they are learned
TASK_CLASSES: tuple[tuple[int, int], ...] = ((0, 1), (2, 3), (4, 5), (6, 7), (8, 9))


@dataclass(frozen=True)
class TaskSplit:
    """One task's classes and its train/validation/test samples (pixels scaled to [0, 1]).

    Tuning and learning curves use the validation samples (held out of the training data); the test samples
    are only for the reported accuracies."""

    classes: tuple[int, ...]
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_tasks(seed: int, test_fraction: float = 0.3, tasks: tuple[tuple[int, ...], ...] = TASK_CLASSES,
               max_train: int | None = None, max_test: int | None = None,
               val_fraction: float = 0.2) -> list[TaskSplit]:
    """The digits split into ``tasks``, with a stratified train/validation/test split fixed by ``seed``
    (``val_fraction`` of the training part is held out for validation).

    ``max_train``/``max_test`` cap the samples per task (quick mode; the validation set is capped like the
    test set); the cap keeps the classes balanced.
    """
    from sklearn.datasets import load_digits

    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    digits = load_digits()
    x = digits.data.astype(np.float64) / 16.0
    y = digits.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    out = []
    for classes in tasks:
        unknown = set(classes) - set(range(10))
        if unknown:
            raise ValueError(f"task classes must be digits 0-9, got {sorted(unknown)}")
        train_idx, val_idx, test_idx = [], [], []
        for c in classes:
            idx = rng.permutation(np.flatnonzero(y == c))
            n_test = int(round(test_fraction * idx.size))
            n_val = int(round(val_fraction * (idx.size - n_test)))
            test_idx.append(idx[:n_test])
            val_idx.append(idx[n_test:n_test + n_val])
            train_idx.append(idx[n_test + n_val:])
        train = _interleave(train_idx, max_train, rng)
        val = _interleave(val_idx, max_test, rng)
        test = _interleave(test_idx, max_test, rng)
        out.append(TaskSplit(tuple(classes), x[train], y[train], x[val], y[val], x[test], y[test]))
    return out


def _interleave(per_class: list[np.ndarray], cap: int | None, rng: np.random.Generator) -> np.ndarray:
    if cap is not None:
        per = max(1, cap // len(per_class))
        per_class = [p[:per] for p in per_class]
    idx = np.concatenate(per_class)
    return idx[rng.permutation(idx.size)]
