"""The synapse dynamics kernel: a weight-update model's ``synapse_dynamics_code`` for every synapse, every step."""

from __future__ import annotations

from dataclasses import dataclass

from ...api.groups import SynapseGroup
from ..environment import Target, context, is_element, stream
from ..plan import ModelPlan
from .common import Code, SynapseGroupLayout, statements, synapse_layout
from .synapse_code import KIND, synapse_environment


@dataclass(frozen=True)
class SynapseDynamics:
    """``code`` runs for every synapse; when it is one ``if`` with a uniform condition, ``guard`` is that
    condition and ``code`` its body, so the loop is skipped as a whole on the other steps."""

    group: SynapseGroupLayout
    code: Code
    guard: str
    parallel: bool  # rows are independent: no synapse accumulates into a shared target
    simd: bool      # each synapse writes only its own variables: a row vectorises


def describe(plan: ModelPlan, target: Target, sg: SynapseGroup) -> SynapseDynamics | None:
    wu = sg.wu_model
    if not wu.synapse_dynamics_code:
        return None
    env = synapse_environment(plan, target, sg)
    compiled = statements(wu.synapse_dynamics_code, env, context(KIND, sg, wu, "synapse_dynamics_code"))
    if not compiled.c:
        return None
    rows_independent = not ({"addToPost", "addToPostDelay", "addToPre"} & compiled.info.functions_used)
    own = {v.name for v in sg.vars.values() if is_element(v.access)}
    return SynapseDynamics(
        synapse_layout(plan, sg), Code(compiled.guarded or compiled.c, compiled.uses_rng, stream(sg, "dynamics")),
        compiled.guard, rows_independent, rows_independent and compiled.info.names_written <= own)
