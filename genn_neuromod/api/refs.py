"""Variable and extra-global-parameter references (``create_var_ref`` and friends)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class VarReference:
    """A reference to a variable owned by another group.

    ``kind`` names the storage: ``"neuron"``, ``"current_source"``, ``"custom_update"``, ``"psm"``,
    ``"wu"``, ``"wu_pre"``, ``"wu_post"``, ``"spike_time"``, ``"prev_spike_time"``, ``"out_post"``,
    ``"den_delay"``.
    """

    group: Any
    var_name: str
    kind: str
    transpose_group: Any = None
    transpose_var_name: str | None = None

    def __repr__(self) -> str:  # pragma: no cover - cosmetic
        return f"<VarReference {self.kind} {self.group.name}.{self.var_name}>"


@dataclass(frozen=True)
class EGPReference:
    group: Any
    egp_name: str
    kind: str  # "group" (the group's own EGPs), "psm" or "wu"


def create_var_ref(group, var_name: str) -> VarReference:
    """Reference a variable of a neuron population, current source or custom update."""
    from .groups import CurrentSource, CustomUpdate, NeuronGroup

    kind = {NeuronGroup: "neuron", CurrentSource: "current_source", CustomUpdate: "custom_update"}.get(type(group))
    if kind is None:
        raise TypeError(f"create_var_ref needs a neuron population, current source or custom update, "
                        f"got {type(group).__name__}; use create_wu_var_ref/create_psm_var_ref for synapses")
    group._check_var(var_name)
    return VarReference(group, var_name, kind)


def create_psm_var_ref(sg, var_name: str) -> VarReference:
    """Reference a postsynaptic-model variable of a synapse group."""
    sg._check_var(var_name, "psm")
    return VarReference(sg, var_name, "psm")


def create_wu_pre_var_ref(sg, var_name: str) -> VarReference:
    sg._check_var(var_name, "pre")
    return VarReference(sg, var_name, "wu_pre")


def create_wu_post_var_ref(sg, var_name: str) -> VarReference:
    sg._check_var(var_name, "post")
    return VarReference(sg, var_name, "wu_post")


def create_wu_var_ref(group, var_name: str, transpose_group=None, transpose_var_name: str | None = None):
    """Reference a per-synapse variable of a synapse group (or of a custom update or custom connectivity update
    over its synapses)."""
    from .groups import CustomConnectivityUpdate, CustomUpdate

    if isinstance(group, CustomUpdate):
        group._check_var(var_name)
        return VarReference(group, var_name, "custom_update", transpose_group, transpose_var_name)
    if isinstance(group, CustomConnectivityUpdate):
        group._check_var(var_name)
        return VarReference(group, var_name, "ccu")
    group._check_var(var_name, "wu")
    if transpose_group is not None:
        transpose_group._check_var(transpose_var_name, "wu")
    return VarReference(group, var_name, "wu", transpose_group, transpose_var_name)


def _require_ccu(group, function: str) -> None:
    from .groups import CustomConnectivityUpdate

    if not isinstance(group, CustomConnectivityUpdate):
        raise _model_error(f"{function}() references a variable of a custom connectivity update, not of "
                           f"{type(group).__name__} '{getattr(group, 'name', group)}'; use create_var_ref() for "
                           "neuron variables")


def create_pre_var_ref(ccu, var_name: str) -> VarReference:
    """Reference a presynaptic variable of a custom connectivity update."""
    _require_ccu(ccu, "create_pre_var_ref")
    ccu._check_var(var_name, "pre")
    return VarReference(ccu, var_name, "ccu_pre")


def create_post_var_ref(ccu, var_name: str) -> VarReference:
    """Reference a postsynaptic variable of a custom connectivity update."""
    _require_ccu(ccu, "create_post_var_ref")
    ccu._check_var(var_name, "post")
    return VarReference(ccu, var_name, "ccu_post")


def create_spike_time_var_ref(group) -> VarReference:
    return VarReference(group, "st", "spike_time")


def create_prev_spike_time_var_ref(group) -> VarReference:
    return VarReference(group, "prev_st", "prev_spike_time")


def create_out_post_var_ref(sg) -> VarReference:
    """Reference the input a synapse group has accumulated for its target neurons (``outPost``)."""
    return VarReference(sg, "outPost", "out_post")


def create_den_delay_var_ref(sg) -> VarReference:
    """Reference a synapse group's dendritic-delay ring buffer: its current slot, or every slot with
    ``VarAccessMode.BROADCAST``."""
    return VarReference(sg, "denDelay", "den_delay")


def create_egp_ref(group, egp_name: str) -> EGPReference:
    group._check_egp(egp_name)
    return EGPReference(group, egp_name, "group")


def create_psm_egp_ref(sg, egp_name: str) -> EGPReference:
    return EGPReference(sg, egp_name, "psm")


def create_wu_egp_ref(sg, egp_name: str) -> EGPReference:
    return EGPReference(sg, egp_name, "wu")


# --------------------------------------------------------------------------- checks where references are given
def _target_name(target) -> str:
    return target.var_name if isinstance(target, VarReference) else target


def reject_unknown_refs(defs, given: dict, owner: str, what: str = "variable") -> None:
    """``given`` sets only references the model declares in ``defs`` (else a clear error)."""
    names = {r.name for r in defs}
    unknown = set(given) - names
    if unknown:
        raise _model_error(f"{owner}: unknown {what} reference(s) {sorted(unknown)}; the model has "
                           f"{sorted(names) or 'none'}")


def check_neuron_var_refs(defs, given: dict, pop, owner: str) -> None:
    """Every neuron variable reference a model declares is set, to a variable of ``pop``."""
    reject_unknown_refs(defs, given, owner)
    for r in defs:
        target = given.get(r.name)
        if target is None:
            raise _model_error(f"{owner}: variable reference '{r.name}' is not set")
        if isinstance(target, VarReference) and target.group is not pop:
            raise _model_error(f"{owner}: variable reference '{r.name}' must point into '{pop.name}'")
        name = _target_name(target)
        if not isinstance(name, str) or name not in pop.vars:
            raise _model_error(f"{owner}: variable reference '{r.name}' targets unknown variable '{name}' of "
                               f"'{pop.name}' (it has {sorted(pop.vars)})")


def check_psm_var_refs(defs, given: dict, sg, owner: str) -> None:
    """Every postsynaptic-model variable reference of a weight update model names a variable of its group's
    postsynaptic model."""
    for r in defs:
        name = _target_name(given.get(r.name))
        if name not in sg.psm_vars:
            raise _model_error(f"{owner}: psm variable reference '{r.name}' targets '{name}', which its "
                               "postsynaptic model does not have")


def reference_type_and_dims(ref: VarReference):
    """Type and (additive) dimensions of the variable a reference targets (``None`` type for internal arrays)."""
    from .enums import VarAccessDim

    g, k = ref.group, ref.kind
    full = VarAccessDim.ELEMENT | VarAccessDim.BATCH
    table = {"neuron": "vars", "current_source": "vars", "wu": "vars", "psm": "psm_vars",
             "wu_pre": "pre_vars", "wu_post": "post_vars", "custom_update": "vars", "ccu": "vars",
             "ccu_pre": "pre_vars", "ccu_post": "post_vars"}.get(k)
    if table is None:
        return None, full
    v = getattr(g, table)[ref.var_name]
    if k == "custom_update":
        return v.type, full & ~VarAccessDim(int(v.access) & 0xC0)
    return v.type, VarAccessDim(int(v.access) & 0xC0)


def reference_elements(ref: VarReference) -> int:
    """The number of neurons of the group a per-neuron reference points into."""
    g = ref.group
    if ref.kind in ("neuron", "spike_time", "prev_spike_time"):
        return g.num_neurons
    if ref.kind == "current_source":
        return g.pop.num_neurons
    if ref.kind in ("psm", "wu_post", "out_post", "den_delay"):
        return g.trg.num_neurons
    if ref.kind in ("wu_pre", "ccu_pre"):
        return g.src.num_neurons if ref.kind == "wu_pre" else g.synapse_group.src.num_neurons
    if ref.kind == "ccu_post":
        return g.synapse_group.trg.num_neurons
    if ref.kind == "custom_update":
        return g.num_elements
    raise ValueError(f"reference kind '{ref.kind}' is not per neuron")


def _model_error(message: str):
    from ..compiler.errors import ModelError

    return ModelError(message)
