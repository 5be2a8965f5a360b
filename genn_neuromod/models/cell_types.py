"""Heterogeneous cell-type catalog: populations that mix neuron types and parameter distributions.

Izhikevich cell types
---------------------
:data:`IZHIKEVICH_TYPES` maps a type name to its ``(a, b, c, d)``, the published values of

* Izhikevich EM (2003) "Simple model of spiking neurons", IEEE Trans Neural Netw 14:1569-1572,
  Fig. 2: regular spiking **RS** (0.02, 0.2, -65, 8), intrinsically bursting **IB**
  (0.02, 0.2, -55, 4), chattering **CH** (0.02, 0.2, -50, 2), fast spiking **FS**
  (0.1, 0.2, -65, 2), low-threshold spiking **LTS** (0.02, 0.25, -65, 2), thalamo-cortical
  **TC** (0.02, 0.25, -65, 0.05) and resonator **RZ** (0.1, 0.26, -65, 2);
* Izhikevich EM (2004) "Which model to use for cortical spiking neurons?", IEEE Trans Neural
  Netw 15:1063-1070, Fig. 1(R): accommodation **AC** (0.02, 1, -55, 4).
  Caveat: Izhikevich's code for that panel (``figure1.m``) uses a modified recovery equation,
  ``du/dt = a b (V + 65)`` with ``u(0) = -16``.  With the standard ``du/dt = a (b V - u)`` of
  ``IzhikevichCell`` (and GeNN), ``b = 1`` leaves the model without a
  resting state (the nullclines do not cross for ``I > -40``): the AC cell fires from rest at
  ``I = 0``, with a high-frequency onset that adapts, and does not accommodate.  The values are
  kept as published so that the catalog matches the paper's table; see ``docs/models.md``.
* **BU** ("bursting") is an alias of CH, the bursting excitatory cell used in the
  NA-modulated distal-reward variants (Izhikevich 2007 network with bursting E cells).

The models
----------
``IzhikevichCell`` (``a, b, c, d`` and an integer ``cell_type`` as per-neuron READ_ONLY
variables; GeNN's Izhikevich integration) and ``AdaptiveLIFVariable`` (``TauM, Vthresh, b,
TauA`` and ``cell_type`` per neuron) are model-library files (``models/library``).
``neuron="AdaptiveLIF"`` selects ``AdaptiveLIFVariable``.

:func:`add_heterogeneous_population` builds one population from a mixture of types with
exact counts (largest-remainder rounding of the proportions, shuffled with ``seed``),
optional per-parameter distributions around each type's value, and keeps the labels both in
the ``cell_type`` variable and on the population object::

    pop = add_heterogeneous_population(model, "E", 1000, {"RS": 0.8, "CH": 0.2},
                                       distributions={"d": ("normal", {"sd": 0.5})}, seed=1)
    pop.cell_types          # array of type names, one per neuron
    pop.cell_type_names     # ["RS", "CH"]: cell_type var value k means cell_type_names[k]
    pop.cell_params["d"]    # the per-neuron values drawn

Distributions (``distributions={param: (kind, options)}``, or ``{type: {param: (kind,
options)}}`` for one type only; a per-type entry wins over a population-wide one):

``("normal", {"sd": s})``
    ``value = centre + s * N(0, 1)``; ``centre`` is the type's value unless ``mean`` is given;
    ``cv`` instead of ``sd`` gives ``sd = cv * |centre|``.
``("lognormal", {"sd": s})``
    ``value = mean * exp(s * N(0, 1) - s**2 / 2)``: a log-normal of arithmetic mean ``mean``
    (default: the type's value, must be positive) whose logarithm has standard deviation
    ``s`` (for small ``s`` this is about the coefficient of variation).
``("uniform", {"half_width": w})`` or ``("uniform", {"low": lo, "high": hi})``
    uniform on ``[centre - w, centre + w]`` or on ``[lo, hi]``.

Every draw is clipped to a sensible range (:data:`CLIP_RANGES`: e.g. Izhikevich ``a`` in
[0.001, 0.5] /ms, ``d`` in [0, 20]; adaptive LIF ``TauM`` in [1, 200] ms and ``Vthresh``
between 1 mV above ``max(Vrest, Vreset)`` and -20 mV); an option ``clip=(lo, hi)`` replaces
the range (``None`` for no bound).  One standard-normal (or uniform) vector over the whole
population is drawn per parameter and kind, in the model's variable order, from
``numpy.random.default_rng(seed)`` after the shuffle, so a seed reproduces a population exactly.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..compiler.errors import ModelError
from . import available_models, load_model

#: Izhikevich (2003, Fig. 2; 2004, Fig. 1) cell types: name -> (a, b, c, d).
IZHIKEVICH_TYPES: dict[str, tuple[float, float, float, float]] = {
    "RS": (0.02, 0.2, -65.0, 8.0),     # regular spiking (cortical excitatory)
    "IB": (0.02, 0.2, -55.0, 4.0),     # intrinsically bursting (cortical excitatory)
    "CH": (0.02, 0.2, -50.0, 2.0),     # chattering (cortical excitatory)
    "FS": (0.1, 0.2, -65.0, 2.0),      # fast spiking (cortical inhibitory)
    "LTS": (0.02, 0.25, -65.0, 2.0),   # low-threshold spiking (cortical inhibitory)
    "TC": (0.02, 0.25, -65.0, 0.05),   # thalamo-cortical
    "RZ": (0.1, 0.26, -65.0, 2.0),     # resonator
    "AC": (0.02, 1.0, -55.0, 4.0),     # accommodation (Izhikevich 2004, Fig. 1R; see the caveat above)
    "BU": (0.02, 0.2, -50.0, 2.0),     # bursting: alias of CH
}

#: Long names of the catalog's types.
IZHIKEVICH_TYPE_NAMES: dict[str, str] = {
    "RS": "regular spiking", "IB": "intrinsically bursting", "CH": "chattering", "FS": "fast spiking",
    "LTS": "low-threshold spiking", "TC": "thalamo-cortical", "RZ": "resonator", "AC": "accommodation",
    "BU": "bursting (alias of CH)",
}

_ALIASES = {"AdaptiveLIF": "AdaptiveLIFVariable"}

#: Built-in catalogs of types per model (a type not listed must be defined in ``params``).
CATALOGS: dict[str, dict[str, dict[str, float]]] = {
    "IzhikevichCell": {k: dict(zip("abcd", v, strict=True)) for k, v in IZHIKEVICH_TYPES.items()},
}
CATALOGS["IzhikevichNeuromod"] = CATALOGS["IzhikevichCell"]  # the same cells, with neuromodulator receptors

#: Default clipping ranges of drawn per-neuron parameters, per model.  A value is either a
#: ``(lo, hi)`` pair or a function of the population-wide parameters returning one.
CLIP_RANGES: dict[str, dict[str, Any]] = {
    "IzhikevichCell": {"a": (0.001, 0.5), "b": (-1.0, 1.0), "c": (-90.0, -30.0), "d": (0.0, 20.0)},
    "IzhikevichNeuromod": {"a": (0.001, 0.5), "b": (-1.0, 1.0), "c": (-90.0, -30.0), "d": (0.0, 20.0)},
    "AdaptiveLIFVariable": {
        "TauM": (1.0, 200.0), "TauA": (1.0, 5000.0), "b": (0.0, 10.0),
        "Vthresh": lambda p: (max(p["Vrest"], p["Vreset"]) + 1.0, -20.0)},
}

_DISTRIBUTIONS = {"normal": {"sd", "cv", "mean", "clip"}, "lognormal": {"sd", "mean", "clip"},
                  "uniform": {"half_width", "low", "high", "clip"}}


def _initial_izhikevich(pars: dict[str, np.ndarray], given: dict[str, Any], n: int) -> dict[str, Any]:
    v = np.broadcast_to(np.asarray(given.get("V", -65.0), dtype=float), (n,)).copy()
    return {"V": v, "U": given.get("U", pars["b"] * v)}


def _initial_alif(given: dict[str, Any], pop_params: dict) -> dict[str, Any]:
    return {"V": given.get("V", pop_params["Vrest"]), "A": given.get("A", 0.0),
            "RefracTime": given.get("RefracTime", 0.0)}


def _backend_of(model):
    return importlib.import_module(type(model).__module__.split(".")[0])


def _var_table(spec) -> tuple[list[str], list[str], bool]:
    """(per-neuron parameter names, state variable names, has cell_type) of a model file."""
    per_neuron, state, has_label = [], [], False
    for v in spec.data.get("vars", []):
        name, vtype = v[0], v[1]
        access = v[2] if len(v) > 2 else "READ_WRITE"
        if name == "cell_type":
            has_label = True
        elif access == "READ_ONLY" and vtype == "scalar":
            per_neuron.append(name)
        else:
            state.append(name)
    return per_neuron, state, has_label


def type_counts(mixture: Mapping[str, float], size: int) -> dict[str, int]:
    """Exact neuron counts per type: proportions times ``size`` by largest-remainder rounding.

    Ties in the remainders go to the type listed first.
    """
    names = list(mixture)
    p = np.array([float(mixture[k]) for k in names])
    p = p / p.sum()
    raw = p * size
    counts = np.floor(raw).astype(np.int64)
    left = size - int(counts.sum())
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[:left]] += 1
    return {k: int(c) for k, c in zip(names, counts, strict=True)}


def _check_mixture(mixture, size) -> None:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise ModelError(f"heterogeneous population: size must be an integer, got {size!r}")
    if size <= 0:
        raise ModelError(f"heterogeneous population: size must be positive, got {size}")
    if not isinstance(mixture, Mapping) or not mixture:
        raise ModelError("heterogeneous population: mixture must be a non-empty dict of type name -> proportion")
    for k, v in mixture.items():
        if not isinstance(k, str):
            raise ModelError(f"heterogeneous population: type names must be strings, got {k!r}")
        try:
            fv = float(v)
        except (TypeError, ValueError):
            raise ModelError(f"heterogeneous population: proportion of '{k}' is not a number: {v!r}") from None
        if not math.isfinite(fv) or fv < 0.0:
            raise ModelError(f"heterogeneous population: proportion of '{k}' must be finite and >= 0, got {v!r}")
    total = sum(float(v) for v in mixture.values())
    if abs(total - 1.0) > 1e-6:
        raise ModelError(f"heterogeneous population: proportions must sum to 1 (within 1e-6), they sum to {total!r}")


def _split_params(params, mixture, per_neuron, pop_param_names, model_name):
    """Population-wide values and per-type dicts from the user's ``params``."""
    shared, per_type = {}, {}
    for key, value in (params or {}).items():
        if isinstance(value, Mapping):
            if key not in mixture:
                raise ModelError(f"params['{key}'] is a dict, so '{key}' should be a cell type of the mixture "
                                 f"{list(mixture)}")
            for p in value:
                if p not in per_neuron and p not in pop_param_names:
                    raise ModelError(f"params['{key}']: '{p}' is not a parameter of {model_name}; "
                                     f"per-neuron: {per_neuron}, population-wide: {pop_param_names}")
            per_type[key] = dict(value)
        elif key in per_neuron or key in pop_param_names:
            shared[key] = value
        else:
            raise ModelError(f"params: '{key}' is neither a parameter of {model_name} (per-neuron: {per_neuron}, "
                             f"population-wide: {pop_param_names}) nor a cell type of the mixture {list(mixture)}")
    return shared, per_type


