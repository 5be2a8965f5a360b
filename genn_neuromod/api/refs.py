"""Variable and extra-global-parameter references (``create_var_ref`` and friends)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class VarReference:
    """A reference to a variable owned by another group.

    ``kind`` names the storage: ``"neuron"``, ``"current_source"``, ``"custom_update"``, ``"psm"``,
    ``"wu"``, ``"wu_pre"``, ``"wu_post"``, ``"spike_time"``, ``"prev_spike_time"``, ``"out_post"``.
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
    """Reference a per-synapse variable of a synapse group (or of a WU custom update)."""
    from .groups import CustomUpdate

    if isinstance(group, CustomUpdate):
        group._check_var(var_name)
        return VarReference(group, var_name, "custom_update", transpose_group, transpose_var_name)
    group._check_var(var_name, "wu")
    if transpose_group is not None:
        transpose_group._check_var(transpose_var_name, "wu")
    return VarReference(group, var_name, "wu", transpose_group, transpose_var_name)


def create_spike_time_var_ref(group) -> VarReference:
    return VarReference(group, "st", "spike_time")


def create_prev_spike_time_var_ref(group) -> VarReference:
    return VarReference(group, "prev_st", "prev_spike_time")


def create_out_post_var_ref(sg) -> VarReference:
    return VarReference(sg, "outPost", "out_post")


def create_egp_ref(group, egp_name: str) -> EGPReference:
    group._check_egp(egp_name)
    return EGPReference(group, egp_name, "group")


def create_psm_egp_ref(sg, egp_name: str) -> EGPReference:
    return EGPReference(sg, egp_name, "psm")


def create_wu_egp_ref(sg, egp_name: str) -> EGPReference:
    return EGPReference(sg, egp_name, "wu")
