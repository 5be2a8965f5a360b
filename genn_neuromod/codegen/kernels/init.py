"""The initialisation kernels: variables from var-init snippets, and sparse connectivity from build snippets.

Three passes run at ``load()`` (GeNN's order): element variables (neurons, current sources, weight-update
pre/post and postsynaptic-model variables, custom updates over neurons) and per-synapse variables of
matrices that do not need their connectivity first; then the connectivity build code (``row_build_code``
or ``col_build_code``); then the per-synapse variables of matrices laid out by that connectivity (SPARSE).
Values given as numbers or arrays are set by the runtime, not here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...api.enums import VarAccessDim
from ...api.groups import SynapseGroup
from ...api.init import VarInit
from ...compiler import Function
from ..environment import Environment, Target, literal, stream
from ..plan import ModelPlan, c_ident
from .common import Code, SynapseGroupLayout, kernel_index, statements, synapse_layout


@dataclass(frozen=True)
class VarInitCode:
    """One variable initialised by a var-init snippet.

    ``kind`` is ``"element"`` (a loop over ``count`` elements, copied into every one of ``slots`` delay
    slots) or ``"synapse"`` (a loop over the synapses of ``group``, as its matrix type walks them).
    """

    kind: str
    array: str
    ctype: str
    code: Code
    count: int = 1
    slots: int = 1
    group: SynapseGroupLayout | None = None
    where: str = ""  # for a fault's message: "variable 'V' of neuron population 'Pop'"


@dataclass(frozen=True)
class ConnectivityBuild:
    """A sparse connectivity snippet's build code, run per row (``id_pre``) or per column (``id_post``)."""

    prefix: str
    name: str
    row: bool
    n: int
    code: Code


@dataclass(frozen=True)
class Initialisation:
    before_connectivity: tuple[VarInitCode, ...]
    connectivity: tuple[ConnectivityBuild, ...]
    after_connectivity: tuple[VarInitCode, ...]


def _var_init(plan: ModelPlan, target: Target, var, owner: str, env: Environment, strm: str) -> Code:
    init: VarInit = var.init_values
    env = env.params(init.snippet, init.params, set(), "").egps(var.extra_global_params)
    env.writable("value", "value", var.type)
    compiled = statements(init.snippet.var_init_code, env,
                          f"{owner} variable '{var.name}' init (snippet '{init.snippet.class_name}') var_init_code")
    return Code(compiled.c, compiled.uses_rng, strm)


def _where(var, owner: str) -> str:
    return f"variable '{var.name}' of {owner} (var_init_code of snippet '{var.init_values.snippet.class_name}')"


def _ctype(plan: ModelPlan, type_name: str) -> str:
    from ...api import types

    return types.c_name(plan.resolve(type_name))


def _per_element(var) -> bool:
    """One value per element (neuron or synapse); ``Variable.dims`` reads custom updates' subtractive dims."""
    return bool(var.dims & VarAccessDim.ELEMENT)


def _elements(plan: ModelPlan, target: Target, group, variables, prefix: str, n: int, owner: str,
              slots: int = 1) -> list[VarInitCode]:
    out = []
    for v in variables:
        if not isinstance(v.init_values, VarInit):
            continue
        env = Environment(plan, target, time=False).element("neuron", num_neurons=n)
        count = n if _per_element(v) else 1
        code = _var_init(plan, target, v, f"{owner} '{group.name}'", env, stream(group, f"init/{v.name}"))
        out.append(VarInitCode("element", f"{prefix}{c_ident(v.name)}", _ctype(plan, v.type), code, count,
                               slots if plan.is_delayed(v) else 1, where=_where(v, f"{owner} '{group.name}'")))
    return out


def _synapse_vars(plan: ModelPlan, target: Target, group, sg: SynapseGroup, owner: str,
                  per_synapse_too: bool = True) -> tuple[list, list]:
    """Per-synapse variables of a synapse group (or of a custom update over its synapses): those of one
    shared value, and (unless they are initialised elsewhere) those with one value per synapse."""
    shared, per_synapse = [], []
    p = plan.prefix(group)
    for v in group.vars.values():
        if not isinstance(v.init_values, VarInit):
            continue
        strm = stream(group, f"init/{v.name}")
        if not _per_element(v):
            code = _var_init(plan, target, v, owner, Environment(plan, target, time=False), strm)
            shared.append(VarInitCode("element", f"{p}_{c_ident(v.name)}", _ctype(plan, v.type), code,
                                      where=_where(v, owner)))
            continue
        if not per_synapse_too or plan.connectivity[sg].procedural_weights:
            continue
        env = Environment(plan, target, time=False).element("synapse", num_pre=sg.src.num_neurons,
                                                            num_post=sg.trg.num_neurons)
        env.namespace.symbols.pop("id_syn")
        if plan.connectivity[sg].synapse_index == "id_kernel":  # kernel weights: one value per kernel entry
            env.namespace.symbols.pop("id_pre")
            env.namespace.symbols.pop("id_post")
            env.readonly("id_kernel", "id_kernel", "unsigned int")
        code = _var_init(plan, target, v, owner, env, strm)
        per_synapse.append(VarInitCode("synapse", f"{p}_{c_ident(v.name)}", _ctype(plan, v.type), code,
                                       group=synapse_layout(plan, sg), where=_where(v, owner)))
    return shared, per_synapse


