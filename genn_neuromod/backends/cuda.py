"""The ``cuda`` backend: the model's kernels compiled by NVRTC through CuPy, state resident on the GPU.

``build()`` writes ``<name>_CODE/model.cu`` (with build-time placeholder sizes) and compiles the C
library used for initialisation; it needs neither CuPy nor a GPU, so :func:`generate_cuda_source`
plus ``nvcc`` can check the generated CUDA anywhere.  ``load()`` initialises state on the host with
the same generated C and Philox streams as the ``cpu`` backend (one pass per batch instance), renders
the CUDA source for the actual sizes, compiles it with NVRTC (``--fmad=false``) and uploads the state.

Batches: ``model.batch_size = B`` keeps one copy per instance of every variable whose access has the
BATCH dimension (as GeNN); connectivity, extra global parameters and shared variables exist once.
Instance ``b`` draws its random numbers with seed ``model.batch_seeds[b]`` when that list is set,
otherwise ``seed + b`` where ``seed`` is ``model.seed`` (or a random seed when that is 0), so instance
0 reproduces the ``cpu`` backend exactly.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from ..codegen import ModelPlan, make_plan
from ..codegen.cuda_source import generate_cuda, placeholder_info
from . import cpu
from .base import COMMON_PREFERENCES

#: NVRTC options: no FMA contraction, so double-precision arithmetic matches the cpu backend bit for bit
NVRTC_OPTIONS = ("--std=c++17", "--fmad=false")


def generate_cuda_source(model, batch_size: int | None = None) -> str:
    """The CUDA source of ``model`` with build-time sizes (SPARSE rows of ``max_connections``)."""
    plan = make_plan(model)
    return generate_cuda(plan, placeholder_info(plan), batch_size or model.batch_size).source


#: set to "1" to run backend="cuda" on the SIMT emulation (for test suites written against "cuda")
EMULATION_ENV = "GENN_NEUROMOD_CUDA_EMULATION"


@dataclass(frozen=True)
class CudaBuild:
    cpu_build: cpu.CpuBuild
    code_path: Path
    build_time: float
    emulated: bool = False   # kernels run on the SIMT emulation (backends/simt_emulation), not a GPU

    @property
    def plan(self) -> ModelPlan:
        return self.cpu_build.plan

    def device_api(self):
        """CuPy, or its numpy-backed stand-in for the emulation."""
        if self.emulated:
            from .simt_emulation import cupy_emulation

            return cupy_emulation
        from .cuda_runtime import import_cupy

        return import_cupy()

    def create_runtime(self, model, num_recording_timesteps: int | None):
        from .cuda_runtime import Runtime

        return Runtime(self, model, num_recording_timesteps)


class CudaBackend:
    name = "cuda"
    supports_batching = True
    emulated = False  # True: the kernels run on the SIMT emulation (EmulatedCudaBackend, or EMULATION_ENV set)
    #: ours (cuda_graphs, nvrtc_options), the cpu backend's num_threads (host-side initialisation) and PyGeNN's
    #: CUDA preferences, which are accepted and have no effect here
    preferences = {**COMMON_PREFERENCES, "cuda_graphs": True, "nvrtc_options": (), "num_threads": 1,
                   "show_ptx_info": False, "generate_line_info": False, "enable_nvtx": False,
                   "device_select_method": None, "manual_device_id": 0, "block_size_select_method": None,
                   "manual_block_sizes": None, "constant_cache_overhead": None, "enable_nccl_reductions": False}

    def build(self, model, code_path: str, always_rebuild: bool = False) -> CudaBuild:
        """Write ``model.cu`` and compile the host-side initialisation library (no GPU needed)."""
        start = time.perf_counter()
        source = generate_cuda_source(model)
        os.makedirs(code_path, exist_ok=True)
        cu_file = Path(code_path) / "model.cu"
        if not cu_file.exists() or cu_file.read_text() != source:
            cu_file.write_text(source)
        cpu_build = cpu.BACKEND.build(model, code_path, always_rebuild)
        emulated = self.emulated or os.environ.get(EMULATION_ENV, "") not in ("", "0")
        return CudaBuild(cpu_build, Path(code_path), time.perf_counter() - start, emulated)


class EmulatedCudaBackend(CudaBackend):
    """``backend="cuda_emulated"``: the cuda backend's kernels run on the SIMT emulation (compiled as C++ with
    ``backends/simt_emulation/simt.h``, every block's threads as fibers). A test device that needs no GPU; slow."""

    name = "cuda_emulated"
    emulated = True


BACKEND = CudaBackend()
EMULATED_BACKEND = EmulatedCudaBackend()