def _type_values(mixture, shared, per_type, per_neuron, defaults, catalog, model_name):
    """The centre value of every per-neuron parameter for every type."""
    values = {}
    for t in mixture:
        if t not in catalog and t not in per_type:
            known = f"; the catalog has {sorted(catalog)}" if catalog else ""
            raise ModelError(f"unknown cell type '{t}' for {model_name}: define it in params={{'{t}': {{...}}}}"
                             + known)
        row = {}
        for p in per_neuron:
            for source in (per_type.get(t, {}), shared, catalog.get(t, {}), defaults):
                if p in source:
                    row[p] = float(source[p])
                    break
            else:
                raise ModelError(f"cell type '{t}' of {model_name}: no value for per-neuron parameter '{p}'")
        values[t] = row
    return values


def _pop_params(mixture, shared, per_type, pop_param_names, defaults, model_name):
    out = {}
    for p in pop_param_names:
        per = {t: per_type.get(t, {}).get(p, shared.get(p, defaults.get(p))) for t in mixture}
        vals = set(per.values())
        if None in vals:
            raise ModelError(f"{model_name}: no value for the population-wide parameter '{p}'; "
                             f"pass params={{'{p}': ...}}")
        if len(vals) > 1:
            raise ModelError(f"{model_name}: '{p}' is a population-wide parameter and cannot differ between cell "
                             f"types (got {per}); use a model that has it as a per-neuron variable")
        out[p] = float(vals.pop())
    return out