def _kernel_inits(plan: ModelPlan, target: Target, sg: SynapseGroup) -> list[tuple[str, Code, str]]:
    """Per-synapse variables of a kernel-based connectivity snippet (``Conv2D``), initialised as each synapse is
    added, when its kernel entry (``id_kernel``) is known: (array, code, C type) for each."""
    out = []
    for v in sg.vars.values():
        if isinstance(v.init_values, VarInit) and _per_element(v):
            env = (Environment(plan, target, time=False).element("synapse", num_pre=sg.src.num_neurons,
                                                     num_post=sg.trg.num_neurons)
                   .readonly("id_kernel", "id_kernel", "unsigned int"))
            env.namespace.symbols.pop("id_syn")
            code = _var_init(plan, target, v, f"synapse population '{sg.name}'", env, stream(sg, f"init/{v.name}"))
            out.append((f"{plan.prefix(sg)}_{c_ident(v.name)}", code, _ctype(plan, v.type)))
    return out


def _add_synapse_with_kernel(p: str, row: bool, kernel: tuple[int, ...], inits) -> Function:
    """``addSynapse(j, k...)`` that also initialises the synapse's variables from its kernel entry."""
    def emit(a: list[str]) -> str:
        pre, post = ("id_pre", f"(uint32_t)({a[0]})") if row else (f"(uint32_t)({a[0]})", "id_post")
        lines = ["{", f"const uint32_t gn_pre = {pre}, gn_post = {post};",
                 f"const size_t gn_slot = {p}_add_synapse(gn_pre, gn_post);", "if (gn_slot != SIZE_MAX) {",
                 "const uint32_t id_pre = gn_pre, id_post = gn_post; (void)id_pre; (void)id_post;",
                 f"const uint32_t id_kernel = {kernel_index(kernel, a[1:])}; (void)id_kernel;"]
        for array, code, ctype in inits:
            lines.append("{")
            if code.rng:  # keyed as SPARSE's var-init: (pre, position in the row)
                lines.append(f"gn_rng rng; gn_rng_init(&rng, gn_seed, {code.stream}, ((uint64_t)id_pre << 32) | "
                             f"(uint64_t)(gn_slot - (size_t)id_pre * {p}_rowStride), 0);")
            lines += [f"{ctype} value = 0;", code.c, f"{array}[gn_slot] = value;", "}"]
        return "\n".join(lines + ["}", "}"])
    return Function(emit, (1 + len(kernel),), block=True)


def connectivity_environment(plan: ModelPlan, target: Target, sg: SynapseGroup) -> Environment:
    """The names of a sparse connectivity snippet's build code (without ``addSynapse``)."""
    init = sg.connectivity_initialiser
    snip = init.snippet
    env = (Environment(plan, target, time=False).params(snip, init.params, set(), plan.prefix(sg) + "_conn")
           .egps(sg.connectivity_extra_global_params))
    for name, val in (("num_pre", sg.src.num_neurons), ("num_post", sg.trg.num_neurons), ("num_threads", 1),
                      ("id_thread", 0), ("id_pre_begin", 0), ("id_post_begin", 0)):
        env.constant(name, val, "unsigned int")
    index = "id_pre" if snip.row_build_code else "id_post"
    return env.readonly(index, index, "unsigned int")


def procedural_values(plan: ModelPlan, target: Target, sg: SynapseGroup,
                      key: str = "((uint64_t)id_pre << 32) | id_post") -> list[str]:
    """C that computes every per-synapse variable of procedural weights for synapse (``id_pre``, ``id_post``)
    into the locals ``gn_pw_<name>``: the variable's init snippet with its own random stream (keyed by the
    synapse's element ``key``), so the values are the same each time the synapse is regenerated."""
    lines = []
    for v in sg.vars.values():
        if not _per_element(v):
            continue
        local, ctype = f"gn_pw_{c_ident(v.name)}", _ctype(plan, v.type)
        if not isinstance(v.init_values, VarInit):
            lines.append(f"const {ctype} {local} = {literal(v.init_values, plan.resolve(v.type))};")
            continue
        env = Environment(plan, target, time=False).element("synapse", num_pre=sg.src.num_neurons,
                                                            num_post=sg.trg.num_neurons)
        env.namespace.symbols.pop("id_syn")
        code = _var_init(plan, target, v, f"synapse population '{sg.name}'", env, stream(sg, f"init/{v.name}"))
        lines += [f"{ctype} {local};", "{"]
        if code.rng:  # part of the wiring: the same in every batch instance
            lines.append(f"gn_rng rng; gn_rng_init(&rng, gn_wiring_seed, {code.stream}, {key}, 0);")
        lines += [f"{ctype} value = 0;", code.c, f"{local} = value;", "}"]
    return lines


