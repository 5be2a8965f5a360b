"""What every runtime does with the views it keeps: look them up, pick the current delay slot, report layouts."""

from __future__ import annotations

import numpy as np

from ..api.arrays import ArrayBase, Variable
from ..api.groups import NeuronGroup, SynapseGroup
from ..codegen import ModelPlan
from ..codegen.connectivity import HostLayout
from ..compiler.errors import ModelError


class HostViews:
    """A runtime's map from the model's arrays to host arrays, and the connectivity layouts of its groups.

    Subclasses fill ``views`` and ``layouts`` and implement :meth:`delay_slot`; :meth:`_batched` says whether a
    view has a leading batch axis.
    """

    plan: ModelPlan
    views: dict[ArrayBase, np.ndarray]
    layouts: dict[SynapseGroup, HostLayout]

    def delay_slot(self, group: NeuronGroup) -> int:
        raise NotImplementedError

    def _batched(self, array: ArrayBase) -> bool:
        return False

    def view(self, array: ArrayBase) -> np.ndarray:
        try:
            return self.views[array]
        except KeyError:
            sg = getattr(array.group, "synapse_group", None)
            if sg is not None and sg in self.plan.connectivity and self.plan.connectivity[sg].procedural_weights:
                raise ModelError(f"'{array.name}' of '{array.group.name}' is a procedural weight "
                                 f"({sg.matrix_type.name}): it is recomputed for each synapse and never stored, so "
                                 "it has no values to read") from None
            raise ModelError(f"'{array.name}' of '{array.group.name}' is not an array of this model") from None

    def current_view(self, var: Variable) -> np.ndarray:
        """The current delay slot of a delayed variable (of every batch instance: the slot axis follows the
        batch axis); the whole view when it is not delayed."""
        view = self.view(var)
        if not self.plan.is_delayed(var):
            return view
        slot = self.delay_slot(self.plan.delay_owner(var.group, var))
        return view[:, slot] if self._batched(var) else view[slot]

    def exposes_view(self, sg: SynapseGroup) -> bool:
        return self.plan.connectivity[sg].exposes_view

    def host_layout(self, sg: SynapseGroup) -> HostLayout:
        return self.layouts[sg]