def _check_spec(spec, where):
    if (not isinstance(spec, (tuple, list)) or len(spec) not in (1, 2) or not isinstance(spec[0], str)):
        raise ModelError(f"distribution {where}: give (kind, options), e.g. ('normal', {{'sd': 0.01}}); got {spec!r}")
    kind = spec[0]
    opts = dict(spec[1]) if len(spec) > 1 else {}
    if kind not in _DISTRIBUTIONS:
        raise ModelError(f"distribution {where}: unknown kind '{kind}'; use one of {sorted(_DISTRIBUTIONS)}")
    unknown = set(opts) - _DISTRIBUTIONS[kind]
    if unknown:
        raise ModelError(f"distribution {where}: unknown options {sorted(unknown)} for '{kind}'; "
                         f"it takes {sorted(_DISTRIBUTIONS[kind])}")
    if kind == "normal" and ("sd" in opts) == ("cv" in opts):
        raise ModelError(f"distribution {where}: 'normal' needs exactly one of 'sd' or 'cv'")
    if kind == "lognormal" and "sd" not in opts:
        raise ModelError(f"distribution {where}: 'lognormal' needs 'sd' (standard deviation of the logarithm)")
    if kind == "uniform" and set(opts) - {"clip"} not in ({"half_width"}, {"low", "high"}):
        raise ModelError(f"distribution {where}: 'uniform' needs either 'half_width' or both 'low' and 'high'")
    for k in ("sd", "cv", "half_width"):
        if k in opts and not float(opts[k]) >= 0.0:
            raise ModelError(f"distribution {where}: '{k}' must be >= 0, got {opts[k]!r}")
    return kind, opts


