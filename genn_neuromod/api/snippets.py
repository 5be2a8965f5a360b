"""Model definitions: the ``create_*`` functions of PyGeNN 5 and the classes they return.

A model is plain data: its parameters, variables, references and code strings.
Nothing is compiled here; :mod:`genn_neuromod.codegen` does that at ``build()``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from textwrap import dedent
from typing import Any

from ..compiler.errors import ModelError
from .enums import CustomUpdateVarAccess, VarAccess, VarAccessMode


@dataclass(frozen=True)
class Param:
    name: str
    type: str = "scalar"


@dataclass(frozen=True)
class Var:
    name: str
    type: str = "scalar"
    access: int = VarAccess.READ_WRITE


@dataclass(frozen=True)
class VarRef:
    name: str
    type: str = "scalar"
    access: int = VarAccessMode.READ_WRITE


@dataclass(frozen=True)
class EGP:
    name: str
    type: str


@dataclass(frozen=True)
class EGPRef:
    name: str
    type: str


@dataclass(frozen=True)
class DerivedParam:
    name: str
    func: Callable[[dict[str, float], float], float]
    type: str = "scalar"


@dataclass(frozen=True)
class AdditionalInputVar:
    name: str
    type: str
    value: float


def _params(spec: Sequence | None) -> tuple[Param, ...]:
    out = []
    for p in spec or ():
        out.append(Param(p) if isinstance(p, str) else Param(*p))
    return tuple(out)


def _vars(spec: Sequence | None, default_access=VarAccess.READ_WRITE) -> tuple[Var, ...]:
    out = []
    for v in spec or ():
        if isinstance(v, Var):
            out.append(v)
        elif isinstance(v, str):
            out.append(Var(v, "scalar", default_access))
        else:
            out.append(Var(v[0], v[1] if len(v) > 1 else "scalar",
                           _access(v[2], default_access) if len(v) > 2 else default_access))
    return tuple(out)


def _var_refs(spec: Sequence | None) -> tuple[VarRef, ...]:
    out = []
    for v in spec or ():
        if isinstance(v, str):
            out.append(VarRef(v))
        else:
            out.append(VarRef(v[0], v[1] if len(v) > 1 else "scalar",
                              v[2] if len(v) > 2 else VarAccessMode.READ_WRITE))
    return tuple(out)


def derived_param_values(model, params: dict, dt: float) -> dict:
    """A model's derived parameters from its parameter values and ``dt``, each computed from the parameters and
    the derived parameters before it (GeNN's order); a failing one is reported by name."""
    computed = dict(params)
    for d in model.derived_params:
        try:
            computed[d.name] = d.func(dict(computed), dt)
        except Exception as exc:
            raise ModelError(f"derived parameter '{d.name}' of model '{model.class_name}' failed: {exc}") from exc
    return {d.name: computed[d.name] for d in model.derived_params}


def _derived(spec: Sequence | None) -> tuple[DerivedParam, ...]:
    return tuple(d if isinstance(d, DerivedParam) else DerivedParam(*d) for d in spec or ())


def _egps(spec: Sequence | None) -> tuple[EGP, ...]:
    return tuple(e if isinstance(e, EGP) else EGP(*e) for e in spec or ())


def _code(code: str | None) -> str:
    return dedent(code) if code else ""


@dataclass
class Snippet:
    """Common to every model: a class name, parameters, derived parameters, EGPs."""

    class_name: str
    params: tuple[Param, ...] = ()
    derived_params: tuple[DerivedParam, ...] = ()
    extra_global_params: tuple[EGP, ...] = ()

    # PyGeNN-style accessors
    def get_params(self):
        return list(self.params)

    def get_derived_params(self):
        return list(self.derived_params)

    def get_extra_global_params(self):
        return list(self.extra_global_params)

    def code_fields(self) -> dict[str, str]:
        """Every code string of this model, by field name."""
        return {}

    def mentions(self, name: str) -> bool:
        """Whether any code field of this model mentions ``name`` (e.g. ``addToPre``)."""
        return any(name in (code or "") for code in self.code_fields().values())

    def __post_init__(self) -> None:
        _validate_declarations(self)

    def __repr__(self) -> str:  # pragma: no cover - cosmetic
        return f"<{type(self).__name__} '{self.class_name}'>"


@dataclass(repr=False)
class NeuronModelBase(Snippet):
    vars: tuple[Var, ...] = ()
    sim_code: str = ""
    threshold_condition_code: str = ""
    reset_code: str = ""
    additional_input_vars: tuple[AdditionalInputVar, ...] = ()
    auto_refractory_required: bool = False

    def get_vars(self):
        return list(self.vars)

    def code_fields(self):
        return {"sim_code": self.sim_code, "threshold_condition_code": self.threshold_condition_code,
                "reset_code": self.reset_code}


@dataclass(repr=False)
class PostsynapticModelBase(Snippet):
    vars: tuple[Var, ...] = ()
    neuron_var_refs: tuple[VarRef, ...] = ()
    sim_code: str = ""

    def get_vars(self):
        return list(self.vars)

    def code_fields(self):
        return {"sim_code": self.sim_code}


@dataclass(repr=False)
class WeightUpdateModelBase(Snippet):
    vars: tuple[Var, ...] = ()
    pre_vars: tuple[Var, ...] = ()
    post_vars: tuple[Var, ...] = ()
    pre_neuron_var_refs: tuple[VarRef, ...] = ()
    post_neuron_var_refs: tuple[VarRef, ...] = ()
    psm_var_refs: tuple[VarRef, ...] = ()
    pre_spike_syn_code: str = ""
    pre_event_syn_code: str = ""
    post_event_syn_code: str = ""
    post_spike_syn_code: str = ""
    synapse_dynamics_code: str = ""
    pre_event_threshold_condition_code: str = ""
    post_event_threshold_condition_code: str = ""
    pre_spike_code: str = ""
    post_spike_code: str = ""
    pre_dynamics_code: str = ""
    post_dynamics_code: str = ""

    def get_vars(self):
        return list(self.vars)

    def code_fields(self):
        return {k: getattr(self, k) for k in (
            "pre_spike_syn_code", "pre_event_syn_code", "post_event_syn_code", "post_spike_syn_code",
            "synapse_dynamics_code", "pre_event_threshold_condition_code",
            "post_event_threshold_condition_code", "pre_spike_code", "post_spike_code",
            "pre_dynamics_code", "post_dynamics_code")}


@dataclass(repr=False)
class CurrentSourceModelBase(Snippet):
    vars: tuple[Var, ...] = ()
    neuron_var_refs: tuple[VarRef, ...] = ()
    injection_code: str = ""

    def get_vars(self):
        return list(self.vars)

    def code_fields(self):
        return {"injection_code": self.injection_code}


@dataclass(repr=False)
class CustomUpdateModelBase(Snippet):
    vars: tuple[Var, ...] = ()
    var_refs: tuple[VarRef, ...] = ()
    extra_global_param_refs: tuple[EGPRef, ...] = ()
    update_code: str = ""

    def get_vars(self):
        return list(self.vars)

    def code_fields(self):
        return {"update_code": self.update_code}


@dataclass(repr=False)
class CustomConnectivityUpdateModelBase(Snippet):
    vars: tuple[Var, ...] = ()
    pre_vars: tuple[Var, ...] = ()
    post_vars: tuple[Var, ...] = ()
    var_refs: tuple[VarRef, ...] = ()
    pre_var_refs: tuple[VarRef, ...] = ()
    post_var_refs: tuple[VarRef, ...] = ()
    extra_global_param_refs: tuple[EGPRef, ...] = ()
    row_update_code: str = ""
    host_update_code: str = ""

    def get_vars(self):
        return list(self.vars)

    def code_fields(self):
        return {"row_update_code": self.row_update_code, "host_update_code": self.host_update_code}


@dataclass(repr=False)
class InitVarSnippetBase(Snippet):
    var_init_code: str = ""

    def code_fields(self):
        return {"var_init_code": self.var_init_code}


@dataclass(repr=False)
class InitSparseConnectivitySnippetBase(Snippet):
    row_build_code: str = ""
    col_build_code: str = ""
    calc_max_row_len_func: Callable[[int, int, dict[str, Any]], int] | None = None
    calc_max_col_len_func: Callable[[int, int, dict[str, Any]], int] | None = None
    calc_kernel_size_func: Callable[[dict[str, Any]], list[int]] | None = None

    def code_fields(self):
        return {"row_build_code": self.row_build_code, "col_build_code": self.col_build_code}


@dataclass(repr=False)
class InitToeplitzConnectivitySnippetBase(Snippet):
    diagonal_build_code: str = ""
    calc_max_row_len_func: Callable[[int, int, dict[str, Any]], int] | None = None
    calc_kernel_size_func: Callable[[dict[str, Any]], list[int]] | None = None

    def code_fields(self):
        return {"diagonal_build_code": self.diagonal_build_code}


#: what each declaration list of a model holds, for messages
_DECLARATIONS = {"params": "parameter", "derived_params": "derived parameter", "extra_global_params":
                 "extra global parameter", "vars": "variable", "pre_vars": "presynaptic variable", "post_vars":
                 "postsynaptic variable", "additional_input_vars": "additional input variable", "var_refs":
                 "variable reference", "pre_var_refs": "presynaptic variable reference", "post_var_refs":
                 "postsynaptic variable reference", "neuron_var_refs": "neuron variable reference",
                 "pre_neuron_var_refs": "presynaptic neuron variable reference", "post_neuron_var_refs":
                 "postsynaptic neuron variable reference", "psm_var_refs": "postsynaptic model variable reference",
                 "extra_global_param_refs": "extra global parameter reference"}
_ACCESS_VALUES = {int(m) for enum in (VarAccess, CustomUpdateVarAccess, VarAccessMode)
                  for m in enum.__members__.values()}


def _validate_declarations(model: Snippet) -> None:
    """GeNN's checks at model creation: every declared name an identifier, not a keyword or built-in, declared
    once; every type one the engine knows (EGPs: pointers to one); every access mode a GeNN value."""
    from . import types
    from .validate import check_identifier, check_unique

    kind = re.sub(r"(?<!^)(?=[A-Z])", " ", type(model).__name__.removesuffix("Base")).lower()
    owner = f"{kind} '{model.class_name}'"
    names = []
    for key, what in _DECLARATIONS.items():
        for entry in getattr(model, key, ()):
            names.append(check_identifier(entry.name, what, owner))
            t = getattr(entry, "type", "scalar")
            pointer = key in ("extra_global_params", "extra_global_param_refs")
            base = types.normalise(t)[:-1].strip() if pointer and types.normalise(t).endswith("*") else t
            if base not in ("scalar", "timepoint"):
                try:
                    types.numpy_dtype(base)
                except ValueError:
                    raise ModelError(f"{owner}: {what} '{entry.name}' has the unknown type {t!r}; use scalar, "
                                     f"timepoint or one of {', '.join(sorted(types.known()))}"
                                     + (" (with '*': extra global parameters are arrays)" if pointer else ""))\
                        from None
            access = getattr(entry, "access", None)
            if access is not None and (isinstance(access, bool) or not isinstance(access, int)
                                       or int(access) not in _ACCESS_VALUES):
                raise ModelError(f"{owner}: {what} '{entry.name}' has the access mode {access!r}, which is not one "
                                 "of VarAccess, CustomUpdateVarAccess or VarAccessMode")
    check_unique(names, "parameters, variables, extra global parameters and references share one namespace", owner)


def _access(value, default):
    """An access mode given by its enum or, as in the model library's files, by its member name (looked up first in
    the enum of ``default``: ``"READ_ONLY"`` of a custom update model is ``CustomUpdateVarAccess.READ_ONLY``)."""
    if isinstance(value, str):
        for enum in (type(default), VarAccess, CustomUpdateVarAccess, VarAccessMode):
            if value in enum.__members__:
                return enum[value]
    return value  # anything else is checked, with the model's name, by _validate_declarations


# --------------------------------------------------------------------------- create_*
def _common(class_name, params, param_names, derived_params, extra_global_params) -> dict:
    if param_names is not None:
        params = param_names
    return {"class_name": class_name, "params": _params(params), "derived_params": _derived(derived_params),
            "extra_global_params": _egps(extra_global_params)}


def create_neuron_model(class_name: str, params=None, param_names=None, vars=None, var_name_types=None,
                        derived_params=None, sim_code: str | None = None,
                        threshold_condition_code: str | None = None, reset_code: str | None = None,
                        extra_global_params=None, additional_input_vars=None,
                        auto_refractory_required: bool = False) -> NeuronModelBase:
    """Create a neuron model (PyGeNN 5 signature)."""
    return NeuronModelBase(
        **_common(class_name, params, param_names, derived_params, extra_global_params),
        vars=_vars(vars if vars is not None else var_name_types),
        sim_code=_code(sim_code), threshold_condition_code=_code(threshold_condition_code),
        reset_code=_code(reset_code),
        additional_input_vars=tuple(AdditionalInputVar(*a) for a in additional_input_vars or ()),
        auto_refractory_required=bool(auto_refractory_required))


def create_postsynaptic_model(class_name: str, params=None, param_names=None, vars=None, var_name_types=None,
                              neuron_var_refs=None, derived_params=None, sim_code: str | None = None,
                              decay_code=None, apply_input_code=None,
                              extra_global_params=None) -> PostsynapticModelBase:
    """Create a postsynaptic model; its ``sim_code`` calls ``injectCurrent(x)``."""
    if decay_code is not None or apply_input_code is not None:
        raise ModelError("Creating postsynaptic models with separate 'decay_code' and 'apply_input_code' "
                         "is GeNN 4; provide 'sim_code' that calls injectCurrent(x)")
    return PostsynapticModelBase(
        **_common(class_name, params, param_names, derived_params, extra_global_params),
        vars=_vars(vars if vars is not None else var_name_types), neuron_var_refs=_var_refs(neuron_var_refs),
        sim_code=_code(sim_code))


def create_weight_update_model(class_name: str, params=None, param_names=None, vars=None, var_name_types=None,
                               pre_vars=None, pre_var_name_types=None, post_vars=None,
                               post_var_name_types=None, pre_neuron_var_refs=None,
                               post_neuron_var_refs=None, psm_var_refs=None, derived_params=None,
                               sim_code=None, pre_spike_syn_code: str | None = None, event_code=None,
                               pre_event_syn_code: str | None = None, post_event_syn_code: str | None = None,
                               learn_post_code=None, post_spike_syn_code: str | None = None,
                               synapse_dynamics_code: str | None = None,
                               event_threshold_condition_code=None,
                               pre_event_threshold_condition_code: str | None = None,
                               post_event_threshold_condition_code: str | None = None,
                               pre_spike_code: str | None = None, post_spike_code: str | None = None,
                               pre_dynamics_code: str | None = None, post_dynamics_code: str | None = None,
                               extra_global_params=None) -> WeightUpdateModelBase:
    """Create a weight update model (PyGeNN 5 signature; GeNN-4 field names are accepted)."""
    pre_spike_syn_code = pre_spike_syn_code if pre_spike_syn_code is not None else sim_code
    pre_event_syn_code = pre_event_syn_code if pre_event_syn_code is not None else event_code
    post_spike_syn_code = post_spike_syn_code if post_spike_syn_code is not None else learn_post_code
    if pre_event_threshold_condition_code is None:
        pre_event_threshold_condition_code = event_threshold_condition_code
    m = WeightUpdateModelBase(
        **_common(class_name, params, param_names, derived_params, extra_global_params),
        vars=_vars(vars if vars is not None else var_name_types),
        pre_vars=_vars(pre_vars if pre_vars is not None else pre_var_name_types),
        post_vars=_vars(post_vars if post_vars is not None else post_var_name_types),
        pre_neuron_var_refs=_var_refs(pre_neuron_var_refs),
        post_neuron_var_refs=_var_refs(post_neuron_var_refs), psm_var_refs=_var_refs(psm_var_refs),
        pre_spike_syn_code=_code(pre_spike_syn_code), pre_event_syn_code=_code(pre_event_syn_code),
        post_event_syn_code=_code(post_event_syn_code), post_spike_syn_code=_code(post_spike_syn_code),
        synapse_dynamics_code=_code(synapse_dynamics_code),
        pre_event_threshold_condition_code=_code(pre_event_threshold_condition_code),
        post_event_threshold_condition_code=_code(post_event_threshold_condition_code),
        pre_spike_code=_code(pre_spike_code), post_spike_code=_code(post_spike_code),
        pre_dynamics_code=_code(pre_dynamics_code), post_dynamics_code=_code(post_dynamics_code))
    for kind in ("pre", "post"):
        if bool(getattr(m, f"{kind}_event_syn_code")) != bool(getattr(m, f"{kind}_event_threshold_condition_code")):
            raise ModelError(f"Weight update model '{class_name}': to handle {kind}synaptic spike-like events, "
                             f"both {kind}_event_threshold_condition_code and {kind}_event_syn_code must be given")
    return m


def create_current_source_model(class_name: str, params=None, param_names=None, vars=None, var_name_types=None,
                                neuron_var_refs=None, derived_params=None, injection_code: str | None = None,
                                extra_global_params=None) -> CurrentSourceModelBase:
    """Create a current source model; its ``injection_code`` calls ``injectCurrent(x)``."""
    return CurrentSourceModelBase(
        **_common(class_name, params, param_names, derived_params, extra_global_params),
        vars=_vars(vars if vars is not None else var_name_types), neuron_var_refs=_var_refs(neuron_var_refs),
        injection_code=_code(injection_code))


def create_custom_update_model(class_name: str, params=None, param_names=None, vars=None, var_name_types=None,
                               derived_params=None, var_refs=None, update_code: str | None = None,
                               extra_global_params=None, extra_global_param_refs=None) -> CustomUpdateModelBase:
    """Create a custom update model (variables use :class:`CustomUpdateVarAccess`)."""
    return CustomUpdateModelBase(
        **_common(class_name, params, param_names, derived_params, extra_global_params),
        vars=_vars(vars if vars is not None else var_name_types, CustomUpdateVarAccess.READ_WRITE),
        var_refs=_var_refs(var_refs),
        extra_global_param_refs=tuple(e if isinstance(e, EGPRef) else EGPRef(*e)
                                      for e in extra_global_param_refs or ()),
        update_code=_code(update_code))


def create_custom_connectivity_update_model(class_name: str, params=None, param_names=None, vars=None,
                                            var_name_types=None, pre_vars=None, post_vars=None, derived_params=None,
                                            var_refs=None, pre_var_refs=None, post_var_refs=None,
                                            row_update_code: str | None = None, host_update_code: str | None = None,
                                            extra_global_params=None,
                                            extra_global_param_refs=None) -> CustomConnectivityUpdateModelBase:
    """Create a custom connectivity update model (PyGeNN 5 signature).

    ``row_update_code`` runs for every presynaptic neuron (``id_pre``); inside ``for_each_synapse { ... }`` it sees
    each synapse of the row (``id_post``, ``id_syn``, synaptic and postsynaptic variables) and may call
    ``remove_synapse()``; ``add_synapse(id_post, values...)`` appends a synapse with values for the model's
    variables and then its variable references.  ``host_update_code`` runs first, on the host, with the
    presynaptic and postsynaptic variables and extra global parameters as arrays.
    """
    return CustomConnectivityUpdateModelBase(
        **_common(class_name, params, param_names, derived_params, extra_global_params),
        vars=_vars(vars if vars is not None else var_name_types), pre_vars=_vars(pre_vars),
        post_vars=_vars(post_vars), var_refs=_var_refs(var_refs), pre_var_refs=_var_refs(pre_var_refs),
        post_var_refs=_var_refs(post_var_refs),
        extra_global_param_refs=tuple(e if isinstance(e, EGPRef) else EGPRef(*e)
                                      for e in extra_global_param_refs or ()),
        row_update_code=_code(row_update_code), host_update_code=_code(host_update_code))


def create_var_init_snippet(class_name: str, params=None, param_names=None, derived_params=None,
                            var_init_code: str | None = None, extra_global_params=None) -> InitVarSnippetBase:
    """Create a variable initialisation snippet; its code assigns ``value``."""
    return InitVarSnippetBase(**_common(class_name, params, param_names, derived_params, extra_global_params),
                              var_init_code=_code(var_init_code))


def create_sparse_connect_init_snippet(class_name: str, params=None, param_names=None, derived_params=None,
                                       row_build_code: str | None = None, col_build_code: str | None = None,
                                       calc_max_row_len_func=None, calc_max_col_len_func=None,
                                       calc_kernel_size_func=None,
                                       extra_global_params=None) -> InitSparseConnectivitySnippetBase:
    """Create a sparse connectivity snippet; its code calls ``addSynapse(j)``."""
    if row_build_code and col_build_code:
        raise ModelError(f"Sparse connectivity snippet '{class_name}': give row_build_code or "
                         "col_build_code, not both")
    return InitSparseConnectivitySnippetBase(
        **_common(class_name, params, param_names, derived_params, extra_global_params),
        row_build_code=_code(row_build_code), col_build_code=_code(col_build_code),
        calc_max_row_len_func=calc_max_row_len_func, calc_max_col_len_func=calc_max_col_len_func,
        calc_kernel_size_func=calc_kernel_size_func)


def create_toeplitz_connect_init_snippet(class_name: str, params=None, param_names=None, derived_params=None,
                                         diagonal_build_code: str | None = None, calc_max_row_len_func=None,
                                         calc_kernel_size_func=None,
                                         extra_global_params=None) -> InitToeplitzConnectivitySnippetBase:
    """Create a Toeplitz connectivity snippet: ``diagonal_build_code`` runs once per diagonal (``id_diag``) and
    calls ``addSynapse(id_post, kernel indices...)`` for each presynaptic spike of a ``for_each_synapse`` loop."""
    return InitToeplitzConnectivitySnippetBase(
        **_common(class_name, params, param_names, derived_params, extra_global_params),
        diagonal_build_code=_code(diagonal_build_code), calc_max_row_len_func=calc_max_row_len_func,
        calc_kernel_size_func=calc_kernel_size_func)


@dataclass
class _Registry:
    """Built-in models of one kind, looked up by name (``"LIF"``)."""

    kind: str
    models: dict[str, Callable[[], Snippet]] = field(default_factory=dict)

    def get(self, name: str) -> Snippet:
        try:
            return self.models[name]()
        except KeyError:
            raise ModelError(f"unknown {self.kind} '{name}'; built-in ones are: "
                             + ", ".join(sorted(self.models))) from None


def check_params(model: Snippet, params: dict | None, owner: str, what: str) -> dict:
    """The parameter values of ``model``: every parameter given, none unknown (else a clear error)."""
    from ..compiler.errors import ModelError

    params = dict(params or {})
    names = [p.name for p in model.params]
    missing = [n for n in names if n not in params]
    unknown = [n for n in params if n not in names]
    if missing or unknown:
        bits = []
        if missing:
            bits.append(f"missing {missing}")
        if unknown:
            bits.append(f"unknown {unknown}")
        raise ModelError(f"{owner} ({what} '{model.class_name}'): parameters " + " and ".join(bits)
                         + f"; it takes {names or 'none'}")
    from .validate import check_values_fit

    for p in model.params:
        if not isinstance(params[p.name], (str, bytes)):  # a string is refused where the group takes the value
            check_values_fit(params[p.name], p.type, f"parameter '{p.name}'", f"{owner} ({what} '{model.class_name}')")
    problem = model.param_check(params) if getattr(model, "param_check", None) is not None else None
    if problem:
        raise ModelError(f"{owner} ({what} '{model.class_name}'): {problem}")
    return params


def resolve_snippet(snippet, base: type, registry: _Registry) -> Snippet:
    """Accept a model object or the name of a built-in one."""
    if isinstance(snippet, str):
        return registry.get(snippet)
    if isinstance(snippet, base):
        return snippet
    raise TypeError(f"expected a {registry.kind} (a name or a {base.__name__}), got {type(snippet).__name__}")
