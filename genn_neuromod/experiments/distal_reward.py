"""The distal-reward experiment (Izhikevich 2007) and its heterogeneity / neuromodulation variants.

Network: 1000 Izhikevich neurons (800 excitatory, 200 inhibitory), 100 synapses per
neuron (excitatory onto any neuron, inhibitory onto excitatory ones), conduction delays 1..D ms
(each excitatory neuron's synapses split evenly over the D delays; inhibitory ones 1 ms),
thalamic input ``13*(rand - 0.5)`` per neuron and ms, DA-modulated STDP in Izhikevich's
time-driven form (library model ``DASTDPTimeDriven``: traces x0.95/ms, A+ = 0.1, A- = 0.15,
eligibility x0.99 and ``w += (0.002 + DA) c`` every 10 ms, clipped to [0, 4]). One excitatory
synapse n1 -> n2 starts at weight 0; whenever n1's spike is followed by n2's within 20 ms a reward
``DA += 0.5`` is delivered 1-3 s later (library model ``PairingReward`` -> ``VolumeTransmission``).
Everything is an ordinary model built with the PyGeNN API; cell types come from
:mod:`genn_neuromod.models.cell_types` and neuromodulation from ``IzhikevichNeuromod``.

``rs_rs``, ``rs_fs``, ``bu_fs``, ``na_ach`` and ``stdp_control_d5`` follow the seed authors' protocol
(Rodriguez-Garcia & Ramaswamy, SNUFA 2024; ``main.m`` of their public repositories
alejandrorg00/heterogeneous-izhikevich and alejandrorg00/snufaFlashTalk2024), see SEED_PROTOCOL: their
cell table (RS with d = 2), delays ceil(5 U) per excitatory synapse, a drawn rewarded synapse, pairings counted
from the arrival step (``DASTDPTimeDriven``'s ``arrival_pairing``), a dopamine release of 0.5 x 0.99 (their
``DA += 0.5`` then ``DA *= 0.99`` in the same ms) and, in ``na_ach``, the switch to ACh inside the model at the
step the rewarded weight reaches its maximum, after which dopamine is held at 0. Two differences remain: the
switch reaches cells other than n1 one step after the seed code's global flag (a spike-like event from n1),
and a cell spikes at V >= 29.99 mV (GeNN's Izhikevich threshold) where the seed code tests v >= 30.
:data:`ABLATIONS` puts the earlier choices back one at a time.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..models import available_models, load_model, model_defaults
from ..models.cell_types import IZHIKEVICH_TYPES
from .compartments import events_and_bursts

N_EXC, N_INH, SYN_PER_NEURON = 800, 200, 100
W_MAX, W_INIT = 4.0, 1.0
BLOCK_S = 10.0                        # one read-out of the logs and one zarr flush per block
LOG_ENTRIES = int(BLOCK_S * 1000) // 10  # one (g, c) pair per 10-ms weight update
LOG_CODE = f"""
if (((int)round(t / dt)) % ((int)period) == 0) {{
    const unsigned int k = (((unsigned int)round(t / dt)) / (unsigned int)period) % {LOG_ENTRIES}u;
    wlog[2 * k] = g;
    wlog[2 * k + 1] = c;
}}
"""
#: the probe cell's dopamine, logged at the same 10-ms ticks into its own ring buffer
DA_LOG_CODE = f"""
if (((int)round(t / dt)) % 10 == 0) {{
    dalog[(((unsigned int)round(t / dt)) / 10u) % {LOG_ENTRIES}u] = DA;
}}
"""


@dataclass(frozen=True)
class Condition:
    """One experimental condition."""

    name: str
    description: str
    max_delay: int = 1            # D: conduction delays 1..D ms
    exc_type: str = "RS"
    inh_type: str = "FS"
    da_decay: float = 0.995       # dopamine factor per ms
    plastic_inhibitory: bool = False  # DA-STDP on the magnitudes of inhibitory synapses too
    neuromodulated: bool = False  # NA: bursting until the synapse is learned, then ACh -> RS and DA cleared
    da_gated: bool = True         # False: plain STDP control (plasticity ignores dopamine)
    exc_cell: str = "point"       # "two_compartment": E cells are TwoCompartmentIzhikevich (see TWO_COMPARTMENT)
    dendrite_coupled: bool = True  # two_compartment only; False: g_c = 0, no back-propagation, no burst reset
    # the seed authors' protocol (see SEED_PROTOCOL); the defaults are this package's earlier choices
    cell_table: str = "izhikevich2003"  # "seed": their neuron_type_map, whose RS cell has d = 2
    delays: str = "split"         # "random": each excitatory synapse's delay drawn as ceil(D U)
    rewarded: str = "first"       # "random": a random excitatory neuron and a random one of its synapses
    switch: str = "block"         # "step": NA -> ACh in the model, at the step the rewarded weight reaches the max
    dopamine_clamp: bool = False  # after the switch dopamine is held at 0 (else cleared once)
    stdp: str = "genn"            # "seed": pairings at the arrival step give A+ and A- in full (see DASTDPTimeDriven)
    ltp_quirk: bool = False       # the seed code's LTP delay assumption, ceil(j / (M / D)) for synapse j
    control_baseline: float = 0.05  # plain-STDP controls: the dopamine level that drives every update
    da_release: float = 0.5       # dopamine per reward (the seed's DA += 0.5 then x0.99 in the same ms: 0.495)


#: the seed authors' protocol (Rodriguez-Garcia & Ramaswamy, SNUFA 2024; their public MATLAB code, main.m of
#: github.com/alejandrorg00/heterogeneous-izhikevich and of github.com/alejandrorg00/snufaFlashTalk2024): cells from
#: their type table, excitatory delays drawn per synapse, the rewarded synapse drawn, pairings at the arrival step
#: in full, the plain-STDP control driven by the 0.002 baseline alone
SEED_PROTOCOL = {"cell_table": "seed", "delays": "random", "rewarded": "random", "stdp": "seed",
                 "control_baseline": 0.002, "da_release": 0.5 * 0.99}

CONDITIONS: dict[str, Condition] = {c.name: c for c in (
    Condition("izhikevich2007", "Izhikevich (2007): D = 1, E:RS / I:FS, DA x0.995/ms, excitatory plasticity only"),
    Condition("rs_rs", "seed protocol: D = 5, E:RS / I:RS (d = 2), DA x0.99/ms, all synapses plastic", 5, "RS", "RS",
              0.99, True, **SEED_PROTOCOL),
    Condition("rs_fs", "seed protocol: D = 5, E:RS (d = 2) / I:FS, DA x0.99/ms, all synapses plastic", 5, "RS", "FS",
              0.99, True, **SEED_PROTOCOL),
    Condition("bu_fs", "seed protocol: D = 5, E:BU (CH-like bursting) / I:FS, DA x0.99/ms, all plastic", 5, "BU",
              "FS", 0.99, True, **SEED_PROTOCOL),
    Condition("na_ach", "seed protocol: D = 5, E / I:FS, DA x0.99/ms, all plastic; NA holds E cells bursting (c = -50, "
              "d = 2) until the step the rewarded synapse reaches the maximum, then ACh returns them to RS (c = -65, "
              "d = 8) and holds dopamine at 0", 5, "RS", "FS", 0.99, True, True, switch="step", dopamine_clamp=True,
              **dict(SEED_PROTOCOL, cell_table="izhikevich2003")),
    Condition("stdp_control", "as izhikevich2007 but plasticity is not gated by dopamine (plain STDP at the mean "
              "dopamine level of rewarded runs)", da_gated=False),
    Condition("stdp_control_d5", "seed protocol's plain-STDP control: as rs_fs, plasticity driven by the 0.002 "
              "baseline alone (no dopamine)", 5, "RS", "FS", 0.99, True, da_gated=False, **SEED_PROTOCOL),
    Condition("tc_coupled", "as izhikevich2007 but the E cells are TwoCompartmentIzhikevich: RS soma, apical "
              "dendrite with private noisy drive, coupled (BAC bursts)", exc_cell="two_compartment"),
    Condition("tc_isolated", "tc_coupled with the dendrite uncoupled (g_c = 0, no back-propagation): point RS cells "
              "with the same integration and inputs", exc_cell="two_compartment", dendrite_coupled=False),
)}

#: the ablation: each deviation of the earlier protocol put back, one at a time, into the seed protocol
ABLATIONS: dict[str, dict[str, Any]] = {
    "cell_d": {"cell_table": "izhikevich2003"},
    "switch_rule": {"switch": "block"},
    "dopamine_clamp": {"dopamine_clamp": False},
    "delays": {"delays": "split"},
    "stdp_convention": {"stdp": "genn"},
    "ltp_quirk": {"ltp_quirk": True},
}
ABLATION_BASES = ("na_ach", "bu_fs", "rs_fs")


def ablated(base: str, change: str) -> Condition:
    """``base`` with one deviation put back (``change`` one of ABLATIONS); named ``base-change``."""
    import dataclasses

    return dataclasses.replace(CONDITIONS[base], name=f"{base}-{change}", **ABLATIONS[change])


def ablation_variants() -> list[str]:
    """The ablation's conditions: each base, then each change that alters it (the cell table alters only bases
    with an RS population: bu_fs's BU and FS cells are the same in both tables, and na_ach's E cells already have
    the seed's post-switch RS reset, d = 8)."""
    import dataclasses

    names = []
    for base in ABLATION_BASES:
        names.append(base)
        for change in ABLATIONS:
            variant = ablated(base, change)
            if _cells(variant) == _cells(CONDITIONS[base]):
                variant = dataclasses.replace(variant, cell_table=CONDITIONS[base].cell_table)
            if dataclasses.replace(variant, name=base) != CONDITIONS[base]:
                names.append(variant.name)
    return names


