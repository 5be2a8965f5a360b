"""``backend="cuda_emulated"``: the cuda backend on the SIMT emulation of ``backends/simt_emulation`` (no GPU)."""

from .cuda import EMULATED_BACKEND as BACKEND

__all__ = ["BACKEND"]
