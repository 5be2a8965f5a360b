"""The embedded CPU backend (``single_threaded_cpu``): generated C, numpy-owned arrays, ctypes."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import signal
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..api import types
from ..api.arrays import ArrayBase, ExtraGlobalParameter
from ..api.enums import VarAccessDim
from ..api.groups import NeuronGroup, SynapseGroup
from ..api.init import VarInit
from ..codegen import GeneratedModel, LoadInfo, ModelPlan, generate_c, make_plan
from ..codegen.batching import batch_size, batched_arrays
from ..codegen.c_source import num_threads
from ..codegen.connectivity import HostLayout, Sparse
from ..codegen.plan import c_ident, event_arrays
from ..compiler.errors import ModelError, SimulationFault
from .base import COMMON_PREFERENCES, batch_seeds
from .compile import compile_shared
from .views import HostViews

_CTYPES = {"float": ctypes.c_float, "double": ctypes.c_double, "int32_t": ctypes.c_int32,
           "uint32_t": ctypes.c_uint32, "int8_t": ctypes.c_int8, "uint8_t": ctypes.c_uint8,
           "int16_t": ctypes.c_int16, "uint16_t": ctypes.c_uint16, "int64_t": ctypes.c_int64,
           "uint64_t": ctypes.c_uint64, "bool": ctypes.c_bool}

#: libgomp, loaded once for good when a model uses OpenMP threads: unloading it together with a model's
#: library while its thread pool is alive would crash the process
_OPENMP_RUNTIME: ctypes.CDLL | None = None


def _keep_openmp_loaded() -> None:
    global _OPENMP_RUNTIME
    if _OPENMP_RUNTIME is None:
        # a fault in a worker thread cancels the parallel region (SimulationFault instead of a dead process):
        # libgomp reads this once, when it is first loaded
        os.environ.setdefault("OMP_CANCELLATION", "true")
        name = ctypes.util.find_library("gomp") or "libgomp.so.1"
        try:
            _OPENMP_RUNTIME = ctypes.CDLL(name, mode=ctypes.RTLD_GLOBAL)
        except OSError:  # pragma: no cover - a compiler without libgomp (clang's libomp is kept by dlopen)
            pass


def compiler_flags(model) -> list[str]:
    """Extra flags from the preferences: ``num_threads`` (OpenMP) and ``optimize_code`` (fast maths).

    ``optimize_code=True`` adds ``-ffast-math -fno-finite-math-only`` (Brian2's default flags, and GeNN's
    with its own ``optimize_code``): faster, but no longer bitwise-identical to exact IEEE arithmetic.
    """
    flags = []
    if num_threads(model) > 1:
        flags.append("-fopenmp")
    else:  # '#pragma omp simd' without the runtime (with -fopenmp as well it measured 2x slower on 2 threads)
        flags.append("-fopenmp-simd")
    if model._preferences.get("optimize_code", False):
        flags += ["-ffast-math", "-fno-finite-math-only"]
    return flags


@dataclass(frozen=True)
class CpuBuild:
    plan: ModelPlan
    generated: GeneratedModel
    library: Path
    build_time: float
    openmp: bool

    def create_runtime(self, model, num_recording_timesteps: int | None) -> Runtime:
        return Runtime(self, model, num_recording_timesteps)


class CpuBackend:
    name = "single_threaded_cpu"
    supports_batching = True
    preferences = {**COMMON_PREFERENCES, "num_threads": None, "adaptive_threads": True}

    def build(self, model, code_path: str, always_rebuild: bool = False) -> CpuBuild:
        """Plan, generate and compile ``model``; the C source is also written to ``code_path``."""
        start = time.perf_counter()
        plan = make_plan(model)
        generated = generate_c(plan)
        os.makedirs(code_path, exist_ok=True)
        src_file = Path(code_path) / "model.c"
        if not src_file.exists() or src_file.read_text() != generated.source:
            src_file.write_text(generated.source)
        flags = compiler_flags(model)
        library = compile_shared(generated.source, always_rebuild, flags)
        return CpuBuild(plan, generated, library, time.perf_counter() - start, "-fopenmp" in flags)


BACKEND = CpuBackend()

# kept for callers of the module-level function
build = BACKEND.build


PAGE_BYTES = 4096
LINE_BYTES = 64


def staggered_zeros(n: int, dtype, k: int) -> np.ndarray:
    """``n`` zeros of ``dtype`` starting ``64 * (37 k mod 64)`` bytes into a page.

    Large allocations all start at the same offset within a page, so element i of two state arrays read and
    written in one loop (a synapse's weight and eligibility) would share their address bits below 4 KiB: on
    x86 every store then looks like a possible alias of the next load ("4K aliasing") and stalls it. Giving
    the k-th array its own cache-line offset keeps such streams apart; the values are unchanged. Arrays under a
    page come from the heap at no common offset and are allocated plainly (no page of padding each).
    """
    dtype = np.dtype(dtype)
    if n * dtype.itemsize < PAGE_BYTES:
        return np.zeros(n, dtype=dtype)
    buf = np.zeros(n * dtype.itemsize + PAGE_BYTES, dtype=np.uint8)
    offset = LINE_BYTES * ((37 * k) % (PAGE_BYTES // LINE_BYTES))
    start = (offset - buf.ctypes.data) % PAGE_BYTES
    return buf[start:start + n * dtype.itemsize].view(dtype)


def egp_array(egp: ExtraGlobalParameter, values, ctype: str, batch_size: int) -> np.ndarray:
    """The flat array behind an extra global parameter; ``batch_size`` > 0 for a per-instance one, whose values are
    ``(n,)`` (the same in every instance, repeated) or ``(batch_size, n)``."""
    values = np.asarray(values, dtype=types.numpy_dtype(ctype))  # cast as PyGeNN does
    if not batch_size:
        return np.ascontiguousarray(values.ravel())
    if values.ndim <= 1:
        return np.ascontiguousarray(np.tile(values.ravel(), batch_size))
    if values.shape[0] != batch_size:
        raise ValueError(f"per-instance extra global parameter '{egp.name}' of '{egp.group.name}': values of shape "
                         f"{values.shape} need a leading axis of batch_size {batch_size}; give shape (n,) for the same "
                         f"values in every instance or ({batch_size}, n)")
    return np.ascontiguousarray(values.reshape(batch_size, -1)).ravel()


class Runtime(HostViews):
    """A model loaded on the CPU: its arrays (numpy, shared zero-copy with the C), its library and its clock."""

    def __init__(self, built: CpuBuild, model, num_recording_timesteps: int | None):
        self.plan = built.plan
        self.model = model
        self.timestep = 0  # as GeNN: a (re)load starts a fresh run at t = 0
        self.num_recording_timesteps = int(num_recording_timesteps or 0)
        self.recording_in_use = any(n.spike_recording_enabled or n.spike_event_recording_enabled
                                    for n in self.plan.neurons)
        if built.openmp:
            _keep_openmp_loaded()
        tmpdir = tempfile.mkdtemp(prefix="gn_rt_")
        try:  # a private copy gives each load its own globals; once mapped, the file is not needed
            lib_copy = Path(tmpdir) / built.library.name
            shutil.copy(built.library, lib_copy)
            self.lib = ctypes.CDLL(str(lib_copy))
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)
        self.lib.gn_run_guarded.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_uint64]
        self.lib.gn_run_guarded.restype = ctypes.c_int
        if built.openmp and not self.lib.gn_openmp_cancellation():
            warnings.warn("OpenMP cancellation is off (OMP_CANCELLATION=false, or libgomp was loaded before "
                          "genn_neuromod): a fault in generated code on a worker thread will end the process "
                          "instead of raising SimulationFault", RuntimeWarning, stacklevel=4)
        self.fault: str | None = None
        self._entries: dict[str, ctypes.c_void_p] = {}  # entry point name -> address, for gn_run_guarded
        self.arrays: dict[str, np.ndarray] = {}
        self.views: dict[ArrayBase, np.ndarray] = {}
        self.layouts: dict[SynapseGroup, HostLayout] = {}
        self._bound: dict[str, list[ArrayBase]] = {}  # C array -> the model's arrays it backs (several if fused)
        for array, spec in self.plan.bindings.items():
            self._bound.setdefault(spec.cname, []).append(array)
        self._cu_index = {g: i for i, g in enumerate(built.generated.custom_update_groups)}
        self._timing = built.generated.timing
        self._host_times: dict[str, float] = {}
        self._column_groups = built.generated.needs_column_index
        self._row_split_groups = built.generated.row_split_groups
        self._team_size = built.generated.num_threads
        self.batch_size = batch_size(model)
        self.batched = batched_arrays(self.plan)
        self.seeds = batch_seeds(model, self.batch_size)
        self.seed = self.seeds[0]
        ctypes.c_uint64.in_dll(self.lib, "gn_wiring_seed").value = self.seed
        if self.batch_size > 1:
            seeds = (ctypes.c_uint64 * self.batch_size).in_dll(self.lib, "gn_seeds")
            seeds[:] = self.seeds
        self.info = LoadInfo(num_recording_timesteps=self.num_recording_timesteps)
        for conn in self.plan.connectivity.values():
            conn.load_info(self.info)
        for name in self._row_split_groups:
            self.info.row_split_parts[name] = self._team_size - 1
        self._allocate()
        self._initialise()

    # -- arrays ------------------------------------------------------------------------------
    def _allocate(self) -> None:
        for k, spec in enumerate(self.plan.arrays):
            size = spec.size(self.info)
            total = size * self.copies(spec.cname)
            if spec.cname in self.batched:  # where instance b's copy starts, in elements
                ctypes.c_size_t.in_dll(self.lib, f"gn_bs_{spec.cname}").value = size
            self._bind(spec.cname, staggered_zeros(max(total, 1), types.numpy_dtype(spec.ctype), k)[:total])
        for sg in self.plan.synapses:
            if self.plan.connectivity[sg].row_capacity:
                ctypes.c_uint32.in_dll(self.lib, f"{self.plan.prefix(sg)}_rowStride").value = \
                    self.info.row_stride[sg.name]
        for egp in self.plan.bindings:
            if isinstance(egp, ExtraGlobalParameter) and egp.init_values is not None:
                self.set_egp(egp, egp.init_values)

    def _bind(self, cname: str, arr: np.ndarray) -> None:
        """Give the C global ``gnp_<cname>`` the address of ``arr`` and the model's array its view."""
        if arr.size == 0:
            arr = np.zeros(1, dtype=arr.dtype)[:0]
        self.arrays[cname] = arr
        # an empty array (an extra global parameter never given values) is a null pointer, as in GeNN: code that
        # reads it faults (SimulationFault) instead of reading memory that is not its own
        ctypes.c_void_p.in_dll(self.lib, "gnp_" + cname).value = arr.ctypes.data if arr.size else None
        for bound in self._bound.get(cname, ()):
            if isinstance(bound, ExtraGlobalParameter):
                shape = (self.batch_size, -1) if cname in self.batched else arr.shape
            else:
                shape = self.view_shape(self.plan.spec_of(bound), self.info, arr.size // self.copies(cname))
            self.views[bound] = arr.reshape(shape)

    def set_egp(self, egp: ExtraGlobalParameter, values) -> None:
        spec = self.plan.spec_of(egp)
        arr = egp_array(egp, values, spec.ctype, self.batch_size if spec.cname in self.batched else 0)
        if spec.cname in self.batched:
            ctypes.c_size_t.in_dll(self.lib, f"gn_bs_{spec.cname}").value = arr.size // self.batch_size
        self._bind(spec.cname, arr)

    # -- initialisation ----------------------------------------------------------------------
    def _initialise(self) -> None:
        plan = self.plan
        tmax = np.finfo(types.numpy_dtype(plan.time_precision)).max
        for spec in plan.arrays:
            if spec.role in ("st", "prev_st", "event_time"):
                self.arrays[spec.cname][...] = -tmax
        for g in plan.neurons + plan.current_sources + plan.custom_updates:
            if not (g in plan.custom_updates and g._attached_to_synapses()):
                for v in g.vars.values():
                    self._set_initial(g, v)
        for group in plan.synapses + plan.custom_connectivity_updates:
            for table in (group.pre_vars, group.post_vars, getattr(group, "psm_vars", {})):
                for v in table.values():
                    self._set_initial(group, v)
        for sg in plan.synapses:
            if not plan.connectivity[sg].init_after_connectivity:
                for v in sg.vars.values():
                    self._set_initial(sg, v, sg)
        self._run("gn_init", during="in load()", timer="init")
        self._init_connectivity()
        for sg in plan.synapses:
            if plan.connectivity[sg].init_after_connectivity:
                for v in sg.vars.values():
                    self._set_initial(sg, v, sg)
        for cu in plan.custom_updates:
            if cu._attached_to_synapses():
                for v in cu.vars.values():
                    self._set_initial(cu, v, cu.synapse_group)
        for ccu in plan.custom_connectivity_updates:
            for v in ccu.vars.values():
                self._set_initial(ccu, v, ccu.synapse_group)
        self._run("gn_init_sparse", during="in load()", timer="init_sparse")

    def _set_initial(self, group, var, sg: SynapseGroup | None = None) -> None:
        """Set a variable's initial numbers (var-init snippets run in the generated code instead).

        ``sg`` is given for per-synapse variables: where its matrix type pads rows, the values fill the
        synapses' slots in row order.
        """
        init = var.init_values
        if init is None or isinstance(init, VarInit):
            return
        view = self.views[var]
        batched = self._batched(var)
        instance = view[0] if batched else view  # values for one instance are given to every instance
        if sg is not None and not self.exposes_view(sg) and var.dims & VarAccessDim.ELEMENT:
            layout = self.layouts[sg]
            n = int(layout.row_length.sum())
            values = np.full(n, init) if np.ndim(init) == 0 else np.asarray(init)
            if batched and values.size == n * self.batch_size and n:  # one row of values per instance
                values = values.reshape(self.batch_size, n)
            elif values.size != n:
                raise ModelError(f"'{group.name}': {values.size} initial values given for per-synapse variable "
                                 f"'{var.name}', but the population has {n} synapses"
                                 + (f" (or give {n * self.batch_size}, {n} per batch instance)" if batched else ""))
            if np.ndim(init) != 0 and sg._manual_connectivity is not None:
                values = values[..., sg.synapse_order]
            if values.ndim == 2:
                for b in range(self.batch_size):
                    view[b][..., layout.valid] = values[b]
            else:
                view[..., layout.valid] = values
            return
        if np.ndim(init) == 0:
            view[...] = init
            return
        values = np.asarray(init)
        one_copy = (instance[0] if self.plan.is_delayed(var) else instance).size
        if batched and values.size == one_copy * self.batch_size:
            per_instance = values.reshape(self.batch_size, -1)  # one row of values per instance
            for b in range(self.batch_size):
                self._set_instance(group, var, view[b], per_instance[b])
            return
        self._set_instance(group, var, instance, values)
        if batched:
            view[1:] = instance

    def _set_instance(self, group, var, view: np.ndarray, values: np.ndarray) -> None:
        """Set one instance's copy of a variable (every delay slot of a delayed one) from ``values``."""
        delayed = self.plan.is_delayed(var)
        target = view[0] if delayed else view
        if values.size != target.size:
            raise ModelError(f"'{group.name}': {values.size} initial values given for variable '{var.name}', "
                             f"which has {target.size} elements"
                             + (f" per batch instance (or {target.size * self.batch_size} for all "
                                f"{self.batch_size})" if self._batched(var) else ""))
        if delayed:
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
        self._run("gn_init_connectivity", during="in load()", timer="init")
        flags = {sg: ctypes.c_uint32.in_dll(self.lib, f"{self.plan.prefix(sg)}_overflow").value
                 for sg in self.plan.synapses if self.plan.connectivity[sg].row_capacity}
        outside = [sg for sg, flag in flags.items() if flag == 2]
        if outside:
            sg = outside[0]
            raise ModelError(f"synapse population '{sg.name}': its connectivity snippet "
                             f"'{sg.connectivity_initialiser.snippet.class_name}' called addSynapse with an index "
                             f"outside the populations (presynaptic below {sg.src.num_neurons}, postsynaptic below "
                             f"{sg.trg.num_neurons})")
        full = [sg.name for sg, flag in flags.items() if flag == 1]
        if full:
            raise ModelError(f"sparse connectivity of {full} produced more synapses in a row than "
                             "max_connections allows; set synapse_group.max_connections higher")
        for sg in self.plan.synapses:
            self.layouts[sg] = self.plan.connectivity[sg].host_layout(self.arrays, self.plan.prefix(sg), self.info)
            self._build_column_index(sg)
            self._build_row_splits(sg)
            if sg.kernel_size and self.plan.connectivity[sg].builds_on_device():
                self._share_kernel_initialised(sg)

    def _share_kernel_initialised(self, sg: SynapseGroup) -> None:
        """Kernel-based connectivity snippets initialise per-synapse variables as they add synapses, in instance
        0: the other batch instances start from the same values."""
        for v in sg.vars.values():
            cname = f"{self.plan.prefix(sg)}_{c_ident(v.name)}"
            if isinstance(v.init_values, VarInit) and self.copies(cname) > 1:
                copies = self.arrays[cname].reshape(self.batch_size, -1)
                copies[1:] = copies[0]

    def _build_column_index(self, sg: SynapseGroup) -> None:
        """The column index postsynaptic learning walks (built on the host, after the rows changed)."""
        conn = self.plan.connectivity[sg]
        if not (conn.uses_column_index and sg.name in self._column_groups):
            return
        p = self.plan.prefix(sg)
        col_length, remap, stride = Sparse.build_column_index(self.layouts[sg], sg.trg.num_neurons)
        self.info.col_stride[sg.name] = stride
        self._bind(f"{p}_remap", remap)
        self._bind(f"{p}_colLength", col_length)
        ctypes.c_uint32.in_dll(self.lib, f"{p}_colStride").value = stride

    def _build_row_splits(self, sg: SynapseGroup) -> None:
        """Where the OpenMP team splits each row of a group by target (see ``Sparse.build_row_splits``)."""
        if sg.name not in self._row_split_groups:
            return
        splits = Sparse.build_row_splits(self.layouts[sg], sg.trg.num_neurons, self._team_size)
        self.arrays[f"{self.plan.prefix(sg)}_rowSplit"][...] = splits.ravel()

    # -- running -------------------------------------------------------------------------------
    def thread_steps(self) -> tuple[int, int]:
        """Steps run on one thread and on the whole OpenMP team since load (all on one thread without OpenMP)."""
        try:
            counts = (ctypes.c_uint64 * 2).in_dll(self.lib, "gn_team_steps")
        except ValueError:
            return (self.timestep, 0)
        return (int(counts[0]), int(counts[1]))

    def set_team(self, n: int) -> None:
        """OpenMP builds: run every step on ``n`` threads (1 or the built team size), or choose by measurement
        (``n = 0``)."""
        self._openmp_setting("gn_set_team", ctypes.c_uint32, int(n))

    def set_team_budget(self, seconds: float) -> None:
        """OpenMP builds, for tests: every block on the team ends after the step that spends ``seconds`` of wall
        time (0: the adaptive policy's budgets)."""
        self._openmp_setting("gn_set_team_budget", ctypes.c_double, float(seconds))

    def _openmp_setting(self, setter: str, ctype, value) -> None:
        """Call one of an OpenMP build's setters (a build without OpenMP has none: nothing to set)."""
        function = getattr(self.lib, setter, None)
        if function is not None:
            function.argtypes = [ctype]
            function(value)

    def step(self, n: int = 1) -> None:
        self._run("gn_step", self.timestep, n, self.num_recording_timesteps,
                  during=f"during the steps from timestep {self.timestep}")
        self.timestep += n

    def _run(self, entry: str, a: int = 0, b: int = 0, c: int = 0, *, during: str, timer: str | None = None) -> None:
        """Run an exported entry point with faults in generated code caught: a fault raises SimulationFault,
        and from then on the model refuses to run until it is loaded again."""
        if self.fault is not None:
            raise SimulationFault(self.fault)
        address = self._entries.get(entry)
        if address is None:  # looked up once: step_time() in a Python loop calls this every step
            address = self._entries[entry] = ctypes.cast(getattr(self.lib, entry), ctypes.c_void_p)
        start = time.perf_counter()
        sig = self.lib.gn_run_guarded(address, a, b, c)
        if timer is not None:
            self._host_times[timer] = self._host_times.get(timer, 0.0) + time.perf_counter() - start
        if sig:
            self.fault = self._fault_message(sig, during)
            raise SimulationFault(self.fault)

    def _fault_message(self, sig: int, during: str) -> str:
        """What stopped the code: the signal, the kernel and group whose code ran, and any unset EGP."""
        where = ctypes.c_char_p.in_dll(self.lib, "gn_fault_where").value or b"generated code outside any group's block"
        name = {signal.SIGSEGV: "invalid memory access (SIGSEGV)", signal.SIGBUS: "bus error (SIGBUS)",
                signal.SIGFPE: "arithmetic fault (SIGFPE, e.g. an integer division by zero)"}.get(sig, str(sig))
        unset = [f"'{egp.group.name}'.{egp.name}" for egp in self.plan.bindings
                 if isinstance(egp, ExtraGlobalParameter) and not self.arrays[self.plan.spec_of(egp).cname].size]
        hint = f"; extra global parameters never given values: {', '.join(unset)}" if unset else ""
        after = ("the model was not loaded" if during == "in load()"
                 else "the model's state is no longer valid: unload() and load() it again")
        return (f"model '{self.plan.model.name}': {name} in the {where.decode()}, {during} (an index past the end "
                f"of an array or extra global parameter, or an integer division by zero, in that code{hint}); "
                f"{after}")

    def custom_update(self, name: str) -> None:
        try:
            idx = self._cu_index[name]
        except KeyError:
            raise ModelError(f"no custom update group '{name}'; the model has {sorted(self._cu_index)}") from None
        self._run(f"gn_custom_update_{idx}", self.timestep, during=f"at timestep {self.timestep}",
                  timer=f"custom_update:{name}")
        for ccu in self.plan.custom_connectivity_updates:
            if ccu.update_group_name != name:
                continue
            flag = ctypes.c_uint32.in_dll(self.lib, f"{self.plan.prefix(ccu)}_overflow")
            if flag.value:
                flag.value = 0
                raise ModelError(f"custom connectivity update '{ccu.name}': add_synapse found a row of "
                                 f"'{ccu.synapse_group.name}' full (synapses were not added); set "
                                 "synapse_group.max_connections higher before build()")
            self._build_column_index(ccu.synapse_group)  # the rows changed: postsynaptic learning's index too
            self._build_row_splits(ccu.synapse_group)  # and where the team splits them

    def kernel_time(self, kernel: str) -> float:
        """Seconds spent in a kernel since load (0 unless the model was built with ``timing_enabled``)."""
        if not self._timing:
            return 0.0
        if kernel in ("synapse_dynamics", "presynaptic_update", "postsynaptic_update", "neuron_update"):
            return float(ctypes.c_double.in_dll(self.lib, f"gn_time_{kernel}").value)
        return self._host_times.get(kernel, 0.0)

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

    def pull_connectivity(self, sg) -> None:
        """Host and device memory are one on the CPU backend."""

    def push_connectivity(self, sg) -> None:
        """Host and device memory are one on the CPU backend."""

    def pull_recording_buffers(self) -> None:
        """Recording buffers are host memory on the CPU backend."""

    def recorded_spikes(self, ng: NeuronGroup) -> list[tuple[np.ndarray, np.ndarray]]:
        if not ng.spike_recording_enabled:
            raise RuntimeError(f"spike recording is not enabled for '{ng.name}': set "
                               "pop.spike_recording_enabled = True before build()")
        return self._decode(f"{self.plan.prefix(ng)}_recSpk", ng.num_neurons)

    def recorded_events(self, sg: SynapseGroup, side: str) -> list[tuple[np.ndarray, np.ndarray]]:
        """Recorded spike-like events of one side ("pre" or "post") of a synapse group."""
        cname = event_arrays(self.plan.prefix(sg), side)["recording"]
        if cname not in self.arrays:
            pop = sg.src if side == "pre" else sg.trg
            raise RuntimeError(f"spike-like event recording of '{sg.name}' needs {side}synaptic spike-like events "
                               f"and pop.spike_event_recording_enabled = True on '{pop.name}' before build()")
        return self._decode(cname, (sg.src if side == "pre" else sg.trg).num_neurons)

    def _decode(self, cname: str, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """One (times, ids) pair per batch instance."""
        B = self.copies(cname)
        buf = self.arrays[cname].reshape(B, self.num_recording_timesteps, (n + 31) // 32)
        return [decode_spike_recording(buf[b], self.timestep, self.model.dt) for b in range(B)]

    def close(self) -> None:
        self.views.clear()
        self.arrays.clear()
        self.layouts.clear()
        handle = self.lib._handle
        self.lib = None
        try:
            import _ctypes

            _ctypes.dlclose(handle)
        except (ImportError, OSError):  # pragma: no cover
            pass


def decode_spike_recording(buf: np.ndarray, timestep: int, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Spike times and ids from a (num_recording_timesteps, words) ring of spike bits after ``timestep`` steps,
    in PyGeNN's order: by step, by word, highest bit first.  Only the non-zero words are expanded, each as its
    four bytes in big-endian order (bit 31 first), so no step reorders or copies the buffer."""
    n_rec, words = buf.shape
    if timestep < n_rec:  # only part of the buffer has been written
        parts = [(buf[:timestep], 0)]
    else:  # a ring: row k holds the step whose index is k modulo n_rec; the oldest row is timestep % n_rec
        k0 = timestep % n_rec
        parts = [(buf[k0:], timestep - n_rec), (buf[:k0], timestep - k0)]
    times, ids = [], []
    for rows, first_step in parts:
        flat = np.ascontiguousarray(rows, dtype=np.uint32).reshape(-1)
        word = np.flatnonzero(flat != 0)
        bit = np.flatnonzero(np.unpackbits(flat[word].astype(">u4").view(np.uint8)).view(bool))  # 0/1: bools
        word = word[bit >> 5]
        ids.append((word % words) * 32 + 31 - (bit & 31))
        times.append((first_step + word // words) * dt)
    return np.concatenate(times).astype(np.float64), np.concatenate(ids).astype(np.int64)