def _cells(cond: Condition) -> tuple:
    table = _type_table(cond)
    return table[cond.exc_type], table[cond.inh_type]


def _type_table(cond: Condition) -> dict[str, tuple[float, float, float, float]]:
    """The (a, b, c, d) of each cell type under the condition's cell table."""
    return SEED_TYPES if cond.cell_table == "seed" else IZHIKEVICH_TYPES


QUIRK_SUFFIX = "+quirk"


def _parse_name(name: str) -> tuple[str, str | None, bool]:
    """A condition name's parts: (base, ablation change or None, LTP quirk), from ``base[-change][+quirk]``."""
    quirk = name.endswith(QUIRK_SUFFIX)
    stem = name.removesuffix(QUIRK_SUFFIX)
    if stem in CONDITIONS:
        return stem, None, quirk
    base, _, change = stem.partition("-")
    return base, change, quirk


def ablation_base(name: str) -> str | None:
    """The condition an ablation variant is compared with (``rs_fs-delays+quirk`` -> ``rs_fs+quirk``); None for a
    condition that is not a variant."""
    base, change, quirk = _parse_name(name)
    return None if change is None else base + (QUIRK_SUFFIX if quirk else "")


def get_condition(name: str) -> Condition:
    """A condition by name: one of CONDITIONS, ``base-change`` (see :func:`ablated`), or either with the suffix
    ``+quirk`` (the seed code's LTP delay assumption switched on)."""
    import dataclasses

    base, change, quirk = _parse_name(name)
    if base not in CONDITIONS or (change is not None and change not in ABLATIONS):
        raise ValueError(f"unknown condition {name!r}: choose from {sorted(CONDITIONS)}, a 'base-change' with "
                         f"change one of {sorted(ABLATIONS)}, each optionally with '{QUIRK_SUFFIX}'")
    cond = CONDITIONS[base] if change is None else ablated(base, change)
    return dataclasses.replace(cond, name=name, ltp_quirk=True) if quirk else cond


