"""The task circuit as a networkx graph, built only from the model library.

Input (SpikeSourceArray, one per pixel) -> E (IzhikevichNeuromod; homogeneous RS or a RS/IB/CH mixture)
with lateral inhibition through I (FS cells), Diehl & Cook style; input -> E learns by dopamine-gated STDP
(``DASTDPTimeDriven`` reading each E cell's ``Dmod``), E -> R (one readout per class) by the same rule with
dopamine as the teaching signal. A ``HostCurrent`` on the readouts is the teacher.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import networkx as nx
import numpy as np

from ...models import model_defaults

VARIANTS = ("hom", "het", "hom_nm", "het_nm", "stdp")
"""Spiking variants: homogeneous / heterogeneous excitatory layer, without / with neuromodulatory context
(``_nm``), and the plain-STDP baseline (homogeneous, readout not gated by dopamine)."""

DESCRIPTIONS = {
    "hom": "homogeneous E layer (all RS), no neuromodulatory context",
    "het": "heterogeneous E layer (RS/IB/CH mixture, per-cell spread of c and d), no context",
    "hom_nm": "homogeneous E layer with the NA/ACh/DA task context",
    "het_nm": "heterogeneous E layer with the NA/ACh/DA task context",
    "stdp": "baseline: homogeneous, plain STDP readout (teacher current, no dopamine sign)",
    "ann": "baseline: MLP (scikit-learn) of the same layer sizes on spike counts",
}


@dataclass(frozen=True)
class TaskConfig:
    """Sizes, timing and learning parameters of the task circuit (defaults: the full runs)."""

    n_input: int = 64
    n_exc: int = 100
    n_inh: int = 25
    n_classes: int = 10
    n_contexts: int = 5                 # E subpopulations, one per task, for the neuromodulatory context
    dt: float = 1.0
    present_steps: int = 60             # ms per sample
    rest_steps: int = 20                # ms of silence between samples
    encoder: str = "poisson"
    max_rate_hz: float = 200.0
    w_in_max: float = 4.0               # input -> E bound (initial weights uniform in [0, w_in_init])
    w_in_init: float = 2.0
    in_norm: float = 64.0               # Diehl & Cook: sum of each E cell's input weights after every sample
    w_ei: float = 0.5
    w_ie: float = 0.3
    w_out_max: float = 20.0
    w_rr: float = 5.0                   # lateral inhibition between readouts (winner-take-all)
    w_out_init: float = 4.0
    out_norm: float = 400.0             # sum of each readout's weights after every taught sample
    eta_in: float = 0.002
    eta_out: float = 0.5
    tau_c: float = 20.0                 # ms, eligibility of both learning synapses
    tau_syn: float = 5.0                # ms, exponential synaptic currents (smooth input to the Izhikevich cells)
    teacher: float = 8.0                # teacher current into the target readout during training
    da_target: float = 1.0              # dopamine at the target readout while a sample is taught
    da_other: float = -0.5              # ... and at the other readouts (their pairings are depressed)
    gate_off: float = 0.05              # NM context: dopamine-receptor gain of E cells of other tasks
    epochs: int = 1
    curve_every: int = 25               # training samples between learning-curve points
    curve_samples: int = 40             # held-out samples per learning-curve point
    criterion: float = 0.8              # task-incremental accuracy defining samples-to-criterion
    max_train: int | None = None        # per task (None: all)
    max_test: int | None = None
    noise_samples: int = 200            # test samples per robustness point
    jitter_ms: tuple[float, ...] = (0.0, 2.0, 5.0, 10.0)
    deletion: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6)
    background_hz: tuple[float, ...] = (0.0, 10.0, 20.0, 40.0)
    het_mixture: dict = field(default_factory=lambda: {"RS": 0.5, "IB": 0.25, "CH": 0.25})

    def to_dict(self) -> dict:
        return asdict(self)


FULL = TaskConfig()
"""Full mode: every sample of every task."""

QUICK = TaskConfig(max_train=40, max_test=20, curve_every=20, curve_samples=20, noise_samples=40,
                   jitter_ms=(0.0, 5.0), deletion=(0.0, 0.4), background_hz=(0.0, 20.0))
"""Quick mode: a few dozen samples per task; minutes on one CPU core for every variant."""


def _stdp(cfg: TaskConfig, eta: float, w_max: float) -> dict:
    decay = -1.0 / math.log(0.95)
    return {**model_defaults("DASTDPTimeDriven"), "A_plus": 0.1, "A_minus": 0.12, "tau_plus": decay,
            "tau_minus": decay, "tau_c": cfg.tau_c, "T_update": cfg.dt, "eta": eta, "baseline": 0.0,
            "Wmin": 0.0, "Wmax": w_max, "nearest": 1.0}


def build_task_graph(variant: str, seed: int, cfg: TaskConfig = FULL) -> nx.MultiDiGraph:
    """The circuit of one spiking variant (see :data:`VARIANTS`) as a graph for :func:`build_model`."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant '{variant}'; choose from {list(VARIANTS)}")
    heterogeneous = variant.startswith("het")
    g = nx.MultiDiGraph(name=f"tasks_{variant}", dt=cfg.dt, precision="float", seed=seed + 1,
                        description=DESCRIPTIONS[variant])
    hold = 1.0e9  # modulators are set by the host per sample and held (no decay)
    nm = {"tau_DA": hold, "tau_NA": hold, "tau_ACh": hold, "tau_5HT": hold, "theta_NA": 0.5, "theta_ACh": 0.5,
          "c_burst": -50.0, "d_burst": 2.0}
    # receptor gains are per-neuron constants of the cell (READ_ONLY variables): given with the cell types
    nm.update({"gain_D1": 1.0, "gain_D2": 0.0, "gain_NA": 1.0, "gain_ACh": 1.0})
    nm_vars = {"V": -65.0, "DA": 0.0, "NA": 0.0, "ACh": 1.0, "SHT": 0.0, "Dmod": 0.0, "Dmod_in": 0.0, "mode": 0}
    g.add_node("Input", model="SpikeSourceArray", size=cfg.n_input,
               vars={"startSpike": [0] * cfg.n_input, "endSpike": [0] * cfg.n_input}, record=["spikes"])
    exc = {"model": "IzhikevichNeuromod", "size": cfg.n_exc, "params": nm, "vars": nm_vars, "record": ["spikes"],
           "mixture_seed": seed, "receptors": {"D1": "plasticity gate", "NA": "bursting", "ACh": "regular"}}
    if heterogeneous:
        exc.update(mixture=dict(cfg.het_mixture),
                   distributions={"c": ["normal", {"sd": 2.0}], "d": ["normal", {"sd": 0.5}]})
    else:
        exc.update(mixture={"RS": 1.0})
    g.add_node("E", **exc)
    g.add_node("I", model="IzhikevichCell", size=cfg.n_inh, mixture={"FS": 1.0}, mixture_seed=seed,
               record=["spikes"])
    g.add_node("R", model="IzhikevichNeuromod", size=cfg.n_classes, params=nm, vars=nm_vars, mixture={"FS": 1.0},
               record=["spikes"], current_sources=[{"name": "Teacher", "model": "HostCurrent"}])
    uniform = {"init": "Uniform", "params": {"min": 0.0, "max": cfg.w_in_init}}
    g.add_edge("Input", "E", key="InE", name="InE", matrix="DENSE",
               weight_update={"model": "DASTDPTimeDriven", "params": _stdp(cfg, cfg.eta_in, cfg.w_in_max),
                              "vars": {"g": uniform, "c": 0.0}, "pre_vars": {"x": 0.0}, "post_vars": {"y": 0.0},
                              "post_var_refs": {"D": "Dmod"}},
               postsynaptic={"model": "ExpCurr", "params": {"tau": cfg.tau_syn}})
    g.add_edge("E", "I", key="EI", name="EI", matrix="DENSE",
               weight_update={"model": "StaticPulse", "vars": {"g": cfg.w_ei}})
    g.add_edge("I", "E", key="IE", name="IE", matrix="DENSE",
               weight_update={"model": "StaticPulse", "vars": {"g": -cfg.w_ie}})
    g.add_edge("R", "R", key="RR", name="RR", matrix="DENSE",
               weight_update={"model": "StaticPulse", "vars": {"g": -cfg.w_rr}})
    g.add_edge("E", "R", key="ER", name="ER", matrix="DENSE",
               weight_update={"model": "DASTDPTimeDriven", "params": _stdp(cfg, cfg.eta_out, cfg.w_out_max),
                              "vars": {"g": cfg.w_out_init, "c": 0.0}, "pre_vars": {"x": 0.0},
                              "post_vars": {"y": 0.0}, "post_var_refs": {"D": "Dmod"}},
               postsynaptic={"model": "ExpCurr", "params": {"tau": cfg.tau_syn}})
    return g


def context_groups(n_exc: int, n_contexts: int, seed: int) -> np.ndarray:
    """The E subpopulation (0..n_contexts-1) each E cell belongs to, shuffled across cell types."""
    labels = np.arange(n_exc) % n_contexts
    return np.random.default_rng(seed + 7).permutation(labels)
