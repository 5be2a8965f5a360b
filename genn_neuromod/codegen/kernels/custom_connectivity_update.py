"""The custom connectivity update kernel: host code, then row code that adds and removes synapses of a SPARSE group.

Row code runs once per presynaptic neuron (``id_pre``); ``for_each_synapse { ... }`` walks the row (``id_post``,
``id_syn``, the update's synaptic and postsynaptic variables, its variable references) and ``remove_synapse()``
moves the row's last synapse into the current slot, with every per-synapse array of the group (GeNN's rule:
the next synapse processed is the one moved); ``add_synapse(id_post, values...)`` appends a synapse with values
for the update's variables and then its variable references, and zeroes the group's other per-synapse arrays.
Host code runs before, with presynaptic and postsynaptic variables and extra global parameters as arrays
(``push<name>ToDevice``/``pull<name>FromDevice`` copy nothing on the CPU).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...api.enums import VarAccessDim, VarAccessMode, get_var_access_dim, get_var_access_mode
from ...api.groups import CustomConnectivityUpdate, CustomUpdate
from ...api.refs import reference_type_and_dims
from ...compiler import ForEachSynapse, Function, Symbol
from ...compiler.errors import ModelError
from ..batching import batch_size, batched_arrays
from ..environment import Environment, Target, context, stream
from ..plan import ModelPlan, c_ident
from .common import Code, SynapseGroupLayout, statements, synapse_layout
from .custom_update import _ctype, _ref_target


@dataclass(frozen=True)
class CustomConnectivityUpdateKernel:
    prefix: str
    name: str
    group: str
    synapses: SynapseGroupLayout
    row: Code     # row_update_code, run for each id_pre
    host: Code    # host_update_code


def per_synapse_arrays(plan: ModelPlan, sg) -> list[str]:
    """Every per-synapse array of a synapse group (its weight-update variables, and those of the custom updates and
    custom connectivity updates over its synapses), which adding or removing a synapse must keep in step."""
    out = []
    for spec in plan.arrays:
        owner = spec.owner
        if spec.role == "wu_var" and owner is sg:
            element = get_var_access_dim(owner.vars[spec.name].access) & VarAccessDim.ELEMENT
        elif spec.role == "var" and isinstance(owner, CustomUpdate) and owner._attached_to_synapses() \
                and owner.synapse_group is sg:
            element = owner.vars[spec.name].dims & VarAccessDim.ELEMENT
        elif spec.role == "ccu_var" and owner.synapse_group is sg:
            element = get_var_access_dim(owner.vars[spec.name].access) & VarAccessDim.ELEMENT
        else:
            continue
        if element:
            out.append(spec.cname)
    return out


def _common_env(plan: ModelPlan, target: Target, ccu: CustomConnectivityUpdate) -> Environment:
    p, m, sg = plan.prefix(ccu), ccu.model, ccu.synapse_group
    sp = plan.prefix(sg)
    env = (Environment(plan, target).params(m, ccu.params, ccu.dynamic_params, p).egps(ccu.extra_global_params)
           .constant("num_pre", sg.src.num_neurons, "unsigned int")
           .constant("num_post", sg.trg.num_neurons, "unsigned int")
           .readonly("row_stride", f"{sp}_rowStride", "unsigned int"))
    for r in m.extra_global_param_refs:
        ref = ccu.egp_refs[r.name]
        env.egps({r.name: ref.group.extra_global_params[ref.egp_name]})
    return env


def _row_env(plan: ModelPlan, target: Target, ccu: CustomConnectivityUpdate) -> Environment:
    p, m, sg = plan.prefix(ccu), ccu.model, ccu.synapse_group
    sp = plan.prefix(sg)
    env = (_common_env(plan, target, ccu).readonly("id_pre", "id_pre", "unsigned int")
           .readonly("row_length", f"{sp}_rowLength[id_pre]", "unsigned int"))
    for v in ccu.pre_vars.values():
        element = get_var_access_dim(v.access) & VarAccessDim.ELEMENT
        env.var(v.name, f"{p}_pre_{c_ident(v.name)}[{'id_pre' if element else '0'}]", v.type, v.access,
                "presynaptic variable")
    for r in m.pre_var_refs:
        arr, idx, _ = _ref_target(plan, ccu.pre_var_refs[r.name], "id_pre")
        env.reference(r.name, f"{arr}[{idx}]", r.type, VarAccessMode(int(r.access)) != VarAccessMode.READ_ONLY)
    # inside for_each_synapse: the synapse, its variables and the postsynaptic ones (read-only)
    inside = Environment(plan, target, namespace=env.namespace.copy())
    inside.readonly("id_post", "id_post", "unsigned int").readonly("id_syn", "id_syn", "unsigned int")
    for v in ccu.vars.values():
        element = get_var_access_dim(v.access) & VarAccessDim.ELEMENT
        inside.var(v.name, f"{p}_{c_ident(v.name)}[{'id_syn' if element else '0'}]", v.type, v.access,
                   "synaptic variable")
    for v in ccu.post_vars.values():
        element = get_var_access_dim(v.access) & VarAccessDim.ELEMENT
        inside.readonly(v.name, f"{p}_post_{c_ident(v.name)}[{'id_post' if element else '0'}]", v.type,
                        f"postsynaptic variable '{v.name}' is read-only in row update code")
    for r in m.var_refs:
        if batch_size(plan.model) > 1 and reference_type_and_dims(ccu.var_refs[r.name])[1] & VarAccessDim.BATCH:
            # as GeNN: row code sees only variables shared by the batch instances (add_synapse sets every copy)
            env.namespace.hidden[r.name] = (f"it references a variable with one value per batch instance "
                                            f"(batch_size {plan.model.batch_size}); row update code can only "
                                            "read variables shared across batches, and set it through add_synapse")
            continue
        arr, idx, _ = _ref_target(plan, ccu.var_refs[r.name], "id_syn")
        inside.reference(r.name, f"{arr}[{idx}]", r.type, VarAccessMode(int(r.access)) != VarAccessMode.READ_ONLY)
    for r in m.post_var_refs:
        arr, idx, _ = _ref_target(plan, ccu.post_var_refs[r.name], "id_post")
        inside.readonly(r.name, f"{arr}[{idx}]", r.type, f"postsynaptic variable reference '{r.name}' is read-only")
    dependents = per_synapse_arrays(plan, sg)
    batched = batched_arrays(plan)
    instances = batch_size(plan.model)

    def each_instance(arr: str, dst: str, value: str) -> str:
        """``arr[dst] = value`` in every batch instance's copy of ``arr`` (``value`` may read ``arr[@]``)."""
        if arr not in batched:
            return f"{arr}[{dst}] = {value.replace('@', '')};\n"
        at = f"(size_t)gn_b * gn_bs_{arr} + "
        return (f"for (uint32_t gn_b = 0; gn_b < {instances}u; gn_b++) "
                f"{arr}[{at}{dst}] = {value.replace('@', at)};\n")

    last = f"(gn_row + {sp}_rowLength[id_pre] - 1u)"
    remove = Function(lambda a: "{\n" + "".join(each_instance(arr, "id_syn", f"{arr}[@{last}]") for arr in
                                                   [f"{sp}_ind"] + dependents)
                      + f"{sp}_rowLength[id_pre]--;\ngn_j--;\n}}\n", (0,), block=True)
    loop_symbols = {n: s for n, s in inside.namespace.symbols.items() if env.namespace.symbols.get(n) is not s}
    env.namespace.for_each_synapse = ForEachSynapse(
        f"for (int gn_j = 0; gn_j < (int){sp}_rowLength[id_pre]; gn_j++) {{\n"
        f"const size_t id_syn = gn_row + (size_t)gn_j; const uint32_t id_post = {sp}_ind[id_syn];\n"
        "(void)id_syn; (void)id_post;", "}", loop_symbols, {"remove_synapse": remove})
    # add_synapse(id_post, the update's variables..., its variable references...)
    explicit = [f"{p}_{c_ident(v.name)}" for v in ccu.vars.values()]
    explicit += [_ref_target(plan, ccu.var_refs[r.name], "0")[0] for r in m.var_refs]
    explicit_types = [_ctype(plan, v.type) for v in ccu.vars.values()] + [_ctype(plan, r.type) for r in m.var_refs]
    zeroed = [arr for arr in dependents if arr not in explicit]

    def add(a: list[str]) -> str:
        lines = ["{", f"if ({sp}_rowLength[id_pre] >= {sp}_rowStride) {{ {p}_overflow = 1u; }}", "else {",
                 f"const size_t gn_new = gn_row + {sp}_rowLength[id_pre];", f"{sp}_ind[gn_new] = (uint32_t)({a[0]});"]
        for i, (arr, value) in enumerate(zip(explicit, a[1:], strict=True)):  # evaluated once (it may draw)
            ctype = explicit_types[i]
            lines += [f"const {ctype} gn_v{i} = ({ctype})({value});", each_instance(arr, "gn_new", f"gn_v{i}")]
        lines += [each_instance(arr, "gn_new", "0") for arr in zeroed]
        return "\n".join(lines + [f"{sp}_rowLength[id_pre]++;", "}", "}"])
    env.function("add_synapse", Function(add, (1 + len(explicit),), block=True))
    return env


