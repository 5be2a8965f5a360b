"""The C translation unit of the cpu backend: every kernel of a model rendered from ``templates/c``."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..api import types
from .batching import batch_size, batched_arrays
from .environment import C_BATCHED_TARGET, C_TARGET, literal
from .kernels import describe_model
from .plan import ModelPlan
from .render import philox_header, render


@dataclass(frozen=True)
class GeneratedModel:
    source: str
    custom_update_groups: tuple[str, ...]   # exported as gn_custom_update_<index>
    needs_column_index: frozenset[str]      # synapse groups whose postsynaptic learning walks a column index
    timing: bool                            # kernels timed (the model's timing_enabled at build)
    num_threads: int = 1                    # the OpenMP team's size (1: no OpenMP)
    #: SPARSE groups whose rows the team splits by target: the runtime gives each a ``rowSplit`` (see
    #: ``connectivity.Sparse.build_row_splits``)
    row_split_groups: frozenset[str] = frozenset()


#: with ``num_threads`` left at None (the default), a model whose synapse groups can hold at least this many
#: synapses and that has at least this many neurons runs on every core, a smaller one on one thread (measured on
#: 2 cores, see the README's "Preferences": COBA at 8,000 neurons, 1.2 M synapses, and the microcircuit at 0.01
#: scale, 772 neurons, 3 M synapses, ran no faster on 2 threads; COBA at 16,000 neurons, 2.5 M synapses, and the
#: microcircuit at 0.05 scale, 3,860 neurons, 15 M synapses, ran 1.3x and 1.6x faster)
AUTO_THREADS_MIN_SYNAPSES = 2_000_000
AUTO_THREADS_MIN_NEURONS = 2_000


def num_threads(model) -> int:
    """OpenMP threads from the ``num_threads`` preference: N, 0 (one per core) or None (one per core for networks
    of at least :data:`AUTO_THREADS_MIN_SYNAPSES` synapses and :data:`AUTO_THREADS_MIN_NEURONS` neurons, else
    one)."""
    n = model._preferences.get("num_threads")
    if n is None:
        synapses = sum(sg.synapse_bound for sg in model.synapse_populations.values())
        neurons = sum(ng.num_neurons for ng in model.neuron_populations.values())
        n = 0 if synapses >= AUTO_THREADS_MIN_SYNAPSES and neurons >= AUTO_THREADS_MIN_NEURONS else 1
    return (os.cpu_count() or 1) if n == 0 else max(int(n), 1)


def generate_c(plan: ModelPlan) -> GeneratedModel:
    """The complete C source of a model (snippet errors are raised here, at ``build()``)."""
    B = batch_size(plan.model)
    batched = batched_arrays(plan)
    kernels = describe_model(plan, C_BATCHED_TARGET if B > 1 else C_TARGET)
    threads = num_threads(plan.model)
    timing = bool(getattr(plan.model, "timing_enabled", False))
    source = render(
        "c/model.c.j2", k=kernels, precision=plan.precision, time_precision=plan.time_precision,
        dt=literal(plan.dt, plan.time_precision),
        arrays=[dict(cname=a.cname, ctype=types.c_name(a.ctype), batched=a.cname in batched) for a in plan.arrays],
        philox=philox_header(), num_threads=threads, omp=threads > 1,
        adaptive_threads=bool(plan.model._preferences.get("adaptive_threads", True)),
        fast_math=bool(plan.model._preferences.get("optimize_code", False)),
        timing=timing, batched=B > 1, batch_size=B,
        # each kernel of a step runs once per instance, on that instance's arrays
        batch_loop=f"for (uint32_t batch = 0; batch < {B}u; batch++) " if B > 1 else "",
        batch_arg=", batch" if B > 1 else "")
    row_split = frozenset(u.group.name for u in kernels.presynaptic if u.group.matrix == "sparse") \
        if threads > 1 and kernels.presynaptic_by_target else frozenset()
    return GeneratedModel(source, kernels.custom_update_groups, kernels.needs_column_index, timing, threads,
                          row_split)
