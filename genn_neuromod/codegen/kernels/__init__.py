"""One module per kernel kind; each compiles its code fields and returns a frozen description for its templates.

* :mod:`.neuron`            neuron update (with postsynaptic models, current sources, weight-update pre/post code)
* :mod:`.synapse_dynamics`  synapse dynamics
* :mod:`.presynaptic`       presynaptic spike and spike-like-event code
* :mod:`.postsynaptic`      postsynaptic learning
* :mod:`.init`              variable initialisation and sparse connectivity
* :mod:`.custom_update`     custom updates and reductions

:func:`describe_model` runs them all over a plan, for one :class:`~..environment.Target`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...api.groups import SynapseGroup
from ..environment import Target, literal
from ..plan import ModelPlan, c_ident
from . import custom_connectivity_update, custom_update, init, neuron, postsynaptic, presynaptic, synapse_dynamics
from .common import Code, SynapseGroupLayout, synapse_layout
from .custom_connectivity_update import CustomConnectivityUpdateKernel
from .custom_update import CustomUpdateKernel
from .init import Initialisation
from .neuron import NeuronUpdate
from .postsynaptic import PostsynapticUpdate
from .presynaptic import PresynapticUpdate
from .synapse_dynamics import SynapseDynamics

__all__ = ["Code", "CustomConnectivityUpdateKernel", "CustomUpdateKernel", "DendriticDelay", "DynamicParam",
           "Initialisation", "ModelKernels",
           "NeuronUpdate", "PostsynapticUpdate", "PresynapticUpdate", "SynapseDynamics", "SynapseGroupLayout",
           "describe_model"]


@dataclass(frozen=True)
class DendriticDelay:
    """A synapse group whose ``addToPostDelay`` ring buffer advances one slot per step."""

    prefix: str
    max_delay: int


@dataclass(frozen=True)
class DynamicParam:
    """A parameter made dynamic: a global the runtime sets."""

    cname: str
    ctype: str
    value: str


@dataclass(frozen=True)
class ModelKernels:
    """Every kernel of a model, described for one target."""

    name: str
    neurons: tuple[NeuronUpdate, ...]
    synapse_dynamics: tuple[SynapseDynamics, ...]
    presynaptic: tuple[PresynapticUpdate, ...]
    postsynaptic: tuple[PostsynapticUpdate, ...]
    dendritic_delays: tuple[DendriticDelay, ...]
    init: Initialisation
    custom_updates: tuple[CustomUpdateKernel, ...]
    custom_connectivity_updates: tuple[CustomConnectivityUpdateKernel, ...]
    custom_update_groups: tuple[str, ...]    # of custom updates and custom connectivity updates
    dynamic_params: tuple[DynamicParam, ...]
    synapse_groups: tuple[SynapseGroupLayout, ...]  # every synapse group (their connectivity's globals)
    needs_column_index: frozenset[str]       # synapse groups (by name) whose learning walks a column index

    @property
    def presynaptic_by_target(self) -> bool:
        """OpenMP: every thread walks the spiking rows for its own postsynaptic neurons. Only where every group
        allows it (``PresynapticUpdate.by_target``) and no learning follows: a serial part would add a barrier and
        idle the other threads anyway (measured slower)."""
        return bool(self.presynaptic) and not self.postsynaptic and all(u.by_target for u in self.presynaptic)

    @property
    def neuron_update_waits(self) -> bool:
        """OpenMP: the neuron update starts at a barrier of its own.  Every other kernel of the step ends at one,
        and where threads share the presynaptic update by target a thread goes on from its share of it to its
        share of the neuron update at once (the same postsynaptic neurons; its spikes go to a list of its own
        until the step's end), unless the synapse code reads its source's state, which the neuron update writes."""
        return self.presynaptic_by_target and any(u.reads_source for u in self.presynaptic)


def _dynamic_params(plan: ModelPlan) -> tuple[DynamicParam, ...]:
    from ...api import types

    out = []
    for g in (plan.neurons + plan.current_sources + plan.custom_updates + plan.synapses
              + plan.custom_connectivity_updates):
        model = g.wu_model if isinstance(g, SynapseGroup) else g.model
        tables = [(model, g.params, g.dynamic_params, "")]
        if isinstance(g, SynapseGroup):
            tables.append((g.ps_model, g.ps_params, g.ps_dynamic_params, "_ps"))
        for m, values, dynamic, suffix in tables:
            for name in sorted(dynamic):
                ptype = next(x.type for x in m.params if x.name == name)
                out.append(DynamicParam(f"{plan.prefix(g)}{suffix}_dp_{c_ident(name)}",
                                        types.c_name(plan.resolve(ptype)), literal(values[name], plan.resolve(ptype))))
    return tuple(out)


def describe_model(plan: ModelPlan, target: Target) -> ModelKernels:
    """Compile every code field of the model and describe every kernel (snippet errors surface here)."""
    neurons = tuple(neuron.describe(plan, target, ng) for ng in plan.neurons)
    dynamics = tuple(k for sg in plan.synapses if (k := synapse_dynamics.describe(plan, target, sg)))
    pre = tuple(k for sg in plan.synapses if (k := presynaptic.describe(plan, target, sg)))
    post = tuple(k for sg in plan.synapses if (k := postsynaptic.describe(plan, target, sg)))
    initialisation = init.describe(plan, target)
    updates = tuple(custom_update.describe(plan, target, cu) for cu in plan.custom_updates)
    ccus = tuple(custom_connectivity_update.describe(plan, target, c) for c in plan.custom_connectivity_updates)
    return ModelKernels(
        name=plan.model.name, neurons=neurons, synapse_dynamics=dynamics, presynaptic=pre, postsynaptic=post,
        dendritic_delays=tuple(DendriticDelay(plan.prefix(sg), sg.max_dendritic_delay_timesteps)
                               for sg in plan.synapses if sg.wu_model.mentions("addToPostDelay")
                               and plan.fused_into(sg, "ps") is sg),
        init=initialisation, custom_updates=updates, custom_connectivity_updates=ccus,
        custom_update_groups=tuple(sorted({c.group for c in updates} | {c.group for c in ccus})),
        dynamic_params=_dynamic_params(plan),
        synapse_groups=tuple(synapse_layout(plan, sg) for sg in plan.synapses),
        needs_column_index=frozenset(sg.name for sg in plan.synapses if plan.connectivity[sg].uses_column_index
                                     and any(k.group.name == sg.name for k in post)))
