"""Backends turn generated code into a running model: ``cpu`` (C via the system compiler), ``cuda`` (CuPy)."""

from __future__ import annotations


def get_backend(name: str):
    if name == "single_threaded_cpu":
        from . import cpu

        return cpu
    if name == "cuda":
        from . import cuda

        return cuda
    raise ValueError(f"unknown backend '{name}'")