def _host_env(plan: ModelPlan, target: Target, ccu: CustomConnectivityUpdate) -> Environment:
    p, sg = plan.prefix(ccu), ccu.synapse_group
    env = _common_env(plan, target, ccu)
    env.namespace.host_code = True
    sp = plan.prefix(sg)
    env.readonly("row_length", f"{sp}_rowLength", "unsigned int*", index=lambda i: f"{sp}_rowLength[{i}]")
    nothing = Function(lambda a: "(void)0", (0, 1))
    names = []
    for side, table in (("pre", ccu.pre_vars), ("post", ccu.post_vars)):
        for v in table.values():
            arr = f"{p}_{side}_{c_ident(v.name)}"
            ctype = env.resolve(v.type)
            env.namespace.add(v.name, Symbol(arr, ctype + "*", writable=get_var_access_mode(v.access)
                                             != VarAccessMode.READ_ONLY,
                                             index=lambda i, a=arr: f"{a}[{i}]"))
            names.append(v.name)
    names += list(ccu.extra_global_params)
    for name in names:  # host and device memory are one on the CPU: copies do nothing
        env.function(f"push{name}ToDevice", nothing).function(f"pull{name}FromDevice", nothing)
    return env


def _check_batching(plan: ModelPlan, ccu: CustomConnectivityUpdate) -> None:
    """GeNN's rule: connectivity is shared by the batch instances, so the pre and postsynaptic variables a custom
    connectivity update references must be too."""
    if batch_size(plan.model) <= 1:
        return
    for side, refs in (("presynaptic", ccu.pre_var_refs), ("postsynaptic", ccu.post_var_refs)):
        for name, ref in refs.items():
            if reference_type_and_dims(ref)[1] & VarAccessDim.BATCH:
                raise ModelError(f"custom connectivity update '{ccu.name}': {side} variable reference '{name}' "
                                 f"targets '{ref.var_name}', which has one value per batch instance; with "
                                 f"batch_size {plan.model.batch_size} the {side} variables a custom connectivity "
                                 "update references must be shared across batches (a *_SHARED access)")


def describe(plan: ModelPlan, target: Target, ccu: CustomConnectivityUpdate) -> CustomConnectivityUpdateKernel:
    m = ccu.model
    _check_batching(plan, ccu)
    kind = "Custom connectivity update"
    row = statements(m.row_update_code, _row_env(plan, target, ccu), context(kind, ccu, m, "row_update_code"))
    host = statements(m.host_update_code, _host_env(plan, target, ccu), context(kind, ccu, m, "host_update_code"))
    return CustomConnectivityUpdateKernel(
        plan.prefix(ccu), ccu.name, ccu.update_group_name, synapse_layout(plan, ccu.synapse_group),
        Code(row.c, row.uses_rng, stream(ccu, "row_update")), Code(host.c, host.uses_rng, stream(ccu, "host_update")))
