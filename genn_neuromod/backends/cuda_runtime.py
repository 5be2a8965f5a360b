"""Runtime of the ``cuda`` backend: device-resident state in CuPy arrays, kernels from NVRTC.

Host mirrors (numpy) back the group views; ``pull_from_device``/``push_to_device`` copy between them
and the device.  Every timestep launches the kernels listed by :class:`~genn_neuromod.codegen.cuda_source.CudaSource`;
when CuPy can capture CUDA graphs, runs of steps are replayed as graphs (one launch per chunk).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ..api import types
from ..api.arrays import ArrayBase, ExtraGlobalParameter
from ..api.groups import NeuronGroup, SynapseGroup
from ..codegen.connectivity import HostLayout
from ..codegen.cuda_source import generate_cuda
from ..codegen.plan import c_ident, event_arrays
from ..compiler.errors import ModelError
from . import cpu
from .views import HostViews

_GRAPH_CHUNK = 100  # timesteps per captured graph


class CudaUnavailableError(RuntimeError):
    """CuPy or a CUDA device is missing."""


def import_cupy():
    """CuPy, with a GPU present, or a clear error naming what is missing."""
    try:
        import cupy
    except ImportError as exc:
        raise CudaUnavailableError(
            "backend='cuda' needs CuPy to compile and run the generated kernels: install it with "
            "'pip install genn_neuromod[cuda]' (cupy-cuda12x) on a machine with an NVIDIA GPU; the generated "
            f"CUDA source was still written by build() ({exc})") from exc
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDARuntimeError: no driver / no device
        raise CudaUnavailableError(f"backend='cuda': no usable CUDA device ({exc})") from exc
    if count == 0:
        raise CudaUnavailableError("backend='cuda': no CUDA device found")
    return cupy


class Runtime(HostViews):
    """A model loaded on the GPU."""

    def __init__(self, built, model, num_recording_timesteps: int | None):
        cp = self.cp = built.device_api()
        self.model = model
        self.plan = built.plan
        self.timestep = 0
        B = self.batch_size = max(int(model.batch_size), 1)
        host = cpu.Runtime(built.cpu_build, model, num_recording_timesteps)  # initialises every instance
        self.seeds, self.seed, self.batched = host.seeds, host.seed, host.batched
        # custom connectivity updates run on the host, in the cpu engine that initialised the model: it stays open
        self._host_engine: cpu.Runtime | None = host if self.plan.custom_connectivity_updates else None
        try:
            self.num_recording_timesteps = host.num_recording_timesteps
            self.recording_in_use = host.recording_in_use
            self.info = dataclasses.replace(host.info, col_stride=dict(host.info.col_stride))
            self._edited = {ccu.synapse_group for ccu in self.plan.custom_connectivity_updates}
            for sg in self._edited:  # room for columns to grow: the column stride is compiled into the kernels
                if sg.name in self.info.col_stride:
                    self.info.col_stride[sg.name] = max(self.info.col_stride[sg.name], sg.src.num_neurons)
            self.layouts: dict[SynapseGroup, HostLayout] = host.layouts if self._host_engine else dict(host.layouts)
            self.source = generate_cuda(self.plan, self.info, B)
            (Path(built.code_path) / "model_load.cu").write_text(self.source.source)
            self.host = self._host_state(host)
        finally:
            if self._host_engine is None:
                host.close()
        self.module = cp.RawModule(code=self.source.source, options=_nvrtc_options(model))
        try:  # NVRTC compiles at the first look-up
            self.module.get_function(self.source.step_kernels[0].name)
        except Exception as exc:
            src = Path(built.code_path) / "model_load.cu"
            raise RuntimeError(f"NVRTC rejected the generated CUDA (kept in {src}); this is a bug in genn_neuromod, "
                               f"please report it with the model that caused it:\n{exc}") from exc
        self._stream = cp.cuda.Stream()  # blocking: ordered with the null stream user code writes on
        self.dev: dict[str, object] = {}
        self._egp_strides = {s.cname for s in self.plan.arrays if s.role == "egp" and self.source.batched[s.cname]}
        with self._stream:
            for cname, arr in self.host.items():
                self._upload(cname, arr)
            self._set_global("gn_seeds", np.array(self.seeds, dtype=np.uint64))
        self._stream.synchronize()
        self._kernels = [(self.module.get_function(k.name), k) for k in self.source.step_kernels]
        self._cu_kernels = {g: (self.module.get_function(k.name), k) for g, k in self.source.custom_updates.items()}
        self._timestep_ptr = self.module.get_global("gn_timestep")
        self._graphs: dict[int, object] = {}
        self._use_graphs = bool(model._preferences.get("cuda_graphs", True))
        self._bind_views()

    # -- state ---------------------------------------------------------------
    def _host_state(self, host: cpu.Runtime) -> dict[str, np.ndarray]:
        """Host mirrors: the arrays the cpu runtime initialised, every batch instance included (the large
        connectivity arrays are taken over, not copied)."""
        out: dict[str, np.ndarray] = {}
        for spec in self.plan.arrays:
            base = host.arrays.get(spec.cname)
            if spec.name == "remap" and spec.owner in self._edited and base is not None:
                base = self._padded_column_index(spec.owner, host)
            if base is None:  # the column index of a group without postsynaptic learning is never built
                base = np.zeros(spec.size(self.info) * host.copies(spec.cname), dtype=types.numpy_dtype(spec.ctype))
            if spec.role != "egp":
                n = self.source.sizes[spec.cname] * host.copies(spec.cname)
                if base.size != n or self.source.batched[spec.cname] != (spec.cname in host.batched):
                    raise ModelError(f"internal error: array {spec.cname} has {base.size} elements, expected {n}")
            out[spec.cname] = np.ascontiguousarray(base)
        return out

    def _padded_column_index(self, sg: SynapseGroup, host: cpu.Runtime) -> np.ndarray:
        """The host engine's column index of ``sg`` laid out with the column stride the kernels were compiled for."""
        stride, compiled = host.info.col_stride.get(sg.name, 0), self.info.col_stride[sg.name]
        if stride > compiled:
            raise ModelError(f"custom connectivity update: a column of '{sg.name}' now has {stride} synapses, more "
                             f"than the {compiled} the cuda kernels were compiled for (presynaptic neurons); its "
                             "postsynaptic learning cannot follow on the cuda backend")
        remap = host.arrays[f"{self.plan.prefix(sg)}_remap"].reshape(sg.trg.num_neurons, stride)
        out = np.zeros((sg.trg.num_neurons, compiled), dtype=remap.dtype)
        out[:, :stride] = remap
        return out.ravel()

    def _set_global(self, name: str, values: np.ndarray, ptr=None) -> None:
        """Copy ``values`` into a ``__device__``/``__constant__`` global of the module (kernels cannot write
        constant memory, so this is a host-to-device copy, ordered with the runtime's blocking stream)."""
        values = np.ascontiguousarray(values)
        target = ptr if ptr is not None else self.module.get_global(name)
        target.copy_from_host(values.ctypes.data, values.nbytes)

    def _upload(self, cname: str, arr: np.ndarray) -> None:
        cp = self.cp
        dev = cp.empty(max(arr.size, 1), dtype=arr.dtype)[:arr.size]
        if arr.size:
            dev.set(arr, stream=self._stream)
        self.dev[cname] = dev
        self._set_global("gnp_" + cname, np.array([dev.data.ptr if arr.size else 0], dtype=np.uint64))
        if cname in self._egp_strides:  # a per-instance EGP: where instance b's copy starts
            self._set_global("gn_bs_" + cname, np.array([arr.size // self.batch_size], dtype=np.uint64))

    def _bind_views(self) -> None:
        """The model's arrays see the host mirrors, with a leading batch axis where they have one copy per
        instance."""
        self.views: dict[ArrayBase, np.ndarray] = {}
        for array in self.plan.bindings:
            self._bind_view(array)

    def _bind_view(self, array: ArrayBase) -> None:
        spec = self.plan.spec_of(array)
        arr = self.host[spec.cname]
        if isinstance(array, ExtraGlobalParameter):
            self.views[array] = arr.reshape(self.batch_size, -1) if spec.cname in self._egp_strides else arr
            return
        self.views[array] = arr.reshape(self.view_shape(spec, self.info, self.source.sizes[spec.cname]))

    def _cname(self, array: ArrayBase) -> str:
        try:
            return self.plan.spec_of(array).cname
        except KeyError:
            raise ModelError(f"'{array.name}' of '{array.group.name}' is not an array of this model") from None

    def device_array(self, array: ArrayBase):
        """The CuPy array behind a view, shaped like it."""
        return self.dev[self._cname(array)].reshape(self.view(array).shape)

    def pull(self, array: ArrayBase) -> None:
        cname = self._cname(array)
        if self.host[cname].size:
            self.dev[cname].get(stream=self._stream, out=self.host[cname])
            self._stream.synchronize()

    def push(self, array: ArrayBase) -> None:
        cname = self._cname(array)
        if self.host[cname].size:
            self.dev[cname].set(self.host[cname], stream=self._stream)
            self._stream.synchronize()

    def set_egp(self, egp: ExtraGlobalParameter, values) -> None:
        spec = self.plan.spec_of(egp)
        if self._host_engine is not None:  # the host engine works on the same array (and per-instance strides)
            self._host_engine.set_egp(egp, values)
            arr = self._host_engine.arrays[spec.cname]
        else:
            arr = cpu.egp_array(egp, values, spec.ctype, self.batch_size if self.source.batched[spec.cname] else 0)
        self.host[spec.cname] = arr
        with self._stream:
            self._upload(spec.cname, arr)
        self._stream.synchronize()
        self._bind_view(egp)

    def _connectivity_arrays(self, sg: SynapseGroup) -> list[str]:
        """The arrays that hold ``sg``'s rows (SPARSE row lengths and indices, BITMASK bits)."""
        return [s.cname for s in self.plan.arrays
                if s.owner is sg and s.role == "internal" and s.name in ("rowLength", "ind", "gp")]

    def pull_connectivity(self, sg: SynapseGroup) -> None:
        """Connectivity changes on the device only through custom connectivity updates, which run on the host and
        leave both copies equal; pulling copies it anyway, as PyGeNN does."""
        for cname in self._connectivity_arrays(sg):
            self.dev[cname].get(stream=self._stream, out=self.host[cname])
        self._stream.synchronize()

    def push_connectivity(self, sg: SynapseGroup) -> None:
        for cname in self._connectivity_arrays(sg):
            self.dev[cname].set(self.host[cname], stream=self._stream)
        self._stream.synchronize()

    def set_dynamic_param(self, group, kind: str, name: str, value: float) -> None:
        prefix = self.plan.prefix(group) + ("_ps" if kind == "ps" else "")
        model = group.ps_model if kind == "ps" else (group.wu_model if isinstance(group, SynapseGroup)
                                                     else group.model)
        ptype = next(p.type for p in model.params if p.name == name)
        dtype = types.numpy_dtype(self.plan.resolve(ptype))
        self._set_global(f"{prefix}_dp_{c_ident(name)}", np.array([value], dtype=dtype))
        if self._host_engine is not None:  # groups with custom connectivity updates run there
            self._host_engine.set_dynamic_param(group, kind, name, value)

    def delay_slot(self, group: NeuronGroup) -> int:
        return int(self.dev[f"{self.plan.prefix(group)}_spkQuePtr"].get(stream=self._stream)[0])

    # -- running -------------------------------------------------------------
    def _launch_step(self) -> None:
        for fn, k in self._kernels:
            fn(k.grid, (k.block,), ())

    def _graph(self, steps: int):
        graph = self._graphs.get(steps)
        if graph is None:
            self._stream.begin_capture()
            try:
                for _ in range(steps):
                    self._launch_step()
            finally:
                graph = self._stream.end_capture()
            self._graphs[steps] = graph
        return graph

    def step(self, n: int = 1) -> None:
        with self._stream:
            # the kernels read the time from the device; gn_begin_step increments it first
            self._set_global("gn_timestep", np.array([(self.timestep - 1) % (1 << 64)], dtype=np.uint64),
                             self._timestep_ptr)
            done = 0
            if self._use_graphs and n >= _GRAPH_CHUNK:
                try:
                    graph = self._graph(_GRAPH_CHUNK)
                    while n - done >= _GRAPH_CHUNK:
                        graph.launch(self._stream)
                        done += _GRAPH_CHUNK
                except (AttributeError, NotImplementedError, RuntimeError):
                    self._use_graphs = False  # CuPy without stream capture: plain launches
            for _ in range(n - done):
                self._launch_step()
        self._stream.synchronize()
        self.timestep += n

    def _run_on_host(self, name: str) -> None:
        """A custom update group with custom connectivity updates: the state comes back from the device, the cpu
        engine runs the whole group on it (the same generated code) and the state goes back."""
        engine = self._host_engine
        for cname, dev in self.dev.items():
            if self.host[cname].size:
                dev.get(stream=self._stream, out=self.host[cname])
        self._stream.synchronize()
        for cname, arr in self.host.items():  # the engine works on the mirrors themselves
            if engine.arrays.get(cname) is not arr and not (cname.endswith("_remap") or cname.endswith("_colLength")):
                engine._bind(cname, arr)
        engine.timestep = self.timestep
        engine.custom_update(name)
        with self._stream:
            for sg in self._edited:
                p = self.plan.prefix(sg)
                if f"{p}_remap" in self.host:
                    self.host[f"{p}_remap"][...] = self._padded_column_index(sg, engine)
                    self.host[f"{p}_colLength"][...] = engine.arrays[f"{p}_colLength"]
            for cname, arr in self.host.items():
                if arr.size:
                    self.dev[cname].set(arr, stream=self._stream)
        self._stream.synchronize()

    def custom_update(self, name: str) -> None:
        if self._host_engine is not None and any(c.update_group_name == name
                                                 for c in self.plan.custom_connectivity_updates):
            self._run_on_host(name)
            return
        try:
            fn, k = self._cu_kernels[name]
        except KeyError:
            raise ModelError(f"no custom update group '{name}'; the model has {sorted(self._cu_kernels)}") from None
        with self._stream:
            fn(k.grid, (k.block,), (np.uint64(self.timestep),))
        self._stream.synchronize()

    def pull_recording_buffers(self) -> None:
        for spec in self.plan.arrays:
            if spec.role == "recording":
                self.dev[spec.cname].get(stream=self._stream, out=self.host[spec.cname])
        self._stream.synchronize()

    def recorded_spikes(self, ng: NeuronGroup) -> list[tuple[np.ndarray, np.ndarray]]:
        """One (times, ids) pair per batch instance, from the last pulled recording buffers."""
        if not ng.spike_recording_enabled:
            raise RuntimeError(f"spike recording is not enabled for '{ng.name}': set "
                               "pop.spike_recording_enabled = True before build()")
        return self._decode(f"{self.plan.prefix(ng)}_recSpk", ng.num_neurons)

    def recorded_events(self, sg: SynapseGroup, side: str) -> list[tuple[np.ndarray, np.ndarray]]:
        cname = event_arrays(self.plan.prefix(sg), side)["recording"]
        if cname not in self.host:
            raise RuntimeError(f"spike-like event recording of '{sg.name}' is not enabled")
        return self._decode(cname, (sg.src if side == "pre" else sg.trg).num_neurons)

    def _decode(self, cname: str, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """One (times, ids) pair per batch instance, from the last pulled recording buffers."""
        buf = self.host[cname].reshape(self.batch_size, self.num_recording_timesteps, (n + 31) // 32)
        return [cpu.decode_spike_recording(buf[b], self.timestep, self.model.dt) for b in range(self.batch_size)]

    def kernel_time(self, kernel: str) -> float:
        """Kernel timing is not instrumented on the cuda backend yet (0)."""
        return 0.0

    def memory_bytes(self) -> int:
        """Device memory held by the model's arrays."""
        return int(sum(a.nbytes for a in self.dev.values()))

    def close(self) -> None:
        if self._host_engine is not None:
            self._host_engine.close()
            self._host_engine = None
        self.views.clear()
        self._graphs.clear()
        self._kernels = []
        self.dev.clear()
        self.module = None


def _nvrtc_options(model) -> tuple[str, ...]:
    from .cuda import NVRTC_OPTIONS

    return tuple(NVRTC_OPTIONS) + tuple(model._preferences.get("nvrtc_options", ()))
