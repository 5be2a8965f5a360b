"""The CPU scaling figure: simulated seconds per wall-clock second against threads, per network and engine.

Reads the rows that ``scripts/bench_cpu.py --json FILE`` wrote (one invocation, so every engine ran on the same
machine at the same time) and draws one panel per network::

    python scripts/bench_cpu.py --threads 2 --json bench.json
    python scripts/plot_scaling.py bench.json --out docs/cpu_scaling.png

An engine's thread count is read from its label ("..., 2 thr"); engines without one ran single-threaded.
Our multi-threaded points are annotated with the share of steps the adaptive choice ran on the whole team.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

#: engine label (without its thread count) -> legend name and marker
FAMILIES = {
    "genn_neuromod cpu": ("genn_neuromod", "o"),
    "Brian2 cpp_standalone": ("Brian2 C++ standalone (OpenMP)", "s"),
    "GeNN single_threaded_cpu": ("GeNN CPU", "^"),
    "real GeNN": ("GeNN CPU", "^"),
}


def points(rows: list[dict]) -> dict[str, dict[str, list[tuple[int, float, str]]]]:
    """network -> engine family -> [(threads, sim s per wall s, note)], sorted by threads."""
    out: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r.get("failed") or not r.get("run_s"):
            continue
        m = re.match(r"(.*?), (\d+) thr", r["engine"])
        family, threads = (m.group(1), int(m.group(2))) if m else (r["engine"], 1)
        if family not in FAMILIES or (family == "Brian2 cpp_standalone" and not m):
            continue  # Brian2's code without OpenMP and its Cython runtime are in the table, not on this figure
        one, team = (r.get("thread_steps") or [0, 0])[:2]
        note = f"team {100 * team / (one + team):.0f}%" if threads > 1 and one + team else ""
        out[r["network"]][family].append((threads, r["sim_s"] / r["run_s"], note))
    return {net: {f: sorted(p) for f, p in fams.items()} for net, fams in out.items()}


def plot(rows: list[dict], out: Path) -> None:
    data = points(rows)
    ncols = 2 if len(data) == 4 else min(3, len(data))
    nrows = -(-len(data) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.0 * ncols, 3.2 * nrows), squeeze=False)
    handles = {}
    for ax, (net, fams) in zip(axes.flat, data.items(), strict=False):
        for family, pts in fams.items():
            label, marker = FAMILIES[family]
            xs, ys, _ = zip(*pts, strict=True)
            (line,) = ax.plot(xs, ys, marker=marker, label=label)
            handles.setdefault(label, line)
            for x, y, note in pts:
                if note:
                    ax.annotate(note, (x, y), textcoords="offset points", xytext=(-10, 6), fontsize=7)
        ax.set_title(net, fontsize=10)
        ax.set_xlabel("threads")
        ax.set_xticks(sorted({x for pts in fams.values() for x, _, _ in pts}))
        ax.set_ylim(bottom=0, top=1.25 * max(y for pts in fams.values() for _, y, _ in pts))
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(data):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("simulated s per wall-clock s")
    fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=len(handles), fontsize=8)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=130)
    plt.close(fig)


def load_rows(paths: list[Path]) -> list[dict]:
    """The rows of every file, joined in order; a network in several files keeps the last file's rows only (each
    panel from one invocation)."""
    by_network: dict[str, list[dict]] = {}
    for path in paths:
        rows = json.loads(Path(path).read_text())
        for network in dict.fromkeys(row["network"] for row in rows):
            by_network[network] = [row for row in rows if row["network"] == network]
    return [row for rows in by_network.values() for row in rows]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json", type=Path, nargs="+",
                    help="rows written by bench_cpu.py --json (several files: their rows joined; a network in "
                         "several files is drawn from the last)")
    ap.add_argument("--out", type=Path, default=Path("docs/cpu_scaling.png"))
    args = ap.parse_args(argv)
    plot(load_rows(args.json), args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
