"""Which arrays a batched model keeps once per batch instance (GeNN's ``VarAccessDim.BATCH``), for every target.

With ``model.batch_size`` B > 1, a variable whose access has the BATCH dimension, every spike queue, spike
time, recording buffer and postsynaptic input has B copies, one after another; connectivity, extra global
parameters (unless marked ``per_instance``), dynamic parameters and shared (``..._SHARED``) variables have one.
A custom update runs once per instance when one of its references targets a batched variable, and its own
variables follow it.
"""

from __future__ import annotations

from ..api.enums import VarAccessDim
from ..api.groups import CurrentSource, CustomUpdate, NeuronGroup
from ..api.refs import reference_type_and_dims
from .plan import ArraySpec, ModelPlan

_BATCHED_INTERNAL = {"spkCnt", "spk", "spkFlag", "evCnt", "ev", "evFlag", "pevCnt", "pev", "pevFlag"}
_BATCHED_ROLES = {"st", "prev_st", "recording", "out_post", "out_pre", "den_delay", "event_time"}


def batch_size(model) -> int:
    return max(int(model.batch_size), 1)


def custom_update_batched(cu: CustomUpdate, batch_size: int) -> bool:
    """GeNN's rule: a custom update runs per batch instance when one of its references targets a batched var."""
    if batch_size <= 1:
        return False
    return any(reference_type_and_dims(ref)[1] & VarAccessDim.BATCH for ref in cu.var_refs.values())


def array_batched(spec: ArraySpec, batch_size: int) -> bool:
    """Whether an array has one copy per batch instance."""
    if batch_size <= 1:
        return False
    owner, role = spec.owner, spec.role
    if role == "var" and isinstance(owner, CustomUpdate):
        access = int(owner.vars[spec.name].access)
        return custom_update_batched(owner, batch_size) and not access & VarAccessDim.BATCH
    if role == "var" and isinstance(owner, (NeuronGroup, CurrentSource)):
        return bool(int(owner.vars[spec.name].access) & VarAccessDim.BATCH)
    if role in ("wu_var", "pre_var", "post_var", "psm_var"):
        table = {"wu_var": owner.vars, "pre_var": owner.pre_vars, "post_var": owner.post_vars,
                 "psm_var": owner.psm_vars}[role]
        return bool(int(table[spec.name].access) & VarAccessDim.BATCH)
    if role == "egp":
        return spec.per_instance
    if role == "internal":
        return spec.name in _BATCHED_INTERNAL
    return role in _BATCHED_ROLES


def batched_arrays(plan: ModelPlan) -> frozenset[str]:
    """C names of the arrays with one copy per instance (empty without batches)."""
    b = batch_size(plan.model)
    return frozenset(spec.cname for spec in plan.arrays if array_batched(spec, b))
