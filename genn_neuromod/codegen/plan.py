"""Lay out a model for code generation: C names, delay slots, connectivity and every array, computed once.

The plan is backend-neutral and read by everything after it: the kernels' descriptions, the C and CUDA
sources and the runtimes (which allocate exactly the arrays it lists and bind the model's arrays through
:meth:`ModelPlan.spec_of`).  It reads the user's model and never writes to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..api import types
from ..api.enums import VarAccessDim, get_var_access_dim
from ..api.groups import (
    ArrayBase,
    CurrentSource,
    CustomConnectivityUpdate,
    CustomUpdate,
    NeuronGroup,
    SynapseGroup,
    Variable,
)
from ..api.refs import VarReference
from ..compiler import scan_names
from ..compiler.errors import ModelError
from .connectivity import Connectivity, connectivity_of
from .fusion import fuse_targets
from .load_info import LoadInfo


@dataclass(frozen=True)
class ArraySpec:
    """One array shared between the runtime (numpy) and the generated code."""

    cname: str
    ctype: str                       # resolved snippet type ("float", "unsigned int", ...)
    size: Callable[[LoadInfo], int]  # number of elements
    owner: Any = None                # the group object
    role: str = ""                   # "var", "pre_var", "spk", "egp", ...
    name: str = ""                   # variable name within the group
    shape: Callable[[LoadInfo], tuple[int, ...]] | None = None
    batch_axis: bool = False         # the shape starts with a batch axis (of length 1 without batches), as PyGeNN's
    per_instance: bool = False       # an extra global parameter with one copy per batch instance


def c_ident(name: str) -> str:
    return re.sub(r"\W", "_", name)


def constant_size(k: int) -> Callable[[LoadInfo], int]:
    return lambda info: k


def _constant_shape(shape: tuple[int, ...]) -> Callable[[LoadInfo], tuple[int, ...]]:
    return lambda info: shape


@dataclass(frozen=True)
class ModelPlan:
    """Everything about a model's layout that code generation and the runtimes share."""

    model: Any
    precision: str
    time_precision: str
    dt: float
    neurons: tuple[NeuronGroup, ...]
    synapses: tuple[SynapseGroup, ...]
    current_sources: tuple[CurrentSource, ...]
    custom_updates: tuple[CustomUpdate, ...]
    custom_connectivity_updates: tuple[CustomConnectivityUpdate, ...]
    prefixes: dict[Any, str]                        # group -> C prefix ("n0", "s3", ...)
    delay_slots: dict[NeuronGroup, int]             # spike-queue slots of each neuron group
    delayed: frozenset[Variable]                    # variables kept in one copy per delay slot
    connectivity: dict[SynapseGroup, Connectivity]
    arrays: tuple[ArraySpec, ...]
    bindings: dict[ArrayBase, ArraySpec]             # the model's arrays (vars, EGPs, spike times, ...)
    fused: dict[tuple[str, SynapseGroup], SynapseGroup]  # (part, group) -> the group whose state it shares

    def prefix(self, group) -> str:
        return self.prefixes[group]

    def fused_into(self, sg: SynapseGroup, part: str) -> SynapseGroup:
        """The group holding ``sg``'s postsynaptic-model (``"ps"``), presynaptic or postsynaptic weight-update
        state (``sg`` itself unless GeNN's fuse switches merged it, see :mod:`.fusion`)."""
        return self.fused.get((part, sg), sg)

    def state_prefix(self, sg: SynapseGroup, part: str) -> str:
        """The C prefix of the arrays holding ``sg``'s ``part`` (see :meth:`fused_into`)."""
        return self.prefixes[self.fused_into(sg, part)]

    def resolve(self, t: str) -> str:
        return types.resolve(t, self.precision, self.time_precision)

    def slots(self, ng: NeuronGroup) -> int:
        return self.delay_slots[ng]

    def is_delayed(self, var: Variable) -> bool:
        return var in self.delayed

    def spec_of(self, array: ArrayBase) -> ArraySpec:
        return self.bindings[array]

    def array(self, cname: str) -> ArraySpec:
        for a in self.arrays:
            if a.cname == cname:
                return a
        raise KeyError(cname)

    def delay_owner(self, group, var: Variable) -> NeuronGroup:
        """The neuron group whose spike queue selects the current slot of a delayed variable."""
        if isinstance(group, SynapseGroup):
            return group.src if group.pre_vars.get(var.name) is var else group.trg
        return group


