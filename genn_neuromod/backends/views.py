"""What every runtime does with the views it keeps: look them up, pick the current delay slot, report layouts."""

from __future__ import annotations

import numpy as np

from ..api.arrays import ArrayBase, Variable
from ..api.groups import NeuronGroup, SynapseGroup
from ..codegen import ArraySpec, LoadInfo, ModelPlan
from ..codegen.connectivity import HostLayout
from ..compiler.errors import ModelError


class HostViews:
    """A runtime's map from the model's arrays to host arrays, and the connectivity layouts of its groups.

    Subclasses fill ``views`` and ``layouts`` and implement :meth:`delay_slot`.  With ``batch_size`` > 1 the arrays
    named in ``batched`` hold one copy per instance, one after another, and their views have a leading batch axis
    (PyGeNN's shapes).
    """

    plan: ModelPlan
    views: dict[ArrayBase, np.ndarray]
    layouts: dict[SynapseGroup, HostLayout]
    batch_size: int = 1
    batched: frozenset[str] = frozenset()

    def delay_slot(self, group: NeuronGroup) -> int:
        raise NotImplementedError

    def copies(self, cname: str) -> int:
        """How many copies of an array the runtime keeps (the batch size, or 1 for shared arrays)."""
        return self.batch_size if cname in self.batched else 1

    def _batched(self, array: ArrayBase) -> bool:
        return self.batch_size > 1 and self.plan.spec_of(array).cname in self.batched

    def view_shape(self, spec: ArraySpec, info: LoadInfo, size: int) -> tuple[int, ...]:
        """The shape the user sees of an array of ``size`` elements per copy."""
        shape = spec.shape(info) if spec.shape is not None else (size,)
        if self.batch_size > 1 and spec.cname in self.batched:
            shape = (self.batch_size, *(shape[1:] if spec.batch_axis else shape))
        return shape

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
