"""One run of the task sequence (a variant and a seed) into a zarr store; the ANN baseline runs the same
protocol on spike counts. Every run stores its accuracy matrices, learning curves, robustness curves,
operation counts, seed, configuration and package versions."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .circuit import DESCRIPTIONS, FULL, VARIANTS, TaskConfig
from .data import TaskSplit, load_tasks
from .encoding import Trains, add_background, delete, jitter, poisson_encode
from .energy import ann_energy_pj, ann_macs, fanout_of, snn_energy_pj, synaptic_operations
from .metrics import average_accuracy, backward_transfer, forgetting, forward_adaptation, predict, samples_to_criterion

ALL_VARIANTS = (*VARIANTS, "ann")
NOISE_KINDS = ("jitter", "deletion", "background")


def _noise(kind: str, level: float, cfg: TaskConfig, rng: np.random.Generator) -> Callable[[Trains], Trains]:
    steps = cfg.present_steps
    if kind == "jitter":
        return lambda tr: jitter(tr, level / cfg.dt, steps, rng)
    if kind == "deletion":
        return lambda tr: delete(tr, level, rng)
    if kind == "background":
        return lambda tr: add_background(tr, level, steps, cfg.dt, rng)
    raise ValueError(f"unknown noise kind '{kind}'")


def _levels(cfg: TaskConfig) -> dict[str, tuple[float, ...]]:
    return {"jitter": cfg.jitter_ms, "deletion": cfg.deletion, "background": cfg.background_hz}


def _noise_set(tasks: list[TaskSplit], n: int) -> tuple[np.ndarray, np.ndarray]:
    per = max(1, n // len(tasks))
    return (np.concatenate([t.x_test[:per] for t in tasks]), np.concatenate([t.y_test[:per] for t in tasks]))


class _Learner:
    """What the protocol needs from a learner: teach one sample, and readout scores for a batch."""

    def teach(self, task: int, x: np.ndarray, y: int) -> None: ...
    def scores(self, xs: np.ndarray, noise: Callable[[Trains], Trains] | None = None) -> np.ndarray: ...


class _SNN(_Learner):
    def __init__(self, variant: str, seed: int, cfg: TaskConfig):
        from .network import TaskNetwork

        self.net = TaskNetwork(variant, seed, cfg)
        self.task: int | None = None
        self.spikes: dict[str, float] = {}

    def teach(self, task, x, y):
        if self.task != task:
            self.net.set_context(task)
            self.task = task
        self.net.present(self.net.encode(x), int(y))

    def scores(self, xs, noise=None):
        self.task = None  # evaluation resets the context
        counts, self.spikes = self.net.readout_counts(xs, noise)
        return counts


class _ANN(_Learner):
    """scikit-learn MLP (one hidden layer of n_exc units) trained online by ``partial_fit`` on the spike
    counts of the same Poisson encoder, so input noise acts on it exactly as on the spiking network."""

    def __init__(self, seed: int, cfg: TaskConfig, batch: int = 10):
        from sklearn.neural_network import MLPClassifier

        self.cfg, self.batch = cfg, batch
        self.rng = np.random.default_rng(seed + 1000)
        self.mlp = MLPClassifier(hidden_layer_sizes=(cfg.n_exc,), learning_rate_init=0.01, random_state=seed)
        self.buf_x: list[np.ndarray] = []
        self.buf_y: list[int] = []

    def _counts(self, x, noise=None):
        tr = poisson_encode(x, self.cfg.present_steps, self.cfg.dt, self.cfg.max_rate_hz, self.rng)
        if noise is not None:
            tr = noise(tr)
        return np.array([t.size for t in tr], dtype=np.float64) / (self.cfg.max_rate_hz * self.cfg.present_steps
                                                                    * self.cfg.dt * 1e-3)

    def teach(self, task, x, y):
        self.buf_x.append(self._counts(x))
        self.buf_y.append(int(y))
        if len(self.buf_x) >= self.batch:
            self.flush()

    def flush(self):
        if self.buf_x:
            self.mlp.partial_fit(np.array(self.buf_x), np.array(self.buf_y), classes=np.arange(self.cfg.n_classes))
            self.buf_x, self.buf_y = [], []

    def scores(self, xs, noise=None):
        self.flush()
        if not hasattr(self.mlp, "coefs_"):
            return np.zeros((len(xs), self.cfg.n_classes))
        return self.mlp.predict_proba(np.array([self._counts(x, noise) for x in xs]))


def _accuracy(scores: np.ndarray, y: np.ndarray, allowed=None) -> float:
    return float(np.mean(predict(scores, allowed) == y)) if len(y) else float("nan")


def run_tasks(variant: str, seed: int, store: str | None = None, cfg: TaskConfig = FULL,
              progress: bool = False) -> dict[str, Any]:
    """Train ``variant`` on the task sequence with ``seed``; measure everything; write ``store`` if given.

    Returns the summary (see :func:`summary_of`)."""
    if variant not in ALL_VARIANTS:
        raise ValueError(f"unknown variant '{variant}'; choose from {list(ALL_VARIANTS)}")
    wall0 = time.perf_counter()
    tasks = load_tasks(seed, max_train=cfg.max_train, max_test=cfg.max_test)
    learner: _Learner = _ANN(seed, cfg) if variant == "ann" else _SNN(variant, seed, cfg)
    n = len(tasks)
    acc_ci, acc_ti = np.full((n, n), np.nan), np.full((n, n), np.nan)
    curve_len = max(1, -(-max(len(t.y_train) for t in tasks) * cfg.epochs // cfg.curve_every))
    curve_x, curve_y = np.full((n, curve_len), np.nan), np.full((n, curve_len), np.nan)
    spikes = []
    for i, task in enumerate(tasks):
        xv, yv = task.x_test[:cfg.curve_samples], task.y_test[:cfg.curve_samples]
        seen, point = 0, 0
        for _ in range(cfg.epochs):
            for x, y in zip(task.x_train, task.y_train, strict=True):
                learner.teach(i, x, int(y))
                seen += 1
                if seen % cfg.curve_every == 0 and point < curve_len:
                    curve_x[i, point] = seen
                    curve_y[i, point] = _accuracy(learner.scores(xv), yv, task.classes)
                    point += 1
        for j, other in enumerate(tasks):
            sc = learner.scores(other.x_test)
            acc_ci[i, j] = _accuracy(sc, other.y_test)
            acc_ti[i, j] = _accuracy(sc, other.y_test, other.classes)
            if i == n - 1 and isinstance(learner, _SNN):
                spikes.append(learner.spikes)
        if progress:
            print(f"  {variant} seed {seed}: task {i} done, accuracy on it {acc_ci[i, i]:.2f} (class-incremental)",
                  flush=True)
    # robustness of the final network, class-incremental accuracy over all tasks
    rng = np.random.default_rng(seed + 2000)
    xn, yn = _noise_set(tasks, cfg.noise_samples)
    robustness = {k: np.array([_accuracy(learner.scores(xn, _noise(k, lv, cfg, rng)), yn) for lv in levels])
                  for k, levels in _levels(cfg).items()}
    # energy per inference
    layers = [cfg.n_input, cfg.n_exc, cfg.n_classes]
    if isinstance(learner, _SNN):
        per_neuron = {p: np.mean([s[p] for s in spikes], axis=0) for p in spikes[0]}
        sops = synaptic_operations(per_neuron, fanout_of(learner.net.graph))
        mean_spikes = {p: float(v.sum()) for p, v in per_neuron.items()}
        energy = snn_energy_pj(sops)
        learner.net.close()
    else:
        mean_spikes, sops, energy = {}, float("nan"), ann_energy_pj(layers)
    result = {"variant": variant, "seed": seed, "acc_ci": acc_ci, "acc_ti": acc_ti, "curve_samples": curve_x,
              "curve_accuracy": curve_y, "robustness": robustness, "levels": _levels(cfg),
              "spikes_per_inference": mean_spikes, "sops_per_inference": sops, "macs_per_inference":
              ann_macs(layers), "energy_pj": energy, "wall_s": time.perf_counter() - wall0, "config": cfg.to_dict()}
    if store is not None:
        write_store(store, result)
    return summary_of(result)


def write_store(store: str, result: dict[str, Any]) -> None:
    import zarr

    from ... import __version__

    root = zarr.open_group(store, mode="w")
    for key in ("acc_ci", "acc_ti", "curve_samples", "curve_accuracy"):
        root.create_array(key, data=np.asarray(result[key], dtype=np.float64))
    rob = root.require_group("robustness")
    for kind, acc in result["robustness"].items():
        rob.create_array(kind, data=np.asarray(acc, dtype=np.float64))
        rob.create_array(f"{kind}_levels", data=np.asarray(result["levels"][kind], dtype=np.float64))
    root.attrs.update({
        "experiment": "tasks", "variant": result["variant"], "description": DESCRIPTIONS[result["variant"]],
        "seed": result["seed"], "config": result["config"], "spikes_per_inference": result["spikes_per_inference"],
        "sops_per_inference": result["sops_per_inference"], "macs_per_inference": result["macs_per_inference"],
        "energy_pj": result["energy_pj"], "wall_s": result["wall_s"], "versions": _versions(__version__),
        "complete": True})


def _versions(own: str) -> dict[str, str]:
    import importlib.metadata as md

    from ...provenance import source_revision

    out = {"genn_neuromod": own, "genn_neuromod_revision": source_revision() or "not a git checkout"}
    for pkg in ("numpy", "zarr", "scikit-learn", "networkx"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:  # pragma: no cover
            out[pkg] = "absent"
    return out


def load_result(store: str) -> dict[str, Any]:
    """A stored run back as the dict :func:`run_tasks` built (raises if the store is incomplete)."""
    import zarr

    root = zarr.open_group(store, mode="r")
    a = dict(root.attrs)
    if not a.get("complete"):
        raise ValueError(f"task store '{store}' is incomplete (the run was interrupted); run it again")
    rob = root["robustness"]
    kinds = [k for k in NOISE_KINDS if k in rob]
    return {"variant": a["variant"], "seed": a["seed"], **{k: np.asarray(root[k]) for k in
            ("acc_ci", "acc_ti", "curve_samples", "curve_accuracy")},
            "robustness": {k: np.asarray(rob[k]) for k in kinds}, "levels": {k: np.asarray(rob[f"{k}_levels"])
                                                                              for k in kinds},
            "spikes_per_inference": a["spikes_per_inference"], "sops_per_inference": a["sops_per_inference"],
            "macs_per_inference": a["macs_per_inference"], "energy_pj": a["energy_pj"], "wall_s": a["wall_s"],
            "config": a["config"], "store": store}


def summary_of(result: dict[str, Any]) -> dict[str, Any]:
    """Scalar metrics of one run: final average accuracy and backward transfer (class- and task-incremental),
    forgetting, samples to criterion per task and cross-task adaptation, accuracy at the strongest noise,
    energy per inference."""
    crit = result["config"]["criterion"]
    needed = [samples_to_criterion(np.nan_to_num(result["curve_samples"][i], nan=np.inf),
                                   np.nan_to_num(result["curve_accuracy"][i], nan=0.0), crit)
              for i in range(result["acc_ci"].shape[0])]
    out = {"variant": result["variant"], "seed": result["seed"],
           "acc_ci": average_accuracy(result["acc_ci"]), "acc_ti": average_accuracy(result["acc_ti"]),
           "bwt_ci": backward_transfer(result["acc_ci"]), "bwt_ti": backward_transfer(result["acc_ti"]),
           "forgetting_ci": forgetting(result["acc_ci"]), "samples_to_criterion": needed,
           "adaptation": forward_adaptation(np.asarray(needed)), "energy_nj": result["energy_pj"] / 1000.0,
           "wall_s": result["wall_s"]}
    for kind, acc in result["robustness"].items():
        out[f"noise_{kind}"] = float(acc[-1])
    return out
