"""Across seeds: the results table (median and interquartile range) and the figures of an experiment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

COLUMNS = [("t_learn_s", "time to learn (s)"), ("stability", "time near max after learning"),
           ("rewards", "rewards"), ("rate_exc_hz", "E rate (Hz)"), ("rate_inh_hz", "I rate (Hz)"),
           ("burst_fraction_exc", "E burst fraction"),
           ("chosen_percentile", "rewarded synapse percentile")]


def _fmt(v: float) -> str:
    """Three significant digits, without exponents for the values a table of this kind holds."""
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}"


def _med_iqr(x: np.ndarray) -> str:
    x = np.asarray(x, dtype=float)
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        return "n/a"
    q1, med, q3 = np.percentile(finite, [25, 50, 75])
    return f"{_fmt(med)} [{_fmt(q1)}, {_fmt(q3)}]"


def results_table(summaries: list[dict[str, Any]]) -> str:
    """Markdown table: per condition, median [IQR] over seeds; learning counted over all seeds."""
    conds = list(dict.fromkeys(s["condition"] for s in summaries))
    head = "| condition | seeds | learned | " + " | ".join(label for _, label in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 3)]
    for c in conds:
        rows = [s for s in summaries if s["condition"] == c]
        learned = sum(np.isfinite(s["t_learn_s"]) for s in rows)
        cells = [_med_iqr([s[k] for s in rows]) for k, _ in COLUMNS]
        lines.append(f"| {c} | {len(rows)} | {learned}/{len(rows)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


#: the measures an ablation variant is compared on: summary key -> label
PAIRED = {"t_learn_s": "time to learn (s)", "stability": "stability after learning"}


@dataclass(frozen=True)
class Paired:
    """One measure of one ablation variant against its base, seed by seed (see :func:`paired_comparisons`)."""

    values: np.ndarray      # the variant's values, one per seed (NaN where it has none)
    changes: np.ndarray     # variant - base per seed where both have a value (never learning = the duration)
    median_change: float    # NaN without pairs
    p: float                # two-sided Wilcoxon signed-rank; NaN with fewer than 5 pairs or none that differ
    base_spread: float      # interquartile range of the base over the same seeds

    @property
    def beyond_spread(self) -> bool:
        return bool(np.isfinite(self.median_change) and abs(self.median_change) > self.base_spread)


@dataclass(frozen=True)
class Comparison:
    variant: str
    base: str
    seeds: tuple[int, ...]
    learned: int            # seeds on which the variant learned
    measures: dict[str, Paired]


def paired_comparisons(summaries: list[dict[str, Any]]) -> list[Comparison]:
    """Each ablation variant (``base-change``, optionally ``+quirk``) against its base over the seeds both ran."""
    from scipy.stats import wilcoxon

    from .distal_reward import ablation_base

    by = {(s["condition"], s["seed"]): s for s in summaries}
    conds = list(dict.fromkeys(s["condition"] for s in summaries))
    out = []
    for c in conds:
        base = ablation_base(c)
        if base is None or base not in conds:
            continue
        seeds = tuple(sorted(s for (name, s) in by if name == c and (base, s) in by))
        if not seeds:
            continue
        var, ref = [by[(c, s)] for s in seeds], [by[(base, s)] for s in seeds]
        measures = {}
        for key in PAIRED:
            a = np.array([_finite(r, key) for r in var])
            b = np.array([_finite(r, key) for r in ref])
            diff = a - b
            ok = np.isfinite(diff)
            p = wilcoxon(a[ok], b[ok]).pvalue if ok.sum() >= 5 and np.any(diff[ok] != 0) else float("nan")
            med = float(np.median(diff[ok])) if ok.any() else float("nan")
            spread = np.subtract(*np.percentile(b[np.isfinite(b)], [75, 25])) if np.isfinite(b).any() else np.nan
            measures[key] = Paired(np.array([float(r[key]) for r in var]), diff[ok], med, float(p), float(spread))
        out.append(Comparison(c, base, seeds, sum(np.isfinite(r["t_learn_s"]) for r in var), measures))
    return out


def ablation_table(summaries: list[dict[str, Any]]) -> str:
    """Markdown table: each ablation variant (``base-change``, optionally ``+quirk``) against its base, over the
    seeds both ran. Time to learn and stability as median [IQR]; the paired change (variant - base, median over
    seeds; a run that never learned counts as the run's duration) and a two-sided Wilcoxon signed-rank p over
    those pairs. 'beyond spread' marks a median change larger than the base's own interquartile range (for time to
    learn and for stability)."""
    lines = ["| variant | seeds | learned | time to learn (s) | paired change (s) | p | beyond spread | "
             "stability | paired change | p | beyond spread |", "|" + "---|" * 11]
    for comp in paired_comparisons(summaries):
        cells = []
        for m in comp.measures.values():
            cells += [_med_iqr(m.values), _fmt(m.median_change) if np.isfinite(m.median_change) else "n/a",
                      f"{m.p:.3g}" if np.isfinite(m.p) else "n/a", "yes" if m.beyond_spread else "no"]
        lines.append(f"| {comp.variant} vs {comp.base} | {len(comp.seeds)} | {comp.learned}/{len(comp.seeds)} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_ablation(summaries: list[dict[str, Any]], out_dir: str | Path) -> Path | None:
    """``ablation.png``: per variant and measure, the paired changes seed by seed (dots), their median (bar) and
    the base's interquartile range as a band around zero (a median outside it is 'beyond spread')."""
    comparisons = paired_comparisons(summaries)
    if not comparisons:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(PAIRED), figsize=(5.5 * len(PAIRED), 0.45 * len(comparisons) + 1.6),
                             sharey=True, squeeze=False)
    for ax, (key, label) in zip(axes[0], PAIRED.items(), strict=True):
        for row, comp in enumerate(comparisons):
            m = comp.measures[key]
            if np.isfinite(m.base_spread):
                ax.fill_betweenx([row - 0.35, row + 0.35], -m.base_spread, m.base_spread, color="0.88", lw=0)
            jitter = np.random.default_rng(row).uniform(-0.2, 0.2, m.changes.size)
            ax.scatter(m.changes, row + jitter, s=10, color="k", zorder=3)
            if np.isfinite(m.median_change):
                ax.vlines(m.median_change, row - 0.35, row + 0.35, colors="C3" if m.beyond_spread else "C0", lw=2.5,
                          zorder=4)
        ax.axvline(0.0, color="0.5", lw=0.8)
        ax.set_xlabel(f"change in {label}, variant - base")
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].set_yticks(range(len(comparisons)), [f"{c.variant} ({len(c.seeds)})" for c in comparisons],
                          fontsize=8)
    axes[0][0].invert_yaxis()
    fig.suptitle("Ablation: paired changes per seed (dots), median (bar; red: beyond the base's IQR, grey band)",
                 fontsize=9)
    fig.tight_layout()
    path = Path(out_dir) / "ablation.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _finite(summary: dict[str, Any], key: str) -> float:
    """A run's value of ``key`` for a paired comparison: never learning counts as learning at the run's end."""
    v = float(summary[key])
    if key == "t_learn_s" and not np.isfinite(v):
        return float(summary["duration_s"])
    return v