def uses_name(code_fields: dict[str, str], name: str, context: str) -> bool:
    for field_name, code in code_fields.items():
        expr = field_name.endswith("condition_code")
        if name in scan_names(code, f"{context} {field_name}", expr):
            return True
    return False


def make_plan(model) -> ModelPlan:
    """Lay out ``model`` (a :class:`~genn_neuromod.GeNNModel` being built)."""
    neurons = tuple(model.neuron_populations.values())
    synapses = tuple(model.synapse_populations.values())
    sources = tuple(model.current_sources.values())
    updates = tuple(model.custom_updates.values())
    ccus = tuple(model.custom_connectivity_updates.values())
    prefixes: dict[Any, str] = {}
    for letter, groups in (("n", neurons), ("s", synapses), ("c", sources), ("u", updates), ("k", ccus)):
        for i, g in enumerate(groups):
            prefixes[g] = f"{letter}{i}"
    slots = _delay_slots(neurons, synapses)
    delayed = _delayed_vars(neurons, synapses, slots)
    connectivity = {sg: connectivity_of(sg) for sg in synapses}
    fused = fuse_targets(model, synapses, delayed)
    layout = _ArrayLayout(model, prefixes, slots, delayed, connectivity, fused)
    layout.plan_all(neurons, synapses, sources, updates, ccus)
    return ModelPlan(model, model.precision, model.time_precision, model.dt, neurons, synapses, sources, updates,
                     ccus, prefixes, slots, frozenset(delayed), connectivity, tuple(layout.arrays), layout.bindings,
                     fused)


def _delay_slots(neurons, synapses) -> dict[NeuronGroup, int]:
    slots = {n: 1 for n in neurons}
    for sg in synapses:
        slots[sg.src] = max(slots[sg.src], sg.axonal_delay_steps + 1)
        slots[sg.trg] = max(slots[sg.trg], sg.back_prop_delay_steps + 1)
        if het_delayed_post(sg):
            slots[sg.trg] = max(slots[sg.trg], sg.max_dendritic_delay_timesteps)
    return slots


def het_delayed_names(sg: SynapseGroup) -> set[str]:
    """The postsynaptic names synapse code reads with a delay (``postVar[d]``): weight-update postsynaptic
    variables, postsynaptic neuron variable references and postsynaptic-model variable references."""
    names = set()
    for code_field, code in sg.wu_model.code_fields().items():
        if code and not code_field.endswith("condition_code"):
            names |= scan_names(code, f"Synapse group '{sg.name}' (model '{sg.wu_model.class_name}') {code_field}")
    wu = sg.wu_model
    post_names = ({v.name for v in wu.post_vars} | {r.name for r in wu.post_neuron_var_refs}
                  | {r.name for r in wu.psm_var_refs})
    return {n[:-2] for n in names if n.endswith("[]") and n[:-2] in post_names}


def het_delayed_post(sg: SynapseGroup) -> bool:
    """Whether synapse code reads postsynaptic variables with a delay (``postVar[d]``)."""
    return bool(het_delayed_names(sg))


def _delayed_vars(neurons, synapses, slots) -> set[Variable]:
    """Neuron variables read by delayed synapses, and weight-update pre/post variables kept per delay slot."""
    delayed: set[Variable] = set()
    for sg in synapses:
        for refs, pop in ((sg.wu_initialiser.pre_var_refs, sg.src), (sg.wu_initialiser.post_var_refs, sg.trg)):
            if slots[pop] > 1:
                for target in refs.values():
                    name = target.var_name if isinstance(target, VarReference) else target
                    delayed.add(pop.vars[name])
        if sg.axonal_delay_steps > 0 and slots[sg.src] > 1:
            delayed.update(sg.pre_vars.values())
        if slots[sg.trg] > 1 and (sg.back_prop_delay_steps > 0 or het_delayed_post(sg)):
            delayed.update(sg.post_vars.values())
        het = het_delayed_names(sg)
        for r in sg.wu_model.psm_var_refs:  # postsynaptic-model variables synapse code reads, as GeNN queues them
            if slots[sg.trg] > 1 and (sg.back_prop_delay_steps > 0 or r.name in het):
                target = sg.wu_initialiser.psm_var_refs[r.name]
                delayed.add(sg.psm_vars[target.var_name if isinstance(target, VarReference) else target])
    return delayed


