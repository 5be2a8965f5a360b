"""The circuit graph schema and its validation.

A circuit is a :class:`networkx.MultiDiGraph` (a ``DiGraph`` is accepted too):

Graph attributes
    ``name`` (str, default ``"circuit"``), ``dt`` (ms, default 0.1), ``precision``
    (``"float"`` or ``"double"``, default ``"float"``), ``seed`` (int >= 0, default 0: a
    fresh seed at ``load()``, as GeNN).

Nodes (neuron populations; the node id is the population name)
    ``model``
        a built-in GeNN neuron model (``"LIF"``, ``"Izhikevich"``, ``"Poisson"``,
        ``"SpikeSourceArray"``, ...) or a model-library name (``"AdaptiveLIF"``,
        ``"IzhikevichCell"``; see :mod:`genn_neuromod.models`).
    ``size``
        number of neurons (int > 0).
    ``params``
        ``{name: number}``; a library model's ``[defaults]`` fill what is left out.
    ``vars``
        ``{name: value}``, a value being a number, a list of ``size`` numbers, or a
        var-init snippet ``{"init": "Uniform", "params": {"min": 0, "max": 1}}``.
    ``mixture``, ``distributions``, ``mixture_seed`` (optional)
        a heterogeneous population of cell types ``{type: proportion}``, built by
        :func:`genn_neuromod.models.cell_types.add_heterogeneous_population`; ``model`` then
        names the cell-type model (default ``"IzhikevichCell"``; ``"AdaptiveLIF"``), ``params``
        may hold per-type dicts and ``distributions`` maps parameters to ``[kind, options]``.
    ``receptors`` (optional)
        ``{receptor: ...}``, kept as metadata.
    ``record`` (optional)
        list of ``"spikes"`` and/or variable names to record.
    ``current_sources`` (optional)
        list of ``{"name", "model", "params", "vars", "var_refs", "target_var", "extra_global_params",
        "dynamic_params"}``; ``target_var`` names the input the source adds to (default ``"Isyn"``;
        ``"Isyn_dend"`` reaches a two-compartment cell's dendrite).
    ``extra_global_params`` (optional)
        ``{name: [numbers]}``: initial values of the neuron model's extra global parameters (e.g. spike
        times of ``SpikeSourceArray``).
    ``dynamic_params`` (optional)
        list of parameter names made dynamic (``set_param_dynamic``).
    ``meta``, ``description`` (optional)
        free metadata, ignored by the builder.

Edges (synapse groups, from source to target population)
    ``name``
        unique group name (also the edge key).
    ``matrix``
        a GeNN ``SynapseMatrixType`` name (default: ``"SPARSE"`` with connectivity, else ``"DENSE"``):
        ``"DENSE"`` and ``"DENSE_PROCEDURALG"`` take no connectivity; ``"SPARSE"`` a connectivity snippet
        or explicit lists; ``"BITMASK"``, ``"PROCEDURAL"`` and ``"PROCEDURAL_KERNELG"`` a sparse
        connectivity snippet (PROCEDURAL regenerates its rows at every spike instead of storing them: the
        low-memory choice for large circuits); ``"TOEPLITZ"`` a Toeplitz connectivity snippet
        (``Conv2D``, ``AvgPoolConv2D``). The engine's own rules apply on top (BITMASK and procedural
        weights hold no per-synapse values; procedural rows allow presynaptic code only).
    ``connectivity``
        ``{"snippet": "FixedProbability", "params": {"prob": 0.1}}`` or explicit
        ``{"pre": [...], "post": [...]}`` index lists (SPARSE only).
    ``narrow_sparse_ind_enabled`` (optional)
        ``true`` stores SPARSE postsynaptic indices in 8 or 16 bits where the target is small enough
        (GeNN's setting of the same name).
    ``weight_update``
        ``{"model", "params", "vars", "pre_vars", "post_vars", "pre_var_refs",
        "post_var_refs", "psm_var_refs"}``; var refs name variables of the source
        (``pre_var_refs``) or target population (``post_var_refs``) or of the
        postsynaptic model (``psm_var_refs``).
    ``postsynaptic``
        ``{"model", "params", "vars", "var_refs"}`` (default ``{"model": "DeltaCurr"}``);
        ``var_refs`` name variables of the target population.
    ``axonal_delay_steps``, ``back_prop_delay_steps`` (int >= 0),
    ``max_dendritic_delay_timesteps`` (int >= 1), ``post_target_var``, ``pre_target_var``
        as the PyGeNN properties of the same names.
    ``target`` (optional)
        the target compartment: ``"soma"`` (``post_target_var = "Isyn"``) or ``"dendrite"``
        (``post_target_var = "Isyn_dend"``, an input of the two-compartment models).
    ``extra_global_params``, ``dynamic_params`` (optional)
        as for nodes, for the weight update model.
    ``record`` (optional)
        list of weight-update variable names to snapshot.
    ``meta``, ``description`` (optional)
        free metadata.

Graph attribute ``custom_updates`` (optional)
    list of ``{"name", "group", "model", "params", "vars", "var_refs"}``: custom updates
    (``add_custom_update``); ``var_refs`` maps each reference of the model to ``[group, variable]``,
    the group being a node (a neuron variable) or an edge name (a weight-update variable).

Every schema error is a :class:`~genn_neuromod.ModelError` naming the circuit, the node
or edge and the field.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from ..compiler.errors import ModelError
from ..recording.recorder import RECORDABLE_MATRICES

NODE_FIELDS = {"model", "size", "params", "vars", "mixture", "distributions", "mixture_seed", "receptors",
               "record", "current_sources", "extra_global_params", "dynamic_params", "meta", "description"}
EDGE_FIELDS = {"name", "matrix", "connectivity", "weight_update", "postsynaptic", "axonal_delay_steps",
               "back_prop_delay_steps", "max_dendritic_delay_timesteps", "post_target_var", "pre_target_var",
               "target", "narrow_sparse_ind_enabled", "extra_global_params", "dynamic_params", "record", "meta",
               "description"}
#: edge field ``matrix``: each matrix type -> the connectivity it takes (None: none; "sparse": a sparse
#: connectivity snippet or pre/post lists; "snippet": a sparse connectivity snippet; "toeplitz": a Toeplitz one)
MATRICES = {"DENSE": None, "DENSE_PROCEDURALG": None, "SPARSE": "sparse", "BITMASK": "snippet",
            "PROCEDURAL": "snippet", "PROCEDURAL_KERNELG": "snippet", "TOEPLITZ": "toeplitz"}
#: edge field ``target``: compartment -> the input variable synapses reach
TARGETS = {"soma": "Isyn", "dendrite": "Isyn_dend"}
CU_FIELDS = {"name", "group", "model", "params", "vars", "var_refs"}
GRAPH_DEFAULTS: dict[str, Any] = {"name": "circuit", "dt": 0.1, "precision": "float", "seed": 0}
WU_FIELDS = {"model", "params", "vars", "pre_vars", "post_vars", "pre_var_refs", "post_var_refs", "psm_var_refs"}
PS_FIELDS = {"model", "params", "vars", "var_refs"}
CS_FIELDS = {"name", "model", "params", "vars", "var_refs", "target_var", "extra_global_params", "dynamic_params"}
DEFAULT_POSTSYNAPTIC = {"model": "DeltaCurr"}

#: kinds of model (as the model library names them), as errors call them
KIND_LABELS = {"neuron": "neuron model", "weight_update": "weight update model", "postsynaptic": "postsynaptic model",
               "current_source": "current source model", "var_init": "var-init snippet",
               "sparse_connectivity": "sparse connectivity snippet",
               "toeplitz_connectivity": "Toeplitz connectivity snippet", "custom_update": "custom update model"}


def _registry(kind: str):
    from ..builtins import (
        current_source_models,
        custom_update_models,
        init_sparse_connectivity_snippets,
        init_toeplitz_connectivity_snippets,
        init_var_snippets,
        neuron_models,
        postsynaptic_models,
        weight_update_models,
    )

    return {"neuron": neuron_models, "weight_update": weight_update_models, "postsynaptic": postsynaptic_models,
            "current_source": current_source_models, "var_init": init_var_snippets,
            "sparse_connectivity": init_sparse_connectivity_snippets,
            "toeplitz_connectivity": init_toeplitz_connectivity_snippets,
            "custom_update": custom_update_models}[kind].REGISTRY


def is_builtin(kind: str, name: str) -> bool:
    """Whether ``name`` is one of GeNN's built-in models of ``kind``."""
    return name in _registry(kind).models


