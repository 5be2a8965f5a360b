"""GeNN's fuse switches: synapse groups that share per-neuron state, found once when a model is planned.

With ``model.fuse_postsynaptic_models`` the incoming synapse groups of a population whose postsynaptic models
are the same (code, parameter and derived parameter values, constant initial values, target variable, dendritic
delay) share one input buffer, one dendritic delay ring and one set of postsynaptic-model variables, and the
model runs once per neuron for all of them.  With ``model.fuse_pre_post_weight_update_models`` the outgoing
(incoming) groups whose weight-update presynaptic (postsynaptic) parts are the same (code, the values of the
parameters and derived parameters that code reads, constant initial values, delay) share one set of
presynaptic (postsynaptic) variables, updated once per neuron.  Both are off by default, as in GeNN, whose
rules (``SynapseGroup::canPSBeFused``, ``canWUMPrePostUpdateBeFused`` and the fuse hash digests) these follow:
a group whose variables are not initialised to constants, or whose code reads an extra global parameter or a
dynamic parameter, is never fused.

Fusing weight-update pre/post variables changes no result (every group computes the same numbers from the same
spikes).  Fusing postsynaptic models sums the inputs of several groups into one buffer, in another order than
group by group, so results can differ in the last bits of floating point; the saving is one buffer read and
cleared per group, neuron and step.  A fused group's variables and input buffer are views of the first group's.
"""

from __future__ import annotations

from numbers import Number
from typing import Any

import numpy as np

from ..api.groups import SynapseGroup
from ..api.init import VarInit
from ..api.refs import VarReference
from ..api.snippets import derived_param_values
from ..compiler import scan_names
from ..compiler.errors import ModelError

#: the parts a synapse group can share: its postsynaptic model, its weight update's presynaptic and
#: postsynaptic variables
PARTS = ("ps", "pre", "post")


def fuse_targets(model, synapses: tuple[SynapseGroup, ...], delayed) -> dict[tuple[str, SynapseGroup], SynapseGroup]:
    """``(part, group) -> the group whose state it shares`` for every group fused into an earlier one."""
    fused: dict[tuple[str, SynapseGroup], SynapseGroup] = {}
    switches = {"ps": model.fuse_postsynaptic_models, "pre": model.fuse_pre_post_weight_update_models,
                "post": model.fuse_pre_post_weight_update_models}
    for part in PARTS:
        if not switches[part]:
            continue
        first: dict[Any, SynapseGroup] = {}
        for sg in synapses:
            key = _key(sg, part, delayed, float(model.dt))
            if key is None:
                continue
            head = first.setdefault(key, sg)
            if head is not sg:
                fused[(part, sg)] = head
    return fused


def _constant(init) -> tuple[bool, Any]:
    """Whether a variable's initialiser is a constant, and the constant."""
    if isinstance(init, (Number, np.number)) and not isinstance(init, bool):
        return True, float(init)
    if isinstance(init, VarInit) and init.snippet.class_name == "Constant":
        return True, float(init.params.get("constant", 0.0))
    return False, None


def _reads(fields: dict[str, str], context: str) -> set[str]:
    names: set[str] = set()
    for name, code in fields.items():
        names |= {n.rstrip("[]") for n in scan_names(code, f"{context} {name}", name.endswith("condition_code"))}
    return names


def _target(t) -> str:
    return t.var_name if isinstance(t, VarReference) else str(t)


def _key(sg: SynapseGroup, part: str, delayed, dt: float) -> tuple | None:
    """What must be equal for two groups to share ``part``; None where this group can never share it."""
    if part == "ps":
        snippet, variables, params, dynamic = sg.ps_model, sg.psm_vars, sg.ps_params, sg.ps_dynamic_params
        fields = {"postsynaptic sim_code": sg.ps_model.sim_code}
        refs = {r.name: _target(sg.ps_initialiser.var_refs[r.name]) for r in sg.ps_model.neuron_var_refs}
        where = (sg.trg, sg.post_target_var, sg.max_dendritic_delay_timesteps,
                 sg.wu_model.mentions("addToPostDelay"))
    else:
        wu = sg.wu_model
        fields = {f"{part}_spike_code": getattr(wu, f"{part}_spike_code"),
                  f"{part}_dynamics_code": getattr(wu, f"{part}_dynamics_code")}
        variables = sg.pre_vars if part == "pre" else sg.post_vars
        if not (any(fields.values()) or variables):
            return None  # no presynaptic (postsynaptic) update to share
        snippet, params, dynamic = wu, sg.params, sg.dynamic_params
        ref_decls = wu.pre_neuron_var_refs if part == "pre" else wu.post_neuron_var_refs
        targets = sg.wu_initialiser.pre_var_refs if part == "pre" else sg.wu_initialiser.post_var_refs
        refs = {r.name: _target(targets[r.name]) for r in ref_decls}
        where = ((sg.src, sg.axonal_delay_steps) if part == "pre" else (sg.trg, sg.back_prop_delay_steps))
    reads = _reads(fields, f"Synapse group '{sg.name}'")
    if any(e.name in reads for e in snippet.extra_global_params) or reads & set(dynamic):
        return None
    constants = []
    for v in variables.values():
        is_constant, value = _constant(v.init_values)
        if not is_constant:
            return None
        constants.append((v.name, v.type, int(v.access), value, v in delayed))
    # GeNN's hashes: a postsynaptic model's every parameter and derived parameter; a weight update's pre (post)
    # part the parameters and derived parameters its code reads, by value (not the parameters they come from)
    every = part == "ps"
    values = [(p.name, _hashable(params[p.name])) for p in snippet.params if every or p.name in reads]
    read_derived = [d for d in snippet.derived_params if every or d.name in reads]
    if read_derived:
        try:
            derived = derived_param_values(snippet, {p.name: params[p.name] for p in snippet.params}, dt)
        except ModelError:  # reported when the group's code is generated
            return None
        values += [(d.name, _hashable(derived[d.name])) for d in read_derived]
    return (part, where, tuple(fields.values()), tuple(constants), tuple(sorted(refs.items())), tuple(values))


def _hashable(value) -> Any:
    return tuple(np.ravel(value).tolist()) if isinstance(value, (np.ndarray, list, tuple)) else value
