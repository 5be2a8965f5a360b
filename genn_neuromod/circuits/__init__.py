"""Circuits as networkx graphs: nodes are populations, edges are projections.

Describe a network as a :class:`networkx.MultiDiGraph` (schema in
:mod:`genn_neuromod.circuits.schema`), check it with :func:`validate_graph`, turn it into
a ``GeNNModel`` of either engine with :func:`build_model`, turn a model back into a graph
with :func:`to_graph`, and store graphs with :func:`save_graph` / :func:`load_graph`::

    from genn_neuromod.circuits import build_model, load_graph

    model, handles = build_model(load_graph("data/example_circuit.json"))
    model.build()
    model.load(num_recording_timesteps=1000)
    model.step_time_n(1000)
"""

from __future__ import annotations

from .build import CircuitHandles, RecordPlan, build_model, engine_module
from .convert import to_graph
from .io import load_graph, save_graph
from .schema import validate_graph

__all__ = ["CircuitHandles", "RecordPlan", "build_model", "engine_module", "load_graph", "save_graph", "to_graph",
           "validate_graph"]
