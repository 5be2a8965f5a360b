"""The synapse dynamics kernel: a weight-update model's ``synapse_dynamics_code`` for every synapse, every step."""

from __future__ import annotations

import re
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
    runs: bool      # SPARSE, vectorisable and blind to which row a synapse is in (no id_pre, position or random
                    # stream): rows stored back to back (each full but the last) run as one loop


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
    simd = rows_independent and compiled.info.names_written <= own
    layout = synapse_layout(plan, sg)
    code = Code(compiled.guarded or compiled.c, compiled.uses_rng, stream(sg, "dynamics"))
    runs = simd and layout.matrix == "sparse" and not code.rng and not _ROW_NAMES.search(code.c)
    return SynapseDynamics(layout, code, compiled.guard, rows_independent, simd, runs)


#: the names of a SPARSE row loop that place a synapse in its row (``id_post`` and ``id_syn`` do not)
_ROW_NAMES = re.compile(r"\b(id_pre|rowStart|rowLength|s)\b")
