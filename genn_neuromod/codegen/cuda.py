"""Generate the CUDA translation unit of a model (kernels for the ``cuda`` backend).

The snippets are compiled by the same generator as the C backend (with atomic
accumulation into postsynaptic inputs); ``templates/model.cu.j2`` lays them
out as kernels.  Sizes only known at ``load()`` (row and column strides, the
recording length, the batch size) are baked into the source, so the runtime
renders and compiles it at load; :func:`generate_cuda_source` renders it with
build-time placeholders so the code can be checked with ``nvcc`` anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..api import types
from ..api.enums import ParallelismHint, SynapseMatrixConnectivity, VarAccessDim
from ..api.groups import CurrentSource, CustomUpdate, NeuronGroup
from .generate import _TEMPLATES, _Generator, model_context
from .plan import ArraySpec, LoadInfo, ModelPlan

#: threads per block of the neuron and synapse kernels (multiples of 32: the neuron kernel uses warp votes)
NEURON_BLOCK = 256
SYNAPSE_BLOCK = 128
CU_BLOCK = 256

_BATCHED_INTERNAL = {"spkCnt", "spk", "spkFlag", "evCnt", "ev", "evFlag"}
_BATCHED_ROLES = {"st", "prev_st", "recording", "out_post", "out_pre", "den_delay", "event_time"}


@dataclass
class KernelLaunch:
    """One kernel launch: name, grid (x, y) and threads per block."""

    name: str
    grid: tuple[int, int]
    block: int


@dataclass
class CudaSource:
    source: str
    step_kernels: list[KernelLaunch] = field(default_factory=list)    # launched in order, every timestep
    custom_updates: dict[str, KernelLaunch] = field(default_factory=dict)  # update group -> kernel(timestep)
    batched: dict[str, bool] = field(default_factory=dict)           # array C name -> one copy per batch?
    sizes: dict[str, int] = field(default_factory=dict)              # array C name -> elements per copy


def custom_update_batched(cu: CustomUpdate, batch_size: int) -> bool:
    """GeNN's rule: a custom update runs per batch instance when one of its references targets a batched var."""
    if batch_size <= 1:
        return False
    probe = _Generator.__new__(_Generator)
    return any(probe._ref_type_dims(ref)[1] & VarAccessDim.BATCH for ref in cu.var_refs.values())


def array_batched(spec: ArraySpec, batch_size: int) -> bool:
    """Whether an array has one copy per batch instance (VarAccess dims as GeNN; connectivity and EGPs shared)."""
    if batch_size <= 1:
        return False
    owner, role = spec.owner, spec.role
    if role == "var" and isinstance(owner, CustomUpdate):
        access = int(owner.vars[spec.name].access)
        return custom_update_batched(owner, batch_size) and not access & VarAccessDim.BATCH
    if role == "var" and isinstance(owner, (NeuronGroup, CurrentSource)):
        return bool(int(owner.vars[spec.name].access) & VarAccessDim.BATCH)
    if role in ("wu_var", "pre_var", "post_var", "psm_var"):
        table = {"wu_var": owner.vars, "pre_var": owner.pre_vars, "post_var": owner.post_vars,
                 "psm_var": owner.psm_vars}[role]
        return bool(int(table[spec.name].access) & VarAccessDim.BATCH)
    if role == "internal":
        return spec.name in _BATCHED_INTERNAL
    return role in _BATCHED_ROLES


def placeholder_info(plan: ModelPlan) -> LoadInfo:
    """Load-time sizes guessed at build time: row capacity from max_connections, column capacity num_pre."""
    info = LoadInfo(num_recording_timesteps=1)
    for sg in plan.synapses:
        if sg.matrix_type & SynapseMatrixConnectivity.SPARSE:
            info.row_stride[sg.name] = int(sg.max_connections or 0)
            info.col_stride[sg.name] = sg.src.num_neurons
    return info


