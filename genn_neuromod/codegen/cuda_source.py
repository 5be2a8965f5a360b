"""The CUDA translation unit of the cuda backend: the kernels rendered from ``templates/cuda``, and their launches.

The snippets are compiled by the same kernel modules as for C, for the CUDA target (atomic accumulation into
postsynaptic inputs, the batch instance from ``blockIdx.y``).  Sizes only known at ``load()`` (row and
column strides, the recording length, the batch size) are baked into the source, so the runtime renders
and compiles it at load; :func:`placeholder_info` gives build-time sizes so the code can be checked with
``nvcc`` anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..api import types
from .batching import array_batched, custom_update_batched
from .environment import CUDA_TARGET, literal
from .kernels import describe_model
from .plan import LoadInfo, ModelPlan
from .render import philox_header, render

#: threads per block of the neuron and synapse kernels (multiples of 32: the neuron kernel uses warp votes)
NEURON_BLOCK = 256
SYNAPSE_BLOCK = 128
CU_BLOCK = 256


@dataclass(frozen=True)
class KernelLaunch:
    """One kernel launch: name, grid (x, y) and threads per block."""

    name: str
    grid: tuple[int, int]
    block: int


@dataclass(frozen=True)
class Blocks:
    """The blocks of a launch one group owns (``start <= blockIdx.x < end``), the elements it covers and, for
    custom updates, whether it runs per batch instance."""

    start: int
    end: int
    count: int = 0
    width: int = 0
    batched: bool = False


@dataclass(frozen=True)
class Strides:
    """Load-time strides of a synapse group's per-synapse arrays (slots per row) and column index."""

    row_stride: int
    col_stride: int


@dataclass(frozen=True)
class CudaLayout:
    """How the kernels' blocks are shared out among the groups, and the sizes baked into the source."""

    batch_size: int
    nrec: int
    stride: dict[str, int]             # array C name -> elements per batch copy
    strides: dict[str, Strides]        # synapse group prefix -> strides
    neurons: dict[str, Blocks]
    dynamics: dict[str, Blocks]
    presynaptic: dict[str, Blocks]
    postsynaptic: dict[str, Blocks]
    custom_updates: dict[str, Blocks]


@dataclass
class CudaSource:
    source: str
    step_kernels: list[KernelLaunch] = field(default_factory=list)    # launched in order, every timestep
    custom_updates: dict[str, KernelLaunch] = field(default_factory=dict)  # update group -> kernel(timestep)
    batched: dict[str, bool] = field(default_factory=dict)           # array C name -> one copy per batch?
    sizes: dict[str, int] = field(default_factory=dict)              # array C name -> elements per copy


def placeholder_info(plan: ModelPlan) -> LoadInfo:
    """Load-time sizes guessed at build time: row capacity from max_connections, column capacity num_pre."""
    info = LoadInfo(num_recording_timesteps=1)
    for sg, conn in plan.connectivity.items():
        if conn.row_capacity:
            info.row_stride[sg.name] = int(sg.max_connections or 0)
            info.col_stride[sg.name] = sg.src.num_neurons
    return info


