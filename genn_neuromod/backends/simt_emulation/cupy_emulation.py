"""A stand-in for the few CuPy calls the cuda runtime makes, backed by numpy and the SIMT emulation (``simt.h``).

``RawModule(code=...)`` compiles the generated ``.cu`` as C++ with the emulation header and one launcher per
kernel; ``get_function(name)(grid, block, args)`` runs the kernel on the emulated grid; ``get_global`` copies
into the module's ``__device__``/``__constant__`` globals; ``empty`` gives "device" arrays that are numpy arrays
in host memory; streams are synchronous and a captured graph replays its launches.  With it,
``backends/cuda_runtime.py`` runs unchanged without a GPU (``backend="cuda_emulated"``).  A test device.
"""

from __future__ import annotations

import ctypes
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from ..compile import compile_shared

HERE = Path(__file__).parent
#: C++ flags of emulated modules: IEEE arithmetic without FMA contraction, as NVRTC with --fmad=false
CXXFLAGS = ["-std=gnu++17", "-O1", "-fPIC", "-shared", "-ffp-contract=off", "-fno-fast-math", "-w"]

_KERNEL = re.compile(r'extern\s+"C"\s+__global__\s+void\s+(\w+)\s*\(([^)]*)\)')
_CTYPES = {"unsigned long long": ctypes.c_ulonglong, "unsigned int": ctypes.c_uint, "int": ctypes.c_int,
           "unsigned long": ctypes.c_ulong, "long long": ctypes.c_longlong, "float": ctypes.c_float,
           "double": ctypes.c_double, "uint32_t": ctypes.c_uint32, "uint64_t": ctypes.c_uint64}


class EmulationError(RuntimeError):
    """A kernel did something a GPU would hang on or leave undefined (divergent barrier, bad shuffle, ...)."""


def _parameters(text: str) -> list[tuple[str, type]]:
    """(name, ctypes type) of each kernel parameter."""
    out = []
    for p in filter(None, (s.strip() for s in text.split(","))):
        if p == "void":
            continue
        words = p.replace("*", " * ").split()
        name = words[-1]
        ctype_words = [w for w in words[:-1] if w not in ("const", "__restrict__")]
        out.append((name, ctypes.c_void_p if "*" in ctype_words else _CTYPES[" ".join(ctype_words)]))
    return out


_SYNC = re.compile(r"\b(__syncthreads|__ballot_sync|__shfl_sync|__shfl_down_sync|__shfl_up_sync|__shfl_xor_sync|"
                   r"__syncwarp|__any_sync|__all_sync)\b")
_FUNCTION = re.compile(r"\b(\w+)\s*\([^;{}]*\)\s*(?:->\s*[\w:<>]+\s*)?\{")


def _bodies(code: str) -> dict[str, str]:
    """The body of every function defined at file scope (by brace matching), by name."""
    out: dict[str, str] = {}
    for m in _FUNCTION.finditer(code):
        depth, i = 0, m.end() - 1
        while i < len(code):
            depth += {"{": 1, "}": -1}.get(code[i], 0)
            if depth == 0:
                break
            i += 1
        out.setdefault(m.group(1), code[m.end():i])
    return out


def kernels_needing_fibers(code: str) -> set[str]:
    """The kernels that reach a barrier or warp collective, directly or through the functions they call: only
    those run their threads as fibers; the others run each thread to its end in turn (much faster)."""
    bodies = _bodies(code)
    syncing = {name for name, body in bodies.items() if _SYNC.search(body)}
    while True:  # callers of syncing functions sync too
        more = {name for name, body in bodies.items() if name not in syncing
                and any(re.search(rf"\b{re.escape(s)}\s*\(", body) for s in syncing)}
        if not more:
            return syncing
        syncing |= more


def kernel_signatures(code: str) -> dict[str, tuple[str, list[tuple[str, type]]]]:
    """Each ``extern "C" __global__`` kernel of ``code``: its parameter list as written and as (name, ctype)."""
    return {name: (params, _parameters(params)) for name, params in _KERNEL.findall(code)}


def emulated_source(code: str, kernels: dict | None = None) -> str:
    """The translation unit of an emulated module: header, kernels, one launcher per kernel, scheduler."""
    launchers = []
    fibers = kernels_needing_fibers(code)
    for name, (params, args) in (kernels or kernel_signatures(code)).items():
        decl = "".join(f", {p.strip()}" for p in params.split(",") if p.strip() not in ("", "void"))
        call = ", ".join(n for n, _ in args)
        launchers.append(
            f'extern "C" int gn_emu_launch_{name}(unsigned int gx, unsigned int gy, unsigned int bx{decl})\n'
            "{\n"
            f"    auto call = [&]() {{ {name}({call}); }};\n"
            "    gn_emu::Launch l{gx, gy, bx, [](void *c) { (*static_cast<decltype(call) *>(c))(); }, &call, "
            f"{'true' if name in fibers else 'false'}}};\n"
            "    gn_emu::launch(l);\n"
            "    return gn_emu::error[0] ? 1 : 0;\n"
            "}\n")
    return "\n".join([(HERE / "simt.h").read_text(), "#line 1 \"model.cu\"", code,
                      "/* ---- launchers (emulation) ---- */", *launchers, (HERE / "simt_runtime.inc").read_text()])



# ----------------------------------------------------------------------------------------------- "device"
class _Pointer:
    def __init__(self, array: np.ndarray):
        self._array = array

    @property
    def ptr(self) -> int:
        return self._array.ctypes.data