class Library:
    """A snapshot of the model library, read once per kind (validating or building one circuit)."""

    def __init__(self) -> None:
        self._by_kind: dict[str, dict[str, Any]] = {}
        self._loaded: dict[tuple[str, str], Any] = {}

    def models(self, kind: str) -> dict[str, Any]:
        """The model-library models of ``kind``, by name."""
        if kind not in self._by_kind:
            from ..models import available_models

            self._by_kind[kind] = available_models(kind)
        return self._by_kind[kind]

    def load(self, kind: str, name: str) -> Any:
        """The embedded-engine model object of a built-in or library model (``KeyError`` if unknown)."""
        key = (kind, name)
        if key not in self._loaded:
            if is_builtin(kind, name):
                self._loaded[key] = _registry(kind).get(name)
            elif name in self.models(kind):
                from ..models import load_model

                self._loaded[key] = load_model(name)
            else:
                raise KeyError(name)
        return self._loaded[key]

    def spec(self, kind: str, name: str) -> Any:
        """The library model file of a name that is not a built-in (``None`` if there is none)."""
        return None if is_builtin(kind, name) else self.models(kind).get(name)

    def defaults(self, kind: str, name: str) -> dict[str, Any]:
        """A library model's ``[defaults]`` (empty for built-in models)."""
        spec = self.spec(kind, name)
        return dict(spec.defaults) if spec is not None else {}


