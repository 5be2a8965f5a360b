"""The names of a weight-update model's synapse code, shared by the three synapse kernels.

Presynaptic spike and event code, postsynaptic learning code and synapse dynamics code see the same
names (GeNN 5): the model's parameters and extra global parameters, the per-synapse variables, the
presynaptic and postsynaptic variables and neuron variable references (read-only; postsynaptic ones
also with a delay, ``post[d]``), postsynaptic-model variable references, spike times shifted by the
axonal and back-propagation delays, and ``addToPost``, ``addToPostDelay`` and ``addToPre``.
The templates define ``id_pre``, ``id_post``, ``id_syn`` and the slot offsets (``preOff``, ...).
"""

from __future__ import annotations

from ...api.groups import SynapseGroup
from ...api.refs import VarReference
from ...compiler import Function
from ..environment import Environment, Target, is_element, literal
from ..plan import ModelPlan, c_ident

KIND = "Synapse group"


def _delayed_index(arr: str, delayed: bool, element: bool, trg: str, slots: int, n: int):
    """``post[d]``: the value ``d`` steps ago, from the slot ``d`` behind the target's current one (the one
    value there is when the variable is not kept per slot)."""
    i = "id_post" if element else "0"
    if not delayed:
        return lambda d: f"{arr}[{i}]"

    def index(d: str) -> str:
        slot = f"(({trg}_spkQuePtr[0] + {slots}u - (uint32_t)({d})) % {slots}u)"
        return f"{arr}[{slot} * {n}u + {i}]" if element else f"{arr}[{slot}]"
    return index


def _post_read(arr: str, delayed: bool, element: bool) -> str:
    """A postsynaptic value at the back-propagation delay (``postOff``) when it is kept per slot."""
    if element:
        return f"{arr}[{'postOff + ' if delayed else ''}id_post]"
    return f"{arr}[{'postSlot' if delayed else '0'}]"


