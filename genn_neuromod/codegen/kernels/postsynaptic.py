"""The postsynaptic learning kernel: ``post_spike_syn_code`` over the columns of the neurons that fired."""

from __future__ import annotations

from dataclasses import dataclass

from ...api.groups import SynapseGroup
from ..environment import Target, context
from ..plan import ModelPlan
from .common import Code, SynapseGroupLayout, code, statements, synapse_layout
from .synapse_code import KIND, synapse_environment


@dataclass(frozen=True)
class PostsynapticUpdate:
    group: SynapseGroupLayout
    code: Code


def describe(plan: ModelPlan, target: Target, sg: SynapseGroup) -> PostsynapticUpdate | None:
    wu = sg.wu_model
    if not wu.post_spike_syn_code:
        return None
    env = synapse_environment(plan, target, sg)
    compiled = statements(wu.post_spike_syn_code, env, context(KIND, sg, wu, "post_spike_syn_code"))
    if not compiled.c:
        return None
    return PostsynapticUpdate(synapse_layout(plan, sg), code(compiled, sg, "post_spike"))