def _has_experiment(store: str) -> bool:
    """The store exists and holds a finished run's ``experiment`` group (the rewarded weight's trace and the final
    weights)."""
    import zarr

    if not Path(store).exists():
        return False
    try:
        group = zarr.open_group(store, mode="r")["experiment"]
        return "chosen_g" in group and "final_exc_weights" in group
    except (KeyError, OSError, ValueError):
        return False


def plot_results(summaries: list[dict[str, Any]], out_dir: str | Path) -> list[Path]:
    """Rewarded weight over time (median and IQR band per condition), time-to-learn distributions and the
    final excitatory weight distributions with the rewarded synapse marked. The two figures drawn from the stores
    leave out runs whose store is gone (listed only in a sweep's index) or cut off (a run of the same name stopped
    part way after it) and say how many they show."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import zarr

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    conds = list(dict.fromkeys(s["condition"] for s in summaries))
    stored = [s for s in summaries if _has_experiment(s["store"])]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for c in conds:
        traces = []
        grid = None
        for s in (s for s in stored if s["condition"] == c):
            w = np.asarray(zarr.open_group(s["store"], mode="r")["experiment"]["chosen_g"])
            t = 0.01 * np.arange(w.size)
            grid = np.linspace(0, t[-1], 400) if grid is None else grid
            traces.append(np.interp(grid, t, w))
        if not traces:
            continue
        q1, med, q3 = np.percentile(np.asarray(traces), [25, 50, 75], axis=0)
        ax.plot(grid, med, label=f"{c} (n={len(traces)})")
        ax.fill_between(grid, q1, q3, alpha=0.2)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("rewarded synapse weight")
    ax.set_title("Distal reward: rewarded weight, median and IQR across seeds")
    if stored:
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no stores present", ha="center", va="center", transform=ax.transAxes)
    fig.tight_layout()
    paths = [out / "rewarded_weight.png"]
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4))
    for i, c in enumerate(conds):
        tl = np.array([s["t_learn_s"] for s in summaries if s["condition"] == c], dtype=float)
        dur = max(s["duration_s"] for s in summaries if s["condition"] == c)
        shown = np.where(np.isfinite(tl), tl, dur)
        jitter = np.random.default_rng(i).uniform(-0.15, 0.15, shown.size)
        ax.scatter(np.full(shown.size, i) + jitter, shown, c=np.where(np.isfinite(tl), "k", "r"), s=14)
        if np.any(np.isfinite(tl)):
            ax.hlines(np.median(tl[np.isfinite(tl)]), i - 0.3, i + 0.3, colors="C1")
    ax.set_xticks(range(len(conds)), conds, rotation=20)
    ax.set_ylabel("time to learn (s); red: not learned")
    fig.tight_layout()
    paths.append(out / "time_to_learn.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)

    shown = [c for c in conds if any(s["condition"] == c for s in stored)]
    fig, axes = plt.subplots(1, max(len(shown), 1), figsize=(3.2 * max(len(shown), 1), 3), squeeze=False)
    if not shown:
        axes[0][0].text(0.5, 0.5, "no stores present", ha="center", va="center")
    for ax, c in zip(axes[0][:len(shown)], shown, strict=True):
        s = next(s for s in stored if s["condition"] == c)
        w = np.asarray(zarr.open_group(s["store"], mode="r")["experiment"]["final_exc_weights"])
        ax.hist(w, bins=40, color="grey")
        ax.axvline(s["final_chosen_weight"], color="r", label="rewarded")
        ax.set_yscale("log")
        ax.set_title(f"{c}, seed {s['seed']}", fontsize=9)
        ax.set_xlabel("final E weight")
    if shown:
        axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    paths.append(out / "final_weights.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)
    return paths