def synapse_environment(plan: ModelPlan, target: Target, sg: SynapseGroup) -> Environment:
    p, wu = plan.prefix(sg), sg.wu_model
    # the arrays of the groups holding this one's state where GeNN's fuse switches merged it (codegen.fusion)
    pre_p, post_p, ps_p = (plan.state_prefix(sg, part) for part in ("pre", "post", "ps"))
    src, trg = sg.src, sg.trg
    sp, tp = plan.prefix(src), plan.prefix(trg)
    pre_off, post_off = "preOff + ", "postOff + "
    env = (Environment(plan, target).params(wu, sg.params, sg.dynamic_params, p).egps(sg.extra_global_params)
           .element("synapse", num_pre=src.num_neurons, num_post=trg.num_neurons))
    tt = plan.time_precision
    ax = literal(plan.dt * (sg.axonal_delay_steps + 1), tt)
    bp = literal(plan.dt * (sg.back_prop_delay_steps + 1), tt)
    env.readonly("st_pre", f"({sp}_st[{pre_off}id_pre] + {ax})", "timepoint")
    env.readonly("prev_st_pre", f"({sp}_prev_st[prevPreOff + id_pre] + {ax})", "timepoint")
    if wu.pre_event_syn_code:  # spike-like event times of this group's presynaptic events
        env.readonly("set_pre", f"({p}_set[{pre_off}id_pre] + {ax})", "timepoint")
        env.readonly("prev_set_pre", f"({p}_prev_set[prevPreOff + id_pre] + {ax})", "timepoint")
    if wu.post_event_syn_code:  # spike-like event times of this group's postsynaptic events
        env.readonly("set_post", f"({p}_pset[{post_off}id_post] + {bp})", "timepoint")
        env.readonly("prev_set_post", f"({p}_prev_pset[prevPostOff + id_post] + {bp})", "timepoint")
    env.readonly("st_post", f"({tp}_st[{post_off}id_post] + {bp})", "timepoint")
    env.readonly("prev_st_post", f"({tp}_prev_st[prevPostOff + id_post] + {bp})", "timepoint")
    index = plan.connectivity[sg].synapse_index
    if index != "id_syn":  # kernel weights (one entry per kernel position) or none (BITMASK): no synapse index
        env.namespace.symbols.pop("id_syn")
        if index:
            env.readonly(index, index, "unsigned int")
    for v in sg.vars.values():
        if is_element(v.access) and plan.connectivity[sg].procedural_weights:
            env.readonly(v.name, f"gn_pw_{c_ident(v.name)}", v.type,
                         f"'{v.name}' is a procedural weight: recomputed for each synapse, it cannot be changed")
            continue
        idx = index if is_element(v.access) else "0"
        env.var(v.name, f"{p}_{c_ident(v.name)}[{idx}]", v.type, v.access)
    for v in sg.pre_vars.values():
        delayed = plan.is_delayed(v)
        off = pre_off if delayed else ""
        i = "id_pre" if is_element(v.access) else "0"
        if not is_element(v.access) and delayed:
            off = "preSlot + "
        env.readonly(v.name, f"{pre_p}_pre_{c_ident(v.name)}[{off}{i}]", v.type,
                     f"presynaptic variable '{v.name}' is read-only in synaptic code")
    nt, slots_t = trg.num_neurons, plan.slots(trg)
    for v in sg.post_vars.values():
        arr = f"{post_p}_post_{c_ident(v.name)}"
        delayed, element = plan.is_delayed(v), is_element(v.access)
        env.readonly(v.name, _post_read(arr, delayed, element), v.type,
                     f"postsynaptic variable '{v.name}' is read-only in synaptic code",
                     index=_delayed_index(arr, delayed, element, tp, slots_t, nt))
    for r in wu.pre_neuron_var_refs:
        var = src.vars[_target_name(sg.wu_initialiser.pre_var_refs[r.name])]
        off = pre_off if plan.is_delayed(var) else ""
        env.readonly(r.name, f"{sp}_{c_ident(var.name)}[{off}id_pre]", r.type,
                     f"presynaptic neuron variable reference '{r.name}' is read-only")
    for r in wu.post_neuron_var_refs:
        var = trg.vars[_target_name(sg.wu_initialiser.post_var_refs[r.name])]
        delayed = plan.is_delayed(var)
        arr = f"{tp}_{c_ident(var.name)}"
        element = is_element(var.access)
        env.readonly(r.name, _post_read(arr, delayed, element), r.type,
                     f"postsynaptic neuron variable reference '{r.name}' is read-only",
                     index=_delayed_index(arr, delayed, element, tp, slots_t, nt))
    for r in wu.psm_var_refs:
        var = sg.psm_vars[_target_name(sg.wu_initialiser.psm_var_refs[r.name])]
        arr = f"{ps_p}_psm_{c_ident(var.name)}"
        delayed, element = plan.is_delayed(var), is_element(var.access)
        env.readonly(r.name, _post_read(arr, delayed, element), r.type,
                     f"postsynaptic model variable reference '{r.name}' is read-only",
                     index=_delayed_index(arr, delayed, element, tp, slots_t, nt))
    acc = env.accumulate
    env.function("addToPost", Function(lambda a: acc(f"{ps_p}_outPost[id_post]", a[0]), (1,)))
    dd = sg.max_dendritic_delay_timesteps
    env.function("addToPostDelay", Function(
        lambda a: acc(f"{ps_p}_denDelay[(({ps_p}_denDelayPtr[0] + (uint32_t)({a[1]})) % {dd}u) * {nt}u + id_post]",
                      a[0]), (2,)))
    env.function("addToPre", Function(lambda a: acc(f"{p}_outPre[id_pre]", a[0]), (1,)))
    return env


def _target_name(target) -> str:
    return target.var_name if isinstance(target, VarReference) else target
