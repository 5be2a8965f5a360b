"""Backends turn generated code into a running model: ``cpu`` (C via the system compiler), ``cuda`` (CuPy).

The contracts (:class:`~.base.Backend`, :class:`~.base.Build`, :class:`~.base.Runtime`) and the registry are
in :mod:`.base`.
"""

from __future__ import annotations

from .base import Backend, Build, Runtime, backend_names, canonical_name, get_backend, register_backend

__all__ = ["Backend", "Build", "Runtime", "backend_names", "canonical_name", "get_backend", "register_backend"]
