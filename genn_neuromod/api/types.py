"""GeNN's numeric types (``pygenn.types``), as the C type names snippets use."""

from __future__ import annotations

import numpy as np

Float = "float"
Double = "double"
Int8 = "int8_t"
Int16 = "int16_t"
Int32 = "int"
Int64 = "int64_t"
Uint8 = "uint8_t"
Uint16 = "uint16_t"
Uint32 = "unsigned int"
Uint64 = "uint64_t"
Bool = "bool"

_NUMPY = {
    "float": np.float32, "double": np.float64,
    "int8_t": np.int8, "int16_t": np.int16, "int": np.int32, "int32_t": np.int32, "int64_t": np.int64,
    "uint8_t": np.uint8, "uint16_t": np.uint16, "unsigned int": np.uint32, "uint32_t": np.uint32,
    "uint64_t": np.uint64, "bool": np.bool_, "unsigned char": np.uint8, "char": np.int8,
    "unsigned short": np.uint16, "short": np.int16, "unsigned long long": np.uint64,
    "long long": np.int64, "size_t": np.uint64,
}

#: C spelling of each type in generated code
_C = {"bool": "bool", "int": "int32_t", "int32_t": "int32_t", "unsigned int": "uint32_t",
      "uint32_t": "uint32_t", "unsigned char": "uint8_t", "char": "int8_t", "unsigned short": "uint16_t",
      "short": "int16_t", "unsigned long long": "uint64_t", "long long": "int64_t", "size_t": "uint64_t"}


def normalise(type_name: str) -> str:
    """Collapse whitespace: ``'unsigned  int'`` -> ``'unsigned int'``."""
    return " ".join(str(type_name).split())


def resolve(type_name: str, precision: str, time_precision: str) -> str:
    """Resolve ``scalar``/``timepoint`` to concrete types."""
    t = normalise(type_name)
    if t == "scalar":
        return precision
    if t == "timepoint":
        return time_precision
    return t


def numpy_dtype(type_name: str) -> np.dtype:
    t = normalise(type_name)
    try:
        return np.dtype(_NUMPY[t])
    except KeyError:
        raise ValueError(f"unknown type '{type_name}'; use one of: scalar, timepoint, "
                         + ", ".join(sorted(_NUMPY))) from None


def known() -> list[str]:
    """The concrete type names the engine knows (besides ``scalar`` and ``timepoint``)."""
    return sorted(_NUMPY)


def c_name(type_name: str) -> str:
    t = normalise(type_name)
    return _C.get(t, t)


def is_float(type_name: str) -> bool:
    return normalise(type_name) in ("float", "double", "scalar", "timepoint")