@dataclass
class _Where:
    """Names the place of an error: ``circuit 'x', node 'E'``."""

    circuit: str
    what: str

    def error(self, field: str, message: str) -> ModelError:
        return ModelError(f"circuit '{self.circuit}', {self.what}: field '{field}' {message}")


class _Validator:
    def __init__(self, graph: nx.Graph):
        self.graph = graph
        self.circuit = str(graph.graph.get("name", GRAPH_DEFAULTS["name"]))
        self.library = Library()
        self.group_names: dict[str, str] = {}

    # -- models ------------------------------------------------------------
    def model(self, kind: str, name: Any, where: _Where, field: str):
        """The embedded-engine model object for ``name`` (for its parameter and variable names)."""
        if not isinstance(name, str) or not name:
            raise where.error(field, f"must name a {KIND_LABELS[kind]}, got {name!r}")
        try:
            return self.library.load(kind, name)
        except KeyError:
            known = sorted(_registry(kind).models) + sorted(self.library.models(kind))
            raise where.error(field, f"names unknown {KIND_LABELS[kind]} '{name}'; known: {', '.join(known)}") \
                from None

    # -- values ------------------------------------------------------------
    @staticmethod
    def mapping(value: Any, where: _Where, field: str) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise where.error(field, f"must be a dict, got {type(value).__name__}")
        return value

    def params(self, model, kind: str, values: Any, where: _Where, field: str) -> None:
        values = self.mapping(values, where, field)
        names = [p.name for p in model.params]
        unknown = [k for k in values if k not in names]
        if unknown:
            raise where.error(field, f"has unknown parameter(s) {unknown}; model '{model.class_name}' takes "
                              f"{names or 'none'}")
        defaults = self.library.defaults(kind, model.class_name)
        missing = [n for n in names if n not in values and n not in defaults]
        if missing:
            raise where.error(field, f"misses parameter(s) {missing} of model '{model.class_name}'")
        for k, v in values.items():
            if not _is_number(v):
                raise where.error(field, f"parameter '{k}' must be a number, got {v!r}")

    def vars(self, defs, values: Any, where: _Where, field: str, model_name: str, size: int | None,
             kind: str = "", require: bool = True) -> None:
        """Variable values: known names, every variable given (as GeNN requires) unless ``require`` is off."""
        values = self.mapping(values, where, field)
        names = [v.name for v in defs]
        unknown = [k for k in values if k not in names]
        if unknown:
            raise where.error(field, f"has unknown variable(s) {unknown}; model '{model_name}' has "
                              f"{names or 'none'}")
        if require:
            defaults = self.library.defaults(kind, model_name)
            missing = [n for n in names if n not in values and n not in defaults]
            if missing:
                raise where.error(field, f"misses initial value(s) of {missing} (model '{model_name}')")
        for k, v in values.items():
            self.var_value(v, where, f"{field}.{k}", size)

    def var_value(self, value: Any, where: _Where, field: str, size: int | None) -> None:
        if _is_number(value):
            return
        if isinstance(value, dict):
            extra = set(value) - {"init", "params"}
            if "init" not in value or extra:
                raise where.error(field, "must be a number, a list or {'init': snippet, 'params': {...}}, "
                                  f"got keys {sorted(value)}")
            snippet = self.model("var_init", value["init"], where, f"{field}.init")
            self.params(snippet, "var_init", value.get("params"), where, f"{field}.params")
            return
        if isinstance(value, list | tuple | np.ndarray):
            arr = np.asarray(value)
            if arr.ndim != 1 or not (np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)):
                raise where.error(field, "must be a flat list of numbers")
            if size is None:
                raise where.error(field, "cannot be a list here: the number of values is only known for DENSE "
                                  "matrices, kernels (TOEPLITZ, PROCEDURAL_KERNELG) and explicit pre/post lists "
                                  "(use a number or a var-init snippet)")
            if arr.size != size:
                raise where.error(field, f"must have {size} values, got {arr.size}")
            return
        raise where.error(field, f"must be a number, a list or {{'init': snippet, 'params': {{...}}}}, got {value!r}")

    def refs(self, defs, values: Any, targets: list[str] | None, where: _Where, field: str, owner: str) -> None:
        """Var refs by name: every reference of the model set, each naming a variable of ``owner``."""
        values = self.mapping(values, where, field)
        names = [r.name for r in defs]
        unknown = [k for k in values if k not in names]
        if unknown:
            raise where.error(field, f"sets unknown reference(s) {unknown}; the model declares {names or 'none'}")
        missing = [n for n in names if n not in values]
        if missing:
            raise where.error(field, f"misses reference(s) {missing}")
        for k, v in values.items():
            if not isinstance(v, str):
                raise where.error(field, f"reference '{k}' must name a variable (a string), got {v!r}")
            if targets is not None and v not in targets:
                raise where.error(field, f"reference '{k}' names '{v}', which is not a variable of {owner} "
                                  f"(it has {targets})")

    def egps_and_dynamic(self, model, data: dict, where: _Where, prefix: str = "") -> None:
        """``extra_global_params`` ({name: list of numbers}) and ``dynamic_params`` (parameter names)."""
        egps = self.mapping(data.get("extra_global_params"), where, prefix + "extra_global_params")
        names = [e.name for e in model.extra_global_params]
        for k, v in egps.items():
            if k not in names:
                raise where.error(prefix + "extra_global_params", f"names '{k}', which is not an extra global "
                                  f"parameter of model '{model.class_name}' ({names or 'none'})")
            arr = np.asarray(v)
            if arr.ndim > 1 or not np.issubdtype(arr.dtype, np.number):
                raise where.error(f"{prefix}extra_global_params.{k}", "must be a number or a flat list of numbers")
        params = [p.name for p in model.params]
        for p in _list(data.get("dynamic_params"), where, prefix + "dynamic_params"):
            if p not in params:
                raise where.error(prefix + "dynamic_params", f"lists '{p}', which is not a parameter of model "
                                  f"'{model.class_name}' ({params or 'none'})")

    def name(self, name: Any, where: _Where, field: str, what: str) -> None:
        if not isinstance(name, str) or not name.isidentifier():
            raise where.error(field, f"must be an identifier (letters, digits, '_'), got {name!r}")
        if name in self.group_names:
            raise where.error(field, f"'{name}' is already used by {self.group_names[name]}")
        self.group_names[name] = what

    def pop_model_name(self, data: dict, where: _Where) -> Any:
        """The neuron model of a node: ``model``, or for a mixture the cell-type model it names (by default
        IzhikevichCell)."""
        if data.get("mixture") is None:
            if "model" not in data:
                raise where.error("model", "is missing")
            return data["model"]
        from ..models import cell_types

        name = data.get("model") or "IzhikevichCell"
        return getattr(cell_types, "_ALIASES", {}).get(name, name)

    # -- graph -------------------------------------------------------------
    def run(self) -> None:
        g = self.graph
        if not isinstance(g, nx.Graph) or not g.is_directed():
            raise ModelError(f"circuit '{self.circuit}': a circuit must be a directed networkx graph "
                             f"(MultiDiGraph), got {type(g).__name__}")
        where = _Where(self.circuit, "graph")
        dt = g.graph.get("dt", GRAPH_DEFAULTS["dt"])
        if not _is_number(dt) or dt <= 0:
            raise where.error("dt", f"must be a positive number, got {dt!r}")
        precision = g.graph.get("precision", GRAPH_DEFAULTS["precision"])
        if precision not in ("float", "double"):
            raise where.error("precision", f"must be 'float' or 'double', got {precision!r}")
        seed = g.graph.get("seed", GRAPH_DEFAULTS["seed"])
        if not _is_int(seed) or seed < 0:
            raise where.error("seed", f"must be a non-negative integer, got {seed!r}")
        if not self.circuit.isidentifier():
            raise where.error("name", f"must be an identifier (letters, digits, '_'), got {self.circuit!r}")
        for u, v, _k, data in _edges(g):
            for end, node in (("source", u), ("target", v)):
                if not g.nodes[node]:
                    raise _Where(self.circuit, _edge_label(u, v, data)).error(
                        end, f"names '{node}', which is not a population of the circuit")
        pop_vars: dict[Any, list[str]] = {}
        for node, data in g.nodes(data=True):
            pop_vars[node] = self.node(node, data)
        edge_models = {}
        for u, v, _k, data in _edges(g):
            self.edge(u, v, data, pop_vars)
            edge_models[data["name"]] = self.library.load("weight_update", data["weight_update"]["model"])
        for i, cu in enumerate(_list(g.graph.get("custom_updates"), where, "custom_updates")):
            self.custom_update(i, cu, pop_vars, edge_models)

    def custom_update(self, i: int, cu: Any, pop_vars: dict, edge_models: dict) -> None:
        where = _Where(self.circuit, f"custom update {i}")
        cu = self.mapping(cu, where, "custom_updates")
        extra = sorted(set(cu) - CU_FIELDS)
        if extra:
            raise where.error(extra[0], f"is not a custom update field ({sorted(CU_FIELDS)})")
        self.name(cu.get("name"), where, "name", f"custom update {i}")
        if not isinstance(cu.get("group"), str) or not cu["group"]:
            raise where.error("group", f"must name the update group (a string), got {cu.get('group')!r}")
        model = self.model("custom_update", cu.get("model"), where, "model")
        self.params(model, "custom_update", cu.get("params"), where, "params")
        refs = self.mapping(cu.get("var_refs"), where, "var_refs")
        names = [r.name for r in model.var_refs]
        if sorted(refs) != sorted(names):
            raise where.error("var_refs", f"must set exactly the references {names}, got {sorted(refs)}")
        kinds = set()
        for k, target in refs.items():
            if not (isinstance(target, list | tuple) and len(target) == 2):
                raise where.error(f"var_refs.{k}", f"must be [group, variable], got {target!r}")
            group, var = target
            if group in pop_vars:
                if var not in pop_vars[group]:
                    raise where.error(f"var_refs.{k}", f"names '{var}', not a variable of node '{group}' "
                                      f"({pop_vars[group]})")
                kinds.add("node")
            elif group in edge_models:
                wu_vars = [x.name for x in edge_models[group].vars]
                if var not in wu_vars:
                    raise where.error(f"var_refs.{k}", f"names '{var}', not a weight update variable of edge "
                                      f"'{group}' ({wu_vars})")
                kinds.add("edge")
            else:
                raise where.error(f"var_refs.{k}", f"names '{group}', which is neither a node nor an edge")
        if len(kinds) > 1:
            raise where.error("var_refs", "must all reference neuron variables or all weight-update variables")
        self.vars(model.vars, cu.get("vars"), where, "vars", model.class_name, None, "custom_update")

    def node(self, node: Any, data: dict) -> list[str]:
        where = _Where(self.circuit, f"node '{node}'")
        extra = sorted(set(data) - NODE_FIELDS)
        if extra:
            raise where.error(extra[0], f"is not a node field; node fields are {sorted(NODE_FIELDS)}")
        self.name(node, _Where(self.circuit, f"node '{node}'"), "id", f"node '{node}'")
        if "size" not in data:
            raise where.error("size", "is missing")
        size = data["size"]
        if not _is_int(size) or size <= 0:
            raise where.error("size", f"must be a positive integer, got {size!r}")
        mixture = data.get("mixture")
        model = self.model("neuron", self.pop_model_name(data, where), where, "model")
        var_names = [v.name for v in model.vars]
        if mixture is not None:
            mixture = self.mapping(mixture, where, "mixture")
            if not mixture or any(not _is_number(p) or p < 0 for p in mixture.values()) or \
                    abs(sum(mixture.values()) - 1.0) > 1e-6:
                raise where.error("mixture", f"must map cell types to proportions >= 0 summing to 1, got {mixture!r}")
            self.mapping(data.get("distributions"), where, "distributions")
            seed = data.get("mixture_seed", 0)
            if not _is_int(seed) or seed < 0:
                raise where.error("mixture_seed", f"must be a non-negative integer, got {seed!r}")
            self.mapping(data.get("params"), where, "params")  # per-type values: checked by the cell-type builder
        else:
            self.params(model, "neuron", data.get("params"), where, "params")
        self.vars(model.vars, data.get("vars"), where, "vars", model.class_name, size, "neuron",
                  require=mixture is None)
        self.egps_and_dynamic(model, data, where)
        inputs = ["Isyn"] + [a.name for a in model.additional_input_vars]
        self.mapping(data.get("receptors"), where, "receptors")
        for item in _list(data.get("record"), where, "record"):
            if item != "spikes" and item not in var_names:
                raise where.error("record", f"lists {item!r}; record 'spikes' or variables of the model "
                                  f"({var_names})")
        for i, cs in enumerate(_list(data.get("current_sources"), where, "current_sources")):
            f = f"current_sources[{i}]"
            cs = self.mapping(cs, where, f)
            extra = sorted(set(cs) - CS_FIELDS)
            if extra:
                raise where.error(f"{f}.{extra[0]}", f"is not a current source field ({sorted(CS_FIELDS)})")
            self.name(cs.get("name"), where, f"{f}.name", f"a current source of node '{node}'")
            model = self.model("current_source", cs.get("model"), where, f"{f}.model")
            self.params(model, "current_source", cs.get("params"), where, f"{f}.params")
            self.vars(model.vars, cs.get("vars"), where, f"{f}.vars", model.class_name, size, "current_source")
            self.refs(model.neuron_var_refs, cs.get("var_refs"), var_names, where, f"{f}.var_refs",
                      f"population '{node}'")
            self.egps_and_dynamic(model, cs, where, f"{f}.")
            if cs.get("target_var", "Isyn") not in inputs:
                raise where.error(f"{f}.target_var", f"must name an input of population '{node}' ({inputs}), got "
                                  f"{cs.get('target_var')!r}")
        return var_names

    def edge(self, u: Any, v: Any, data: dict, pop_vars: dict) -> None:
        where = _Where(self.circuit, _edge_label(u, v, data))
        extra = sorted(set(data) - EDGE_FIELDS)
        if extra:
            raise where.error(extra[0], f"is not an edge field; edge fields are {sorted(EDGE_FIELDS)}")
        if "name" not in data:
            raise where.error("name", "is missing")
        self.name(data["name"], where, "name", _edge_label(u, v, data))
        n_pre, n_post = self.graph.nodes[u]["size"], self.graph.nodes[v]["size"]
        conn = data.get("connectivity")
        matrix = data.get("matrix", "SPARSE" if conn is not None else "DENSE")
        if matrix not in MATRICES:
            raise where.error("matrix", f"must be one of {', '.join(repr(m) for m in MATRICES)}, got {matrix!r}")
        takes = MATRICES[matrix]
        n_syn: int | None = n_pre * n_post if matrix == "DENSE" else None
        if conn is not None:
            conn = self.mapping(conn, where, "connectivity")
            if takes is None:
                raise where.error("connectivity", f"is not used with matrix '{matrix}' (it connects all to all); "
                                  "give a matrix that takes connectivity, such as 'SPARSE'")
            if "snippet" in conn:
                if set(conn) - {"snippet", "params"}:
                    raise where.error("connectivity", "takes 'snippet' and 'params', or 'pre' and 'post'")
                kind = "toeplitz_connectivity" if takes == "toeplitz" else "sparse_connectivity"
                snippet = self.model(kind, conn["snippet"], where, "connectivity.snippet")
                self.params(snippet, kind, conn.get("params"), where, "connectivity.params")
                if matrix in ("TOEPLITZ", "PROCEDURAL_KERNELG"):
                    n_syn = _kernel_entries(snippet, conn.get("params"), where)
            elif set(conn) == {"pre", "post"}:
                if takes != "sparse":
                    raise where.error("connectivity", f"cannot be explicit pre/post lists with matrix '{matrix}' "
                                      "(only 'SPARSE' stores given synapses); give a connectivity snippet")
                pre, post = np.asarray(conn["pre"]), np.asarray(conn["post"])
                for f, arr, n in (("pre", pre, n_pre), ("post", post, n_post)):
                    if arr.ndim != 1 or (arr.size and (not np.issubdtype(arr.dtype, np.integer)
                                                       or arr.min() < 0 or arr.max() >= n)):
                        raise where.error(f"connectivity.{f}", f"must be a list of indices in [0, {n})")
                if pre.size != post.size:
                    raise where.error("connectivity", f"'pre' ({pre.size}) and 'post' ({post.size}) must have "
                                      "the same length")
                n_syn = int(pre.size)
            else:
                raise where.error("connectivity", "takes 'snippet' and 'params', or 'pre' and 'post', got keys "
                                  f"{sorted(conn)}")
        elif takes is not None:
            needs = {"sparse": "a snippet or pre/post lists", "snippet": "a sparse connectivity snippet",
                     "toeplitz": "a Toeplitz connectivity snippet (Conv2D or AvgPoolConv2D)"}[takes]
            raise where.error("connectivity", f"is missing (a {matrix} matrix needs {needs})")
        if not isinstance(data.get("narrow_sparse_ind_enabled", False), bool):
            raise where.error("narrow_sparse_ind_enabled", "must be true or false, got "
                              f"{data['narrow_sparse_ind_enabled']!r}")
        if "weight_update" not in data:
            raise where.error("weight_update", "is missing")
        wu = self.mapping(data["weight_update"], where, "weight_update")
        extra = sorted(set(wu) - WU_FIELDS)
        if extra:
            raise where.error(f"weight_update.{extra[0]}", f"is not a weight update field ({sorted(WU_FIELDS)})")
        wum = self.model("weight_update", wu.get("model"), where, "weight_update.model")
        self.params(wum, "weight_update", wu.get("params"), where, "weight_update.params")
        self.vars(wum.vars, wu.get("vars"), where, "weight_update.vars", wum.class_name, n_syn, "weight_update")
        self.vars(wum.pre_vars, wu.get("pre_vars"), where, "weight_update.pre_vars", wum.class_name, n_pre,
                  "weight_update")
        self.vars(wum.post_vars, wu.get("post_vars"), where, "weight_update.post_vars", wum.class_name, n_post,
                  "weight_update")
        self.refs(wum.pre_neuron_var_refs, wu.get("pre_var_refs"), pop_vars[u], where, "weight_update.pre_var_refs",
                  f"source population '{u}'")
        self.refs(wum.post_neuron_var_refs, wu.get("post_var_refs"), pop_vars[v], where,
                  "weight_update.post_var_refs", f"target population '{v}'")
        ps = self.mapping(data.get("postsynaptic", DEFAULT_POSTSYNAPTIC), where, "postsynaptic")
        extra = sorted(set(ps) - PS_FIELDS)
        if extra:
            raise where.error(f"postsynaptic.{extra[0]}", f"is not a postsynaptic field ({sorted(PS_FIELDS)})")
        psm = self.model("postsynaptic", ps.get("model"), where, "postsynaptic.model")
        self.params(psm, "postsynaptic", ps.get("params"), where, "postsynaptic.params")
        self.vars(psm.vars, ps.get("vars"), where, "postsynaptic.vars", psm.class_name, n_post, "postsynaptic")
        self.refs(psm.neuron_var_refs, ps.get("var_refs"), pop_vars[v], where, "postsynaptic.var_refs",
                  f"target population '{v}'")
        self.refs(wum.psm_var_refs, wu.get("psm_var_refs"), [x.name for x in psm.vars], where,
                  "weight_update.psm_var_refs", f"postsynaptic model '{psm.class_name}'")
        for f, low in (("axonal_delay_steps", 0), ("back_prop_delay_steps", 0), ("max_dendritic_delay_timesteps", 1)):
            value = data.get(f, low)
            if not _is_int(value) or value < low:
                raise where.error(f, f"must be an integer >= {low}, got {value!r}")
        self.egps_and_dynamic(wum, data, where)
        if "target" in data:
            compartment = data["target"]
            if compartment not in TARGETS:
                raise where.error("target", f"must be one of {sorted(TARGETS)}, got {compartment!r}")
            if data.get("post_target_var", TARGETS[compartment]) != TARGETS[compartment]:
                raise where.error("target", f"'{compartment}' means post_target_var '{TARGETS[compartment]}', but "
                                  f"post_target_var is {data['post_target_var']!r}")
        for f, node in (("post_target_var", v), ("pre_target_var", u)):
            target = data.get(f, TARGETS.get(data.get("target"), "Isyn") if f == "post_target_var" else "Isyn")
            pop_model = self.model("neuron", self.pop_model_name(self.graph.nodes[node], where), where, "model")
            inputs = ["Isyn"] + [a.name for a in pop_model.additional_input_vars]
            if target not in inputs:
                raise where.error(f, f"must name an input of population '{node}' ({inputs}), got {target!r}")
        wu_vars = [x.name for x in wum.vars]
        if data.get("record") and matrix not in RECORDABLE_MATRICES:
            raise where.error("record", f"cannot record the weights of a {matrix} matrix, which does not store them "
                              f"per synapse (only {' and '.join(RECORDABLE_MATRICES)} do)")
        for item in _list(data.get("record"), where, "record"):
            if item not in wu_vars:
                raise where.error("record", f"lists {item!r}, which is not a weight update variable ({wu_vars})")