def _connectivity_build(plan: ModelPlan, target: Target, sg: SynapseGroup, kernel_inits) -> ConnectivityBuild:
    snip = sg.connectivity_initialiser.snippet
    p = plan.prefix(sg)
    env = connectivity_environment(plan, target, sg)
    row = bool(snip.row_build_code)
    if sg.kernel_size:
        add = _add_synapse_with_kernel(p, row, tuple(sg.kernel_size), kernel_inits)
    elif row:
        add = Function(lambda a: f"GN_ADD_SYNAPSE({p}, id_pre, {a[0]})", (1,))
    else:
        add = Function(lambda a: f"GN_ADD_SYNAPSE({p}, {a[0]}, id_post)", (1,))
    env.function("addSynapse", add)
    field_name = "row_build_code" if row else "col_build_code"
    compiled = statements(snip.row_build_code or snip.col_build_code, env,
                          f"Synapse group '{sg.name}' (snippet '{snip.class_name}') {field_name}")
    return ConnectivityBuild(p, sg.name, row, sg.src.num_neurons if row else sg.trg.num_neurons,
                             Code(compiled.c, compiled.uses_rng, stream(sg, "connectivity")))


def describe(plan: ModelPlan, target: Target) -> Initialisation:
    before, builds, after = [], [], []
    for ng in plan.neurons:
        before += _elements(plan, target, ng, ng.vars.values(), f"{plan.prefix(ng)}_", ng.num_neurons,
                            "neuron population", plan.slots(ng))
    for cs in plan.current_sources:
        before += _elements(plan, target, cs, cs.vars.values(), f"{plan.prefix(cs)}_", cs.pop.num_neurons,
                            "current source")
    for sg in plan.synapses:
        p = plan.prefix(sg)
        held = {part: plan.fused_into(sg, part) is sg for part in ("pre", "post", "ps")}  # else fused: shared
        before += _elements(plan, target, sg, sg.pre_vars.values() if held["pre"] else (), f"{p}_pre_",
                            sg.src.num_neurons, "synapse population", plan.slots(sg.src))
        before += _elements(plan, target, sg, sg.post_vars.values() if held["post"] else (), f"{p}_post_",
                            sg.trg.num_neurons, "synapse population", plan.slots(sg.trg))
        before += _elements(plan, target, sg, sg.psm_vars.values() if held["ps"] else (), f"{p}_psm_",
                            sg.trg.num_neurons, "synapse population")
        kernel_inits = []
        if sg.kernel_size and plan.connectivity[sg].builds_on_device():  # initialised as synapses are added
            kernel_inits = _kernel_inits(plan, target, sg)
        shared, per_synapse = _synapse_vars(plan, target, sg, sg, f"synapse population '{sg.name}'",
                                            per_synapse_too=not kernel_inits)
        before += shared
        (after if plan.connectivity[sg].init_after_connectivity else before).extend(per_synapse)
        if plan.connectivity[sg].builds_on_device():
            builds.append(_connectivity_build(plan, target, sg, kernel_inits))
    for cu in plan.custom_updates:
        if cu._attached_to_synapses():
            sg = cu.synapse_group
            shared, per_synapse = _synapse_vars(plan, target, cu, sg, f"custom update '{cu.name}'")
            before += shared
            (after if plan.connectivity[sg].init_after_connectivity else before).extend(per_synapse)
        else:
            before += _elements(plan, target, cu, cu.vars.values(), f"{plan.prefix(cu)}_", cu.num_elements,
                                "custom update")
    for ccu in plan.custom_connectivity_updates:
        sg, p = ccu.synapse_group, plan.prefix(ccu)
        owner = f"custom connectivity update '{ccu.name}'"
        before += _elements(plan, target, ccu, ccu.pre_vars.values(), f"{p}_pre_", sg.src.num_neurons,
                            "custom connectivity update")
        before += _elements(plan, target, ccu, ccu.post_vars.values(), f"{p}_post_", sg.trg.num_neurons,
                            "custom connectivity update")
        shared, per_synapse = _synapse_vars(plan, target, ccu, sg, owner)
        before += shared
        after += per_synapse
    return Initialisation(tuple(before), tuple(builds), tuple(after))
