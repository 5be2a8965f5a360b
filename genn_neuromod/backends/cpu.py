"""The embedded CPU backend (``single_threaded_cpu``): generated C, numpy-owned arrays, ctypes."""

from __future__ import annotations

import ctypes
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..api import types
from ..api.enums import SynapseMatrixConnectivity
from ..api.groups import ExtraGlobalParameter, NeuronGroup, SynapseGroup
from ..api.init import VarInit
from ..codegen import GeneratedModel, LoadInfo, ModelPlan, generate, make_plan
from ..codegen.plan import c_ident
from ..compiler.errors import ModelError
from .compile import compile_shared

supports_batching = False

_CTYPES = {"float": ctypes.c_float, "double": ctypes.c_double, "int32_t": ctypes.c_int32,
           "uint32_t": ctypes.c_uint32, "int8_t": ctypes.c_int8, "uint8_t": ctypes.c_uint8,
           "int16_t": ctypes.c_int16, "uint16_t": ctypes.c_uint16, "int64_t": ctypes.c_int64,
           "uint64_t": ctypes.c_uint64, "bool": ctypes.c_bool}


@dataclass
class BuildResult:
    plan: ModelPlan
    generated: GeneratedModel
    library: Path
    build_time: float

    def create_runtime(self, model, num_recording_timesteps: int | None) -> Runtime:
        return Runtime(self, model, num_recording_timesteps)


def build(model, code_path: str, always_rebuild: bool = False) -> BuildResult:
    """Plan, generate and compile ``model``; the C source is also written to ``code_path``."""
    start = time.perf_counter()
    plan = make_plan(model)
    generated = generate(plan)
    os.makedirs(code_path, exist_ok=True)
    src_file = Path(code_path) / "model.c"
    if not src_file.exists() or src_file.read_text() != generated.source:
        src_file.write_text(generated.source)
    library = compile_shared(generated.source, always_rebuild, compiler_flags(model))
    return BuildResult(plan, generated, library, time.perf_counter() - start)