def validate_graph(graph: nx.Graph) -> None:
    """Check a circuit graph against the schema; raise :class:`ModelError` naming node/edge and field."""
    _Validator(graph).run()


def graph_settings(graph: nx.Graph) -> dict[str, Any]:
    """The graph attributes with their defaults filled in."""
    return {k: graph.graph.get(k, d) for k, d in GRAPH_DEFAULTS.items()}


def _edges(graph: nx.Graph):
    if graph.is_multigraph():
        yield from graph.edges(keys=True, data=True)
    else:
        for u, v, data in graph.edges(data=True):
            yield u, v, None, data


def _edge_label(u: Any, v: Any, data: dict) -> str:
    name = data.get("name")
    return f"edge '{name}' ({u} -> {v})" if name is not None else f"edge {u} -> {v}"


def _kernel_entries(snippet, params: dict | None, where: _Where) -> int | None:
    """The number of weights a kernel connectivity snippet gives each synapse group (None if it has no kernel)."""
    from ..api.groups import NonPositiveKernel, kernel_size

    try:
        size = kernel_size(snippet, params or {})
    except NonPositiveKernel as exc:
        raise where.error("connectivity.params", f"give a kernel size that is not positive: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise where.error("connectivity.params", f"do not give snippet '{snippet.class_name}' its kernel size "
                          f"({type(exc).__name__}: {exc})") from None
    return int(np.prod(size)) if size else None


def _list(value: Any, where: _Where, field: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise where.error(field, f"must be a list, got {type(value).__name__}")
    return list(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)
