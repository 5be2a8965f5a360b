"""One run of the task sequence (a variant and a seed) into a zarr store. Every run stores its accuracy
matrices (tested without and, for the neuromodulated variants, with the task context), learning curves on
validation data, robustness curves, spike and operation counts per layer, seed, configuration and package
versions. ``evaluation="validation"`` measures everything on the validation split instead of the test split
(for tuning: the test split is then never read)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .ann import ContinualMLP, MLPSettings
from .circuit import DESCRIPTIONS, FULL, VARIANTS, TaskConfig
from .data import TaskSplit, load_tasks
from .encoding import Trains, add_background, decode, delete, encode, jitter
from .energy import PJ_PER_MAC, ann_energy_pj, ann_macs, fanout_of, snn_energy_pj, synaptic_operations
from .metrics import average_accuracy, backward_transfer, forgetting, forward_adaptation, predict, samples_to_criterion

ANN_VARIANTS = {"ann": "finetune", "ann_ewc": "ewc", "ann_replay": "replay", "ann_joint": "joint"}
ALL_VARIANTS = (*VARIANTS, *ANN_VARIANTS)
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


def _noise_set(xs: list[np.ndarray], ys: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    per = max(1, n // len(xs))
    return np.concatenate([x[:per] for x in xs]), np.concatenate([y[:per] for y in ys])


class _SNN:
    """A spiking variant: each task is learned under its context (if the variant has one)."""

    def __init__(self, variant: str, seed: int, cfg: TaskConfig):
        from .network import TaskNetwork

        self.net = TaskNetwork(variant, seed, cfg)
        self.cfg = cfg
        self.neuromodulated = self.net.neuromodulated
        self.spikes: dict[str, np.ndarray] = {}

    def learn_task(self, index: int, task: TaskSplit, probe: Callable[[int], None]) -> None:
        self.net.set_context(index)
        seen = 0
        for epoch in range(self.cfg.epochs):
            for x, y in zip(task.x_train, task.y_train, strict=True):
                self.net.present(self.net.encode(x), int(y))
                seen += 1
                if epoch == 0:
                    probe(seen)

    def scores(self, xs: np.ndarray, noise=None, context: int | None = None) -> np.ndarray:
        counts, self.spikes = self.net.readout_counts(xs, noise, context)
        return counts

    def close(self) -> None:
        self.net.close()


class _ANN:
    """An MLP baseline on the pixel values the spike encoder carries (read back from the trains)."""

    neuromodulated = False

    def __init__(self, strategy: str, seed: int, cfg: TaskConfig):
        self.cfg = cfg
        self.rng = np.random.default_rng(seed + 1000)
        settings = MLPSettings(cfg.n_input, cfg.n_exc, cfg.n_classes, epochs=cfg.ann_epochs, lr=cfg.ann_lr,
                               ewc_lambda=cfg.ewc_lambda, replay_per_class=cfg.replay_per_class)
        self.mlp = ContinualMLP(strategy, settings, seed)

    def _inputs(self, xs: np.ndarray, noise=None) -> np.ndarray:
        c = self.cfg
        out = []
        for x in xs:
            tr = encode(x, c.encoder, c.present_steps, c.dt, c.max_rate_hz, self.rng)
            if noise is not None:
                tr = noise(tr)
            out.append(decode(tr, c.present_steps, c.encoder, c.dt, c.max_rate_hz))
        return np.array(out).reshape(len(xs), c.n_input)

    def learn_task(self, index: int, task: TaskSplit, probe: Callable[[int], None]) -> None:
        self.mlp.learn_task(self._inputs(task.x_train), task.y_train, after_samples=probe)

    def scores(self, xs: np.ndarray, noise=None, context: int | None = None) -> np.ndarray:
        return self.mlp.scores(self._inputs(xs, noise))

    def close(self) -> None:
        pass


def _accuracy(scores: np.ndarray, y: np.ndarray, allowed=None) -> float:
    return float(np.mean(predict(scores, allowed) == y)) if len(y) else float("nan")


def make_learner(variant: str, seed: int, cfg: TaskConfig):
    if variant not in ALL_VARIANTS:
        raise ValueError(f"unknown variant '{variant}'; choose from {list(ALL_VARIANTS)}")
    return _ANN(ANN_VARIANTS[variant], seed, cfg) if variant in ANN_VARIANTS else _SNN(variant, seed, cfg)


def run_tasks(variant: str, seed: int, store: str | None = None, cfg: TaskConfig = FULL,
              progress: bool = False, evaluation: str = "test") -> dict[str, Any]:
    """Train ``variant`` on the task sequence with ``seed``; measure everything on the ``evaluation`` split
    ("test", or "validation" for tuning); write ``store`` if given. Returns the summary (:func:`summary_of`)."""
    if evaluation not in ("test", "validation"):
        raise ValueError(f"evaluation must be 'test' or 'validation', got '{evaluation}'")
    wall0 = time.perf_counter()
    tasks = load_tasks(seed, tasks=cfg.split, max_train=cfg.max_train, max_test=cfg.max_test,
                       val_fraction=cfg.val_fraction)
    ex = [t.x_test if evaluation == "test" else t.x_val for t in tasks]
    ey = [t.y_test if evaluation == "test" else t.y_val for t in tasks]
    learner = make_learner(variant, seed, cfg)
    n, points = len(tasks), list(cfg.curve_points)
    acc = {k: np.full((n, n), np.nan) for k in ("acc_ci", "acc_ti", "acc_ci_ctx", "acc_ti_ctx")}
    curve_x, curve_y = np.full((n, len(points)), np.nan), np.full((n, len(points)), np.nan)
    spikes = []
    for i, task in enumerate(tasks):
        xv, yv = task.x_val[:cfg.curve_samples], task.y_val[:cfg.curve_samples]
        done = [0]

        def probe(seen: int, i=i, xv=xv, yv=yv, task=task, done=done) -> None:
            # learning curve: task-incremental accuracy on validation samples, under the task's context
            while done[0] < len(points) and points[done[0]] <= seen:
                curve_x[i, done[0]] = points[done[0]]
                curve_y[i, done[0]] = _accuracy(learner.scores(xv, context=i), yv, task.classes)
                done[0] += 1

        learner.learn_task(i, task, probe)
        for j, other in enumerate(tasks):
            sc = learner.scores(ex[j])
            acc["acc_ci"][i, j] = _accuracy(sc, ey[j])
            acc["acc_ti"][i, j] = _accuracy(sc, ey[j], other.classes)
            if i == n - 1 and isinstance(learner, _SNN):
                spikes.append(learner.spikes)
            if learner.neuromodulated:
                sc = learner.scores(ex[j], context=j)
                acc["acc_ci_ctx"][i, j] = _accuracy(sc, ey[j])
                acc["acc_ti_ctx"][i, j] = _accuracy(sc, ey[j], other.classes)
        if progress:
            print(f"  {variant} seed {seed}: task {i} done, accuracy on it {acc['acc_ti'][i, i]:.2f} "
                  "(task-incremental)", flush=True)
    # robustness of the final network, class-incremental accuracy over all tasks, no context
    rng = np.random.default_rng(seed + 2000)
    xn, yn = _noise_set(ex, ey, cfg.noise_samples)
    robustness = {k: np.array([_accuracy(learner.scores(xn, _noise(k, lv, cfg, rng)), yn) for lv in levels])
                  for k, levels in _levels(cfg).items()}
    layers = [cfg.n_input, cfg.n_exc, cfg.n_classes]
    if isinstance(learner, _SNN):
        per_neuron = {p: np.mean([s[p] for s in spikes], axis=0) for p in spikes[0]}
        fan = fanout_of(learner.net.graph)
        sops_per_layer = {p: synaptic_operations({p: per_neuron[p]}, {p: f}) for p, f in fan.items()}
        sops = float(sum(sops_per_layer.values()))
        mean_spikes = {p: float(v.sum()) for p, v in per_neuron.items()}
        energy = snn_energy_pj(sops)
    else:
        mean_spikes, sops, sops_per_layer, energy = {}, float("nan"), {}, ann_energy_pj(layers)
    learner.close()
    result = {"variant": variant, "seed": seed, **acc, "curve_samples": curve_x, "curve_accuracy": curve_y,
              "robustness": robustness, "levels": _levels(cfg), "spikes_per_inference": mean_spikes,
              "sops_per_inference": sops, "sops_per_layer": sops_per_layer, "macs_per_inference": ann_macs(layers),
              "energy_pj": energy, "wall_s": time.perf_counter() - wall0, "config": cfg.to_dict(),
              "evaluation": evaluation}
    if store is not None:
        write_store(store, result)
    return summary_of(result)


MATRICES = ("acc_ci", "acc_ti", "acc_ci_ctx", "acc_ti_ctx", "curve_samples", "curve_accuracy")


def write_store(store: str, result: dict[str, Any]) -> None:
    import zarr

    from ... import __version__

    root = zarr.open_group(store, mode="w")
    for key in MATRICES:
        root.create_array(key, data=np.asarray(result[key], dtype=np.float64))
    rob = root.require_group("robustness")
    for kind, acc in result["robustness"].items():
        rob.create_array(kind, data=np.asarray(acc, dtype=np.float64))
        rob.create_array(f"{kind}_levels", data=np.asarray(result["levels"][kind], dtype=np.float64))
    root.attrs.update({
        "experiment": "tasks", "variant": result["variant"], "description": DESCRIPTIONS[result["variant"]],
        "seed": result["seed"], "config": result["config"], "evaluation": result["evaluation"],
        "spikes_per_inference": result["spikes_per_inference"], "sops_per_inference": result["sops_per_inference"],
        "sops_per_layer": result["sops_per_layer"], "macs_per_inference": result["macs_per_inference"],
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
    """A stored run back as the dict :func:`run_tasks` built (raises if the store is incomplete or was
    written by an older version of the suite)."""
    import zarr

    root = zarr.open_group(store, mode="r")
    a = dict(root.attrs)
    if not a.get("complete"):
        raise ValueError(f"task store '{store}' is incomplete (the run was interrupted); run it again")
    if "sops_per_layer" not in a:
        raise ValueError(f"task store '{store}' was written by an older task suite; run it again")
    rob = root["robustness"]
    kinds = [k for k in NOISE_KINDS if k in rob]
    return {"variant": a["variant"], "seed": a["seed"], **{k: np.asarray(root[k]) for k in MATRICES},
            "robustness": {k: np.asarray(rob[k]) for k in kinds},
            "levels": {k: np.asarray(rob[f"{k}_levels"]) for k in kinds},
            "spikes_per_inference": a["spikes_per_inference"], "sops_per_inference": a["sops_per_inference"],
            "sops_per_layer": a["sops_per_layer"], "macs_per_inference": a["macs_per_inference"],
            "energy_pj": a["energy_pj"], "wall_s": a["wall_s"], "config": a["config"],
            "evaluation": a["evaluation"], "store": store}


def summary_of(result: dict[str, Any]) -> dict[str, Any]:
    """Scalar metrics of one run: final average accuracy and backward transfer (class- and task-incremental,
    and task-incremental under the task context where the variant has one), forgetting, samples to criterion
    per task and cross-task adaptation, accuracy at the strongest noise, spikes, energy per inference and the
    share of it spent by each layer's outgoing synapses."""
    crit = result["config"]["criterion"]
    needed = [samples_to_criterion(np.nan_to_num(result["curve_samples"][i], nan=np.inf),
                                   np.nan_to_num(result["curve_accuracy"][i], nan=0.0), crit)
              for i in range(result["acc_ci"].shape[0])]
    ctx = result["acc_ti_ctx"]
    sops = result["sops_per_layer"]
    total = sum(sops.values())
    out = {"variant": result["variant"], "seed": result["seed"],
           "acc_ci": average_accuracy(result["acc_ci"]), "acc_ti": average_accuracy(result["acc_ti"]),
           "bwt_ci": backward_transfer(result["acc_ci"]), "bwt_ti": backward_transfer(result["acc_ti"]),
           "acc_ti_ctx": average_accuracy(ctx) if np.isfinite(ctx).all() else float("nan"),
           "bwt_ti_ctx": backward_transfer(ctx) if np.isfinite(ctx).all() else float("nan"),
           "forgetting_ci": forgetting(result["acc_ci"]), "samples_to_criterion": needed,
           "adaptation": forward_adaptation(np.asarray(needed)), "energy_nj": result["energy_pj"] / 1000.0,
           "energy_vs_mlp": result["energy_pj"] / (result["macs_per_inference"] * PJ_PER_MAC),
           "spikes_per_inference": float(sum(result["spikes_per_inference"].values()))
           if result["spikes_per_inference"] else float("nan"),
           "energy_share": {p: v / total for p, v in sops.items()} if total else {},
           "wall_s": result["wall_s"]}
    for kind, acc in result["robustness"].items():
        out[f"noise_{kind}"] = float(acc[-1])
    return out