class Runtime:
    """A loaded model: its arrays, its library and its clock."""

    def __init__(self, built: BuildResult, model, num_recording_timesteps: int | None, seed: int | None = None):
        self.plan = built.plan
        self.model = model
        self.timestep = 0  # as GeNN: a (re)load starts a fresh run at t = 0
        self.num_recording_timesteps = int(num_recording_timesteps or 0)
        self.recording_in_use = any(n.spike_recording_enabled for n in self.plan.neurons)
        tmpdir = tempfile.mkdtemp(prefix="gn_rt_")
        try:  # a private copy gives each load its own globals; once mapped, the file is not needed
            lib_copy = Path(tmpdir) / built.library.name
            shutil.copy(built.library, lib_copy)
            self.lib = ctypes.CDLL(str(lib_copy))
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)
        self.lib.gn_step.argtypes = [ctypes.c_uint64, ctypes.c_uint64, ctypes.c_uint32]
        self.arrays: dict[str, np.ndarray] = {}
        self._cu_index = {g: i for i, g in enumerate(built.generated.custom_update_groups)}
        self._column_groups = built.generated.needs_column_index
        if seed is None:
            seed = model.seed if model.seed else int.from_bytes(os.urandom(8), "little")
        self.seed = seed
        ctypes.c_uint64.in_dll(self.lib, "gn_seed").value = seed
        self.info = LoadInfo(num_recording_timesteps=self.num_recording_timesteps)
        for sg in self.plan.synapses:
            if sg.matrix_type & SynapseMatrixConnectivity.SPARSE:
                self.info.row_stride[sg.name] = _row_stride(sg)
                self.info.col_stride[sg.name] = 0
        self._allocate(lambda a: a.role != "internal" or a.name != "remap")
        self._initialise()

    # -- allocation ----------------------------------------------------------
    def _allocate(self, which) -> None:
        for spec in self.plan.arrays:
            if not which(spec):
                continue
            size = spec.size(self.info)
            arr = np.zeros(max(size, 1), dtype=types.numpy_dtype(spec.ctype))[:size]
            self._bind(spec.cname, arr)
            owner = spec.owner
            if spec.role in ("var", "wu_var", "pre_var", "post_var", "psm_var"):
                table = {"var": "vars", "wu_var": "vars", "pre_var": "pre_vars", "post_var": "post_vars",
                         "psm_var": "psm_vars"}[spec.role]
                var = getattr(owner, table)[spec.name]
                shape = spec.shape(self.info) if spec.shape else (size,)
                var._bind(arr, shape)
            elif spec.role in ("st", "prev_st"):
                (owner.spike_times if spec.role == "st" else owner.prev_spike_times)._bind(arr, spec.shape(self.info))
            elif spec.role == "out_post":
                owner.out_post._bind(arr, (size,))
            elif spec.role == "den_delay":
                owner.den_delay._bind(arr, spec.shape(self.info))
            elif spec.role == "egp":
                egp = self.plan.egps[spec.cname]
                egp._spec = spec
                egp._bind(arr, (0,))
                if egp.init_values is not None:
                    self.set_egp(egp, egp.init_values)
        for sg in self.plan.synapses:
            if sg.matrix_type & SynapseMatrixConnectivity.SPARSE:
                ctypes.c_uint32.in_dll(self.lib, f"{self.plan.prefix(sg)}_rowStride").value = \
                    self.info.row_stride[sg.name]
                sg._row_stride = self.info.row_stride[sg.name]

    def _bind(self, cname: str, arr: np.ndarray) -> None:
        if arr.size == 0:
            arr = np.zeros(1, dtype=arr.dtype)[:0]
        self.arrays[cname] = arr
        ctypes.c_void_p.in_dll(self.lib, "gnp_" + cname).value = arr.ctypes.data

    def set_egp(self, egp: ExtraGlobalParameter, values) -> None:
        spec = egp._spec
        arr = np.ascontiguousarray(np.asarray(values, dtype=types.numpy_dtype(spec.ctype)).ravel())
        self._bind(spec.cname, arr)
        egp._bind(self.arrays[spec.cname], arr.shape)

    # -- initialisation ----------------------------------------------------
    def reinitialise(self, seed: int) -> None:
        """Initialise the state again with another seed, keeping the connectivity (batch instances)."""
        self.seed = seed
        ctypes.c_uint64.in_dll(self.lib, "gn_seed").value = seed
        self._initialise(connectivity=False)

    def _initialise(self, connectivity: bool = True) -> None:
        tmax = np.finfo(types.numpy_dtype(self.plan.time_precision)).max
        for ng in self.plan.neurons:
            ng.spike_times.view[...] = -tmax
            ng.prev_spike_times.view[...] = -tmax
        for spec in self.plan.arrays:
            if spec.role == "event_time":
                self.arrays[spec.cname][...] = -tmax
        for g in self.plan.neurons + self.plan.current_sources + self.plan.custom_updates:
            for v in g.vars.values():
                if not (g in self.plan.custom_updates and g._attached_to_synapses()):
                    self._set_initial(g, v)
        for sg in self.plan.synapses:
            for table in (sg.pre_vars, sg.post_vars, sg.psm_vars):
                for v in table.values():
                    self._set_initial(sg, v)
            if sg.matrix_type & SynapseMatrixConnectivity.DENSE:
                for v in sg.vars.values():
                    self._set_initial(sg, v)
        self.lib.gn_init()
        if connectivity:
            self._init_connectivity()
        for sg in self.plan.synapses:
            if sg.matrix_type & SynapseMatrixConnectivity.SPARSE:
                for v in sg.vars.values():
                    self._set_initial(sg, v)
        for cu in self.plan.custom_updates:
            if cu._attached_to_synapses():
                for v in cu.vars.values():
                    self._set_initial(cu, v)
        self.lib.gn_init_sparse()

    def _set_initial(self, group, var) -> None:
        init = var.init_values
        if init is None or isinstance(init, VarInit):
            return
        view = var._view
        sparse = var._is_sparse() if hasattr(var, "_is_sparse") else False
        if np.isscalar(init) or np.ndim(init) == 0:
            if sparse:
                var.values = np.full(int(var._sg._row_length.sum()), init)
            else:
                view[...] = init
            return
        values = np.asarray(init)
        if sparse:
            sg = var._sg
            n = int(sg._row_length.sum())
            if values.size != n:
                raise ModelError(f"'{group.name}': {values.size} initial values given for per-synapse variable "
                                 f"'{var.name}', but the population has {n} synapses")
            order = getattr(sg, "synapse_order", None)
            var.values = values[order] if (order is not None and sg._manual_connectivity is not None) else values
            return
        target = view[0] if getattr(var, "delayed", False) else view
        if values.size != target.size:
            raise ModelError(f"'{group.name}': {values.size} initial values given for variable '{var.name}', "
                             f"which has {target.size} elements")
        if getattr(var, "delayed", False):
            view[...] = values.reshape(target.shape)[None, :]
        else:
            view[...] = values.reshape(view.shape)

    def _init_connectivity(self) -> None:
        for sg in self.plan.synapses:  # host-side precalculation some snippets need (GeNN's host init code)
            init = sg.connectivity_initialiser
            host_init = getattr(init.snippet, "host_init", None) if init is not None else None
            if host_init is not None and sg._manual_connectivity is None:
                from ..rng import stream_id

                rng = np.random.default_rng([self.seed, stream_id(sg.name, "host_init")])
                values = host_init(sg.src.num_neurons, sg.trg.num_neurons, dict(init.params), rng)
                for egp in sg.connectivity_extra_global_params.values():
                    self.set_egp(egp, values)
        self.lib.gn_init_connectivity()
        bad = [sg.name for sg in self.plan.synapses if sg.matrix_type & SynapseMatrixConnectivity.SPARSE
               and ctypes.c_uint32.in_dll(self.lib, f"{self.plan.prefix(sg)}_overflow").value]
        if bad:
            raise ModelError(f"sparse connectivity of {bad} produced more synapses in a row than "
                             "max_connections allows; set synapse_group.max_connections higher")
        for sg in self.plan.synapses:
            if not sg.matrix_type & SynapseMatrixConnectivity.SPARSE:
                continue
            p = self.plan.prefix(sg)
            row_length = self.arrays[f"{p}_rowLength"]
            ind = self.arrays[f"{p}_ind"]
            if sg._manual_connectivity is not None:
                pre, post = sg._manual_connectivity
                order = sg.synapse_order
                pre_s, post_s = pre[order], post[order]
                counts = np.bincount(pre_s, minlength=sg.src.num_neurons)
                row_length[:] = counts
                starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
                slot = np.arange(pre_s.size) - starts[pre_s]
                ind[pre_s * sg._row_stride + slot] = post_s
            elif sg.connectivity_initialiser is None or not (
                    sg.connectivity_initialiser.snippet.row_build_code
                    or sg.connectivity_initialiser.snippet.col_build_code):
                raise ModelError(f"SPARSE synapse population '{sg.name}' has no connectivity: pass "
                                 "init_sparse_connectivity(...) or call set_sparse_connections() before load()")
            sg._row_length = row_length
            sg._ind = ind.reshape(sg.src.num_neurons, sg._row_stride).ravel() if sg._row_stride else ind
            if sg.name in self._column_groups:
                self._build_column_index(sg, p)

    def _build_column_index(self, sg: SynapseGroup, p: str) -> None:
        mask = sg._valid_synapse_mask()
        syn = np.nonzero(mask)[0].astype(np.uint32)
        post = sg._ind[mask].astype(np.int64)
        order = np.argsort(post, kind="stable")
        counts = np.bincount(post, minlength=sg.trg.num_neurons)
        stride = int(counts.max()) if counts.size else 0
        self.info.col_stride[sg.name] = stride
        remap = np.zeros(sg.trg.num_neurons * max(stride, 1), dtype=np.uint32)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        post_sorted = post[order]
        slot = np.arange(post_sorted.size) - starts[post_sorted]
        remap[post_sorted * stride + slot] = syn[order]
        self._bind(f"{p}_remap", remap)
        self._bind(f"{p}_colLength", counts.astype(np.uint32))
        ctypes.c_uint32.in_dll(self.lib, f"{p}_colStride").value = stride

    # -- running -------------------------------------------------------------
    def step(self, n: int = 1) -> None:
        self.lib.gn_step(self.timestep, n, self.num_recording_timesteps)
        self.timestep += n

    def custom_update(self, name: str) -> None:
        try:
            idx = self._cu_index[name]
        except KeyError:
            raise ModelError(f"no custom update group '{name}'; the model has {sorted(self._cu_index)}") from None
        getattr(self.lib, f"gn_custom_update_{idx}")(ctypes.c_uint64(self.timestep))

    def set_dynamic_param(self, group, kind: str, name: str, value: float) -> None:
        prefix = self.plan.prefix(group) + ("_ps" if kind == "ps" else "")
        model = group.ps_model if kind == "ps" else (group.wu_model if isinstance(group, SynapseGroup)
                                                     else group.model)
        ptype = next(p.type for p in model.params if p.name == name)
        ctype = _CTYPES[types.c_name(self.plan.resolve(ptype))]
        ctype.in_dll(self.lib, f"{prefix}_dp_{c_ident(name)}").value = value

    def delay_slot(self, group: NeuronGroup) -> int:
        return int(self.arrays[f"{self.plan.prefix(group)}_spkQuePtr"][0])

    def pull(self, array) -> None:
        """Host and device memory are one on the CPU backend."""

    def push(self, array) -> None:
        """Host and device memory are one on the CPU backend."""

    def pull_recording_buffers(self) -> None:
        """Recording buffers are host memory on the CPU backend."""

    def recorded_spikes(self, ng: NeuronGroup) -> list[tuple[np.ndarray, np.ndarray]]:
        if not ng.spike_recording_enabled:
            raise RuntimeError(f"spike recording is not enabled for '{ng.name}': set "
                               "pop.spike_recording_enabled = True before build()")
        n_rec = self.num_recording_timesteps
        words = (ng.num_neurons + 31) // 32
        buf = self.arrays[f"{self.plan.prefix(ng)}_recSpk"].reshape(n_rec, words)
        return [decode_spike_recording(buf, self.timestep, self.model.dt)]

    def close(self) -> None:
        for g in self.plan.neurons + self.plan.synapses + self.plan.current_sources + self.plan.custom_updates:
            for a in g.all_arrays():
                a._unbind()
        handle = self.lib._handle
        self.lib = None
        try:
            import _ctypes

            _ctypes.dlclose(handle)
        except (ImportError, OSError):  # pragma: no cover
            pass