def _blocks(threads: int, block: int) -> int:
    return max((threads + block - 1) // block, 1)


class _BlockCounter:
    def __init__(self):
        self.next = 0

    def take(self, threads: int, block: int, **extra) -> Blocks:
        start = self.next
        self.next += _blocks(threads, block)
        return Blocks(start, self.next, **extra)


def generate_cuda(plan: ModelPlan, info: LoadInfo, batch_size: int = 1) -> CudaSource:
    """Render the CUDA source of ``plan`` for the load-time sizes ``info`` and ``batch_size`` instances."""
    kernels = describe_model(plan, CUDA_TARGET)
    B = max(int(batch_size), 1)
    out = CudaSource("")
    arrays = []
    for spec in plan.arrays:
        size = spec.size(info)
        batched = array_batched(spec, B)
        out.batched[spec.cname] = batched
        out.sizes[spec.cname] = size
        # a per-instance EGP's length can change after load (set_values): its stride lives in a device global
        stride = f"gn_bs_{spec.cname}" if spec.role == "egp" else f"{size}ull"
        arrays.append(dict(cname=spec.cname, ctype=types.c_name(spec.ctype), batched=batched, stride=stride,
                           dynamic_stride=batched and spec.role == "egp"))
    by_prefix = {plan.prefix(sg): sg for sg in plan.synapses}
    strides = {}
    for p, sg in by_prefix.items():
        conn = plan.connectivity[sg]
        # (a stride of 0 means no synapses: 1 keeps the index arithmetic free of divisions by zero)
        strides[p] = Strides(max(conn.row_stride(info), 1), max(conn.column_stride(info), 1))
    neurons = _BlockCounter()
    neuron_blocks = {n.prefix: neurons.take(n.n, NEURON_BLOCK) for n in kernels.neurons}
    dyn, pre, post = _BlockCounter(), _BlockCounter(), _BlockCounter()
    dynamics = {}
    for d in kernels.synapse_dynamics:
        p = d.group.prefix
        count = d.group.npre * strides[p].row_stride
        dynamics[p] = dyn.take(count, SYNAPSE_BLOCK, count=count)
    presynaptic = {}
    for u in kernels.presynaptic:
        p = u.group.prefix
        width = u.group.npre if u.presynaptic_span else strides[p].row_stride
        presynaptic[p] = pre.take(width, SYNAPSE_BLOCK, width=width)
    postsynaptic = {u.group.prefix: post.take(strides[u.group.prefix].col_stride, SYNAPSE_BLOCK)
                    for u in kernels.postsynaptic}
    updates, cu_launch = {}, {}
    for gi, g in enumerate(kernels.custom_update_groups):
        counter = _BlockCounter()
        for c, cu in zip(kernels.custom_updates, plan.custom_updates, strict=True):
            if c.group != g:
                continue
            if c.reduce_kind == "neuron" and c.synapses is not None:
                raise NotImplementedError(f"custom update '{cu.name}': reductions over synapses are not supported "
                                          "by the CUDA backend yet")
            count = plan.connectivity[cu.synapse_group].synapse_count(info) if c.synapses else c.n
            batched = custom_update_batched(cu, B)
            if c.reduce_kind == "neuron":  # one block reduces the whole group
                start = counter.next
                counter.next += 1
                updates[c.prefix] = Blocks(start, counter.next, count=count, batched=batched)
            else:
                updates[c.prefix] = counter.take(count, CU_BLOCK, count=count, batched=batched)
        cu_launch[g] = KernelLaunch(f"gn_custom_update_{gi}", (counter.next, B), CU_BLOCK)
    layout = CudaLayout(B, int(info.num_recording_timesteps), out.sizes, strides,
                        neuron_blocks, dynamics, presynaptic, postsynaptic, updates)
    out.source = render("cuda/model.cu.j2", k=kernels, L=layout, arrays=arrays, precision=plan.precision,
                        time_precision=plan.time_precision, dt=literal(plan.dt, plan.time_precision),
                        philox=philox_header())
    out.step_kernels.append(KernelLaunch("gn_begin_step", (1, 1), 32))
    if kernels.synapse_dynamics:
        out.step_kernels.append(KernelLaunch("gn_synapse_dynamics", (dyn.next, B), SYNAPSE_BLOCK))
    if kernels.presynaptic:
        out.step_kernels.append(KernelLaunch("gn_presynaptic", (pre.next, B), SYNAPSE_BLOCK))
    if kernels.postsynaptic:
        out.step_kernels.append(KernelLaunch("gn_postsynaptic", (post.next, B), SYNAPSE_BLOCK))
    if kernels.neurons:
        out.step_kernels.append(KernelLaunch("gn_neuron_reset", (1, 1), 256))
        out.step_kernels.append(KernelLaunch("gn_neuron_update", (neurons.next, B), NEURON_BLOCK))
    out.custom_updates = cu_launch
    return out
