"""Weight change of dopamine-modulated STDP against the pre-post lag, both forms, DA on and off.

One pre-post pairing per synapse (lag = t_post - t_pre), then, 1 s after the pairing, one
dopamine release of 0.5 (Izhikevich 2007's reward). Three postsynaptic cells spike together and
differ only in their dopamine receptor: none (DA off: baseline only), D1 (gain +1), D2 (gain -1).
Each synapse is simulated twice:

* ``DASTDPTimeDriven`` with Izhikevich's parameters (A+ 0.1, A- 0.15, traces x0.95/ms,
  eligibility x0.99 per 10 ms, weights += (0.002 + DA) c every 10 ms), dt = 1 ms;
* ``DASTDPEventDriven`` (NEST's closed form) with the matching parameters: the same time
  constants, b = -0.002, and A+/-, divided by the 10-ms update period so that
  dw/dt = c (n - b) integrates what the time-driven rule sums every 10 ms.

The weight change is read after ``--duration`` ms. Usage::

    python scripts/plot_plasticity.py [--out plasticity_curve.png] [--duration 5000]
"""

from __future__ import annotations

import argparse
import math
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import genn_neuromod as pygenn  # noqa: E402
from genn_neuromod.models import model_defaults  # noqa: E402
from genn_neuromod.models import neuromodulation as nm  # noqa: E402

T_POST = 200.0  # ms, the postsynaptic spike of every pairing
REWARD_DELAY = 1000.0  # ms after the pairing
RELEASE = 0.5
GAINS = [0.0, 1.0, -1.0]
LABELS = ["no DA receptor (DA off: baseline only)", "D1 receptor (DA on)", "D2 receptor (DA on, inverted)"]


def simulate(lags: np.ndarray, duration: float, dt: float = 1.0, build_dir: str | None = None):
    """Weight changes (form -> array [cell, lag]) of both forms."""
    td = model_defaults("DASTDPTimeDriven")
    period = td["T_update"]
    tau_n = 1.0 / math.log(1.0 / 0.995)  # Izhikevich's DA decay: x0.995 per ms
    ed = dict(A_plus=td["A_plus"] / period, A_minus=td["A_minus"] / period, tau_plus=td["tau_plus"],
              tau_minus=td["tau_minus"], tau_c=td["tau_c"], tau_n=tau_n, b=-td["baseline"], Wmin=-100.0, Wmax=100.0)
    td.update(Wmin=-100.0, Wmax=100.0, nearest=0.0)
    g0 = 1.0

    model = pygenn.GeNNModel("double", "plot_plasticity")
    model.dt = dt
    init, times = nm.spike_array_init([[T_POST - lag] for lag in lags], dt)
    pre = model.add_neuron_population("Pre", len(lags), "SpikeSourceArray", {}, init)
    pre.extra_global_params["spikeTimes"].set_init_values(times)
    post = nm.add_scripted_neuromod_population(model, "Post", [[T_POST]] * len(GAINS), gain=GAINS, tau_DA=tau_n)
    reward = nm.add_reward_source(model, "Reward")
    nm.add_volume_transmission(model, "DA", reward, post, release=RELEASE)
    groups = {"time-driven (Izhikevich 2007)": nm.add_da_stdp(model, "TD", pre, post, form="time", params=td, g=g0,
                                                                matrix_type="DENSE"),
              "event-driven (NEST closed form)": nm.add_da_stdp(model, "ED", pre, post, form="event", params=ed, g=g0,
                                                                  matrix_type="DENSE")}
    model.build(build_dir or tempfile.mkdtemp(prefix="plot_plasticity_"))
    model.load()
    nm.schedule_reward(reward, T_POST + REWARD_DELAY)
    model.step_time_n(int(round(duration / dt)))
    model.custom_update("DASTDPSync")
    out = {}
    for name, sg in groups.items():
        sg.vars["g"].pull_from_device()
        out[name] = (sg.vars["g"].values.reshape(len(lags), len(GAINS)) - g0).T
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="plasticity_curve.png")
    ap.add_argument("--duration", type=float, default=5000.0, help="ms simulated (the weights are read then)")
    args = ap.parse_args()

    lags = np.arange(-60.0, 61.0, 2.0)
    dw = simulate(lags, args.duration)
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), sharex=True)
    for k, ax in enumerate(axes):
        for (name, values), style in zip(dw.items(), ("o-", "-"), strict=True):
            ax.plot(lags, values[k], style, ms=3, lw=1.2, label=name)
        ax.axhline(0.0, color="0.6", lw=0.6)
        ax.axvline(0.0, color="0.6", lw=0.6)
        ax.set_title(LABELS[k], fontsize=10)
        ax.set_xlabel("lag t_post - t_pre (ms)")
    axes[0].set_ylabel(f"weight change after {args.duration / 1000:g} s")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"DA-STDP: one pairing at {T_POST:g} ms, dopamine +{RELEASE} at {T_POST + REWARD_DELAY:g} ms "
                 "(none in the left panel's cells)", fontsize=11)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    names = list(dw)
    for k, label in enumerate(LABELS):
        a, b = dw[names[0]][k], dw[names[1]][k]
        rel = np.abs(a - b).max() / max(np.abs(b).max(), 1e-300)
        print(f"{label}: max |dw| {np.abs(b).max():.4g}, time- vs event-driven max difference {100 * rel:.2f} %")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