def decode_spike_recording(buf: np.ndarray, timestep: int, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Spike times and ids from a (num_recording_timesteps, words) ring of spike bits after ``timestep`` steps."""
    n_rec = buf.shape[0]
    if timestep < n_rec:  # only part of the buffer has been written
        rows = buf[:timestep]
        steps = np.arange(timestep)
    else:  # the buffer is a ring: row k holds the step whose index is k modulo n_rec
        steps = np.arange(n_rec) + (timestep - n_rec)
        rows = buf[steps % n_rec]
    # expand only the non-zero words; PyGeNN's order: by step, by word, highest bit first
    w_t, w_i = np.nonzero(rows)
    words_nz = np.ascontiguousarray(rows[w_t, w_i], dtype=np.uint32)
    bits = np.unpackbits(words_nz.view(np.uint8).reshape(-1, 4), axis=1, bitorder="little")[:, ::-1]
    k, rev_bit = np.nonzero(bits)
    t_idx = w_t[k]
    ids = w_i[k].astype(np.int64) * 32 + (31 - rev_bit)
    times = steps[t_idx] * dt
    return times.astype(np.float64), ids.astype(np.int64)


def compiler_flags(model) -> list[str]:
    """Extra flags from the preferences: ``num_threads`` (OpenMP) and ``optimize_code`` (fast maths).

    ``optimize_code=True`` adds ``-ffast-math -fno-finite-math-only`` (Brian2's default flags, and GeNN's
    with its own ``optimize_code``): faster, but no longer bitwise-identical to exact IEEE arithmetic.
    """
    from ..codegen.generate import num_threads

    flags = []
    if num_threads(model) > 1:
        flags.append("-fopenmp")
    else:  # '#pragma omp simd' without the runtime (with -fopenmp as well it measured 2x slower on 2 threads)
        flags.append("-fopenmp-simd")
    if model._preferences.get("optimize_code", False):
        flags += ["-ffast-math", "-fno-finite-math-only"]
    return flags


def _row_stride(sg: SynapseGroup) -> int:
    if sg._manual_connectivity is not None:
        pre = sg._manual_connectivity[0]
        return int(np.bincount(pre, minlength=sg.src.num_neurons).max()) if pre.size else 0
    return int(sg.max_connections or 0)
