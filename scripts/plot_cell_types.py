"""Voltage traces of the cell-type catalog under a DC step (one panel per type).

Every Izhikevich type of ``genn_neuromod.models.cell_types.IZHIKEVICH_TYPES`` (one
``IzhikevichCell`` population, one neuron per type) and the adaptive LIF neuron receive a
current step; the thalamo-cortical cell is shown twice, depolarised from rest (tonic firing)
and released from hyperpolarisation (rebound burst), as in Izhikevich (2003) Fig. 2.
Drives: I = 10 from 20 ms (Izhikevich 2003 Fig. 2) for the cortical types, I = 1.5 for TC
(tonic, low drive), I = -10 from 20 to 120 ms for the TC rebound, I = 0.3 for RZ (just above
its threshold), no input for AC (see the AC caveat in ``cell_types``), 0.6 nA for the adaptive LIF.

The two-compartment cells (TwoCompartmentIzhikevich, TwoCompartmentLIF) are drawn under the BAC
protocol of Larkum et al. (1999): a 5-ms somatic pulse alone, a 10-ms dendritic pulse alone, and both
together, with their file defaults (somatic and dendritic voltage).

    python scripts/plot_cell_types.py [output dir]      # writes cell_types.png and two_compartment_bac.png
"""

from __future__ import annotations

import math
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import genn_neuromod as pygenn  # noqa: E402
from genn_neuromod.models import load_model, model_defaults  # noqa: E402
from genn_neuromod.models.cell_types import IZHIKEVICH_TYPE_NAMES, IZHIKEVICH_TYPES  # noqa: E402

DT, DURATION_MS, ONSET = 0.1, 300.0, 20.0


def _rest(b: float) -> float:
    return (-(5.0 - b) - math.sqrt((5.0 - b) ** 2 - 4.0 * 0.04 * 140.0)) / (2.0 * 0.04)


def main(out_dir: str = ".") -> Path:
    # (panel title, type, amplitude, onset, offset)
    cells = [(t, t, 10.0, ONSET, 1e9) for t in ("RS", "IB", "CH", "FS", "LTS")]
    cells += [("TC (tonic)", "TC", 1.5, ONSET, 1e9), ("TC (rebound)", "TC", -10.0, ONSET, ONSET + 100.0),
              ("RZ", "RZ", 0.3, ONSET, 1e9), ("AC (fires at I=0, see docs)", "AC", 0.0, ONSET, 1e9)]
    n = len(cells)
    a, b, c, d = np.array([IZHIKEVICH_TYPES[x[1]] for x in cells]).T
    v0 = np.array([_rest(bb) if bb < 0.5 else -65.0 for bb in b])

    model = pygenn.GeNNModel("double", "plot_cell_types")
    model.dt = DT
    step = pygenn.create_current_source_model(
        "Step", vars=[("amp", "scalar", pygenn.VarAccess.READ_ONLY), ("onset", "scalar", pygenn.VarAccess.READ_ONLY),
                      ("offset", "scalar", pygenn.VarAccess.READ_ONLY)],
        injection_code="if (t >= onset && t < offset) {\n    injectCurrent(amp);\n}\n")
    izk = model.add_neuron_population("Izk", n, load_model("IzhikevichCell"), {},
                                      {"V": v0, "U": b * v0, "a": a, "b": b, "c": c, "d": d, "cell_type": 0})
    amp = np.array([x[2] for x in cells])
    model.add_current_source("IzkStep", step, izk, {}, {"amp": amp, "onset": [x[3] for x in cells],
                                                        "offset": [x[4] for x in cells]})
    alif_params = model_defaults("AdaptiveLIF")
    alif = model.add_neuron_population("ALIF", 1, load_model("AdaptiveLIF"), alif_params,
                                       {"V": alif_params["Vrest"], "A": 0.0, "RefracTime": 0.0})
    model.add_current_source("ALIFStep", step, alif, {}, {"amp": 0.6, "onset": ONSET, "offset": 1e9})
    with tempfile.TemporaryDirectory() as build_dir:  # generated code: not left in the working directory
        model.build(build_dir)
        model.load()

    steps = int(round(DURATION_MS / DT))
    v_izk, v_alif = np.empty((steps, n)), np.empty(steps)
    for k in range(steps):
        model.step_time()
        izk.vars["V"].pull_from_device()
        alif.vars["V"].pull_from_device()
        v_izk[k] = izk.vars["V"].view
        v_alif[k] = alif.vars["V"].view[0]
    t = np.arange(steps) * DT

    fig, axes = plt.subplots(5, 2, figsize=(11, 12), sharex=True)
    for i, (title, kind, amplitude, on, off) in enumerate(cells):
        ax = axes.flat[i]
        ax.plot(t, v_izk[:, i], lw=0.8)
        a_, b_, c_, d_ = IZHIKEVICH_TYPES[kind]
        ax.set_title(f"{title}: {IZHIKEVICH_TYPE_NAMES[kind]}  (a={a_}, b={b_}, c={c_}, d={d_}; I={amplitude:g})",
                     fontsize=9)
        ax.axvspan(on, min(off, DURATION_MS), color="0.9", zorder=0)
        ax.set_ylim(-95, 35)
        ax.set_ylabel("V (mV)")
    ax = axes.flat[n]
    ax.plot(t, v_alif, lw=0.8, color="C1")
    ax.axhline(alif_params["Vthresh"], ls=":", color="0.5")
    ax.axvspan(ONSET, DURATION_MS, color="0.9", zorder=0)
    ax.set_title(f"Adaptive LIF (TauM={alif_params['TauM']:g} ms, b={alif_params['b']:g} nA, "
                 f"TauA={alif_params['TauA']:g} ms; I=0.6 nA)", fontsize=9)
    ax.set_ylabel("V (mV)")
    return _save(fig, axes, "genn_neuromod cell types under a current step (grey: step on), dt = 0.1 ms",
                 Path(out_dir) / "cell_types.png")