def _distribution_table(distributions, mixture, per_neuron, pop_param_names, model_name):
    """{type: {param: (kind, opts)}}, per-type entries over population-wide ones."""
    common, per_type = {}, {}
    for key, value in (distributions or {}).items():
        if key in per_neuron:
            common[key] = _check_spec(value, f"of '{key}'")
        elif key in mixture and isinstance(value, Mapping):
            per_type[key] = {}
            for p, spec in value.items():
                if p not in per_neuron:
                    raise ModelError(f"distributions['{key}']: '{p}' is not a per-neuron parameter of "
                                     f"{model_name} ({per_neuron})")
                per_type[key][p] = _check_spec(spec, f"of '{p}' for type '{key}'")
        elif key in pop_param_names:
            raise ModelError(f"distributions: '{key}' is a population-wide parameter of {model_name} and cannot vary "
                             f"per neuron; per-neuron parameters: {per_neuron}")
        else:
            raise ModelError(f"distributions: '{key}' is neither a per-neuron parameter of {model_name} "
                             f"({per_neuron}) nor a cell type of the mixture {list(mixture)}")
    return {t: {**common, **per_type.get(t, {})} for t in mixture}


def _clip_range(model_name, param, opts, pop_params):
    if "clip" in opts:
        lo, hi = opts["clip"]
    else:
        rng = CLIP_RANGES.get(model_name, {}).get(param, (None, None))
        lo, hi = rng(pop_params) if callable(rng) else rng
    return (-np.inf if lo is None else float(lo)), (np.inf if hi is None else float(hi))


def _draw(rng, labels, names, centres, table, per_neuron, pop_params, model_name):
    n = labels.size
    values = {p: np.array([centres[names[k]][p] for k in range(len(names))])[labels] for p in per_neuron}
    for p in per_neuron:
        kinds = sorted({table[t][p][0] for t in names if p in table[t]})
        base = {}
        for kind in kinds:
            base[kind] = rng.random(n) if kind == "uniform" else rng.standard_normal(n)
        for k, t in enumerate(names):
            if p not in table[t]:
                continue
            kind, opts = table[t][p]
            sel = labels == k
            centre = float(opts.get("mean", centres[t][p]))
            x = base[kind][sel]
            if kind == "normal":
                sd = float(opts["sd"]) if "sd" in opts else float(opts["cv"]) * abs(centre)
                v = centre + sd * x
            elif kind == "lognormal":
                if centre <= 0.0:
                    raise ModelError(f"lognormal distribution of '{p}' for type '{t}': the mean must be positive, "
                                     f"got {centre}")
                s = float(opts["sd"])
                v = centre * np.exp(s * x - 0.5 * s * s)
            else:
                if "half_width" in opts:
                    lo, hi = centre - float(opts["half_width"]), centre + float(opts["half_width"])
                else:
                    lo, hi = float(opts["low"]), float(opts["high"])
                v = lo + (hi - lo) * x
            lo, hi = _clip_range(model_name, p, opts, pop_params)
            values[p][sel] = np.clip(v, lo, hi)
    return values


