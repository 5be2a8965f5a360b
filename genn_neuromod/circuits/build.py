"""Build a GeNN model from a circuit graph, on the embedded engine or on real PyGeNN."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import networkx as nx
import numpy as np

from ..compiler.errors import ModelError
from .schema import (
    DEFAULT_POSTSYNAPTIC,
    MATRICES,
    TARGETS,
    Library,
    _edge_label,
    _edges,
    graph_settings,
    is_builtin,
    validate_graph,
)

ENGINES = ("embedded", "genn")
#: PyGeNN's backend names for the aliases this package accepts
_GENN_BACKENDS = {"cpu": "single_threaded_cpu", "single_threaded_cpu": "single_threaded_cpu", "cuda": "cuda"}


@dataclass
class RecordPlan:
    """What a circuit asks to record: read by the recorder (:mod:`genn_neuromod.recording`).

    Attributes:
        spikes: populations whose spikes are recorded (spike recording is enabled on them).
        state: population -> names of the neuron variables to sample.
        weights: synapse group -> names of the weight-update variables to snapshot.
    """

    spikes: list[str] = field(default_factory=list)
    state: dict[str, list[str]] = field(default_factory=dict)
    weights: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class CircuitHandles:
    """The groups :func:`build_model` created, by name, and what to record."""

    populations: dict[str, Any] = field(default_factory=dict)
    synapses: dict[str, Any] = field(default_factory=dict)
    current_sources: dict[str, Any] = field(default_factory=dict)
    custom_updates: dict[str, Any] = field(default_factory=dict)
    record: RecordPlan = field(default_factory=RecordPlan)
    engine: str = "embedded"
    graph: nx.MultiDiGraph | None = None


def engine_module(engine: str) -> ModuleType:
    """The module providing the PyGeNN API for ``engine`` (``"embedded"`` or ``"genn"``)."""
    if engine == "embedded":
        import genn_neuromod

        return genn_neuromod
    if engine == "genn":
        try:
            import pygenn
        except ImportError as exc:
            raise ImportError("engine 'genn' needs PyGeNN (not on PyPI; build it from GeNN's instructions)") \
                from exc
        return pygenn
    raise ValueError(f"unknown engine '{engine}'; use one of {', '.join(ENGINES)}")


def build_model(graph: nx.Graph, engine: str = "embedded", backend: str = "cpu",
                **preferences: Any) -> tuple[Any, CircuitHandles]:
    """Create an (unbuilt) ``GeNNModel`` with the circuit's populations, current sources and synapse groups.

    Args:
        graph: the circuit (see :mod:`genn_neuromod.circuits.schema`); validated first.
        engine: ``"embedded"`` (genn_neuromod) or ``"genn"`` (real PyGeNN).
        backend: ``"cpu"`` or ``"cuda"`` (or the backend names of the engine).
        **preferences: passed on to ``GeNNModel`` as backend preferences.

    Returns:
        ``(model, handles)``; call ``model.build()`` and ``model.load(num_recording_timesteps=...)`` next.
    """
    validate_graph(graph)
    pg = engine_module(engine)
    settings = graph_settings(graph)
    if engine == "genn":
        backend = _GENN_BACKENDS.get(backend, backend)
    model = pg.GeNNModel(settings["precision"], settings["name"], backend=backend, **preferences)
    model.dt = float(settings["dt"])
    model.seed = int(settings["seed"])
    b = _Builder(model, pg)
    handles = CircuitHandles(engine=engine, graph=copy.deepcopy(graph))
    circuit = settings["name"]
    for node, data in graph.nodes(data=True):
        with _located(circuit, f"node '{node}'"):
            pop = b.population(node, data)
            handles.populations[node] = pop
            for cs in data.get("current_sources") or []:
                handles.current_sources[cs["name"]] = b.current_source(pop, cs)
        record = list(data.get("record") or [])
        if "spikes" in record:
            pop.spike_recording_enabled = True
            handles.record.spikes.append(node)
        state = [r for r in record if r != "spikes"]
        if state:
            handles.record.state[node] = state
    for u, v, _key, data in _edges(graph):
        with _located(circuit, _edge_label(u, v, data)):
            handles.synapses[data["name"]] = b.synapses(handles.populations[u], handles.populations[v], data)
        if data.get("record"):
            handles.record.weights[data["name"]] = list(data["record"])
    for cu in graph.graph.get("custom_updates") or []:
        with _located(circuit, f"custom update '{cu['name']}'"):
            handles.custom_updates[cu["name"]] = b.custom_update(cu, handles)
    return model, handles


@contextmanager
def _located(circuit: str, what: str) -> Iterator[None]:
    """The engine's own rules (checked as a group is added) name the circuit and the node or edge too."""
    try:
        yield
    except (ModelError, NotImplementedError) as exc:
        raise type(exc)(f"circuit '{circuit}', {what}: {exc}") from None


