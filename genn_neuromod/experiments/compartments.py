"""Burst multiplexing with two-compartment cells (Naud & Sprekeler 2018).

One population of ``TwoCompartmentLIF`` cells receives two independent slowly varying signals, one on the
soma (``Isyn``) and one on the dendrites (``Isyn_dend``), each with private noise per cell. Binned, the
population's event rate (isolated spikes and bursts, each counted once) follows the somatic signal and its
burst fraction (bursts / events) the dendritic one: two streams decoded from one spike train. The crosstalk is
how much each read-out follows the other signal. Everything here is measured, per seed, and reported with its
spread.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

BURST_ISI_MS = 16.0


@dataclass(frozen=True)
class MultiplexingConfig:
    """The protocol's settings (defaults: 400 cells, 20 s, signals with 200-ms correlation time)."""

    cells: int = 400
    duration_s: float = 20.0
    dt: float = 0.1
    soma_mean: float = 500.0      # pA
    soma_amp: float = 250.0       # pA, standard deviation of the somatic signal
    dend_mean: float = 150.0      # pA
    dend_amp: float = 150.0       # pA, standard deviation of the dendritic signal
    noise_sd: float = 3000.0      # pA, private white noise per step and compartment (as in the tests)
    signal_tau_ms: float = 200.0  # correlation time of the signals (Ornstein-Uhlenbeck)
    signal_step_ms: float = 1.0   # the signals change every millisecond
    bin_ms: float = 50.0          # read-out bins


def ou_signal(rng: np.random.Generator, n: int, tau_steps: float) -> np.ndarray:
    """A zero-mean, unit-variance Ornstein-Uhlenbeck sequence of ``n`` values with correlation time ``tau_steps``."""
    a = np.exp(-1.0 / tau_steps)
    x = np.empty(n)
    x[0] = rng.normal()
    noise = rng.normal(size=n) * np.sqrt(1.0 - a * a)
    for i in range(1, n):
        x[i] = a * x[i - 1] + noise[i]
    return x


