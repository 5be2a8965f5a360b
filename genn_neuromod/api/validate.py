"""Checks of the arguments that enter the API, each raising :class:`ModelError` that names the owner and argument.

GeNN validates names (``Utils::validateVecNames``: every parameter, variable and EGP name a valid C identifier)
and types when a model is created; these helpers do the same here, plus the counts and sizes that would otherwise
reach the C compiler or the running kernels (a population of 2.5 or 10**12 neurons, a negative step count).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..compiler.errors import ModelError

#: C keywords and the snippet language's type names: never a parameter, variable or group name
C_KEYWORDS = frozenset("""auto break case char const continue default do double else enum extern float for goto if
inline int long register restrict return short signed sizeof static struct switch typedef union unsigned void
volatile while bool true false scalar timepoint int8_t uint8_t int16_t uint16_t int32_t uint32_t int64_t uint64_t
size_t""".split())
#: names every code field defines itself (time, step, indices, sizes): a model's own name would shadow them
BUILT_IN_NAMES = frozenset("t dt id id_pre id_post id_syn id_kernel batch num_batch num_neurons num_pre num_post "
                           "num_threads".split())
#: the largest population the engine indexes (32-bit neuron ids, as GeNN)
MAX_NEURONS = 2**31 - 1
#: the most OpenMP threads a model may ask for
MAX_THREADS = 1024


def check_identifier(name, what: str, owner: str) -> str:
    """``name`` as a valid C identifier that is neither a keyword nor a built-in name of the snippet language."""
    if not isinstance(name, str) or not name.isidentifier() or not name.isascii():
        raise ModelError(f"{owner}: {what} name {name!r} is not a valid identifier (letters, digits and '_', not "
                         "starting with a digit)")
    if name in C_KEYWORDS:
        raise ModelError(f"{owner}: {what} name '{name}' is a C keyword or type name")
    if name in BUILT_IN_NAMES:
        raise ModelError(f"{owner}: {what} name '{name}' is a built-in name of the snippet language "
                         f"({', '.join(sorted(BUILT_IN_NAMES))})")
    return name


def check_group_name(name, owner: str) -> str:
    """A group's name: letters, digits and '_' (it may start with a digit: GeNN's ``validatePopName``)."""
    if not isinstance(name, str) or not name or not all(c == "_" or (c.isascii() and c.isalnum()) for c in name):
        raise ModelError(f"{owner}: the group name {name!r} is not valid: use letters, digits and '_' only")
    return name


def check_count(value, what: str, owner: str, minimum: int = 0, maximum: int | None = None) -> int:
    """A whole number in [minimum, maximum]: ``2.5``, ``True``, ``-1`` and ``10**12`` refused with the range."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer() and math.isfinite(value):
            value = int(value)
        else:
            raise ModelError(f"{owner}: {what} must be a whole number, got {value!r}")
    value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
        upper = f", at most {maximum:,}" if maximum is not None else ""
        raise ModelError(f"{owner}: {what} must be at least {minimum}{upper}; got {value:,}")
    return value


def check_finite_positive(value, what: str, owner: str) -> float:
    """A finite number above zero."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ModelError(f"{owner}: {what} must be a number, got {value!r}") from None
    if not math.isfinite(f) or f <= 0.0:
        raise ModelError(f"{owner}: {what} must be a finite number above 0, got {value!r}")
    return f


def check_unique(names, what: str, owner: str) -> None:
    """No name declared twice among a model's parameters, variables, EGPs and references."""
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise ModelError(f"{owner}: the name '{n}' is declared more than once ({what})")
        seen.add(n)


def check_values_fit(values, type_name: str, what: str, owner: str) -> None:
    """Initial values of an integer or bool variable: whole numbers inside the type's range (a negative value for
    an unsigned variable would otherwise wrap or overflow at load)."""
    from . import types

    t = types.normalise(type_name)
    if t in ("scalar", "timepoint") or types.is_float(t) or values is None:
        return
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ModelError(f"{owner}: {what} must be numbers, got {values!r}") from None
    if arr.size == 0:
        return
    info = np.iinfo(types.numpy_dtype(t)) if t != "bool" else None
    lo, hi = (0, 1) if info is None else (info.min, info.max)
    flat = arr.ravel()
    fits = np.isfinite(flat) & (flat == np.round(flat)) & (flat >= lo) & (flat <= hi)
    if not np.all(fits):
        bad = flat[~fits][0]
        raise ModelError(f"{owner}: {what} is of type '{type_name}' and takes whole numbers in [{lo}, {hi}]; "
                         f"got {float(bad):g}")


def check_shape(values, shape: tuple, what: str, owner: str) -> np.ndarray:
    """``values`` as an array that fits ``shape`` (a scalar, or an array of that shape or one numpy broadcasts)."""
    arr = np.asarray(values)
    try:
        np.broadcast_to(arr, shape)
    except ValueError:
        raise ModelError(f"{owner}: {what} takes {int(np.prod(shape))} values (shape {shape}) or one value; got "
                         f"shape {arr.shape}") from None
    return arr
