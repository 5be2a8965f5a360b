"""The presynaptic update kernel: spike and spike-like-event code over the rows of the neurons that fired."""

from __future__ import annotations

from dataclasses import dataclass

from ...api.enums import ParallelismHint
from ...api.groups import SynapseGroup
from ..environment import Target, context, is_element
from ..plan import ModelPlan
from .common import Code, SynapseGroupLayout, code, statements, synapse_layout
from .synapse_code import KIND, synapse_environment


@dataclass(frozen=True)
class PresynapticUpdate:
    group: SynapseGroupLayout
    spike: Code           # pre_spike_syn_code, for the rows of neurons that spiked
    event: Code           # pre_event_syn_code, for the rows of neurons with a spike-like event
    presynaptic_span: bool  # CUDA: one thread per spike (ParallelismHint.PRESYNAPTIC) instead of per row entry
    spike_walk: str = ""  # Toeplitz connectivity: one diagonal's work for spikes (connectivity.Toeplitz)
    event_walk: str = ""
    by_target: bool = False  # OpenMP: threads share the rows by postsynaptic neuron (see _splits_by_target)
    reads_source: bool = False  # the code reads its source's state, which the same step's neuron update writes


def describe(plan: ModelPlan, target: Target, sg: SynapseGroup) -> PresynapticUpdate | None:
    wu = sg.wu_model
    if not (wu.pre_spike_syn_code or wu.pre_event_syn_code):
        return None
    env = synapse_environment(plan, target, sg)
    spike = statements(wu.pre_spike_syn_code, env, context(KIND, sg, wu, "pre_spike_syn_code"))
    event = statements(wu.pre_event_syn_code, env, context(KIND, sg, wu, "pre_event_syn_code"))
    if not (spike.c or event.c):
        return None
    spike_code, event_code = code(spike, sg, "pre_spike"), code(event, sg, "pre_event")
    walks = {}
    conn = plan.connectivity[sg]
    walk = getattr(conn, "presynaptic_walk", None)  # matrix types without stored rows compile their own walk
    if walk is not None:
        p, src = plan.prefix(sg), plan.prefix(sg.src)
        walks = {"spike_walk": walk(plan, target, spike_code, f"{src}_spkCnt", f"{src}_spk") if spike_code else "",
                 "event_walk": walk(plan, target, event_code, f"{p}_evCnt", f"{p}_ev") if event_code else ""}
    pre_span = {"rows": sg.parallelism_hint == ParallelismHint.PRESYNAPTIC, "spikes": True,
                "diagonals": False}[conn.presynaptic_threads]
    return PresynapticUpdate(synapse_layout(plan, sg), spike_code, event_code, pre_span, **walks,
                             by_target=_splits_by_target(conn, sg, (spike, event)),
                             reads_source=_reads_source(sg, (spike, event)))


def _splits_by_target(conn, sg: SynapseGroup, compiled) -> bool:
    """Whether threads may share this group's presynaptic update by postsynaptic neuron: its rows can be walked
    for a range of targets, and the code writes nothing but its target's input (``addToPost``,
    ``addToPostDelay``) and, where a thread's targets are contiguous in the row (DENSE), the synapse's own
    variables; never its source's input (``addToPre``) or anything shared.  Each target's input is then summed
    in spike order, as on one thread, so the results are bit-identical.  (On SPARSE rows the targets of two
    threads interleave: plastic synapses stay on one thread rather than share cache lines.)"""
    own = {v.name for v in sg.vars.values() if is_element(v.access)} if conn.contiguous_targets else set()
    return conn.splits_by_target and all(
        "addToPre" not in c.info.functions_used and c.info.names_written <= own for c in compiled)


#: the source's spike times, as synapse code names them (``synapse_code.synapse_environment``)
_SOURCE_TIMES = frozenset({"st_pre", "prev_st_pre", "set_pre", "prev_set_pre"})


def _reads_source(sg: SynapseGroup, compiled) -> bool:
    """Whether the code reads state of its presynaptic neurons (their spike times, presynaptic variables,
    presynaptic neuron variable references): the neuron update writes it, so with threads sharing the rows by
    target the neuron update may start only when every thread has walked its rows."""
    source = _SOURCE_TIMES | set(sg.pre_vars) | {r.name for r in sg.wu_model.pre_neuron_var_refs}
    return any(c.info.names_used & source for c in compiled)
