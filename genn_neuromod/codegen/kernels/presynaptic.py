"""The presynaptic update kernel: spike and spike-like-event code over the rows of the neurons that fired."""

from __future__ import annotations

from dataclasses import dataclass

from ...api.enums import ParallelismHint
from ...api.groups import SynapseGroup
from ..environment import Target, context
from ..plan import ModelPlan
from .common import Code, SynapseGroupLayout, code, statements, synapse_layout
from .synapse_code import KIND, synapse_environment


@dataclass(frozen=True)
class PresynapticUpdate:
    group: SynapseGroupLayout
    spike: Code           # pre_spike_syn_code, for the rows of neurons that spiked
    event: Code           # pre_event_syn_code, for the rows of neurons with a spike-like event
    presynaptic_span: bool  # CUDA: one thread per spike (ParallelismHint.PRESYNAPTIC) instead of per row entry


def describe(plan: ModelPlan, target: Target, sg: SynapseGroup) -> PresynapticUpdate | None:
    wu = sg.wu_model
    if not (wu.pre_spike_syn_code or wu.pre_event_syn_code):
        return None
    env = synapse_environment(plan, target, sg)
    spike = statements(wu.pre_spike_syn_code, env, context(KIND, sg, wu, "pre_spike_syn_code"))
    event = statements(wu.pre_event_syn_code, env, context(KIND, sg, wu, "pre_event_syn_code"))
    if not (spike.c or event.c):
        return None
    return PresynapticUpdate(synapse_layout(plan, sg), code(spike, sg, "pre_spike"), code(event, sg, "pre_event"),
                             sg.parallelism_hint == ParallelismHint.PRESYNAPTIC)