def events_and_bursts(times: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Times of event starts and of burst recognitions (Naud & Sprekeler: a spike less than 16 ms after the
    previous one of the same cell continues an event; the first such spike after an event start makes it a
    burst)."""
    order = np.lexsort((times, ids))
    t, i = times[order], ids[order]
    short = np.zeros(t.size, dtype=bool)  # continues the previous spike's event (same cell, < 16 ms later)
    short[1:] = (i[1:] == i[:-1]) & (np.diff(t) < BURST_ISI_MS)
    burst = short.copy()
    burst[1:] &= ~short[:-1]
    return t[~short], t[burst]


def run_seed(config: MultiplexingConfig, seed: int, pg=None) -> dict:
    """One run: the signals, the binned read-outs and their correlations."""
    if pg is None:
        import genn_neuromod as pg
    from ..models import available_models, load_model
    from ..recording.collect import run_collecting_spikes

    rng = np.random.default_rng(seed)
    n_sig = int(round(config.duration_s * 1000.0 / config.signal_step_ms)) + 1
    soma_sig = ou_signal(rng, n_sig, config.signal_tau_ms / config.signal_step_ms)
    dend_sig = ou_signal(rng, n_sig, config.signal_tau_ms / config.signal_step_ms)

    model = pg.GeNNModel("float", f"multiplexing_{seed}")
    model.dt = config.dt
    model.seed = seed
    name = "TwoCompartmentLIF"
    spec = available_models()[name]
    params, values = spec.default_values("params"), spec.default_values("vars")
    pop = model.add_neuron_population("L5", config.cells, load_model(name, backend=pg), params, values)
    pop.spike_recording_enabled = True
    drive = pg.create_current_source_model(
        "signal_drive", params=["mean", "amp", "sigma", "step_ms"], extra_global_params=[("signal", "scalar*")],
        injection_code="injectCurrent(mean + amp * signal[(unsigned int)(t / step_ms)] + sigma * gennrand_normal());")
    for label, mean, amp, sig, target in (("Soma", config.soma_mean, config.soma_amp, soma_sig, "Isyn"),
                                          ("Dend", config.dend_mean, config.dend_amp, dend_sig, "Isyn_dend")):
        cs = model.add_current_source(label, drive, pop, {"mean": mean, "amp": amp, "sigma": config.noise_sd,
                                                          "step_ms": config.signal_step_ms}, {})
        cs.extra_global_params["signal"].set_init_values(sig.astype(np.float32))
        cs.target_var = target
    steps = int(round(config.duration_s * 1000.0 / config.dt))
    chunk = 10000
    wall = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gn_mux_") as code:
        model.build(code)
        model.load(num_recording_timesteps=chunk)
        times, ids = run_collecting_spikes(model, [pop], steps, chunk)[pop.name]
        model.unload()
    wall = time.perf_counter() - wall
    ev, bu = events_and_bursts(times, ids)
    edges = np.arange(0.0, config.duration_s * 1000.0 + 1e-9, config.bin_ms)
    events = np.histogram(ev, edges)[0].astype(float)
    bursts = np.histogram(bu, edges)[0].astype(float)
    rate = events / (config.cells * config.bin_ms / 1000.0)
    frac = np.divide(bursts, events, out=np.zeros_like(bursts), where=events > 0)
    per_bin = int(round(config.bin_ms / config.signal_step_ms))
    s_bin = soma_sig[:per_bin * rate.size].reshape(rate.size, per_bin).mean(axis=1)
    d_bin = dend_sig[:per_bin * rate.size].reshape(rate.size, per_bin).mean(axis=1)
    skip = int(np.ceil(500.0 / config.bin_ms))  # the first 0.5 s: adaptation settles
    r = {f"{a}_{b}": float(np.corrcoef(x[skip:], y[skip:])[0, 1])
         for a, x in (("rate", rate), ("burstfrac", frac)) for b, y in (("soma", s_bin), ("dend", d_bin))}
    return {"seed": seed, "correlations": r, "spikes": int(times.size), "events": int(ev.size),
            "bursts": int(bu.size), "wall_s": wall,
            "mean_event_rate_hz": float(rate[skip:].mean()), "mean_burst_fraction": float(frac[skip:].mean()),
            "series": {"t_ms": (edges[:-1] + config.bin_ms / 2).tolist(), "rate": rate.tolist(), "burstfrac":
                       frac.tolist(), "soma": s_bin.tolist(), "dend": d_bin.tolist()}}


def summarise(results: list[dict]) -> dict:
    """Median and interquartile range over seeds of each correlation."""
    keys = results[0]["correlations"]
    out = {}
    for k in keys:
        v = np.array([r["correlations"][k] for r in results])
        out[k] = {"median": float(np.median(v)), "q25": float(np.percentile(v, 25)),
                  "q75": float(np.percentile(v, 75)), "min": float(v.min()), "max": float(v.max())}
    return out


def write_report(results: list[dict], config: MultiplexingConfig, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = summarise(results)
    ex = results[0]["series"]
    t = np.asarray(ex["t_ms"]) / 1000.0

    def z(x):
        x = np.asarray(x, dtype=float)
        return (x - x.mean()) / (x.std() or 1.0)

    fig = plt.figure(figsize=(12, 7))
    ax1 = fig.add_subplot(2, 2, (1, 2))
    show = t <= min(10.0, t[-1])
    ax1.plot(t[show], z(ex["soma"])[show], color="C0", lw=1.2, label="somatic signal")
    ax1.plot(t[show], z(ex["rate"])[show], color="C0", lw=0.8, ls="--", label="event rate")
    ax1.plot(t[show], z(ex["dend"])[show] - 5, color="C3", lw=1.2, label="dendritic signal")
    ax1.plot(t[show], z(ex["burstfrac"])[show] - 5, color="C3", lw=0.8, ls="--", label="burst fraction")
    ax1.set_xlabel("time (s)")
    ax1.set_yticks([])
    ax1.set_title(f"seed {results[0]['seed']}: z-scored signals and read-outs ({config.bin_ms:g}-ms bins)")
    ax1.legend(fontsize=8, ncol=4, loc="upper right")
    ax2 = fig.add_subplot(2, 2, 3)
    labels = [("rate_soma", "event rate ~ soma"), ("rate_dend", "event rate ~ dendrite"),
              ("burstfrac_dend", "burst fraction ~ dendrite"), ("burstfrac_soma", "burst fraction ~ soma")]
    for i, (k, _) in enumerate(labels):
        vals = [r["correlations"][k] for r in results]
        ax2.bar(i, summary[k]["median"], color="C0" if "soma" in k and "rate" in k or "dend" in k and "burst" in k
                else "0.6")
        ax2.plot(np.full(len(vals), i), vals, "k.", ms=4)
    ax2.set_xticks(range(len(labels)), [lab for _, lab in labels], rotation=20, fontsize=8)
    ax2.axhline(0.0, color="0.3", lw=0.8)
    ax2.set_ylabel("correlation")
    ax2.set_title(f"{len(results)} seeds: median (bars) and each seed (dots)")
    ax3 = fig.add_subplot(2, 2, 4)
    allrate = np.concatenate([r["series"]["rate"] for r in results])
    allfrac = np.concatenate([r["series"]["burstfrac"] for r in results])
    alls = np.concatenate([r["series"]["soma"] for r in results])
    alld = np.concatenate([r["series"]["dend"] for r in results])
    ax3b = ax3.twinx()
    for ax, x, y, color, lab in ((ax3, alls, allrate, "C0", "event rate vs somatic signal"),
                                 (ax3b, alld, allfrac, "C3", "burst fraction vs dendritic signal")):
        bins = np.quantile(x, np.linspace(0, 1, 9))
        idx = np.clip(np.digitize(x, bins) - 1, 0, 7)
        ax.plot([x[idx == k].mean() for k in range(8)], [y[idx == k].mean() for k in range(8)], "o-", color=color,
                label=lab)
    ax3.set_xlabel("signal (z)")
    ax3.set_ylabel("event rate (Hz)", color="C0")
    ax3b.set_ylabel("burst fraction", color="C3")
    ax3.legend(fontsize=8, loc="upper left")
    ax3b.legend(fontsize=8, loc="lower right")
    ax3.set_title("tuning, all seeds (signal octiles)")
    fig.suptitle(f"Burst multiplexing: {config.cells} TwoCompartmentLIF cells, soma and dendrite driven by "
                 "independent signals")
    fig.tight_layout()
    png = out / "compartments_multiplexing.png"
    fig.savefig(png, dpi=110)
    plt.close(fig)
    lines = ["| read-out ~ signal | median r | IQR | range |", "|---|---|---|---|"]
    for k, lab in labels:
        s = summary[k]
        lines.append(f"| {lab} | {s['median']:.3f} | [{s['q25']:.3f}, {s['q75']:.3f}] | "
                     f"[{s['min']:.3f}, {s['max']:.3f}] |")
    (out / "compartments_multiplexing.md").write_text("\n".join(lines) + "\n")
    return png


def run_multiplexing(seeds: list[int], out_dir: str, config: MultiplexingConfig | None = None,
                     progress: bool = True, report_only: bool = False) -> dict:
    """Run the protocol for each seed (results/<seed>.json in ``out_dir``), then the table and the figure."""
    config = config or MultiplexingConfig()
    out = Path(out_dir)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    results = []
    for seed in seeds:
        path = out / "runs" / f"multiplexing_{seed}.json"
        if path.exists():
            results.append(json.loads(path.read_text()))
            continue
        if report_only:
            continue
        result = run_seed(config, seed)
        result["config"] = asdict(config)
        path.write_text(json.dumps(result))
        results.append(result)
        if progress:
            c = result["correlations"]
            print(f"  seed {seed}: r(rate, soma) = {c['rate_soma']:.2f}, r(rate, dend) = {c['rate_dend']:.2f}, "
                  f"r(burst fraction, dend) = {c['burstfrac_dend']:.2f}, r(burst fraction, soma) = "
                  f"{c['burstfrac_soma']:.2f} ({result['wall_s']:.0f} s)", flush=True)
    if not results:
        raise FileNotFoundError(f"no multiplexing runs in {out / 'runs'}: run without --report-only first")
    png = write_report(results, config, out)
    summary = summarise(results)
    (out / "compartments_multiplexing.json").write_text(json.dumps({"config": asdict(config), "seeds":
                                                                    [r["seed"] for r in results],
                                                                    "summary": summary}, indent=1))
    if progress:
        print((out / "compartments_multiplexing.md").read_text() + f"figure: {png}")
    return summary