def _blocks(threads: int, block: int) -> int:
    return max((threads + block - 1) // block, 1)


def generate_cuda(plan: ModelPlan, info: LoadInfo, batch_size: int = 1) -> CudaSource:
    """Render the CUDA source of ``plan`` for the load-time sizes ``info`` and ``batch_size`` instances."""
    plan.batch_expr = "batch"
    gen = _Generator(plan, atomic=True)
    ctx = model_context(gen)
    B = max(int(batch_size), 1)
    out = CudaSource("")
    arrays = []
    for spec in plan.arrays:
        size = spec.size(info)
        batched = array_batched(spec, B)
        out.batched[spec.cname] = batched
        out.sizes[spec.cname] = size
        arrays.append(dict(cname=spec.cname, ctype=types.c_name(spec.ctype), batched=batched, stride=size))
    stride = {a["cname"]: a["stride"] for a in arrays}

    # neuron kernel: one thread per neuron, groups in consecutive block ranges
    nb = 0
    for n in ctx["neurons"]:
        n["start"] = nb
        nb += _blocks(n["n"], NEURON_BLOCK)
        n["end"] = nb
        n["spk_stride"] = stride[f"{n['prefix']}_spkCnt"]
    # synapse kernels
    db = pb = qb = 0
    for s, sg in zip(ctx["synapses"], plan.synapses, strict=True):
        # (a stride of 0 means no synapses: 1 keeps the index arithmetic free of divisions by zero)
        s["row_stride"] = max(info.row_stride.get(sg.name, s["npost"]) if s["sparse"] else s["npost"], 1)
        s["col_stride"] = max(info.col_stride.get(sg.name, s["npre"]) if s["sparse"] else s["npre"], 1)
        s["dyn_count"] = s["npre"] * s["row_stride"]
        s["pre_span"] = sg.parallelism_hint == ParallelismHint.PRESYNAPTIC
        s["pre_width"] = s["npre"] if s["pre_span"] else s["row_stride"]
        if s["dynamics"]:
            s["dyn_start"] = db
            db += _blocks(s["dyn_count"], SYNAPSE_BLOCK)
            s["dyn_end"] = db
        if s["pre_spike"] or s["pre_event"]:
            s["pre_start"] = pb
            pb += _blocks(s["pre_width"], SYNAPSE_BLOCK)
            s["pre_end"] = pb
        if s["post_spike"]:
            s["post_start"] = qb
            qb += _blocks(s["col_stride"], SYNAPSE_BLOCK)
            s["post_end"] = qb
    # custom updates
    for c, cu in zip(ctx["custom_updates"], plan.custom_updates, strict=True):
        c["batched"] = custom_update_batched(cu, B)
        if c["syn"]:
            sg = cu.synapse_group
            c["row_stride"] = max(info.row_stride.get(sg.name, c["npost"]) if c["sparse"] else c["npost"], 1)
            c["count"] = c["npre"] * c["row_stride"]
        else:
            c["count"] = c["n"]
        if c["reduce_kind"] == "neuron" and c["syn"]:
            raise NotImplementedError(f"custom update '{cu.name}': reductions over synapses are not supported "
                                      "by the CUDA backend yet")
        red_stores = {r[3] for r in c["batch_reds"]}
        c["plain_stores"] = [st for st in c["stores"] if st not in red_stores]
    cu_launch = {}
    for gi, g in enumerate(ctx["cu_groups"]):
        cb = 0
        for c in ctx["custom_updates"]:
            if c["group"] != g:
                continue
            c["start"] = cb
            cb += 1 if c["reduce_kind"] == "neuron" else _blocks(c["count"], CU_BLOCK)
            c["end"] = cb
        cu_launch[g] = KernelLaunch(f"gn_custom_update_{gi}", (cb, B), CU_BLOCK)
    flags = dict(any_den=any(s["den_delay"] for s in ctx["synapses"]),
                 any_dyn=db > 0, any_pre=pb > 0, any_post=qb > 0, any_neurons=nb > 0)
    ctx.update(arrays=arrays, stride=stride, batch_size=B, nrec=int(info.num_recording_timesteps),
               neuron_blocks=nb, flags=flags, NEURON_BLOCK=NEURON_BLOCK)
    out.source = _TEMPLATES.get_template("model.cu.j2").render(**ctx)
    out.step_kernels.append(KernelLaunch("gn_begin_step", (1, 1), 32))
    if flags["any_dyn"]:
        out.step_kernels.append(KernelLaunch("gn_synapse_dynamics", (db, B), SYNAPSE_BLOCK))
    if flags["any_pre"]:
        out.step_kernels.append(KernelLaunch("gn_presynaptic", (pb, B), SYNAPSE_BLOCK))
    if flags["any_post"]:
        out.step_kernels.append(KernelLaunch("gn_postsynaptic", (qb, B), SYNAPSE_BLOCK))
    if flags["any_neurons"]:
        out.step_kernels.append(KernelLaunch("gn_neuron_reset", (1, 1), 256))
        out.step_kernels.append(KernelLaunch("gn_neuron_update", (nb, B), NEURON_BLOCK))
    out.custom_updates = cu_launch
    return out
