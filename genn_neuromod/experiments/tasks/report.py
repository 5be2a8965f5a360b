"""Results table (mean ± SD over seeds per variant) and figures of the task suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

COLUMNS = [("acc_ci", "final acc. class-incr."), ("acc_ti", "final acc. task-incr."),
           ("acc_ti_ctx", "final acc. task-incr., with context"),
           ("bwt_ci", "BWT class-incr."), ("bwt_ti", "BWT task-incr."), ("bwt_ti_ctx", "BWT task-incr., with context"),
           ("forgetting_ci", "forgetting"),
           ("later_to_criterion", "samples to criterion, later tasks"), ("first_to_criterion", "... task 1"),
           ("noise_jitter", "acc. @ max jitter"), ("noise_deletion", "acc. @ max deletion"),
           ("noise_background", "acc. @ max background"), ("spikes_per_inference", "spikes/inference"),
           ("energy_nj", "energy/inference (nJ)"), ("energy_vs_mlp", "energy / MLP's")]


def _mean_sd(values: list[float]) -> str:
    v = np.asarray(values, dtype=float)
    finite = v[np.isfinite(v)]
    if finite.size == 0:
        return "never" if np.any(np.isinf(v)) else "n/a"
    text = f"{finite.mean():.3g} ± {finite.std(ddof=1) if finite.size > 1 else 0.0:.2g}"
    return text if finite.size == v.size else f"{text} ({v.size - finite.size} never)"


def _row_values(summary: dict[str, Any]) -> dict[str, float]:
    needed = np.asarray(summary["samples_to_criterion"], dtype=float)
    later = needed[1:]
    return {**summary, "first_to_criterion": float(needed[0]),
            "later_to_criterion": float(later.mean()) if np.all(np.isfinite(later)) else float("inf")}


def results_table(summaries: list[dict[str, Any]]) -> str:
    """Markdown table, one row per variant: mean ± SD over its seeds."""
    variants = list(dict.fromkeys(s["variant"] for s in summaries))
    head = "| variant | seeds | " + " | ".join(label for _, label in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 2)]
    for v in variants:
        rows = [_row_values(s) for s in summaries if s["variant"] == v]
        lines.append(f"| {v} | {len(rows)} | " + " | ".join(_mean_sd([r[k] for r in rows]) for k, _ in COLUMNS)
                     + " |")
    return "\n".join(lines)


def energy_share_table(summaries: list[dict[str, Any]]) -> str:
    """Markdown table: the share of each spiking variant's inference energy spent by each layer's outgoing
    synapses (mean over seeds)."""
    rows = [s for s in summaries if s.get("energy_share")]
    if not rows:
        return ""
    layers = list(dict.fromkeys(p for s in rows for p in s["energy_share"]))
    lines = ["| variant | " + " | ".join(f"{p} ->" for p in layers) + " |", "|" + "---|" * (len(layers) + 1)]
    for v in dict.fromkeys(s["variant"] for s in rows):
        share = [np.mean([s["energy_share"].get(p, 0.0) for s in rows if s["variant"] == v]) for p in layers]
        lines.append(f"| {v} | " + " | ".join(f"{x:.2f}" for x in share) + " |")
    return "\n".join(lines)


def diagonal_table(results: list[dict[str, Any]]) -> str:
    """Markdown table: accuracy on each task right after learning it (mean over seeds)."""
    lines = ["| variant | task-incremental, tasks in order | class-incremental, tasks in order |", "|---|---|---|"]
    for v in dict.fromkeys(r["variant"] for r in results):
        rs = [r for r in results if r["variant"] == v]
        ti = np.mean([np.diag(r["acc_ti"]) for r in rs], axis=0)
        ci = np.mean([np.diag(r["acc_ci"]) for r in rs], axis=0)
        lines.append(f"| {v} | " + " ".join(f"{x:.2f}" for x in ti) + " | " + " ".join(f"{x:.2f}" for x in ci) + " |")
    return "\n".join(lines)


def plot_results(results: list[dict[str, Any]], out_dir: str | Path) -> list[Path]:
    """Accuracy matrices, forgetting, robustness curves, energy bars and learning curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    variants = list(dict.fromkeys(r["variant"] for r in results))
    by = {v: [r for r in results if r["variant"] == v] for v in variants}
    paths = []

    fig, axes = plt.subplots(1, len(variants), figsize=(2.6 * len(variants), 2.8), squeeze=False)
    for ax, v in zip(axes[0], variants, strict=True):
        m = np.mean([r["acc_ci"] for r in by[v]], axis=0)
        im = ax.imshow(m, vmin=0, vmax=1, cmap="viridis")
        ax.set_title(f"{v} (n={len(by[v])})", fontsize=9)
        ax.set_xlabel("tested on task")
        ax.set_ylabel("after task")
        for (i, j), val in np.ndenumerate(m):
            ax.text(j, i, f"{val:.2f}", ha="center", va="center", fontsize=6, color="w" if val < 0.6 else "k")
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8, label="class-incremental accuracy")
    paths.append(out / "accuracy_matrices.png")
    fig.savefig(paths[-1], dpi=120, bbox_inches="tight")
    plt.close(fig)

    kinds = list(results[0]["robustness"])
    fig, axes = plt.subplots(1, len(kinds), figsize=(4 * len(kinds), 3.2), squeeze=False)
    for ax, kind in zip(axes[0], kinds, strict=True):
        for v in variants:
            acc = np.array([r["robustness"][kind] for r in by[v]])
            lv = np.asarray(by[v][0]["levels"][kind])
            ax.errorbar(lv, acc.mean(0), yerr=acc.std(0), label=v, capsize=2, marker="o", ms=3)
        ax.set_xlabel({"jitter": "spike jitter SD (ms)", "deletion": "spike deletion probability",
                       "background": "added background (Hz)"}.get(kind, kind))
        ax.set_ylabel("class-incremental accuracy (all tasks)")
    axes[0][0].legend(fontsize=7)
    paths.append(out / "robustness.png")
    fig.savefig(paths[-1], dpi=120, bbox_inches="tight")
    plt.close(fig)

    from .metrics import backward_transfer

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.2))
    x = np.arange(len(variants))
    for k, (key, label) in enumerate((("acc_ci", "class-incr."), ("acc_ti", "task-incr."))):
        bwt = [[backward_transfer(r[key]) for r in by[v]] for v in variants]
        a1.bar(x + 0.4 * k - 0.2, [np.mean(b) for b in bwt], 0.4, yerr=[np.std(b) for b in bwt], label=label,
               capsize=2)
    a1.axhline(0, color="k", lw=0.5)
    a1.set_xticks(x, variants, rotation=30)
    a1.set_ylabel("backward transfer (< 0: forgetting)")
    a1.legend(fontsize=7)
    e = [[r["energy_pj"] / 1000.0 for r in by[v]] for v in variants]
    a2.bar(x, [np.mean(v) for v in e], yerr=[np.std(v) for v in e], capsize=2, color="tab:orange")
    a2.set_xticks(x, variants, rotation=30)
    a2.set_ylabel("energy per inference (nJ)")
    paths.append(out / "forgetting_energy.png")
    fig.tight_layout()
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)
    return paths