#: TwoCompartmentIzhikevich in the units of Izhikevich's network (per unit capacitance, currents in mV/ms). The
#: soma is the 2003 RS cell written as the simple model: k (v - vr)(v - vt) - U with vr = -70, vt = -55,
#: U = u - b vr equals 0.04 v^2 + 5 v + 140 - u exactly. The dendrite is the library cell's with currents scaled by
#: its capacitance (kd / Cd, dd / Cd and g_c / C as in the model file) and voltages shifted to the -70-mV rest.
#: A plateau resets the soma to c_burst = -50, d_burst = 2 (Izhikevich's CH cell) for T_plateau.
TWO_COMPARTMENT = {"C": 1.0, "k": 0.04, "vr": -70.0, "vt": -55.0, "vpeak": 30.0, "a": 0.02, "b": 0.2, "c": -65.0,
                   "d": 8.0, "c_burst": -50.0, "d_burst": 2.0, "Cd": 1.0, "kd": 0.01, "vrd": -70.0, "vtd": -40.0,
                   "vpeak_d": -20.0, "ad": 0.02, "bd": 0.0, "cd": -65.0, "dd": 2.0, "g_c": 0.12, "bap": 10.0,
                   "v_plateau": 0.0, "T_plateau": 20.0}
#: the private apical drive of every E cell: mean + spread * (rand - 0.5) per ms, into Isyn_dend. The mean was
#: chosen from 10 s of network activity (seed 1, no learning read out) among 1.5, 2.0, 2.5 and 3.5 as the weakest
#: giving coupled E cells a burst fraction of at least 0.1 (1.5: 0.04, 2.0: 0.11, 2.5: 0.22, 3.5: 0.55)
APICAL_MEAN, APICAL_SPREAD = 2.0, 13.0

#: the seed code's cell table (its neuron_type_map): Izhikevich's 2003 values except RS, which has d = 2
SEED_TYPES = dict(IZHIKEVICH_TYPES, RS=(0.02, 0.2, -65.0, 2.0))

#: the Chosen synapse's in-model NA -> ACh switch (``switch="step"``): the first 10-ms update that takes the weight
#: to the maximum releases ACh at the presynaptic cell n1 (addToPre into its inACh), once
SWITCH_CODE = """
if (switched == 0.0 && g >= Wmax) {
    switched = 1.0;
    addToPre(1.0);
}
"""


def _stdp_params(cond: Condition, ltp_shift: float = 0.0) -> dict[str, float]:
    """DASTDPTimeDriven as in Izhikevich's code (traces x0.95/ms, A- = 1.5 A+, eligibility x0.99 per 10 ms,
    weights in [0, 4]); the seed's pairing convention and LTP quirk where the condition asks for them."""
    params = model_defaults("DASTDPTimeDriven")
    params.update(A_plus=0.1, A_minus=0.15, tau_plus=-1.0 / math.log(0.95), tau_minus=-1.0 / math.log(0.95),
                  tau_c=-10.0 / math.log(0.99), T_update=10.0, eta=1.0,
                  baseline=0.002 if cond.da_gated else cond.control_baseline, Wmin=0.0, Wmax=W_MAX, nearest=1.0,
                  arrival_pairing=1.0 if cond.stdp == "seed" else 0.0, ltp_shift=ltp_shift)
    return params


def _broadcast_switch(pg, model, cells, n1: int, probe) -> None:
    """n1's ACh release (from the Chosen synapse) as a spike-like event, delivered to every cell's inACh: an event
    while a cell's ACh is between 0.5 and 1.5, i.e. n1's on the step of its release only (the broadcast adds 2,
    so no other cell's ACh ever lies in that window)."""
    relay = pg.create_weight_update_model(
        "SwitchBroadcast", pre_neuron_var_refs=[("ACh_src", "scalar", pg.VarAccessMode.READ_ONLY)],
        pre_event_threshold_condition_code="ACh_src > 0.5 && ACh_src < 1.5", pre_event_syn_code="addToPost(2.0);")
    pop, local = cells.locate(n1)
    for target, _ in cells.pops + [(probe, None)]:
        sg = model.add_synapse_population(f"Switch{target.name}", "SPARSE", pop, target,
                                          pg.init_weight_update(relay, {}, {}, pre_var_refs={"ACh_src": "ACh"}),
                                          pg.init_postsynaptic("DeltaCurr"))
        sg.set_sparse_connections(np.full(target.num_neurons, local), np.arange(target.num_neurons))
        sg.post_target_var = "inACh"


