"""What several kernels share: compiled code fields and the layout of a synapse group's connections."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...api.groups import SynapseGroup
from ...compiler import CompiledSnippet, compile_expression, compile_statements
from ..environment import Environment, stream
from ..plan import ModelPlan


@dataclass(frozen=True)
class Code:
    """One compiled code field: its C, whether it draws random numbers, and the stream they come from."""

    c: str
    rng: bool = False
    stream: str = "0u"

    def __bool__(self) -> bool:
        return bool(self.c)


def statements(code: str | None, env: Environment, where: str) -> CompiledSnippet:
    """Compile a statement field (sim code, synapse code, ...) against an environment."""
    return compile_statements(code, env.namespace, where, env.plan.precision)


def expression(code: str | None, env: Environment, where: str) -> CompiledSnippet:
    """Compile an expression field (a threshold or event condition) against an environment."""
    return compile_expression(code, env.namespace, where, env.plan.precision)


def code(compiled: CompiledSnippet, group, field: str) -> Code:
    return Code(compiled.c, compiled.uses_rng, stream(group, field))


@dataclass(frozen=True)
class SynapseGroupLayout:
    """What the templates need to walk a synapse group: sizes, spike-queue slots, delays, matrix type.

    ``matrix`` names the connectivity macros (``templates/<backend>/connectivity/<matrix>.j2``).
    """

    prefix: str
    name: str
    matrix: str
    npre: int
    npost: int
    src: str
    trg: str
    src_slots: int
    trg_slots: int
    axonal: int
    back_prop: int
    kernel: tuple[int, ...] = ()   # kernel of a Toeplitz (or kernel-initialised) group
    diagonals: int = 0             # diagonals of a Toeplitz group

    @property
    def kernel_elements(self) -> int:
        return int(math.prod(self.kernel)) if self.kernel else 0


def synapse_layout(plan: ModelPlan, sg: SynapseGroup) -> SynapseGroupLayout:
    toeplitz = sg.toeplitz_connectivity_initialiser is not None
    return SynapseGroupLayout(
        plan.prefix(sg), sg.name, plan.connectivity[sg].name, sg.src.num_neurons, sg.trg.num_neurons,
        plan.prefix(sg.src), plan.prefix(sg.trg), plan.slots(sg.src), plan.slots(sg.trg), sg.axonal_delay_steps,
        sg.back_prop_delay_steps, tuple(sg.kernel_size), int(sg.max_connections or 0) if toeplitz else 0)


def kernel_index(kernel: tuple[int, ...], indices: list[str]) -> str:
    """C of the flat index of a kernel entry from its per-dimension indices (row major, as GeNN)."""
    terms = []
    for i, idx in enumerate(indices):
        stride = int(math.prod(kernel[i + 1:]))
        terms.append(f"((uint32_t)({idx}) * {stride}u)" if stride != 1 else f"(uint32_t)({idx})")
    return " + ".join(terms)