class _Builder:
    """Adds a circuit's groups to ``model`` with the API of ``pg`` (genn_neuromod or pygenn)."""

    def __init__(self, model: Any, pg: ModuleType):
        self.model, self.pg = model, pg
        self.lib = Library()

    def population(self, node: str, data: dict):
        if data.get("mixture") is not None:
            from ..models import cell_types

            try:
                return cell_types.add_heterogeneous_population(
                    self.model, node, int(data["size"]), dict(data["mixture"]),
                    params=dict(data.get("params") or {}), distributions=dict(data.get("distributions") or {}),
                    seed=int(data.get("mixture_seed", 0)), neuron=data.get("model") or "IzhikevichCell",
                    vars={k: self.var_value(v) for k, v in (data.get("vars") or {}).items()})
            except ModelError as exc:
                raise ModelError(f"field 'mixture': {exc}") from None
        name = data["model"]
        pop = self.model.add_neuron_population(node, int(data["size"]), self.snippet("neuron", name),
                                               self.params("neuron", name, data.get("params")),
                                               self.vars("neuron", name, data.get("vars")))
        self.egps_and_dynamic(pop, data, pop.set_param_dynamic)
        return pop

    @staticmethod
    def egps_and_dynamic(group, data: dict, make_dynamic) -> None:
        for name, values in (data.get("extra_global_params") or {}).items():
            group.extra_global_params[name].set_init_values(np.atleast_1d(np.asarray(values)))
        for name in data.get("dynamic_params") or []:
            make_dynamic(name)

    def current_source(self, pop, cs: dict):
        name = cs["model"]
        source = self.model.add_current_source(cs["name"], self.snippet("current_source", name), pop,
                                               self.params("current_source", name, cs.get("params")),
                                               self.vars("current_source", name, cs.get("vars")),
                                               dict(cs.get("var_refs") or {}))
        if "target_var" in cs:
            source.target_var = cs["target_var"]
        self.egps_and_dynamic(source, cs, source.set_param_dynamic)
        return source

    def custom_update(self, cu: dict, handles: CircuitHandles):
        refs = {}
        for k, (group, var) in cu["var_refs"].items():
            if group in handles.populations:
                refs[k] = self.pg.create_var_ref(handles.populations[group], var)
            else:
                refs[k] = self.pg.create_wu_var_ref(handles.synapses[group], var)
        name = cu["model"]
        return self.model.add_custom_update(cu["name"], cu["group"], self.snippet("custom_update", name),
                                            self.params("custom_update", name, cu.get("params")),
                                            self.vars("custom_update", name, cu.get("vars")), refs)

    def synapses(self, src, trg, data: dict):
        pg = self.pg
        conn = data.get("connectivity")
        matrix = data.get("matrix", "SPARSE" if conn is not None else "DENSE")
        wu, ps = data["weight_update"], data.get("postsynaptic", DEFAULT_POSTSYNAPTIC)
        wum, psm = wu["model"], ps["model"]
        wu_init = pg.init_weight_update(
            self.snippet("weight_update", wum), self.params("weight_update", wum, wu.get("params")),
            self.vars("weight_update", wum, wu.get("vars")),
            self.vars("weight_update", wum, wu.get("pre_vars"), "pre_vars"),
            self.vars("weight_update", wum, wu.get("post_vars"), "post_vars"),
            pre_var_refs=dict(wu.get("pre_var_refs") or {}), post_var_refs=dict(wu.get("post_var_refs") or {}),
            psm_var_refs=dict(wu.get("psm_var_refs") or {}))
        ps_init = pg.init_postsynaptic(self.snippet("postsynaptic", psm),
                                       self.params("postsynaptic", psm, ps.get("params")),
                                       self.vars("postsynaptic", psm, ps.get("vars")), dict(ps.get("var_refs") or {}))
        conn_init = None
        if conn is not None and "snippet" in conn:
            name = conn["snippet"]
            if MATRICES[matrix] == "toeplitz":
                conn_init = pg.init_toeplitz_connectivity(name, dict(conn.get("params") or {}))
            else:
                conn_init = pg.init_sparse_connectivity(self.snippet("sparse_connectivity", name),
                                                        self.params("sparse_connectivity", name, conn.get("params")))
        sg = self.model.add_synapse_population(data["name"], matrix, src, trg, wu_init, ps_init, conn_init)
        if data.get("narrow_sparse_ind_enabled"):
            sg.narrow_sparse_ind_enabled = True
        if conn is not None and "pre" in conn:
            sg.set_sparse_connections(np.asarray(conn["pre"], dtype=np.uint32),
                                      np.asarray(conn["post"], dtype=np.uint32))
        for attr in ("axonal_delay_steps", "back_prop_delay_steps", "max_dendritic_delay_timesteps"):
            if attr in data:
                setattr(sg, attr, int(data[attr]))
        if "target" in data:
            sg.post_target_var = TARGETS[data["target"]]
        for attr in ("post_target_var", "pre_target_var"):
            if attr in data:
                setattr(sg, attr, data[attr])
        self.egps_and_dynamic(sg, data, sg.set_wu_param_dynamic)
        return sg

    def snippet(self, kind: str, name: str):
        """A built-in model by name (both engines resolve it), else the library model built with ``pg``."""
        if is_builtin(kind, name):
            return name
        from ..models import load_model

        return load_model(name, backend=self.pg)

    def defaults(self, kind: str, name: str, key: str) -> dict[str, Any]:
        """A library model's default values of its ``params``, ``vars``, ``pre_vars`` or ``post_vars``."""
        spec = self.lib.spec(kind, name)
        if spec is None:
            return {}
        return spec.default_values(key)

    def params(self, kind: str, name: str, values: dict | None) -> dict:
        return {**self.defaults(kind, name, "params"), **(values or {})}

    def vars(self, kind: str, name: str, values: dict | None, key: str = "vars") -> dict:
        out = {**self.defaults(kind, name, key), **(values or {})}
        return {k: self.var_value(v) for k, v in out.items()}

    def var_value(self, value: Any):
        if isinstance(value, dict):
            name = value["init"]
            return self.pg.init_var(self.snippet("var_init", name), self.params("var_init", name, value.get("params")))
        if isinstance(value, list | tuple | np.ndarray):
            return np.asarray(value)
        return value
