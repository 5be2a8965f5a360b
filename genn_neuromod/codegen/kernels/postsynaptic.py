"""The postsynaptic learning kernel: ``post_event_syn_code`` over the columns of the neurons with a postsynaptic
spike-like event, then ``post_spike_syn_code`` over the columns of the neurons that fired."""

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
    code: Code    # post_spike_syn_code
    event: Code   # post_event_syn_code


def describe(plan: ModelPlan, target: Target, sg: SynapseGroup) -> PostsynapticUpdate | None:
    wu = sg.wu_model
    if not (wu.post_spike_syn_code or wu.post_event_syn_code):
        return None
    env = synapse_environment(plan, target, sg)
    spike = statements(wu.post_spike_syn_code, env, context(KIND, sg, wu, "post_spike_syn_code"))
    event = statements(wu.post_event_syn_code, env, context(KIND, sg, wu, "post_event_syn_code"))
    if not (spike.c or event.c):
        return None
    return PostsynapticUpdate(synapse_layout(plan, sg), code(spike, sg, "post_spike"), code(event, sg, "post_event"))
