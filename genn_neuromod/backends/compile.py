"""Compile generated C into a shared library, cached by a hash of source and flags."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

#: flags: optimised, no FMA contraction (bitwise-reproducible arithmetic), no errno from maths, no
#: floating-point traps (comparisons may then be if-converted, so loops with branches vectorise; values are
#: unchanged); the CPU backend adds ``-fopenmp-simd`` (single thread) or ``-fopenmp`` (threads)
CFLAGS = ["-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math",
          "-std=gnu11", "-fPIC", "-shared",
          "--param", "vect-max-version-for-alias-checks=256",
          "-fvisibility=hidden", "-w"]


class CompileError(RuntimeError):
    """The C compiler rejected generated code (a bug in genn_neuromod, not in the user's snippet)."""


def cache_dir() -> Path:
    root = os.environ.get("GENN_NEUROMOD_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "genn_neuromod")
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def compiler() -> str:
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        raise CompileError("no C compiler found: install gcc or clang (e.g. 'apt-get install gcc'), "
                           "or set CC")
    return cc


def cxx_compiler() -> str:
    cxx = os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
    if cxx is None:
        raise CompileError("no C++ compiler found (the CUDA emulation needs one): install g++ or clang++, or set CXX")
    return cxx


def compile_shared(source: str, always_rebuild: bool = False, extra_flags: list[str] | None = None,
                   language: str = "c") -> Path:
    """Return the path of a shared library built from ``source``; reuse a cached one when unchanged.

    ``language="c"`` compiles with :data:`CFLAGS` plus ``extra_flags``; ``"c++"`` with the C++ compiler and only
    ``extra_flags``."""
    cc = compiler() if language == "c" else cxx_compiler()
    flags = CFLAGS + list(extra_flags or []) if language == "c" else list(extra_flags or [])
    suffix = ".c" if language == "c" else ".cpp"
    key = hashlib.sha256((cc + "\0" + " ".join(flags) + "\0" + source).encode()).hexdigest()[:24]
    out = cache_dir() / f"gn_{key}.so"
    if out.exists() and not always_rebuild:
        return out
    with tempfile.TemporaryDirectory(dir=cache_dir()) as tmp:
        src = Path(tmp) / f"model{suffix}"
        src.write_text(source)
        lib = Path(tmp) / "model.so"
        proc = subprocess.run([cc, *flags, "-o", str(lib), str(src), "-lm"], capture_output=True, text=True)
        if proc.returncode != 0:
            kept = cache_dir() / f"failed_{key}{suffix}"
            kept.write_text(source)
            first = "\n".join(proc.stderr.strip().splitlines()[:15])
            raise CompileError(f"the C compiler rejected the generated code (kept in {kept}); this is a bug "
                               f"in genn_neuromod, please report it with the model that caused it:\n{first}")
        os.replace(lib, out)  # atomic: concurrent builds of the same model are safe
    return out
