"""The conventional baselines: a one-hidden-layer MLP (numpy, Adam) of the spiking network's layer sizes,
trained to convergence on each task in turn, with fine-tuning, elastic weight consolidation (Kirkpatrick et
al. 2017, PNAS 114:3521), experience replay (a fixed number of stored exemplars per class, e.g. Chaudhry et
al. 2019, arXiv:1902.10486) or joint training on every task seen so far (the usual upper bound)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STRATEGIES = ("finetune", "ewc", "replay", "joint")


@dataclass(frozen=True)
class MLPSettings:
    """Sizes and training settings of the baseline."""

    n_input: int
    n_hidden: int
    n_classes: int
    epochs: int = 30
    lr: float = 1.0e-3
    batch: int = 16
    ewc_lambda: float = 100.0
    replay_per_class: int = 50


class MLP:
    """64-hidden-10 ReLU network with a softmax output over all classes, trained by Adam on cross-entropy."""

    def __init__(self, settings: MLPSettings, seed: int):
        self.s = settings
        self.rng = np.random.default_rng(seed)
        n_in, n_h, n_out = settings.n_input, settings.n_hidden, settings.n_classes
        self.params = [self.rng.normal(0, np.sqrt(2.0 / n_in), (n_in, n_h)), np.zeros(n_h),
                       self.rng.normal(0, np.sqrt(1.0 / n_h), (n_h, n_out)), np.zeros(n_out)]
        self._m = [np.zeros_like(p) for p in self.params]
        self._v = [np.zeros_like(p) for p in self.params]
        self._t = 0
        self.anchor: list[np.ndarray] | None = None   # EWC: parameters after the previous tasks
        self.fisher: list[np.ndarray] | None = None   # EWC: accumulated diagonal Fisher information

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w1, b1, w2, b2 = self.params
        h = np.maximum(x @ w1 + b1, 0.0)
        z = h @ w2 + b2
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return h, p / p.sum(axis=1, keepdims=True)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return self.forward(np.asarray(x, dtype=np.float64))[1]

    def _grads(self, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        h, p = self.forward(x)
        d = p.copy()
        d[np.arange(len(y)), y] -= 1.0
        d /= len(y)
        w2 = self.params[2]
        dh = (d @ w2.T) * (h > 0)
        return [x.T @ dh, dh.sum(0), h.T @ d, d.sum(0)]

    def _step(self, grads: list[np.ndarray]) -> None:
        if self.fisher is not None:
            lam = self.s.ewc_lambda
            grads = [g + lam * f * (p - a) for g, f, p, a in zip(grads, self.fisher, self.params, self.anchor,
                                                                     strict=True)]
        self._t += 1
        b1, b2, eps = 0.9, 0.999, 1e-8
        for p, g, m, v in zip(self.params, grads, self._m, self._v, strict=True):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            p -= self.s.lr * (m / (1 - b1 ** self._t)) / (np.sqrt(v / (1 - b2 ** self._t)) + eps)

    def fit(self, x: np.ndarray, y: np.ndarray, epochs: int, memory: tuple[np.ndarray, np.ndarray] | None = None,
            after_samples=None) -> None:
        """Minibatch Adam for ``epochs`` passes over (x, y); with ``memory``, each batch is joined by as many
        stored exemplars. ``after_samples(n)`` is called as training samples are seen in the first pass."""
        n = len(y)
        for epoch in range(epochs):
            order = self.rng.permutation(n)
            for start in range(0, n, self.s.batch):
                idx = order[start:start + self.s.batch]
                bx, by = x[idx], y[idx]
                if memory is not None and len(memory[1]):
                    k = self.rng.integers(0, len(memory[1]), len(idx))
                    bx, by = np.concatenate([bx, memory[0][k]]), np.concatenate([by, memory[1][k]])
                self._step(self._grads(bx, by))
                if epoch == 0 and after_samples is not None:
                    after_samples(min(start + self.s.batch, n))

    def consolidate(self, x: np.ndarray, y: np.ndarray) -> None:
        """EWC: add this task's diagonal Fisher information (mean squared per-sample gradient of the log
        likelihood of the true label) and anchor the parameters here."""
        fisher = [np.zeros_like(p) for p in self.params]
        for i in range(len(y)):
            for f, g in zip(fisher, self._grads(x[i:i + 1], y[i:i + 1]), strict=True):
                f += g * g / len(y)
        self.fisher = fisher if self.fisher is None else [a + b for a, b in zip(self.fisher, fisher, strict=True)]
        self.anchor = [p.copy() for p in self.params]


class ContinualMLP:
    """One strategy of :data:`STRATEGIES` over a task sequence: ``learn_task`` per task, ``scores`` to test."""

    def __init__(self, strategy: str, settings: MLPSettings, seed: int):
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy '{strategy}'; choose from {list(STRATEGIES)}")
        self.strategy, self.s, self.seed = strategy, settings, seed
        self.net = MLP(settings, seed)
        self.rng = np.random.default_rng(seed + 3000)
        self.seen_x: list[np.ndarray] = []
        self.seen_y: list[np.ndarray] = []
        self.memory_x = np.zeros((0, settings.n_input))
        self.memory_y = np.zeros(0, dtype=np.int64)

    def learn_task(self, x: np.ndarray, y: np.ndarray, after_samples=None) -> None:
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.int64)
        if self.strategy == "joint":
            self.seen_x.append(x)
            self.seen_y.append(y)
            self.net.fit(np.concatenate(self.seen_x), np.concatenate(self.seen_y), self.s.epochs,
                         after_samples=after_samples)
            return
        memory = (self.memory_x, self.memory_y) if self.strategy == "replay" else None
        self.net.fit(x, y, self.s.epochs, memory=memory, after_samples=after_samples)
        if self.strategy == "ewc":
            self.net.consolidate(x, y)
        if self.strategy == "replay":
            keep = [self.rng.permutation(np.flatnonzero(y == c))[:self.s.replay_per_class] for c in np.unique(y)]
            idx = np.concatenate(keep)
            self.memory_x = np.concatenate([self.memory_x, x[idx]])
            self.memory_y = np.concatenate([self.memory_y, y[idx]])

    def scores(self, x: np.ndarray) -> np.ndarray:
        return self.net.predict_proba(np.asarray(x, dtype=np.float64))
