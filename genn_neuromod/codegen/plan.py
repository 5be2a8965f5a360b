"""Lay out a model for code generation: C names, delay slots and every array.

The plan is backend-neutral: the C and CUDA generators read it, and the
runtime allocates exactly the arrays it lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..api import types
from ..api.enums import SynapseMatrixConnectivity, VarAccessDim, get_var_access_dim
from ..api.groups import CurrentSource, CustomUpdate, NeuronGroup, SynapseGroup
from ..api.refs import VarReference
from ..compiler import scan_names
from ..compiler.errors import ModelError


@dataclass
class LoadInfo:
    """Sizes only known at ``load()``: sparse row strides and the recording length."""

    row_stride: dict[str, int] = field(default_factory=dict)
    col_stride: dict[str, int] = field(default_factory=dict)
    num_recording_timesteps: int = 0


@dataclass
class ArraySpec:
    """One array shared between numpy and the generated code."""

    cname: str
    ctype: str                       # resolved snippet type ("float", "unsigned int", ...)
    size: Callable[[LoadInfo], int]  # number of elements
    owner: Any = None                # the group object
    role: str = ""                   # "var", "pre_var", "spk", "egp", ...
    name: str = ""                   # variable name within the group
    shape: Callable[[LoadInfo], tuple[int, ...]] | None = None


def c_ident(name: str) -> str:
    return re.sub(r"\W", "_", name)


@dataclass
class ModelPlan:
    model: Any
    precision: str
    time_precision: str
    dt: float
    neurons: list[NeuronGroup]
    synapses: list[SynapseGroup]
    current_sources: list[CurrentSource]
    custom_updates: list[CustomUpdate]
    arrays: list[ArraySpec] = field(default_factory=list)
    cname: dict[int, str] = field(default_factory=dict)     # id(group) -> C prefix
    delayed_neuron_vars: dict[int, set[str]] = field(default_factory=dict)
    egps: dict[str, Any] = field(default_factory=dict)                 # C name -> ExtraGlobalParameter
    batch_expr: str = "0u"          # C expression of the snippet name 'batch' ("batch" in batched CUDA kernels)

    def prefix(self, group) -> str:
        return self.cname[id(group)]

    def resolve(self, t: str) -> str:
        return types.resolve(t, self.precision, self.time_precision)

    def add_array(self, spec: ArraySpec) -> ArraySpec:
        self.arrays.append(spec)
        return spec

    def array(self, cname: str) -> ArraySpec:
        for a in self.arrays:
            if a.cname == cname:
                return a
        raise KeyError(cname)


def uses_name(code_fields: dict[str, str], name: str, context: str) -> bool:
    for field_name, code in code_fields.items():
        expr = field_name.endswith("condition_code")
        if name in scan_names(code, f"{context} {field_name}", expr):
            return True
    return False


def make_plan(model) -> ModelPlan:
    plan = ModelPlan(model, model.precision, model.time_precision, model.dt,
                     list(model.neuron_populations.values()), list(model.synapse_populations.values()),
                     list(model.current_sources.values()), list(model.custom_updates.values()))
    for i, g in enumerate(plan.neurons):
        plan.cname[id(g)] = f"n{i}"
    for i, g in enumerate(plan.synapses):
        plan.cname[id(g)] = f"s{i}"
    for i, g in enumerate(plan.current_sources):
        plan.cname[id(g)] = f"c{i}"
    for i, g in enumerate(plan.custom_updates):
        plan.cname[id(g)] = f"u{i}"
    _validate(plan)
    _plan_delays(plan)
    _plan_arrays(plan)
    return plan


def _validate(plan: ModelPlan) -> None:
    for sg in plan.synapses:
        if sg.axonal_delay_steps < 0 or sg.back_prop_delay_steps < 0:
            raise ModelError(f"synapse population '{sg.name}': delays must be >= 0")
        if sg.max_dendritic_delay_timesteps < 1:
            raise ModelError(f"synapse population '{sg.name}': max_dendritic_delay_timesteps must be >= 1")
        for what, target, pop in (("post_target_var", sg.post_target_var, sg.trg),
                                  ("pre_target_var", sg.pre_target_var, sg.src)):
            names = ["Isyn"] + [a.name for a in pop.model.additional_input_vars]
            if target not in names:
                raise ModelError(f"synapse population '{sg.name}': {what} '{target}' is not an input of "
                                 f"'{pop.name}' (it has {names})")
        if sg.wu_model.post_event_syn_code:
            raise NotImplementedError(f"synapse population '{sg.name}': postsynaptic spike-like events are not "
                                      "supported by the embedded engine yet")
    for cs in plan.current_sources:
        names = ["Isyn"] + [a.name for a in cs.pop.model.additional_input_vars]
        if cs.target_var not in names:
            raise ModelError(f"current source '{cs.name}': target_var '{cs.target_var}' is not an input of "
                             f"'{cs.pop.name}' (it has {names})")


def _plan_delays(plan: ModelPlan) -> None:
    slots = {id(n): 1 for n in plan.neurons}
    for sg in plan.synapses:
        slots[id(sg.src)] = max(slots[id(sg.src)], sg.axonal_delay_steps + 1)
        slots[id(sg.trg)] = max(slots[id(sg.trg)], sg.back_prop_delay_steps + 1)
        if _het_delayed_post(sg):
            slots[id(sg.trg)] = max(slots[id(sg.trg)], sg.max_dendritic_delay_timesteps)
    for n in plan.neurons:
        n._num_delay_slots = slots[id(n)]
        plan.delayed_neuron_vars[id(n)] = set()
    for sg in plan.synapses:
        for refs, pop in ((sg.wu_initialiser.pre_var_refs, sg.src), (sg.wu_initialiser.post_var_refs, sg.trg)):
            if pop._num_delay_slots > 1:
                for target in refs.values():
                    name = target.var_name if isinstance(target, VarReference) else target
                    plan.delayed_neuron_vars[id(pop)].add(name)
    for n in plan.neurons:
        for v in n.vars.values():
            v.delayed = v.name in plan.delayed_neuron_vars[id(n)]


def _het_delayed_post(sg: SynapseGroup) -> bool:
    names = set()
    for code_field, code in sg.wu_model.code_fields().items():
        if code and not code_field.endswith("condition_code"):
            names |= scan_names(code, f"synapse population '{sg.name}' {code_field}")
    post_names = {v.name for v in sg.wu_model.post_vars} | {r.name for r in sg.wu_model.post_neuron_var_refs}
    return any(n.endswith("[]") and n[:-2] in post_names for n in names)


def pre_vars_delayed(sg: SynapseGroup) -> bool:
    return sg.axonal_delay_steps > 0


def post_vars_delayed(sg: SynapseGroup) -> bool:
    return sg.trg._num_delay_slots > 1 and (sg.back_prop_delay_steps > 0 or _het_delayed_post(sg))


def synapse_count(sg: SynapseGroup) -> Callable[[LoadInfo], int]:
    if sg.matrix_type & SynapseMatrixConnectivity.DENSE:
        n = sg.src.num_neurons * sg.trg.num_neurons
        return lambda info: n
    return lambda info: sg.src.num_neurons * info.row_stride[sg.name]


def _plan_arrays(plan: ModelPlan) -> None:
    time_t = plan.time_precision
    for ng in plan.neurons:
        p, n, s = plan.prefix(ng), ng.num_neurons, ng._num_delay_slots
        for v in ng.vars.values():
            count = n if get_var_access_dim(v.access) & VarAccessDim.ELEMENT else 1
            k = count * (s if v.delayed else 1)
            shape = (s, count) if v.delayed else (count,)
            plan.add_array(ArraySpec(f"{p}_{c_ident(v.name)}", plan.resolve(v.type), _const(k), ng, "var",
                                     v.name, _const_shape(shape)))
        plan.add_array(ArraySpec(f"{p}_spkQuePtr", "unsigned int", _const(1), ng, "internal", "spkQuePtr"))
        plan.add_array(ArraySpec(f"{p}_spkCnt", "unsigned int", _const(s), ng, "internal", "spkCnt"))
        plan.add_array(ArraySpec(f"{p}_spk", "unsigned int", _const(s * n), ng, "internal", "spk"))
        plan.add_array(ArraySpec(f"{p}_spkFlag", "uint8_t", _const(_pad8(n)), ng, "internal", "spkFlag"))
        shape = (s, n) if s > 1 else (n,)
        plan.add_array(ArraySpec(f"{p}_st", time_t, _const(s * n), ng, "st", "st", _const_shape(shape)))
        plan.add_array(ArraySpec(f"{p}_prev_st", time_t, _const(s * n), ng, "prev_st", "prev_st",
                                 _const_shape(shape)))
        words = (n + 31) // 32
        plan.add_array(ArraySpec(f"{p}_recSpk", "unsigned int",
                                 (lambda info, w=words: max(info.num_recording_timesteps, 1) * w), ng,
                                 "recording", "recSpk"))
        _plan_egps(plan, ng, ng.extra_global_params, f"{p}_egp_")
        _plan_var_init_egps(plan, ng, ng.vars.values(), p)
    for sg in plan.synapses:
        p, npre, npost = plan.prefix(sg), sg.src.num_neurons, sg.trg.num_neurons
        ssrc, strg = sg.src._num_delay_slots, sg.trg._num_delay_slots
        count = synapse_count(sg)
        for v in sg.vars.values():
            size = count if get_var_access_dim(v.access) & VarAccessDim.ELEMENT else _const(1)
            plan.add_array(ArraySpec(f"{p}_{c_ident(v.name)}", plan.resolve(v.type), size, sg, "wu_var", v.name))
        for v in sg.pre_vars.values():
            m = _elements(v, npre)
            v.delayed = pre_vars_delayed(sg) and ssrc > 1
            plan.add_array(ArraySpec(f"{p}_pre_{c_ident(v.name)}", plan.resolve(v.type),
                                     _const(m * (ssrc if v.delayed else 1)), sg, "pre_var", v.name,
                                     _const_shape((ssrc, m) if v.delayed else (m,))))
        for v in sg.post_vars.values():
            m = _elements(v, npost)
            v.delayed = post_vars_delayed(sg)
            plan.add_array(ArraySpec(f"{p}_post_{c_ident(v.name)}", plan.resolve(v.type),
                                     _const(m * (strg if v.delayed else 1)), sg, "post_var", v.name,
                                     _const_shape((strg, m) if v.delayed else (m,))))
        for v in sg.psm_vars.values():
            plan.add_array(ArraySpec(f"{p}_psm_{c_ident(v.name)}", plan.resolve(v.type),
                                     _const(_elements(v, npost)), sg, "psm_var", v.name))
        plan.add_array(ArraySpec(f"{p}_outPost", plan.precision, _const(npost), sg, "out_post", "outPost"))
        plan.add_array(ArraySpec(f"{p}_outPre", plan.precision, _const(npre), sg, "out_pre", "outPre"))
        dd = sg.max_dendritic_delay_timesteps
        plan.add_array(ArraySpec(f"{p}_denDelay", plan.precision, _const(dd * npost), sg, "den_delay", "denDelay",
                                 _const_shape((dd, npost))))
        plan.add_array(ArraySpec(f"{p}_denDelayPtr", "unsigned int", _const(1), sg, "internal", "denDelayPtr"))
        if sg.matrix_type & SynapseMatrixConnectivity.SPARSE:
            plan.add_array(ArraySpec(f"{p}_rowLength", "unsigned int", _const(npre), sg, "internal", "rowLength"))
            plan.add_array(ArraySpec(f"{p}_ind", "unsigned int", count, sg, "internal", "ind"))
            plan.add_array(ArraySpec(f"{p}_colLength", "unsigned int", _const(npost), sg, "internal", "colLength"))
            plan.add_array(ArraySpec(f"{p}_remap", "unsigned int",
                                     lambda info, sg=sg, npost=npost: npost * info.col_stride[sg.name], sg,
                                     "internal", "remap"))
        if sg.wu_model.pre_event_syn_code:
            plan.add_array(ArraySpec(f"{p}_evCnt", "unsigned int", _const(ssrc), sg, "internal", "evCnt"))
            plan.add_array(ArraySpec(f"{p}_ev", "unsigned int", _const(ssrc * npre), sg, "internal", "ev"))
            plan.add_array(ArraySpec(f"{p}_evFlag", "uint8_t", _const(_pad8(npre)), sg, "internal", "evFlag"))
            plan.add_array(ArraySpec(f"{p}_set", time_t, _const(ssrc * npre), sg, "event_time", "set"))
            plan.add_array(ArraySpec(f"{p}_prev_set", time_t, _const(ssrc * npre), sg, "event_time", "prev_set"))
        _plan_egps(plan, sg, sg.extra_global_params, f"{p}_egp_")
        _plan_egps(plan, sg, sg.psm_extra_global_params, f"{p}_psmegp_")
        _plan_egps(plan, sg, sg.connectivity_extra_global_params, f"{p}_connegp_")
        _plan_var_init_egps(plan, sg, list(sg.vars.values()) + list(sg.pre_vars.values())
                            + list(sg.post_vars.values()) + list(sg.psm_vars.values()), p)
    for cs in plan.current_sources:
        p = plan.prefix(cs)
        for v in cs.vars.values():
            plan.add_array(ArraySpec(f"{p}_{c_ident(v.name)}", plan.resolve(v.type),
                                     _const(_elements(v, cs.pop.num_neurons)), cs, "var", v.name))
        _plan_egps(plan, cs, cs.extra_global_params, f"{p}_egp_")
        _plan_var_init_egps(plan, cs, cs.vars.values(), p)
    for cu in plan.custom_updates:
        p = plan.prefix(cu)
        size = custom_update_size(cu)
        for v in cu.vars.values():
            dims = int(v.access) & 0xC0
            k = size if not (dims & VarAccessDim.ELEMENT) else _const(1)
            plan.add_array(ArraySpec(f"{p}_{c_ident(v.name)}", plan.resolve(v.type), k, cu, "var", v.name))
        _plan_egps(plan, cu, cu.extra_global_params, f"{p}_egp_")
        _plan_var_init_egps(plan, cu, cu.vars.values(), p)


def custom_update_size(cu: CustomUpdate) -> Callable[[LoadInfo], int]:
    if cu._attached_to_synapses():
        return synapse_count(cu.synapse_group)
    n = custom_update_num_elements(cu)
    return _const(n)


def custom_update_num_elements(cu: CustomUpdate) -> int:
    """Number of neurons a neuron-attached custom update loops over."""
    sizes = set()
    for name, ref in cu.var_refs.items():
        if not isinstance(ref, VarReference):
            raise ModelError(f"custom update '{cu.name}': var_refs['{name}'] must be created with "
                             "create_var_ref / create_wu_var_ref / create_psm_var_ref")
        g = ref.group
        if ref.kind in ("neuron", "spike_time", "prev_spike_time"):
            sizes.add(g.num_neurons)
        elif ref.kind == "current_source":
            sizes.add(g.pop.num_neurons)
        elif ref.kind in ("psm", "wu_post", "out_post"):
            sizes.add(g.trg.num_neurons)
        elif ref.kind == "wu_pre":
            sizes.add(g.src.num_neurons)
        elif ref.kind == "custom_update":
            sizes.add(custom_update_num_elements(g))
    if not sizes:
        raise ModelError(f"custom update '{cu.name}' has no variable references to attach it to a group")
    if len(sizes) > 1:
        raise ModelError(f"custom update '{cu.name}': its variable references target groups of different "
                         f"sizes {sorted(sizes)}")
    return sizes.pop()


def _plan_egps(plan: ModelPlan, group, egps: dict, prefix: str) -> None:
    for e in egps.values():
        base = e.type.replace("*", "").strip()
        plan.add_array(ArraySpec(prefix + c_ident(e.name), plan.resolve(base), lambda info: 0, group, "egp", e.name))
        e._cname = prefix + c_ident(e.name)
        plan.egps[e._cname] = e


def _plan_var_init_egps(plan: ModelPlan, group, variables, prefix: str) -> None:
    for v in variables:
        for e in v.extra_global_params.values():
            base = e.type.replace("*", "").strip()
            cname = f"{prefix}_vi_{c_ident(v.name)}_{c_ident(e.name)}"
            plan.add_array(ArraySpec(cname, plan.resolve(base), lambda info: 0, group, "egp", e.name))
            e._cname = cname
            plan.egps[cname] = e


def _elements(var, n: int) -> int:
    """One value per neuron, or one shared by all neurons (``READ_ONLY_SHARED_NEURON``)."""
    return n if get_var_access_dim(var.access) & VarAccessDim.ELEMENT else 1


def _pad8(n: int) -> int:
    """Spike-flag arrays are scanned eight bytes at a time: pad them to a multiple of 8 (padding stays 0)."""
    return (n + 7) // 8 * 8


def _const(k: int) -> Callable[[LoadInfo], int]:
    return lambda info: k


def _const_shape(shape: tuple[int, ...]) -> Callable[[LoadInfo], tuple[int, ...]]:
    return lambda info: shape
