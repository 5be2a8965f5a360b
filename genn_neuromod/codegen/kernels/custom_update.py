"""The custom update kernel: ``update_code`` over the elements of the group a custom update is attached to.

A custom update runs over neurons (its references point at per-neuron variables) or over the synapses of
one synapse group (a weight-update variable reference).  Variables and references are loaded into locals
and written back; reductions (``REDUCE_SUM``/``REDUCE_MAX``) accumulate over neurons into one value, or
over batch instances; ``Transpose`` references also write the transposed synapse.  The references were
checked when the update was added (:class:`~genn_neuromod.api.groups.CustomUpdate`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...api.enums import VarAccessDim, VarAccessMode, get_var_access_mode
from ...api.groups import CustomUpdate
from ...api.refs import VarReference, reference_type_and_dims
from ..environment import Environment, Target, context, is_element, stream
from ..plan import ModelPlan, c_ident
from .common import Code, SynapseGroupLayout, statements, synapse_layout


@dataclass(frozen=True)
class Reduction:
    """A reduction over the elements: ``local`` accumulates (sum or max) into ``target``."""

    target: str
    local: str
    ctype: str
    is_sum: bool


@dataclass(frozen=True)
class BatchReduction:
    """A reduction over batch instances: ``local`` accumulates, ``store`` writes the result."""

    local: str
    ctype: str
    is_sum: bool
    store: str


@dataclass(frozen=True)
class CustomUpdateKernel:
    prefix: str
    name: str
    group: str                         # the update group (``model.custom_update(group)``)
    synapses: SynapseGroupLayout | None  # set when the update runs over a synapse group's synapses
    n: int                             # elements of a neuron custom update
    loads: tuple[str, ...]
    code: Code
    stores: tuple[str, ...]            # write-backs (transposes included)
    reductions: tuple[Reduction, ...]
    batch_reductions: tuple[BatchReduction, ...]
    reduce_kind: str                   # "", "neuron" or "batch"
    batched_refs: bool                 # a reference targets a variable with one value per batch

    @property
    def plain_stores(self) -> tuple[str, ...]:
        """Write-backs that are not the result of a batch reduction."""
        reduced = {r.store for r in self.batch_reductions}
        return tuple(s for s in self.stores if s not in reduced)


def _ref_delay(plan: ModelPlan, ref: VarReference) -> tuple[int, int]:
    """Delay slots and elements per slot of a referenced variable (1 slot if not delayed)."""
    g = ref.group
    if ref.kind == "neuron":
        v = g.vars[ref.var_name]
        return (plan.slots(g) if plan.is_delayed(v) else 1), (g.num_neurons if is_element(v.access) else 1)
    if ref.kind in ("wu_pre", "wu_post", "psm"):
        v = {"wu_pre": g.pre_vars, "wu_post": g.post_vars, "psm": g.psm_vars}[ref.kind][ref.var_name]
        pop = g.src if ref.kind == "wu_pre" else g.trg
        return (plan.slots(pop) if plan.is_delayed(v) else 1), (pop.num_neurons if is_element(v.access) else 1)
    if ref.kind == "den_delay":
        return g.max_dendritic_delay_timesteps, g.trg.num_neurons
    if ref.kind in ("spike_time", "prev_spike_time"):
        return plan.slots(g), g.num_neurons
    return 1, 1


def _ref_target(plan: ModelPlan, ref: VarReference, idx: str) -> tuple[str, str, bool]:
    """Array, index and whether the target has one value per element."""
    g = ref.group
    gp = plan.prefix(g)
    k = ref.kind
    if k == "neuron":
        v = g.vars[ref.var_name]
        off = f"(size_t){gp}_spkQuePtr[0] * {g.num_neurons}u + " if plan.is_delayed(v) else ""
        elem = is_element(v.access)
        return f"{gp}_{c_ident(v.name)}", (off + idx) if elem else "0", elem
    if k in ("spike_time", "prev_spike_time"):
        off = f"(size_t){gp}_spkQuePtr[0] * {g.num_neurons}u + " if plan.slots(g) > 1 else ""
        return f"{gp}_{ref.var_name}", off + idx, True
    if k in ("current_source", "wu"):
        v = g.vars[ref.var_name]
        return f"{gp}_{c_ident(v.name)}", idx if is_element(v.access) else "0", is_element(v.access)
    if k == "psm":
        v = g.psm_vars[ref.var_name]
        elem = is_element(v.access)
        delayed = plan.is_delayed(v)
        off = f"(size_t){plan.prefix(g.trg)}_spkQuePtr[0] * {g.trg.num_neurons if elem else 1}u + " if delayed else ""
        return f"{plan.state_prefix(g, 'ps')}_psm_{c_ident(v.name)}", off + (idx if elem else "0"), elem
    if k == "out_post":
        return f"{plan.state_prefix(g, 'ps')}_outPost", idx, True
    if k == "den_delay":  # the slot being delivered now
        hp = plan.state_prefix(g, "ps")
        return f"{hp}_denDelay", f"(size_t){hp}_denDelayPtr[0] * {g.trg.num_neurons}u + {idx}", True
    if k in ("wu_pre", "wu_post"):
        side = k[3:]
        v = (g.pre_vars if side == "pre" else g.post_vars)[ref.var_name]
        pop = g.src if side == "pre" else g.trg
        elem = is_element(v.access)
        off = (f"(size_t){plan.prefix(pop)}_spkQuePtr[0] * {pop.num_neurons if elem else 1}u + "
               if plan.is_delayed(v) else "")
        return f"{plan.state_prefix(g, side)}_{side}_{c_ident(v.name)}", off + (idx if elem else "0"), elem
    if k == "custom_update":
        v = g.vars[ref.var_name]
        elem = not (int(v.access) & VarAccessDim.ELEMENT)
        return f"{gp}_{c_ident(v.name)}", idx if elem else "0", elem
    if k in ("ccu", "ccu_pre", "ccu_post"):
        v = {"ccu": g.vars, "ccu_pre": g.pre_vars, "ccu_post": g.post_vars}[k][ref.var_name]
        arr = f"{gp}_{'' if k == 'ccu' else k[4:] + '_'}{c_ident(v.name)}"
        return arr, idx if is_element(v.access) else "0", is_element(v.access)
    raise AssertionError(f"unknown reference kind '{k}'")  # references are made by the create_*_ref functions


def _ctype(plan: ModelPlan, type_name: str) -> str:
    from ...api import types

    return types.c_name(plan.resolve(type_name))


def describe(plan: ModelPlan, target: Target, cu: CustomUpdate) -> CustomUpdateKernel:
    p, m = plan.prefix(cu), cu.model
    env = Environment(plan, target).params(m, cu.params, cu.dynamic_params, p).egps(cu.extra_global_params)
    for r in m.extra_global_param_refs:
        ref = cu.egp_refs[r.name]
        table = {"group": ref.group.extra_global_params, "psm": getattr(ref.group, "psm_extra_global_params", {}),
                 "wu": ref.group.extra_global_params}[ref.kind]
        env.egps({r.name: table[ref.egp_name]})
    syn = cu._attached_to_synapses()
    loads, stores, reductions, batch_reductions = [], [], [], []
    batched_refs = False
    kinds: set[str] = set()
    if syn:
        sg = cu.synapse_group
        env.element("synapse", num_pre=sg.src.num_neurons, num_post=sg.trg.num_neurons)
        idx, n = "id_syn", 0
    else:
        sg = None
        n = cu.num_elements
        env.element("neuron", num_neurons=n)
        idx = "id"
    for v in cu.vars.values():
        arr, loc, ct = f"{p}_{c_ident(v.name)}", f"lcu_{c_ident(v.name)}", _ctype(plan, v.type)
        acc = int(v.access)
        mode = get_var_access_mode(acc)
        shared = bool(acc & VarAccessDim.ELEMENT)  # 'subtractive' dims: ELEMENT removed => one value
        if mode in (VarAccessMode.REDUCE_SUM, VarAccessMode.REDUCE_MAX):
            is_sum = mode == VarAccessMode.REDUCE_SUM
            loads.append(f"{ct} {loc} = {'0' if is_sum else '-INFINITY'};")
            if shared:
                reductions.append(Reduction(arr + "[0]", loc, ct, is_sum))
                kinds.add("neuron")
            else:
                stores.append(f"{arr}[{idx}] = {loc};")
                batch_reductions.append(BatchReduction(loc, ct, is_sum, stores[-1]))
                kinds.add("batch")
            env.writable(v.name, loc, v.type, write_only=True)
        else:
            loads.append(f"{ct} {loc} = {arr}[{'0' if shared else idx}];")
            if mode != VarAccessMode.READ_ONLY and not shared:
                stores.append(f"{arr}[{idx}] = {loc};")
            env.var(v.name, loc, v.type, acc)
    transposes = []
    for r in m.var_refs:
        ref = cu.var_refs[r.name]
        target_arr, target_idx, element = _ref_target(plan, ref, idx)
        loc, ct = f"lref_{c_ident(r.name)}", _ctype(plan, r.type)
        mode = VarAccessMode(int(r.access))
        batched_refs |= bool(reference_type_and_dims(ref)[1] & VarAccessDim.BATCH)
        if mode in (VarAccessMode.REDUCE_SUM, VarAccessMode.REDUCE_MAX):
            is_sum = mode == VarAccessMode.REDUCE_SUM
            kinds.add("batch" if element else "neuron")
            loads.append(f"{ct} {loc} = {'0' if is_sum else '-INFINITY'};")
            if element:
                stores.append(f"{target_arr}[{target_idx}] = {loc};")
                batch_reductions.append(BatchReduction(loc, ct, is_sum, stores[-1]))
            else:
                reductions.append(Reduction(f"{target_arr}[0]", loc, ct, is_sum))
            env.writable(r.name, loc, r.type, write_only=True)
        else:
            loads.append(f"{ct} {loc} = {target_arr}[{target_idx}];")
            slots, n_el = _ref_delay(plan, ref)
            if mode == VarAccessMode.BROADCAST and slots > 1:  # write every delay slot
                i = idx if element else "0"
                stores.append(f"for (uint32_t d = 0; d < {slots}u; d++) {target_arr}[d * {n_el}u + {i}] = {loc};")
            elif mode != VarAccessMode.READ_ONLY:
                stores.append(f"{target_arr}[{target_idx}] = {loc};")
            env.reference(r.name, loc, r.type, mode != VarAccessMode.READ_ONLY)
        if ref.transpose_group is not None:
            transposes.append(f"{plan.prefix(ref.transpose_group)}_{c_ident(ref.transpose_var_name)}"
                              f"[id_post * {sg.src.num_neurons}u + id_pre] = {loc};")
    compiled = statements(m.update_code, env, context("Custom update", cu, m, "update_code"))
    return CustomUpdateKernel(
        prefix=p, name=cu.name, group=cu.update_group_name,
        synapses=synapse_layout(plan, sg) if syn else None, n=n, loads=tuple(loads),
        code=Code(compiled.c, compiled.uses_rng, stream(cu, "update")), stores=tuple(stores + transposes),
        reductions=tuple(reductions), batch_reductions=tuple(batch_reductions),
        reduce_kind=next(iter(kinds), ""), batched_refs=batched_refs)