def _save(fig, axes, title: str, out: Path) -> Path:
    """Label the bottom row's time axes, title the figure and write it."""
    for ax in axes[-1]:
        ax.set_xlabel("time (ms)")
    fig.suptitle(title)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")
    return out


#: (model, somatic pulse pA for 5 ms, dendritic pulse pA for 10 ms), both from 50 ms
BAC_PROTOCOL = [("TwoCompartmentIzhikevich", 1500.0, 500.0), ("TwoCompartmentLIF", 2000.0, 800.0)]
BAC_MS = 150.0


def bac_figure(out_dir: str = ".") -> Path:
    """Somatic and dendritic voltage of each two-compartment model: soma only, dendrite only, both."""
    from genn_neuromod.models import available_models

    model = pygenn.GeNNModel("double", "plot_bac")
    model.dt = DT
    pulse = pygenn.create_current_source_model(
        "Pulse", params=["width"], vars=[("amp", "scalar", pygenn.VarAccess.READ_ONLY)],
        injection_code="if (t >= 50.0 && t < 50.0 + width) {\n    injectCurrent(amp);\n}\n")
    pops = {}
    for name, soma, dend in BAC_PROTOCOL:
        spec = available_models()[name]
        params, values = spec.default_values("params"), spec.default_values("vars")
        pop = model.add_neuron_population(name, 3, load_model(name), params, values)
        model.add_current_source(f"{name}_soma", pulse, pop, {"width": 5.0}, {"amp": [soma, 0.0, soma]})
        cs = model.add_current_source(f"{name}_dend", pulse, pop, {"width": 10.0}, {"amp": [0.0, dend, dend]})
        cs.target_var = "Isyn_dend"
        pops[name] = pop
    with tempfile.TemporaryDirectory() as build_dir:
        model.build(build_dir)
        model.load()
    steps = int(round(BAC_MS / DT))
    trace = {name: {v: np.empty((steps, 3)) for v in ("V", "Vd")} for name in pops}
    for k in range(steps):
        model.step_time()
        for name, pop in pops.items():
            for v in ("V", "Vd"):
                pop.vars[v].pull_from_device()
                trace[name][v][k] = pop.vars[v].view
    t = np.arange(steps) * DT
    fig, axes = plt.subplots(2, 3, figsize=(12, 6), sharex=True)
    for row, (name, soma, dend) in enumerate(BAC_PROTOCOL):
        for col, label in enumerate((f"soma {soma:g} pA (5 ms)", f"dendrite {dend:g} pA (10 ms)", "both")):
            ax = axes[row, col]
            ax.plot(t, trace[name]["V"][:, col], lw=0.9, label="soma V")
            ax.plot(t, trace[name]["Vd"][:, col], lw=0.9, label="dendrite Vd")
            ax.axvspan(50.0, 60.0, color="0.92", zorder=0)
            ax.set_title(f"{name}: {label}", fontsize=9)
            ax.set_ylabel("mV")
        axes[row, 0].legend(fontsize=8, loc="upper left")
    return _save(fig, axes, "Two-compartment cells under the BAC protocol (Larkum et al. 1999), file defaults, "
                 "dt = 0.1 ms", Path(out_dir) / "two_compartment_bac.png")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
    bac_figure(sys.argv[1] if len(sys.argv) > 1 else ".")
