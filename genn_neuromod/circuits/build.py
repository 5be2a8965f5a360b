"""Build a GeNN model from a circuit graph, on the embedded engine or on real PyGeNN."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import networkx as nx
import numpy as np

from ..compiler.errors import ModelError
from .schema import DEFAULT_POSTSYNAPTIC, _edges, graph_settings, is_builtin, library_defaults, validate_graph

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
    handles = CircuitHandles(engine=engine, graph=graph.copy())
    for node, data in graph.nodes(data=True):
        pop = _add_population(model, pg, node, data, settings["name"])
        handles.populations[node] = pop
        record = list(data.get("record") or [])
        if "spikes" in record:
            pop.spike_recording_enabled = True
            handles.record.spikes.append(node)
        state = [r for r in record if r != "spikes"]
        if state:
            handles.record.state[node] = state
        for cs in data.get("current_sources") or []:
            name, model_name = cs["name"], cs["model"]
            handles.current_sources[name] = model.add_current_source(
                name, _model(pg, "current_source", model_name), pop,
                _params("current_source", model_name, cs.get("params")),
                _vars(pg, "current_source", model_name, cs.get("vars")), dict(cs.get("var_refs") or {}))
    for u, v, _key, data in _edges(graph):
        sg = _add_synapses(model, pg, handles.populations[u], handles.populations[v], data)
        handles.synapses[data["name"]] = sg
        if data.get("record"):
            handles.record.weights[data["name"]] = list(data["record"])
    return model, handles


def _add_population(model, pg: ModuleType, node: str, data: dict, circuit: str):
    if data.get("mixture") is not None:
        from ..models import cell_types

        try:
            return cell_types.add_heterogeneous_population(
                model, node, int(data["size"]), dict(data["mixture"]), params=dict(data.get("params") or {}),
                distributions=dict(data.get("distributions") or {}), seed=int(data.get("mixture_seed", 0)),
                neuron=data.get("model") or "IzhikevichCell",
                vars={k: _var_value(pg, v) for k, v in (data.get("vars") or {}).items()})
        except ModelError as exc:
            raise ModelError(f"circuit '{circuit}', node '{node}': field 'mixture': {exc}") from None
    name = data["model"]
    return model.add_neuron_population(node, int(data["size"]), _model(pg, "neuron", name),
                                       _params("neuron", name, data.get("params")),
                                       _vars(pg, "neuron", name, data.get("vars")))


def _add_synapses(model, pg: ModuleType, src, trg, data: dict):
    conn = data.get("connectivity")
    matrix = data.get("matrix", "SPARSE" if conn is not None else "DENSE")
    wu = data["weight_update"]
    ps = data.get("postsynaptic", DEFAULT_POSTSYNAPTIC)
    wu_init = pg.init_weight_update(
        _model(pg, "weight_update", wu["model"]), _params("weight_update", wu["model"], wu.get("params")),
        _vars(pg, "weight_update", wu["model"], wu.get("vars")), _vars(pg, None, None, wu.get("pre_vars")),
        _vars(pg, None, None, wu.get("post_vars")), pre_var_refs=dict(wu.get("pre_var_refs") or {}),
        post_var_refs=dict(wu.get("post_var_refs") or {}), psm_var_refs=dict(wu.get("psm_var_refs") or {}))
    ps_init = pg.init_postsynaptic(
        _model(pg, "postsynaptic", ps["model"]), _params("postsynaptic", ps["model"], ps.get("params")),
        _vars(pg, "postsynaptic", ps["model"], ps.get("vars")), dict(ps.get("var_refs") or {}))
    conn_init = None
    if conn is not None and "snippet" in conn:
        conn_init = pg.init_sparse_connectivity(
            _model(pg, "sparse_connectivity", conn["snippet"]),
            _params("sparse_connectivity", conn["snippet"], conn.get("params")))
    sg = model.add_synapse_population(data["name"], matrix, src, trg, wu_init, ps_init, conn_init)
    if conn is not None and "pre" in conn:
        sg.set_sparse_connections(np.asarray(conn["pre"], dtype=np.uint32), np.asarray(conn["post"], dtype=np.uint32))
    for attr in ("axonal_delay_steps", "back_prop_delay_steps", "max_dendritic_delay_timesteps"):
        if attr in data:
            setattr(sg, attr, int(data[attr]))
    for attr in ("post_target_var", "pre_target_var"):
        if attr in data:
            setattr(sg, attr, data[attr])
    return sg


def _model(pg: ModuleType, kind: str, name: str):
    """A built-in model by name (both engines resolve it), else the library model built with ``pg``."""
    if is_builtin(kind, name):
        return name
    from ..models import load_model

    return load_model(name, backend=pg)


def _params(kind: str, name: str, values: dict | None) -> dict:
    out = library_defaults(kind, name)
    if out:
        from ..models import available_models

        names = {p if isinstance(p, str) else p[0] for p in available_models(kind)[name].data.get("params", [])}
        out = {k: v for k, v in out.items() if k in names}
    out.update(values or {})
    return out


def _vars(pg: ModuleType, kind: str | None, name: str | None, values: dict | None) -> dict:
    out: dict[str, Any] = {}
    if kind is not None:
        from ..models import available_models

        spec = None if is_builtin(kind, name) else available_models(kind).get(name)
        if spec is not None:
            var_names = {v[0] for v in spec.data.get("vars", [])}
            out = {k: v for k, v in spec.defaults.items() if k in var_names}
    out.update(values or {})
    return {k: _var_value(pg, v) for k, v in out.items()}


def _var_value(pg: ModuleType, value: Any):
    if isinstance(value, dict):
        return pg.init_var(_model(pg, "var_init", value["init"]),
                           _params("var_init", value["init"], value.get("params")))
    if isinstance(value, list | tuple | np.ndarray):
        return np.asarray(value)
    return value