def add_heterogeneous_population(model, name: str, size: int, mixture: Mapping[str, float],
                                 params: Mapping[str, Any] | None = None,
                                 distributions: Mapping[str, Any] | None = None, seed: int = 0,
                                 neuron: str = "IzhikevichCell", vars: Mapping[str, Any] | None = None):
    """Add one neuron population of ``size`` neurons mixing cell types in the given proportions.

    Args:
        model: a ``GeNNModel`` of genn_neuromod or of PyGeNN (the library model is created with
            the ``create_neuron_model`` of the model's own package).
        name: population name.
        size: number of neurons (positive).
        mixture: ``{type name: proportion}``, proportions >= 0 summing to 1 (within 1e-6).
            Counts are exact: largest-remainder rounding of ``proportion * size``.
        params: values of parameters.  A scalar entry applies to every type (``{"C": 0.5}``);
            a dict entry keyed by a type name defines or overrides that type
            (``{"RS": {"d": 6.0}, "MyType": {"a": 0.03, "b": 0.2, "c": -60, "d": 4}}``).
            Types not in the model's catalog (:data:`CATALOGS`) must be defined here; missing
            values come from the model file's defaults.  Population-wide parameters (the
            model's params) must not differ between types.
        distributions: per-neuron variability around each type's value (see the module doc).
        seed: seeds ``numpy.random.default_rng`` for the shuffle and the draws.
        neuron: library model name: ``"IzhikevichCell"`` (default), ``"AdaptiveLIF"`` (uses
            ``AdaptiveLIFVariable``) or another model whose per-neuron parameters are scalar
            READ_ONLY variables.
        vars: initial values of the state variables (scalar or one per neuron).  Defaults:
            Izhikevich ``V = -65``, ``U = b V``; adaptive LIF ``V = Vrest``, ``A = 0``,
            ``RefracTime = 0``; otherwise the model file's defaults.

    Returns:
        The neuron group, with ``cell_types`` (type name per neuron), ``cell_type_names`` (the
        names, indexed by the ``cell_type`` variable), ``cell_type_ids``, ``cell_type_counts``,
        ``cell_type_params`` (each type's centre values) and ``cell_params`` (per-neuron values).
    """
    _check_mixture(mixture, size)
    size = int(size)
    model_name = _ALIASES.get(neuron, neuron)
    specs = available_models("neuron")
    if model_name not in specs:
        raise ModelError(f"no neuron model '{neuron}' in the model library; available: {sorted(specs)}")
    spec = specs[model_name]
    per_neuron, state, has_label = _var_table(spec)
    pop_param_names = spec.names("params")
    catalog = CATALOGS.get(model_name, {})
    defaults = spec.defaults

    shared, per_type = _split_params(params, mixture, per_neuron, pop_param_names, model_name)
    centres = _type_values(mixture, shared, per_type, per_neuron, defaults, catalog, model_name)
    pop_params = _pop_params(mixture, shared, per_type, pop_param_names, defaults, model_name)
    table = _distribution_table(distributions, mixture, per_neuron, pop_param_names, model_name)

    given = dict(vars or {})
    bad = [k for k in given if k not in state]
    if bad:
        raise ModelError(f"vars: {bad} are not state variables of {model_name} ({state}); per-neuron parameters "
                         "are set with params= and distributions=")

    names = list(mixture)
    counts = type_counts(mixture, size)
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.repeat(np.arange(len(names)), [counts[t] for t in names]))
    values = _draw(rng, labels, names, centres, table, per_neuron, pop_params, model_name)

    if model_name in ("IzhikevichCell", "IzhikevichNeuromod"):
        init = _initial_izhikevich(values, given, size)
        init.update({k: v for k, v in {**defaults, **given}.items() if k in state and k not in init})
    elif model_name == "AdaptiveLIFVariable":
        init = _initial_alif(given, pop_params)
    else:
        init = {}
        for v in state:
            if v in given:
                init[v] = given[v]
            elif v in defaults:
                init[v] = defaults[v]
            else:
                raise ModelError(f"{model_name}: give the initial value of '{v}' in vars=")
    init_vars = {**init, **values}
    if has_label:
        init_vars["cell_type"] = labels.astype(np.uint32)

    backend = _backend_of(model)
    neuron_model = load_model(model_name, backend=backend)
    pop = model.add_neuron_population(name, size, neuron_model, pop_params, init_vars)
    pop.cell_type_names = names
    pop.cell_type_ids = labels.astype(np.uint32)
    pop.cell_types = np.asarray(names, dtype=str)[labels]
    pop.cell_type_counts = counts
    pop.cell_type_params = {t: dict(centres[t]) for t in names}
    pop.cell_params = values
    # what built it, so that circuits.to_graph describes the population as this mixture again
    pop.mixture_spec = {"model": neuron, "mixture": dict(mixture), "params": dict(params or {}),
                        "distributions": dict(distributions or {}), "mixture_seed": int(seed), "vars": given}
    return pop
