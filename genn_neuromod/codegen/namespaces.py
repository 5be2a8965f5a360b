"""The names each kind of code field sees, as GeNN 5 defines them.

Every function here returns a :class:`Namespace` mapping snippet names to the
C expressions of the generated kernels (see ``templates/model.c.j2`` for the
local variables those expressions use: ``id``, ``id_pre``, ``lst``, ...).
"""

from __future__ import annotations

from ..api import types
from ..api.enums import VarAccessDim, VarAccessMode, get_var_access_dim, get_var_access_mode
from ..compiler import Function, Namespace, Symbol
from ..compiler.errors import ModelError
from ..rng import stream_id
from .plan import ModelPlan, c_ident


def literal(value, ctype: str) -> str:
    """A C literal of ``value`` with the right type."""
    if types.is_float(ctype):
        v = float(value)
        if v != v:
            return "NAN"
        if v in (float("inf"), float("-inf")):
            return "INFINITY" if v > 0 else "-INFINITY"
        text = repr(v)
        if "e" not in text and "." not in text:
            text += ".0"
        return f"{text}f" if ctype == "float" else text
    if types.normalise(ctype) == "bool":
        return "1" if value else "0"
    iv = int(value)
    unsigned = types.normalise(ctype).startswith(("unsigned", "uint")) or ctype == "size_t"
    return f"{iv}u" if unsigned and iv >= 0 else str(iv)


def rng_functions(plan: ModelPlan, rng: str = "&rng") -> dict[str, Function]:
    s = "f" if plan.precision == "float" else "d"
    return {
        "gennrand": Function(lambda a: f"gn_next_u32({rng})", (0,), True, "uint32_t"),
        "gennrand_uniform": Function(lambda a: f"gn_uniform_{s}({rng})", (0,), True, "scalar"),
        "gennrand_normal": Function(lambda a: f"gn_normal_{s}({rng})", (0,), True, "scalar"),
        "gennrand_exponential": Function(lambda a: f"gn_exponential_{s}({rng})", (0,), True, "scalar"),
        "gennrand_log_normal": Function(lambda a: f"gn_log_normal_{s}({rng}, {a[0]}, {a[1]})", (2,), True,
                                        "scalar"),
        "gennrand_gamma": Function(lambda a: f"gn_gamma_{s}({rng}, {a[0]})", (1,), True, "scalar"),
        "gennrand_binomial": Function(lambda a: f"gn_binomial_d({rng}, {a[0]}, {a[1]})", (2,), True,
                                      "unsigned int"),
    }


def base_namespace(plan: ModelPlan) -> Namespace:
    ns = Namespace()
    ns.add("t", Symbol("t", plan.time_precision, readonly_reason="'t' is the simulation time", uniform=True))
    ns.add("dt", Symbol("DT", plan.time_precision, readonly_reason="'dt' is the timestep", uniform=True))
    ns.add("batch", Symbol(plan.batch_expr, "unsigned int", uniform=True))
    for name, fn in rng_functions(plan).items():
        ns.add_function(name, fn)
    return ns


def add_params(plan: ModelPlan, ns: Namespace, model, params: dict, dynamic: set[str], prefix: str) -> None:
    """Parameters become literals (or globals when dynamic); derived parameters are computed here."""
    values = {}
    for p in model.params:
        ctype = plan.resolve(p.type)
        v = params[p.name]
        if not isinstance(v, (int, float)) and not hasattr(v, "__float__"):
            raise ModelError(f"parameter '{p.name}' must be a number, got {type(v).__name__}")
        values[p.name] = float(v) if types.is_float(ctype) else v
        if p.name in dynamic:
            ns.add(p.name, Symbol(f"{prefix}_dp_{c_ident(p.name)}", ctype,
                                  readonly_reason=f"'{p.name}' is a parameter", uniform=True))
        else:
            ns.add(p.name, Symbol(literal(v, ctype), ctype, readonly_reason=f"'{p.name}' is a parameter",
                                  uniform=True))
    for d in model.derived_params:
        try:
            dv = d.func(dict(values), plan.dt)
        except Exception as exc:
            raise ModelError(f"derived parameter '{d.name}' of model '{model.class_name}' failed: {exc}") from exc
        values[d.name] = dv
        ctype = plan.resolve(d.type)
        ns.add(d.name, Symbol(literal(dv, ctype), ctype, readonly_reason=f"'{d.name}' is a derived parameter",
                              uniform=True))


def add_egps(plan: ModelPlan, ns: Namespace, egps: dict) -> None:
    for name, egp in egps.items():
        pointer = "*" in egp.type
        ctype = plan.resolve(egp.type.replace("*", "").strip())
        if pointer:
            ns.add(name, Symbol(egp._cname, ctype + "*", writable=True,
                                readonly_reason=f"'{name}' is an extra global parameter array",
                                index=lambda i, c=egp._cname: f"{c}[{i}]"))
        else:
            ns.add(name, Symbol(f"{egp._cname}[0]", ctype,
                                readonly_reason=f"'{name}' is an extra global parameter", uniform=True))


def var_symbol(name: str, c_expr: str, ctype: str, access: int, what: str = "variable") -> Symbol:
    writable = get_var_access_mode(access) != VarAccessMode.READ_ONLY
    return Symbol(c_expr, ctype, writable=writable,
                  readonly_reason=f"{what} '{name}' has read-only access ({_access_name(access)})")


def _access_name(access: int) -> str:
    try:
        return VarAccessMode(int(access) & 0x3F).name
    except ValueError:
        return str(int(access))


def stream(group, field: str) -> str:
    return f"{stream_id(group.name, field)}u"


def neuron_local(v) -> str:
    return f"l_{c_ident(v)}"


def is_element(access: int) -> bool:
    return bool(get_var_access_dim(access) & VarAccessDim.ELEMENT)