def _inhibitory_psm(pg):
    return pg.create_postsynaptic_model("InhibitoryDelta", sim_code="injectCurrent(-inSyn);\ninSyn = 0.0;")


def _connectivity(rng: np.random.Generator, cond: Condition) -> dict[str, Any]:
    """Izhikevich's wiring: 100 random targets per neuron; each excitatory synapse's delay (1..D ms) either split
    evenly over the delays by column (``delays="split"``) or drawn as ceil(D U) (``"random"``, the seed code's
    ``delays{i, ceil(D*rand)}(end+1) = j``); inhibitory synapses 1 ms. Then the rewarded synapse: a random
    excitatory neuron's first synapse (``rewarded="first"``, Izhikevich's choice) or a random one of its synapses."""
    n = N_EXC + N_INH
    exc_post = rng.integers(0, n, size=(N_EXC, SYN_PER_NEURON))
    inh_post = rng.integers(0, N_EXC, size=(N_INH, SYN_PER_NEURON))
    per_delay = SYN_PER_NEURON // cond.max_delay
    # the seed protocol and its ablations draw the delays and the rewarded synapse whether they use them or not,
    # so that one seed gives every variant the same network (the earlier conditions keep their draws)
    seed_draws = cond.delays == "random" or cond.rewarded == "random"
    drawn_delay = (np.ceil(cond.max_delay * (1.0 - rng.random((N_EXC, SYN_PER_NEURON)))).astype(np.int64)
                   if seed_draws else None)
    n1 = int(rng.integers(0, N_EXC))
    drawn_syn = int(rng.integers(0, SYN_PER_NEURON)) if seed_draws else 0
    if cond.delays == "random":
        exc_delay = drawn_delay
    else:
        exc_delay = np.broadcast_to(np.arange(SYN_PER_NEURON) // per_delay + 1, (N_EXC, SYN_PER_NEURON)).copy()
    syn = drawn_syn if cond.rewarded == "random" else 0
    return {"exc_post": exc_post, "inh_post": inh_post, "exc_delay": exc_delay, "n1": n1, "syn": syn}


def _delay_groups(delay: np.ndarray, assumed: np.ndarray, quirk: bool):
    """How one kind of synapse is split into groups: one per delay d or, with the seed's LTP quirk, one per (delay,
    assumed delay) pair, whose LTP shift (d - assumed) is then a group parameter. Yields (d, assumed delay or None,
    a fresh mask of the group's synapses, LTP shift) for the groups that hold synapses."""
    for d in np.unique(delay):
        for a in (np.unique(assumed) if quirk else (None,)):
            mask = (delay == d) if a is None else (delay == d) & (assumed == a)
            if mask.any():
                yield int(d), (None if a is None else int(a)), mask, (0.0 if a is None else float(d - a))


def assumed_ltp_delays(max_delay: int) -> np.ndarray:
    """The delay the seed code's LTP step assumes for synapse column j (of every presynaptic neuron, inhibitory
    ones included): ceil(j / (M / D)) with 1-based j, i.e. columns 1-20 -> 1 ms, ..., 81-100 -> 5 ms."""
    return np.ceil(np.arange(1, SYN_PER_NEURON + 1) / (SYN_PER_NEURON / max_delay)).astype(np.int64)


@dataclass(frozen=True)
class _Cells:
    """The network's 1000 cells over one or more populations: ``pops`` holds (population, first global id)."""

    pops: list

    def locate(self, i: int):
        """The population holding global cell ``i`` and its index there."""
        for pop, first in reversed(self.pops):
            if i >= first:
                return pop, i - first
        raise IndexError(i)

    def connect(self, model, name: str, pre, post, weight_update, postsynaptic) -> list:
        """SPARSE synapse populations for the global (pre, post) pairs, one per pair of populations that has any
        (named ``name`` while there is one population, else ``name_PREPOST``), in the pairs' order."""
        pre, post = np.asarray(pre), np.asarray(post)
        out = []
        for src, s0 in self.pops:
            for trg, t0 in self.pops:
                keep = (pre >= s0) & (pre < s0 + src.num_neurons) & (post >= t0) & (post < t0 + trg.num_neurons)
                if not np.any(keep):
                    continue
                label = name if len(self.pops) == 1 else f"{name}_{src.name}{trg.name}"
                sg = model.add_synapse_population(label, "SPARSE", src, trg, weight_update(), postsynaptic())
                sg.set_sparse_connections(pre[keep] - s0, post[keep] - t0)
                out.append(sg)
        return out

    def spikes(self) -> tuple[np.ndarray, np.ndarray]:
        """Recorded spike times and global ids of all cells (instance 0)."""
        parts = [(pop.spike_recording_data[0], first) for pop, first in self.pops]
        return (np.concatenate([t for (t, _), _ in parts]),
                np.concatenate([np.asarray(i, dtype=np.int64) + first for (_, i), first in parts]))


def _two_compartment_populations(pg, model, cond: Condition, neuron, nm_params: dict, v0: float) -> _Cells:
    """E cells as TwoCompartmentIzhikevich (RS soma, see TWO_COMPARTMENT), I cells as the point IzhikevichNeuromod
    of ``cond.inh_type``; with ``dendrite_coupled=False`` the soma is a point RS cell (no coupling, no
    back-propagation, the regular reset whatever the dendrite does)."""
    spec = available_models()["TwoCompartmentIzhikevich"]
    params = dict(model_defaults("TwoCompartmentIzhikevich", None), **TWO_COMPARTMENT,  # parameters and values
                  tau_DA=nm_params["tau_DA"], tau_NA=nm_params["tau_NA"], tau_ACh=nm_params["tau_ACh"])
    if not cond.dendrite_coupled:
        params.update(g_c=0.0, bap=0.0, c_burst=params["c"], d_burst=params["d"])
    exc_vars = {name: params[name] for name in spec.names("vars")}
    exc_vars.update(V=v0, U=params["b"] * (v0 - params["vr"]), Vd=params["vrd"],
                    gain_D1=1.0 if cond.da_gated else 0.0)
    exc = model.add_neuron_population("E", N_EXC, load_model("TwoCompartmentIzhikevich", backend=pg),
                                      {name: params[name] for name in spec.names("params")}, exc_vars)
    inh = model.add_neuron_population("I", N_INH, neuron, nm_params,
                                      _plain_cell_vars(_type_table(cond)[cond.inh_type], v0,
                                                       1.0 if cond.da_gated else 0.0))
    return _Cells([(exc, 0), (inh, N_EXC)])


def _plain_cell_vars(abcd: tuple[float, float, float, float], v0: float, gain_d1: float) -> dict[str, Any]:
    """IzhikevichNeuromod variables of one cell type at rest, with only a D1 (dopamine) receptor gain."""
    a, b, c, d = abcd
    return {"V": v0, "U": b * v0, "a": a, "b": b, "c": c, "d": d, "gain_D1": gain_d1, "gain_D2": 0.0,
            "gain_NA": 0.0, "gain_ACh": 0.0, "DA": 0.0, "NA": 0.0, "ACh": 0.0, "SHT": 0.0, "Dmod": 0.0,
            "Dmod_in": 0.0, "mode": 0}


def build_network(condition: Condition | str, seed: int, pg=None, precision: str = "float",
                  backend: str = "single_threaded_cpu", batch_size: int = 1, independent_instances: bool = True):
    """Build (not compile) the network; return the model and a dict of its groups and of the chosen synapse.

    With ``batch_size`` B the model runs B instances that share the wiring (from ``seed``) and differ in their
    thalamic noise (seeds ``seed + 1 + b``); the extra global parameters the kernels write (the pending rewards, the
    weight and dopamine logs) are ``per_instance``, so instance b is the same run as a separate model with
    ``model.seed = seed + 1 + b``: B independent learning runs in one launch.  ``independent_instances=False``
    keeps GeNN's semantics (every EGP shared by the instances), for timing real PyGeNN on the same network.
    """
    if pg is None:
        import genn_neuromod as pg
    cond = get_condition(condition) if isinstance(condition, str) else condition
    if SYN_PER_NEURON % cond.max_delay:
        raise ValueError(f"the maximum delay D = {cond.max_delay} must divide {SYN_PER_NEURON}")
    rng = np.random.default_rng(seed)
    model = pg.GeNNModel(precision, f"distal_reward_{cond.name}", backend=backend, time_precision="double")
    model.dt = 1.0
    model.seed = seed + 1
    if hasattr(model, "fuse_pre_post_weight_update_models"):
        # the delay groups share their identical STDP traces (results unchanged; the neuron loop reads one trace
        # per delay instead of one per group)
        model.fuse_pre_post_weight_update_models = True
    if batch_size != 1:
        model.batch_size = batch_size

    n = N_EXC + N_INH
    neuron = load_model("IzhikevichNeuromod", backend=pg)
    nm_params = model_defaults("IzhikevichNeuromod")
    nm_params.update(tau_DA=-1.0 / math.log(cond.da_decay), tau_NA=1.0e9, theta_NA=0.5, theta_ACh=0.5,
                     c_burst=-50.0, d_burst=2.0,
                     # the switch to ACh is for good (NA and ACh do not decay); ACh clears or holds dopamine
                     tau_ACh=1.0e9 if cond.neuromodulated else 1000.0,
                     ach_dopamine=2.0 if cond.dopamine_clamp else (1.0 if cond.switch == "step" else 0.0))
    v0 = -65.0
    if cond.exc_cell == "two_compartment":
        cells = _two_compartment_populations(pg, model, cond, neuron, nm_params, v0)
    else:
        types = [cond.exc_type] * N_EXC + [cond.inh_type] * N_INH
        table = _type_table(cond)
        abcd = np.array([table[t] for t in types], dtype=float)
        gain_mod = np.r_[np.ones(N_EXC), np.zeros(N_INH)] if cond.neuromodulated else np.zeros(n)
        nm_vars = {"V": v0, "U": abcd[:, 1] * v0, "a": abcd[:, 0], "b": abcd[:, 1], "c": abcd[:, 2],
                   "d": abcd[:, 3], "gain_D1": 1.0 if cond.da_gated else 0.0, "gain_D2": 0.0, "gain_NA": gain_mod,
                   "gain_ACh": gain_mod, "DA": 0.0, "NA": 1.0 if cond.neuromodulated else 0.0, "ACh": 0.0,
                   "SHT": 0.0, "Dmod": 0.0, "Dmod_in": 0.0,
                   "mode": gain_mod.astype(np.int32)}  # bursting only where NA acts
        cells = _Cells([(model.add_neuron_population("N", n, neuron, nm_params, nm_vars), 0)])
    net = cells.pops[0][0]
    for pop, _ in cells.pops:
        pop.spike_recording_enabled = True
    probe_vars = _plain_cell_vars(IZHIKEVICH_TYPES["RS"], v0, 1.0)
    probe_model = load_model("IzhikevichNeuromod", backend=pg, extra_global_params=[("dalog", "scalar*")],
                             sim_code=available_models()["IzhikevichNeuromod"].data["sim_code"] + DA_LOG_CODE)
    probe = model.add_neuron_population("Probe", 1, probe_model, nm_params, probe_vars)  # a silent DA read-out
    probe.extra_global_params["dalog"].set_init_values(np.zeros(LOG_ENTRIES))
    thalamus = pg.create_current_source_model("Thalamus",
                                              injection_code="injectCurrent(13.0 * (gennrand_uniform() - 0.5));")
    for pop, first in cells.pops:
        model.add_current_source("ThalamicInput" if first == 0 else f"ThalamicInput{pop.name}", thalamus, pop)
    if cond.exc_cell == "two_compartment":
        apical = pg.create_current_source_model(
            "ApicalDrive", params=["mean", "spread"],
            injection_code="injectCurrent(mean + spread * (gennrand_uniform() - 0.5));")
        drive = model.add_current_source("ApicalInput", apical, net, {"mean": APICAL_MEAN, "spread": APICAL_SPREAD})
        drive.target_var = "Isyn_dend"

    stdp = load_model("DASTDPTimeDriven", backend=pg)

    def plastic(g, ltp_shift=0.0):
        return pg.init_weight_update(stdp, _stdp_params(cond, ltp_shift), {"g": g, "c": 0.0}, {"x": 0.0}, {"y": 0.0},
                                     post_var_refs={"D": "Dmod"})

    wiring = _connectivity(rng, cond)
    exc_post, exc_delay, n1, syn = wiring["exc_post"], wiring["exc_delay"], wiring["n1"], wiring["syn"]
    n2 = int(exc_post[n1, syn])
    assumed = np.broadcast_to(assumed_ltp_delays(cond.max_delay), exc_post.shape)
    groups = {}
    for d, a, mask, shift in _delay_groups(exc_delay, assumed, cond.ltp_quirk):
        mask[n1, syn] = False  # the chosen synapse has a group of its own
        label = f"Exc_d{d}" + ("" if a is None else f"_a{a}")
        for sg in cells.connect(model, label, np.nonzero(mask)[0], exc_post[mask],
                                lambda s=shift: plastic(W_INIT, s), lambda: pg.init_postsynaptic("DeltaCurr")):
            sg.axonal_delay_steps = d - 1
            groups[sg.name] = sg
    # the rewarded synapse: the same rule, plus a log of (g, c) at every 10-ms update into an EGP ring buffer; with
    # the in-model switch, the first update that takes it to the maximum also releases ACh at n1 (addToPre)
    chosen_dynamics = available_models()["DASTDPTimeDriven"].data["synapse_dynamics_code"] + LOG_CODE
    if cond.switch == "step":
        chosen_dynamics += SWITCH_CODE
    logged = load_model("DASTDPTimeDriven", backend=pg, synapse_dynamics_code=chosen_dynamics,
                        extra_global_params=[("wlog", "scalar*")],
                        **({"vars": [["g", "scalar"], ["c", "scalar"], ["switched", "scalar"]]}
                           if cond.switch == "step" else {}))
    chosen_shift = float(exc_delay[n1, syn] - assumed[n1, syn]) if cond.ltp_quirk else 0.0
    chosen_vars = {"g": 0.0, "c": 0.0, **({"switched": 0.0} if cond.switch == "step" else {})}
    (chosen,) = cells.connect(
        model, "Chosen", [n1], [n2],
        lambda: pg.init_weight_update(logged, _stdp_params(cond, chosen_shift), chosen_vars, {"x": 0.0}, {"y": 0.0},
                                      post_var_refs={"D": "Dmod"}),
        lambda: pg.init_postsynaptic("DeltaCurr"))
    chosen.axonal_delay_steps = int(exc_delay[n1, syn]) - 1
    chosen.extra_global_params["wlog"].set_init_values(np.zeros(2 * LOG_ENTRIES))
    if cond.switch == "step":
        chosen.pre_target_var = "inACh"
    inh_post = wiring["inh_post"]
    inhibitory = {}
    if cond.plastic_inhibitory:  # inhibitory synapses have a delay of 1 ms (the quirk assumes 1-5 ms all the same)
        inh_assumed = np.broadcast_to(assumed_ltp_delays(cond.max_delay), inh_post.shape)
        for _, a, mask, shift in _delay_groups(np.ones(inh_post.shape, np.int64), inh_assumed, cond.ltp_quirk):
            for sg in cells.connect(model, "Inh" if a is None else f"Inh_a{a}", N_EXC + np.nonzero(mask)[0],
                                    inh_post[mask], lambda s=shift: plastic(W_INIT, s),
                                    lambda: pg.init_postsynaptic(_inhibitory_psm(pg))):
                inhibitory[sg.name] = sg
    else:
        for sg in cells.connect(model, "Inh", np.repeat(np.arange(N_EXC, n), SYN_PER_NEURON), inh_post.ravel(),
                                lambda: pg.init_weight_update("StaticPulse", {}, {"g": -W_INIT}),
                                lambda: pg.init_postsynaptic("DeltaCurr")):
            inhibitory[sg.name] = sg
    if cond.switch == "step":  # n1's ACh release reaches every cell (and the dopamine probe) one step later
        _broadcast_switch(pg, model, cells, n1, probe)

    reward = model.add_neuron_population("Reward", 1, load_model("PairingReward", backend=pg),
                                         model_defaults("PairingReward"),
                                         model_defaults("PairingReward", "vars"))
    reward.spike_recording_enabled = True
    slots = int(model_defaults("PairingReward")["max_pending"])
    reward.extra_global_params["due"].set_init_values(np.full(slots, -1.0))  # -1: free slot
    for name, src, target in (("PairPre", n1, "inPre"), ("PairPost", n2, "inPost")):
        pop, local = cells.locate(src)
        sg = model.add_synapse_population(name, "SPARSE", pop, reward,
                                          pg.init_weight_update("StaticPulse", {}, {"g": 1.0}),
                                          pg.init_postsynaptic("DeltaCurr"))
        sg.set_sparse_connections([local], [0])
        sg.post_target_var = target
    volume = load_model("VolumeTransmission", backend=pg)
    targets = [(("DopamineN" if first == 0 else f"Dopamine{pop.name}"), pop) for pop, first in cells.pops]
    for name, target in targets + [("DopamineProbe", probe)]:
        sg = model.add_synapse_population(name, "DENSE", reward, target,
                                          pg.init_weight_update(volume, {}, {"g": cond.da_release}),
                                          pg.init_postsynaptic("DeltaCurr"))
        sg.post_target_var = "inDA"
    if batch_size > 1 and independent_instances:  # each instance schedules its own rewards and keeps its own logs
        for egp in (reward.extra_global_params["due"], chosen.extra_global_params["wlog"],
                    probe.extra_global_params["dalog"]):
            if not hasattr(type(egp), "per_instance"):  # real PyGeNN: its batch instances share every EGP
                raise ValueError("the batched distal-reward network needs per-instance extra global parameters, "
                                 "which only genn_neuromod has; with PyGeNN build one instance per model")
            egp.per_instance = True
    return model, {"condition": cond, "net": net, "cells": cells, "probe": probe, "reward": reward,
                   "chosen": chosen, "n1": n1, "n2": n2, "excitatory": groups, "inhibitory": inhibitory}


def _values(var) -> np.ndarray:
    var.pull_from_device()
    return np.asarray(var.values, dtype=float).ravel()


def _set_all(pop, name: str, value: float) -> None:
    var = pop.vars[name]
    var.pull_from_device()
    var.values = np.full_like(np.asarray(var.values), value)
    var.push_to_device()


def switch_to_regular_spiking(h: dict[str, Any]) -> None:
    """The NA/ACh rule once the synapse is learned: NA withdrawn, ACh released (back to regular spiking),
    dopamine cleared."""
    for name, value in (("NA", 0.0), ("ACh", 1.0), ("DA", 0.0), ("Dmod", 0.0)):
        _set_all(h["net"], name, value)
    _set_all(h["probe"], "DA", 0.0)
    _set_all(h["probe"], "ACh", 1.0)  # the dopamine read-out sees the clamp too (ach_dopamine = 2)


def run_one(condition: Condition | str, seed: int, duration_s: float, store: str, histogram_every_s: float = 600.0,
            progress: bool = False, pg=None) -> dict[str, Any]:
    """One run of one condition into a zarr store; returns its summary (see :func:`summarise`)."""
    import tempfile
    import time

    import zarr

    from ..recording import Recorder

    cond = get_condition(condition) if isinstance(condition, str) else condition
    model, h = build_network(cond, seed, pg=pg)
    net, reward, chosen = h["net"], h["reward"], h["chosen"]
    wall0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gn_dr_") as code:
        model.build(code)
        block_s = BLOCK_S
        rec = Recorder(model, store, spikes=["Reward"], chunk_steps=int(block_s * 1000), overwrite=True,
                       metadata={"experiment": "distal_reward", "condition": asdict(cond), "seed": seed,
                                 "n1": h["n1"], "n2": h["n2"], "duration_s": duration_s})
        model.load(num_recording_timesteps=int(block_s * 1000))
        rates, hist, hist_t, w_log, da_log, pair_spikes = [], [], [], [], [], {"n1": [], "n2": []}
        bins = np.linspace(0.0, W_MAX, 41)
        t_switch = None
        next_hist = 0.0
        elapsed = 0.0
        wlog = chosen.extra_global_params["wlog"]
        dalog = h["probe"].extra_global_params["dalog"]
        while elapsed < duration_s - 1e-9:
            if elapsed >= next_hist:
                w = np.concatenate([_values(sg.vars["g"]) for sg in h["excitatory"].values()])
                hist.append(np.histogram(w, bins)[0])
                hist_t.append(elapsed)
                next_hist += histogram_every_s
            step_s = min(block_s, duration_s - elapsed)
            rec.run(step_s * 1000.0, progress=False)
            wlog.pull_from_device()
            entries = int(round(step_s * 100))
            w_log.append(np.asarray(wlog.values, dtype=np.float64).reshape(-1, 2)[:entries].copy())
            dalog.pull_from_device()
            da_log.append(np.asarray(dalog.values, dtype=np.float64)[:entries].copy())
            elapsed += step_s
            times, ids = h["cells"].spikes()
            keep = times >= (elapsed - step_s) * 1000.0 - 1e-6
            times, ids = times[keep], ids[keep]
            pair_spikes["n1"].append(times[ids == h["n1"]])
            pair_spikes["n2"].append(times[ids == h["n2"]])
            exc = ids < N_EXC
            events, bursts = events_and_bursts(times[exc], ids[exc])
            rates.append([np.count_nonzero(exc) / N_EXC / step_s, np.count_nonzero(~exc) / N_INH / step_s,
                          np.count_nonzero(ids == h["n1"]), np.count_nonzero(ids == h["n2"]),
                          bursts.size / max(events.size, 1)])
            w_chosen = _values(chosen.vars["g"])[0]
            if cond.neuromodulated and t_switch is None:
                if cond.switch == "step":  # the model switched itself at the step the weight reached the maximum
                    at_max = np.nonzero(w_log[-1][:, 0] >= W_MAX - 1e-6)[0]
                    if at_max.size:
                        t_switch = elapsed - step_s + 0.01 * at_max[0]
                elif w_chosen >= W_MAX - 1e-6:
                    switch_to_regular_spiking(h)  # at the end of the block in which the synapse was learned
                    t_switch = elapsed
            if progress and int(elapsed) % 600 == 0:
                print(f"  {cond.name} seed {seed}: {elapsed:.0f} s, w = {w_chosen:.3f}", flush=True)
        w_exc = np.concatenate([_values(sg.vars["g"]) for sg in h["excitatory"].values()])
        hist.append(np.histogram(w_exc, bins)[0])
        hist_t.append(float(elapsed))
        counters = {k: int(_values(reward.vars[k])[0]) for k in ("n_scheduled", "n_delivered", "n_dropped")}
        modes = _values(net.vars["mode"]) if "mode" in net.vars else np.zeros(1)
        rec.close()
    root = zarr.open_group(store, mode="a")
    g = root.require_group("experiment")
    g.create_array("rates", data=np.asarray(rates, dtype=np.float64), overwrite=True)
    g.create_array("histograms", data=np.asarray(hist, dtype=np.int64), overwrite=True)
    g.create_array("histogram_times", data=np.asarray(hist_t), overwrite=True)
    g.create_array("histogram_bins", data=bins, overwrite=True)
    g.create_array("final_exc_weights", data=w_exc.astype(np.float32), overwrite=True)
    log = np.concatenate(w_log) if w_log else np.zeros((0, 2))
    g.create_array("chosen_g", data=log[:, 0], overwrite=True)  # at t = 10 ms * index (the 10-ms updates)
    g.create_array("chosen_c", data=log[:, 1], overwrite=True)
    g.create_array("dopamine", data=np.concatenate(da_log) if da_log else np.zeros(0), overwrite=True)  # 10 ms
    for k, v in pair_spikes.items():  # spike times (ms) of the chosen synapse's pre (n1) and post (n2) cells
        g.create_array(f"{k}_spike_times", data=np.concatenate(v) if v else np.zeros(0), overwrite=True)
    g.attrs.update({"t_switch_s": t_switch, "final_chosen_weight": float(w_chosen),
                    "final_modes": int(modes.sum()), "wall_s": time.perf_counter() - wall0, **counters})
    return summarise(store)


def summarise(store: str) -> dict[str, Any]:
    """Time to learn, stability after learning, rewards, rates and how the rewarded synapse stands out."""
    import zarr

    from ..recording import open_store

    rec = open_store(store)
    meta = rec.attrs["metadata"]
    exp = zarr.open_group(str(store), mode="r")["experiment"]
    a = dict(exp.attrs)
    w = np.asarray(exp["chosen_g"])
    t = 0.01 * np.arange(w.size)  # the 10-ms weight updates
    reached = np.nonzero(w >= W_MAX - 1e-6)[0]
    t_learn = float(t[reached[0]]) if reached.size else None  # from the 10-ms trace
    if t_learn is not None:
        after = t >= t_learn
        stability = float(np.mean(w[after] >= 0.9 * W_MAX)) if np.any(after) else float("nan")
    else:
        stability = float("nan")
    rates = np.asarray(exp["rates"])
    final = np.asarray(exp["final_exc_weights"])
    return {"condition": meta["condition"]["name"], "seed": meta["seed"], "duration_s": meta["duration_s"],
            "t_learn_s": float("inf") if t_learn is None else float(t_learn), "stability": stability,
            "rewards": a["n_delivered"], "rewards_dropped": a["n_dropped"],
            "rate_exc_hz": float(rates[:, 0].mean()), "rate_inh_hz": float(rates[:, 1].mean()),
            "burst_fraction_exc": float(rates[:, 4].mean()) if rates.shape[1] > 4 else float("nan"),
            "final_chosen_weight": a["final_chosen_weight"],
            "chosen_percentile": float(np.mean(final < a["final_chosen_weight"]) * 100.0),
            "mean_exc_weight": float(final.mean()), "wall_s": a["wall_s"], "store": str(store)}