def event_arrays(prefix: str, side: str) -> dict[str, str]:
    """C names of the spike-like event arrays of a synapse group (``side`` "pre" or "post")."""
    b = f"{prefix}_ev" if side == "pre" else f"{prefix}_pev"
    t = f"{prefix}_set" if side == "pre" else f"{prefix}_pset"
    return {"base": b, "time": t, "prev_time": f"{prefix}_prev_{t[len(prefix) + 1:]}",
            "recording": f"{prefix}_recEv" if side == "pre" else f"{prefix}_recPev"}


def _elements(var, n: int) -> int:
    """One value per neuron, or one shared by all neurons (``READ_ONLY_SHARED_NEURON``)."""
    return n if get_var_access_dim(var.access) & VarAccessDim.ELEMENT else 1


def _pad8(n: int) -> int:
    """Spike-flag arrays are scanned eight bytes at a time: pad them to a multiple of 8 (padding stays 0)."""
    return (n + 7) // 8 * 8


class _ArrayLayout:
    """Collects the arrays of a plan and which of the model's arrays each one backs."""

    def __init__(self, model, prefixes, slots, delayed, connectivity, fused):
        self.model = model
        self.fused = fused
        self.prefixes = prefixes
        self.slots = slots
        self.delayed = delayed
        self.connectivity = connectivity
        self.arrays: list[ArraySpec] = []
        self.bindings: dict[ArrayBase, ArraySpec] = {}

    def resolve(self, t: str) -> str:
        return types.resolve(t, self.model.precision, self.model.time_precision)

    def add(self, spec: ArraySpec, bound: ArrayBase | None = None) -> ArraySpec:
        self.arrays.append(spec)
        if bound is not None:
            self.bindings[bound] = spec
        return spec

    def state(self, group, var: Variable, cname: str, role: str, count: int, slots: int) -> None:
        """A state variable of ``count`` elements, in ``slots`` copies when delayed."""
        delayed = var in self.delayed
        k = count * (slots if delayed else 1)
        shape = (slots, count) if delayed else (count,)
        self.add(ArraySpec(cname, self.resolve(var.type), constant_size(k), group, role, var.name,
                           _constant_shape(shape)), var)

    def egps(self, group, egps: dict, prefix: str, shared_by_instances: str = "") -> None:
        """The extra global parameters of ``group``; ``shared_by_instances`` names why they cannot be per instance."""
        for e in egps.values():
            if e.per_instance and shared_by_instances:
                raise ModelError(f"'{group.name}': extra global parameter '{e.name}' cannot be per_instance: "
                                 f"{shared_by_instances}")
            base = e.type.replace("*", "").strip()
            self.add(ArraySpec(prefix + c_ident(e.name), self.resolve(base), constant_size(0), group, "egp", e.name,
                               per_instance=e.per_instance), e)

    def var_init_egps(self, group, variables, prefix: str) -> None:
        for v in variables:
            for e in v.extra_global_params.values():
                if e.per_instance:
                    raise ModelError(f"'{group.name}': extra global parameter '{e.name}' of the initialisation of "
                                     f"'{v.name}' cannot be per_instance: initialisation runs once for every instance")
                base = e.type.replace("*", "").strip()
                cname = f"{prefix}_vi_{c_ident(v.name)}_{c_ident(e.name)}"
                self.add(ArraySpec(cname, self.resolve(base), constant_size(0), group, "egp", e.name), e)

    def plan_all(self, neurons, synapses, sources, updates, ccus) -> None:
        for ng in neurons:
            self.neuron_group(ng)
        for sg in synapses:
            self.synapse_group(sg)
        for cs in sources:
            p = self.prefixes[cs]
            for v in cs.vars.values():
                self.state(cs, v, f"{p}_{c_ident(v.name)}", "var", _elements(v, cs.pop.num_neurons), 1)
            self.egps(cs, cs.extra_global_params, f"{p}_egp_")
            self.var_init_egps(cs, cs.vars.values(), p)
        for cu in updates:
            self.custom_update(cu)
        for ccu in ccus:
            self.custom_connectivity_update(ccu)

    def custom_connectivity_update(self, ccu: CustomConnectivityUpdate) -> None:
        p, sg = self.prefixes[ccu], ccu.synapse_group
        size = self.connectivity[sg].synapse_count
        for v in ccu.vars.values():
            k = size if get_var_access_dim(v.access) & VarAccessDim.ELEMENT else constant_size(1)
            self.add(ArraySpec(f"{p}_{c_ident(v.name)}", self.resolve(v.type), k, ccu, "ccu_var", v.name), v)
        for table, pop, side in ((ccu.pre_vars, sg.src, "pre"), (ccu.post_vars, sg.trg, "post")):
            for v in table.values():
                self.state(ccu, v, f"{p}_{side}_{c_ident(v.name)}", f"ccu_{side}_var", _elements(v, pop.num_neurons),
                           1)
        self.egps(ccu, ccu.extra_global_params, f"{p}_egp_",
                  "a custom connectivity update edits connectivity that every batch instance shares")
        self.var_init_egps(ccu, list(ccu.vars.values()) + list(ccu.pre_vars.values()) + list(ccu.post_vars.values()),
                           p)

    def neuron_group(self, ng: NeuronGroup) -> None:
        p, n, s = self.prefixes[ng], ng.num_neurons, self.slots[ng]
        time_t = self.model.time_precision
        for v in ng.vars.values():
            self.state(ng, v, f"{p}_{c_ident(v.name)}", "var", _elements(v, n), s)
        self.add(ArraySpec(f"{p}_spkQuePtr", "unsigned int", constant_size(1), ng, "internal", "spkQuePtr"))
        self.add(ArraySpec(f"{p}_spkCnt", "unsigned int", constant_size(s), ng, "internal", "spkCnt"))
        self.add(ArraySpec(f"{p}_spk", "unsigned int", constant_size(s * n), ng, "internal", "spk"))
        self.add(ArraySpec(f"{p}_spkFlag", "uint8_t", constant_size(_pad8(n)), ng, "internal", "spkFlag"))
        shape = (s, n) if s > 1 else (n,)
        self.add(ArraySpec(f"{p}_st", time_t, constant_size(s * n), ng, "st", "st", _constant_shape(shape)),
                 ng.spike_times)
        self.add(ArraySpec(f"{p}_prev_st", time_t, constant_size(s * n), ng, "prev_st", "prev_st",
                           _constant_shape(shape)), ng.prev_spike_times)
        words = (n + 31) // 32
        self.add(ArraySpec(f"{p}_recSpk", "unsigned int",
                           lambda info, w=words: max(info.num_recording_timesteps, 1) * w, ng, "recording", "recSpk"))
        self.egps(ng, ng.extra_global_params, f"{p}_egp_")
        self.var_init_egps(ng, ng.vars.values(), p)

    def synapse_group(self, sg: SynapseGroup) -> None:
        p, npre, npost = self.prefixes[sg], sg.src.num_neurons, sg.trg.num_neurons
        ssrc, strg = self.slots[sg.src], self.slots[sg.trg]
        conn = self.connectivity[sg]
        precision = self.model.precision
        for v in sg.vars.values():
            element = get_var_access_dim(v.access) & VarAccessDim.ELEMENT
            if element and conn.procedural_weights:
                continue  # recomputed for each synapse, never stored
            size = conn.synapse_count if element else constant_size(1)
            self.add(ArraySpec(f"{p}_{c_ident(v.name)}", self.resolve(v.type), size, sg, "wu_var", v.name), v)
        heads = {part: self.fused.get((part, sg)) for part in ("ps", "pre", "post")}
        for part, table, pop, slots, role in (("pre", "pre_vars", sg.src, ssrc, "pre_var"),
                                              ("post", "post_vars", sg.trg, strg, "post_var"),
                                              ("ps", "psm_vars", sg.trg, strg, "psm_var")):
            side = "psm" if part == "ps" else part
            for v in getattr(sg, table).values():
                if heads[part] is not None:  # fused: a view of the first group's array
                    self.bindings[v] = self.bindings[getattr(heads[part], table)[v.name]]
                else:
                    self.state(sg, v, f"{p}_{side}_{c_ident(v.name)}", role, _elements(v, pop.num_neurons), slots)
        if heads["ps"] is not None:
            self.bindings[sg.out_post] = self.bindings[heads["ps"].out_post]
            self.bindings[sg.den_delay] = self.bindings[heads["ps"].den_delay]
        else:
            self.add(ArraySpec(f"{p}_outPost", precision, constant_size(npost), sg, "out_post", "outPost",
                               _constant_shape((1, npost)), batch_axis=True), sg.out_post)
            dd = sg.max_dendritic_delay_timesteps
            self.add(ArraySpec(f"{p}_denDelay", precision, constant_size(dd * npost), sg, "den_delay", "denDelay",
                               _constant_shape((dd, npost))), sg.den_delay)
            self.add(ArraySpec(f"{p}_denDelayPtr", "unsigned int", constant_size(1), sg, "internal",
                               "denDelayPtr"))
        self.add(ArraySpec(f"{p}_outPre", precision, constant_size(npre), sg, "out_pre", "outPre"))
        for spec in conn.arrays(p):
            self.add(spec)
        for side, pop, slots in (("pre", sg.src, ssrc), ("post", sg.trg, strg)):
            if getattr(sg.wu_model, f"{side}_event_threshold_condition_code"):
                self.events(sg, side, pop.num_neurons, slots, pop.spike_event_recording_enabled)
        self.egps(sg, sg.extra_global_params, f"{p}_egp_")
        self.egps(sg, sg.psm_extra_global_params, f"{p}_psmegp_")
        self.egps(sg, sg.connectivity_extra_global_params, f"{p}_connegp_",
                  "connectivity is shared by every batch instance")
        self.var_init_egps(sg, list(sg.vars.values()) + list(sg.pre_vars.values()) + list(sg.post_vars.values())
                           + list(sg.psm_vars.values()), p)

    def events(self, sg: SynapseGroup, side: str, n: int, slots: int, recorded: bool) -> None:
        """Spike-like event queue, flags, times and (optionally) recording of one side of a synapse group."""
        prefix = self.prefixes[sg]
        names = event_arrays(prefix, side)
        base, time_t = names["base"], self.model.time_precision

        def add(cname: str, ctype: str, size, role: str) -> None:
            self.add(ArraySpec(cname, ctype, size, sg, role, cname[len(prefix) + 1:]))

        add(f"{base}Cnt", "unsigned int", constant_size(slots), "internal")
        add(base, "unsigned int", constant_size(slots * n), "internal")
        add(f"{base}Flag", "uint8_t", constant_size(_pad8(n)), "internal")
        add(names["time"], time_t, constant_size(slots * n), "event_time")
        add(names["prev_time"], time_t, constant_size(slots * n), "event_time")
        if recorded:
            words = (n + 31) // 32
            add(names["recording"], "unsigned int", lambda info, w=words: max(info.num_recording_timesteps, 1) * w,
                "recording")

    def custom_update(self, cu: CustomUpdate) -> None:
        p = self.prefixes[cu]
        if cu._attached_to_synapses():
            size = self.connectivity[cu.synapse_group].synapse_count
        else:
            size = constant_size(cu.num_elements)
        for v in cu.vars.values():
            dims = int(v.access) & 0xC0
            k = size if not (dims & VarAccessDim.ELEMENT) else constant_size(1)
            self.add(ArraySpec(f"{p}_{c_ident(v.name)}", self.resolve(v.type), k, cu, "var", v.name), v)
        self.egps(cu, cu.extra_global_params, f"{p}_egp_")
        self.var_init_egps(cu, cu.vars.values(), p)
