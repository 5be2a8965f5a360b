"""The names a code field sees: one builder for every kind of group (in the spirit of GeNN's ``environment.h``).

An :class:`Environment` starts with what every field sees (``t``, ``dt``, ``batch``, ``num_batch``, the
``gennrand_*`` functions) and is extended by the kernel that compiles a field: the model's parameters and derived
parameters, its extra global parameters, its variables and variable references, the element built-ins of
the field's kind (``id`` and ``num_neurons`` for neuron-like code, ``id_pre``/``id_post``/``id_syn``/
``num_pre``/``num_post`` for synaptic code) and the field's special functions (``addToPost``,
``injectCurrent``, ...).  Each entry maps a snippet name to the C expression it becomes in the kernel;
the kernels' templates declare the locals those expressions use (``id``, ``lst``, ``l_V``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..api import types
from ..api.enums import VarAccessDim, VarAccessMode, get_var_access_dim, get_var_access_mode
from ..api.refs import VarReference
from ..api.snippets import derived_param_values
from ..compiler import Function, Namespace, Symbol
from ..compiler.errors import ModelError
from ..rng import stream_id
from .plan import ModelPlan, c_ident


@dataclass(frozen=True)
class Target:
    """What the generated code is for: the C of the cpu backend or the CUDA of the cuda backend."""

    name: str
    atomic: bool   # accumulate into shared targets (addToPost, ...) with atomicAdd
    batch: str     # the C expression of the snippet name 'batch'


C_TARGET = Target("c", atomic=False, batch="0u")
C_BATCHED_TARGET = Target("c", atomic=False, batch="batch")  # each C kernel takes its instance as 'batch'
CUDA_TARGET = Target("cuda", atomic=True, batch="batch")

#: the element built-ins of each kind of code field (GeNN 5): name -> size built-in of the same field
ELEMENT_BUILTINS = {
    "neuron": ("id",),
    "synapse": ("id_pre", "id_post", "id_syn"),
}


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


def stream(group, field: str) -> str:
    """The C literal of the random-number stream of one code field of one group."""
    return f"{stream_id(group.name, field)}u"


def is_element(access: int) -> bool:
    """Whether a variable has one value per element (neuron or synapse) rather than one shared value."""
    return bool(get_var_access_dim(access) & VarAccessDim.ELEMENT)


def _access_name(access: int) -> str:
    try:
        return VarAccessMode(int(access) & 0x3F).name
    except ValueError:
        return str(int(access))


def context(kind: str, group, model, field_name: str) -> str:
    """How errors name a code field: ``Neuron group 'Pop' (model 'LIF') sim_code``."""
    return f"{kind} '{group.name}' (model '{model.class_name}') {field_name}"


class Environment:
    """The namespace of one code field, built step by step (every method returns the environment)."""

    def __init__(self, plan: ModelPlan, target: Target, namespace: Namespace | None = None, time: bool = True):
        """``time=False`` for initialisation code, which runs before time starts: no ``t`` there (as GeNN)."""
        self.plan = plan
        self.target = target
        if namespace is not None:
            self.namespace = namespace
            return
        self.namespace = Namespace()
        tt = plan.time_precision
        if time:
            self.namespace.add("t", Symbol("t", tt, readonly_reason="'t' is the simulation time", uniform=True))
        self.namespace.add("dt", Symbol("DT", tt, readonly_reason="'dt' is the timestep", uniform=True))
        self.namespace.add("batch", Symbol(target.batch, "unsigned int", uniform=True))
        self.constant("num_batch", max(int(plan.model.batch_size), 1), "unsigned int")
        s = "f" if plan.precision == "float" else "d"
        rng = {
            "gennrand": Function(lambda a: "gn_next_u32(&rng)", (0,), True, "uint32_t"),
            "gennrand_uniform": Function(lambda a: f"gn_uniform_{s}(&rng)", (0,), True, "scalar"),
            "gennrand_normal": Function(lambda a: f"gn_normal_{s}(&rng)", (0,), True, "scalar"),
            "gennrand_exponential": Function(lambda a: f"gn_exponential_{s}(&rng)", (0,), True, "scalar"),
            "gennrand_log_normal": Function(lambda a: f"gn_log_normal_{s}(&rng, {a[0]}, {a[1]})", (2,), True,
                                            "scalar"),
            "gennrand_gamma": Function(lambda a: f"gn_gamma_{s}(&rng, {a[0]})", (1,), True, "scalar"),
            "gennrand_binomial": Function(lambda a: f"gn_binomial_d(&rng, {a[0]}, {a[1]})", (2,), True,
                                          "unsigned int"),
            # not in GeNN 5.4: a Poisson count drawn without a loop over uniforms (see rng/philox.h)
            "gennrand_poisson": Function(lambda a: f"gn_poisson_d(&rng, {a[0]})", (1,), True, "unsigned int"),
        }
        for name, fn in rng.items():
            self.namespace.add_function(name, fn)

    def copy(self) -> Environment:
        return Environment(self.plan, self.target, self.namespace.copy())

    def resolve(self, t: str) -> str:
        return self.plan.resolve(t)

    # -- built-ins ---------------------------------------------------------------------------
    def element(self, kind: str, **sizes: int) -> Environment:
        """The element indices of a field's kind (``id``; ``id_pre``, ...) and its sizes (``num_neurons=``)."""
        for name in ELEMENT_BUILTINS[kind]:
            self.namespace.add(name, Symbol(name, "unsigned int"))
        for name, value in sizes.items():
            self.constant(name, value, "unsigned int")
        return self

    def constant(self, name: str, value, ctype: str) -> Environment:
        self.namespace.add(name, Symbol(literal(value, self.resolve(ctype)), ctype, uniform=True,
                                        readonly_reason=f"'{name}' is a constant"))
        return self

    def readonly(self, name: str, c_expr: str, ctype: str, reason: str | None = None,
                 index=None) -> Environment:
        self.namespace.add(name, Symbol(c_expr, ctype, readonly_reason=reason or f"'{name}' is read-only",
                                        index=index))
        return self

    def writable(self, name: str, c_expr: str, ctype: str, write_only: bool = False) -> Environment:
        self.namespace.add(name, Symbol(c_expr, ctype, writable=True, write_only=write_only))
        return self

    def function(self, name: str, fn: Function) -> Environment:
        self.namespace.add_function(name, fn)
        return self

    def accumulate(self, target: str, value: str) -> str:
        """C that adds ``value`` into ``target`` (atomically on targets where threads share it)."""
        if self.target.atomic:
            return f"atomicAdd(&{target}, (scalar)({value}))"
        return f"{target} += {value}"

    # -- parameters and extra global parameters ----------------------------------------------
    def params(self, model, values: dict, dynamic: set[str], prefix: str) -> Environment:
        """Parameters become literals (globals when dynamic); derived parameters are computed here (they need
        the final ``dt``)."""
        computed = {}
        for p in model.params:
            ctype = self.resolve(p.type)
            v = values[p.name]
            if not isinstance(v, (int, float)) and not hasattr(v, "__float__"):
                raise ModelError(f"parameter '{p.name}' must be a number, got {type(v).__name__}")
            computed[p.name] = float(v) if types.is_float(ctype) else v
            if p.name in dynamic:
                c_expr = f"{prefix}_dp_{c_ident(p.name)}"
            else:
                c_expr = literal(v, ctype)
            self.namespace.add(p.name, Symbol(c_expr, ctype, readonly_reason=f"'{p.name}' is a parameter",
                                              uniform=True))
        derived = derived_param_values(model, computed, self.plan.dt)
        for d in model.derived_params:
            dv = derived[d.name]
            ctype = self.resolve(d.type)
            self.namespace.add(d.name, Symbol(literal(dv, ctype), ctype, uniform=True,
                                              readonly_reason=f"'{d.name}' is a derived parameter"))
        return self

    def egps(self, egps: dict) -> Environment:
        """Extra global parameters: scalars read as values, pointers (``"scalar*"``) indexed as arrays."""
        for name, egp in egps.items():
            cname = self.plan.spec_of(egp).cname
            ctype = self.resolve(egp.type.replace("*", "").strip())
            if "*" in egp.type:
                self.namespace.add(name, Symbol(cname, ctype + "*", writable=True,
                                                readonly_reason=f"'{name}' is an extra global parameter array",
                                                index=lambda i, c=cname: f"{c}[{i}]"))
            else:
                self.namespace.add(name, Symbol(f"{cname}[0]", ctype, uniform=True,
                                                readonly_reason=f"'{name}' is an extra global parameter"))
        return self

    # -- variables and references ---------------------------------------------------------------
    def var(self, name: str, c_expr: str, ctype: str, access: int, what: str = "variable",
            index=None) -> Environment:
        """A variable; writable unless its access mode is read-only."""
        writable = get_var_access_mode(access) != VarAccessMode.READ_ONLY
        self.namespace.add(name, Symbol(c_expr, ctype, writable=writable, index=index,
                                        readonly_reason=f"{what} '{name}' has read-only access "
                                                        f"({_access_name(access)})"))
        return self

    def reference(self, name: str, c_expr: str, ctype: str, writable: bool) -> Environment:
        """A variable reference: writable unless its access mode (or its target) is read-only."""
        self.namespace.add(name, Symbol(c_expr, ctype, writable=writable,
                                        readonly_reason=f"variable reference '{name}' is read-only"))
        return self

    def neuron_var_refs(self, defs, targets: dict, neuron: Environment) -> Environment:
        """Neuron variable references of code in the neuron kernel: the neuron's own locals.

        The references were checked when the group was added (they name variables of the neuron group).
        """
        for r in defs:
            target = targets[r.name]
            name = target.var_name if isinstance(target, VarReference) else target
            base = neuron.namespace.symbols[name]
            self.reference(r.name, base.c_expr, base.ctype,
                           base.writable and get_var_access_mode(r.access) != VarAccessMode.READ_ONLY)
        return self