class ndarray:
    """A "device" array: a numpy array in host memory that the emulated kernels address directly."""

    def __init__(self, host: np.ndarray):
        self._host = host

    @property
    def data(self) -> _Pointer:
        return _Pointer(self._host)

    shape = property(lambda self: self._host.shape)
    size = property(lambda self: self._host.size)
    dtype = property(lambda self: self._host.dtype)
    nbytes = property(lambda self: self._host.nbytes)

    def __getitem__(self, key) -> ndarray:
        return ndarray(self._host[key])

    def reshape(self, *shape) -> ndarray:
        return ndarray(self._host.reshape(*shape))

    def __setitem__(self, key, value) -> None:
        self._host[key] = value

    def min(self):
        return self._host.min()

    def max(self):
        return self._host.max()

    def set(self, values, stream=None) -> None:
        np.copyto(self._host, np.asarray(values).reshape(self._host.shape), casting="no")

    def get(self, stream=None, out: np.ndarray | None = None) -> np.ndarray:
        if out is None:
            return self._host.copy()
        np.copyto(out, self._host.reshape(out.shape), casting="no")
        return out

    @property
    def __cuda_array_interface__(self) -> dict:
        return {"shape": self._host.shape, "typestr": self._host.dtype.str, "data": (self.data.ptr, False),
                "version": 3, "strides": None}


def empty(shape, dtype=np.float64) -> ndarray:
    return ndarray(np.empty(shape, dtype=dtype))


def asarray(obj) -> ndarray:
    """A "device" array; objects with ``__cuda_array_interface__`` (a model's variables) are wrapped, not copied."""
    if isinstance(obj, ndarray):
        return obj
    iface = getattr(obj, "__cuda_array_interface__", None)
    if iface is None:
        return ndarray(np.asarray(obj))
    dtype = np.dtype(iface["typestr"])
    count = int(np.prod(iface["shape"], dtype=np.int64))
    buffer = (ctypes.c_char * (count * dtype.itemsize)).from_address(iface["data"][0])
    return ndarray(np.frombuffer(buffer, dtype=dtype, count=count).reshape(iface["shape"]))


# ----------------------------------------------------------------------------------------------- streams
_capture: list | None = None


class Graph:
    def __init__(self, launches: list):
        self._launches = launches

    def launch(self, stream=None) -> None:
        for kernel, grid, block, args in self._launches:
            kernel._run(grid, block, args)


class Stream:
    """Synchronous: work runs when it is issued; a capture records launches for a :class:`Graph`."""

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def synchronize(self) -> None:
        return None

    def begin_capture(self) -> None:
        global _capture
        _capture = []

    def end_capture(self) -> Graph:
        global _capture
        launches, _capture = _capture or [], None
        return Graph(launches)


# ----------------------------------------------------------------------------------------------- modules
class _Global:
    def __init__(self, address: int):
        self._address = address

    def copy_from_host(self, pointer: int, nbytes: int) -> None:
        ctypes.memmove(self._address, pointer, nbytes)

    def copy_to_host(self, pointer: int, nbytes: int) -> None:
        ctypes.memmove(pointer, self._address, nbytes)


class _Kernel:
    def __init__(self, module: RawModule, name: str, params: list[tuple[str, type]]):
        self.name = name
        self._module = module
        self._params = params
        self._fn = getattr(module._lib, f"gn_emu_launch_{name}")
        self._fn.argtypes = [ctypes.c_uint] * 3 + [t for _, t in params]
        self._fn.restype = ctypes.c_int

    def __call__(self, grid, block, args=()) -> None:
        if _capture is not None:
            _capture.append((self, grid, block, args))
            return
        self._run(grid, block, args)

    def _run(self, grid, block, args) -> None:
        grid = tuple(grid) + (1, 1)
        block = tuple(block) + (1, 1)
        if block[1] != 1 or block[2] != 1 or grid[2] != 1:
            raise EmulationError(f"kernel {self.name}: the emulation runs 2D grids of 1D blocks")
        if len(args) != len(self._params):
            raise EmulationError(f"kernel {self.name} takes {len(self._params)} arguments, {len(args)} given")
        values = [int(a) if t not in (ctypes.c_float, ctypes.c_double) else float(a)
                  for a, (_, t) in zip(args, self._params, strict=True)]
        if self._fn(int(grid[0]), int(grid[1]), int(block[0]), *values):
            raise EmulationError(f"kernel {self.name}: {self._module._lib.gn_emu_error().decode()}")


class RawModule:
    """The emulated counterpart of ``cupy.RawModule(code=...)``: compiled with the machine's C++ compiler."""

    def __init__(self, code: str, options=(), **kwargs):
        self.code = code
        signatures = kernel_signatures(code)
        self._lib = ctypes.CDLL(str(compile_shared(emulated_source(code, signatures), extra_flags=CXXFLAGS,
                                                   language="c++")))
        self._lib.gn_emu_error.restype = ctypes.c_char_p
        self._kernels = {name: args for name, (_, args) in signatures.items()}

    def get_function(self, name: str) -> _Kernel:
        if name not in self._kernels:
            raise KeyError(f"no kernel '{name}' in the module")
        return _Kernel(self, name, self._kernels[name])

    def get_global(self, name: str) -> _Global:
        return _Global(ctypes.addressof(ctypes.c_char.in_dll(self._lib, name)))


cuda = SimpleNamespace(
    runtime=SimpleNamespace(getDeviceCount=lambda: 1, memGetInfo=lambda: (0, 0)),
    Stream=Stream,
    Device=lambda i=0: SimpleNamespace(name="SIMT emulation (CPU)", id=i),
)
