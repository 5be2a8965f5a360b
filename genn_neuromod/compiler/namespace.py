"""What a name in a snippet can mean: the namespace a code field is compiled against."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Symbol:
    """A name visible to a snippet.

    ``c_expr`` is the C expression it becomes.  ``writable`` says whether the
    snippet may assign to it; ``readonly_reason`` explains why not (shown in
    the error).  ``uniform`` names take one value for a whole group in a step,
    so a condition made only of them can be tested once, outside the loop.
    ``index`` turns ``name[i]`` into C for delayed reads (``postVar[d]``) and
    for extra global parameter arrays.
    """

    c_expr: str
    ctype: str = "scalar"
    writable: bool = False
    readonly_reason: str = "it is read-only here"
    index: Callable[[str], str] | None = None
    write_only: bool = False  # reduction targets: assign with '=', never read
    uniform: bool = False  # the same for every element of a group in a step (t, dt, parameters)


@dataclass
class Function:
    """A function a snippet may call; ``emit`` builds C from the C of its arguments.

    ``nargs`` lists the numbers of arguments it accepts (None: any); ``returns`` is the snippet type of its
    result (``"void"`` for statements such as ``addToPost``); a ``block`` function expands to a C block (the
    synapse code Toeplitz connectivity's ``addSynapse`` runs).
    """

    emit: Callable[[list[str]], str]
    nargs: tuple[int, ...] | None = None
    uses_rng: bool = False
    returns: str = "void"
    block: bool = False  # emit() is a C block (called as a statement), not an expression


@dataclass
class ForEachSynapse:
    """What ``for_each_synapse { ... }`` means in a code field: the C that opens and closes the loop, and the
    names (``id_post``, synapse variables, ``remove_synapse()``, ...) visible only inside its body."""

    header: str
    footer: str
    symbols: dict[str, Symbol] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)


@dataclass
class Namespace:
    """Symbols and functions visible in one code field."""

    symbols: dict[str, Symbol] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    for_each_synapse: ForEachSynapse | None = None
    host_code: bool = False  # host code (custom connectivity updates): pointers may be declared, as in GeNN
    hidden: dict[str, str] = field(default_factory=dict)  # names a field cannot use here -> why

    def add(self, name: str, symbol: Symbol) -> None:
        self.symbols[name] = symbol

    def add_function(self, name: str, function: Function) -> None:
        self.functions[name] = function

    def copy(self) -> Namespace:
        return Namespace(dict(self.symbols), dict(self.functions), self.for_each_synapse, self.host_code,
                         dict(self.hidden))

    def inside_for_each_synapse(self) -> Namespace:
        """The names of the body of a ``for_each_synapse`` loop (it cannot be nested)."""
        loop = self.for_each_synapse
        return Namespace({**self.symbols, **loop.symbols}, {**self.functions, **loop.functions}, None, self.host_code,
                         dict(self.hidden))


#: C99 maths (and a few GeNN extras) available in every snippet; tgmath.h picks
#: the float or double overload from the argument types, as GeNN does.
MATHS_FUNCTIONS = frozenset("""
cos sin tan acos asin atan atan2 cosh sinh tanh acosh asinh atanh exp exp2 expm1
log log1p log2 log10 ldexp ilogb logb pow sqrt cbrt hypot ceil floor fmod round rint
trunc lrint lround llrint llround nearbyint remainder remquo fabs fmax fmin fdim fma
copysign nextafter tgamma lgamma erf erfc frexp modf scalbn scalbln isinf isnan
isfinite signbit abs labs min max printf
""".split())
