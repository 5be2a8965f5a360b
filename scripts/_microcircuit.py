"""The Potjans & Diesmann (2014) cortical microcircuit, written once against the PyGeNN 5 API.

77,169 LIF neurons in 8 populations (layers 2/3, 4, 5, 6; excitatory and inhibitory), ~0.3e9 synapses drawn with
FixedNumberTotalWithReplacement (in-degrees kept when ``scale`` < 1), exponential currents (0.5 ms), normally
distributed weights and dendritic delays, Poisson background (PoissonExp current sources, 8 Hz per external
input), dt 0.1 ms.  Parameters from the paper's tables 4 and 5 (Cerebral Cortex 24:785), as in GeNN's own
microcircuit example.  ``matrix="PROCEDURAL"`` regenerates each row, weights and delays included, from the
random stream every time its neuron spikes instead of storing it.  Used by ``bench_cpu.py`` (through
``_genn_networks.py``) and ``bench_gpu.py``.
"""

from __future__ import annotations

import math

import numpy as np

# Potjans & Diesmann (2014), Cerebral Cortex 24:785, tables 4 and 5
LAYERS = ("23", "4", "5", "6")
KINDS = ("E", "I")
POP_SIZES = {"23E": 20683, "23I": 5834, "4E": 21915, "4I": 5479,
             "5E": 4850, "5I": 1065, "6E": 14395, "6I": 2948}
#: connection probability [target][source]
CONN_PROB = {
    "23E": (0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0),
    "23I": (0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0),
    "4E": (0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0),
    "4I": (0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0),
    "5E": (0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0),
    "5I": (0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0),
    "6E": (0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252),
    "6I": (0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443),
}
POPS = tuple(layer + kind for layer in LAYERS for kind in KINDS)
EXTERNAL_INPUTS = {"23E": 1600, "23I": 1500, "4E": 2100, "4I": 1900,
                   "5E": 2000, "5I": 1900, "6E": 2900, "6I": 2100}
BACKGROUND_HZ = 8.0
W_EXC = 87.8e-3          # nA (0.15 mV PSP)
W_REL_SD = 0.1
W_L4E_TO_L23E = 2.0 * W_EXC
W_L4E_TO_L23E_REL_SD = 0.05
G_INH = -4.0
DELAY_MEAN = {"E": 1.5, "I": 0.75}  # ms
DELAY_SD = {"E": 0.75, "I": 0.375}
#: delays are clipped at the standard normal quantile 0.9999
DELAY_MAX = {k: DELAY_MEAN[k] + DELAY_SD[k] * 3.719016485455709 for k in DELAY_MEAN}
DT_MS = 0.1
LIF_PARAMS = {"C": 0.25, "TauM": 10.0, "Vrest": -65.0, "Vreset": -65.0, "Vthresh": -50.0, "Ioffset": 0.0,
              "TauRefrac": 2.0}
TAU_SYN = 0.5


def full_in_degree(src: str, trg: str) -> float:
    """Mean in-degree K of the full-scale model, from the connection probability (with replacement)."""
    p = CONN_PROB[trg][POPS.index(src)]
    if p == 0.0:
        return 0.0
    n_pairs = POP_SIZES[src] * POP_SIZES[trg]
    total = math.log(1.0 - p) / math.log((n_pairs - 1.0) / n_pairs)
    return round(total) / POP_SIZES[trg]


def mean_weight(src: str, trg: str) -> float:
    if src[-1] == "I":
        return G_INH * W_EXC
    return W_L4E_TO_L23E if (src == "4E" and trg == "23E") else W_EXC


def population_sizes(scale: float) -> dict[str, int]:
    return {name: max(int(round(scale * POP_SIZES[name])), 1) for name in POPS}


def projection_sizes(scale: float) -> dict[str, int]:
    """Synapses of each projection ``"<src>_<trg>"`` (the synapse group's name) at ``scale``, in-degrees kept."""
    sizes = population_sizes(scale)
    return {f"{src}_{trg}": int(round(full_in_degree(src, trg) * sizes[trg])) for trg in POPS for src in POPS}


def build_microcircuit(pg, scale: float, backend: str, seed: int = 1234, matrix: str = "SPARSE", **preferences):
    """The microcircuit with ``scale`` x the neurons and the full in-degrees, its synapses stored (``SPARSE``) or
    regenerated (``PROCEDURAL``); returns (model, neurons, synapses)."""
    model = pg.GeNNModel("float", "potjans_microcircuit", backend=backend, **preferences)
    model.dt = DT_MS
    model.seed = seed
    for attr in ("fuse_postsynaptic_models", "default_narrow_sparse_ind_enabled"):  # real GeNN's fast paths
        if hasattr(model, attr):
            setattr(model, attr, True)
    max_den_slots = int(round(max(DELAY_MAX.values()) / DT_MS))
    pops = {}
    for name, n in population_sizes(scale).items():
        pop = model.add_neuron_population(name, n, "LIF", LIF_PARAMS,
                                          {"V": pg.init_var("Normal", {"mean": -58.0, "sd": 5.0}), "RefracTime": 0.0})
        model.add_current_source(f"{name}_background", "PoissonExp", pop,
                                 {"weight": W_EXC, "tauSyn": TAU_SYN,
                                  "rate": EXTERNAL_INPUTS[name] * BACKGROUND_HZ}, {"current": 0.0})
        pop.spike_recording_enabled = True
        pops[name] = pop
    total_syn = 0
    counts = projection_sizes(scale)
    for trg in POPS:
        for src in POPS:
            num = counts.get(f"{src}_{trg}", 0)
            if num == 0:
                continue
            w = mean_weight(src, trg)
            sd = abs(w) * (W_L4E_TO_L23E_REL_SD if (src == "4E" and trg == "23E") else W_REL_SD)
            kind = src[-1]
            fmax = float(np.finfo(np.float32).max)
            w_dist = {"mean": w, "sd": sd, "min": 0.0, "max": fmax} if kind == "E" else \
                {"mean": w, "sd": sd, "min": -fmax, "max": 0.0}
            d_dist = {"mean": DELAY_MEAN[kind], "sd": DELAY_SD[kind], "min": 0.0, "max": DELAY_MAX[kind]}
            sg = model.add_synapse_population(
                f"{src}_{trg}", matrix, pops[src], pops[trg],
                pg.init_weight_update("StaticPulseDendriticDelay", {},
                                      {"g": pg.init_var("NormalClipped", w_dist),
                                       "d": pg.init_var("NormalClippedDelay", d_dist)}),
                pg.init_postsynaptic("ExpCurr", {"tau": TAU_SYN}),
                pg.init_sparse_connectivity("FixedNumberTotalWithReplacement", {"num": num}))
            sg.max_dendritic_delay_timesteps = max_den_slots
            total_syn += num
    return model, sum(p.num_neurons for p in pops.values()), total_syn
