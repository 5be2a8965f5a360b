"""Save and load circuit graphs: ``.json`` (networkx node-link) and ``.graphml``.

GraphML holds scalars only, so nested attributes (dicts, lists) are stored as JSON
strings prefixed with ``json:`` and decoded on load.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from ..compiler.errors import ModelError

JSON_PREFIX = "json:"
_FORMATS = (".json", ".graphml")


def save_graph(graph: nx.Graph, path: str | os.PathLike) -> Path:
    """Write ``graph`` to ``path`` (``.json`` or ``.graphml``, chosen by the extension); return the path."""
    path = Path(path)
    fmt = _format(path)
    if fmt == ".json":
        path.write_text(json.dumps(_node_link_data(graph), indent=1, default=_json_default) + "\n")
    else:
        nx.write_graphml(_encode_graph(graph), path)
    return path


def load_graph(path: str | os.PathLike) -> nx.MultiDiGraph:
    """Read a circuit graph written by :func:`save_graph` (or any node-link JSON / GraphML file)."""
    path = Path(path)
    fmt = _format(path)
    if not path.is_file():
        raise FileNotFoundError(f"circuit file '{path}' does not exist")
    if fmt == ".json":
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ModelError(f"circuit file '{path}' is not valid JSON: {exc}") from None
        if not isinstance(data, dict) or "nodes" not in data:
            raise ModelError(f"circuit file '{path}' is not networkx node-link JSON (no 'nodes')")
        data.setdefault("directed", True)
        data.setdefault("multigraph", True)
        graph = _node_link_graph(data)
    else:
        graph = _decode_graph(nx.read_graphml(path, force_multigraph=True))
    if not graph.is_directed():
        raise ModelError(f"circuit file '{path}' holds an undirected graph; circuits are directed")
    return graph if graph.is_multigraph() else nx.MultiDiGraph(graph)


def _format(path: Path) -> str:
    ext = path.suffix.lower()
    if ext not in _FORMATS:
        raise ModelError(f"circuit file '{path}': unknown extension '{ext}'; use .json or .graphml")
    return ext


def _node_link_data(graph: nx.Graph) -> dict:
    try:
        return nx.node_link_data(graph, edges="edges")
    except TypeError:  # networkx < 3.4
        return nx.node_link_data(graph, link="edges")


def _node_link_graph(data: dict) -> nx.Graph:
    edges = "edges" if "edges" in data else "links"
    try:
        return nx.node_link_graph(data, edges=edges)
    except TypeError:  # networkx < 3.4
        return nx.node_link_graph(data, link=edges)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store a {type(value).__name__} in a circuit file")


def _encode(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, int | float | bool) or (isinstance(value, str) and not value.startswith(JSON_PREFIX)):
        return value
    return JSON_PREFIX + json.dumps(value, default=_json_default)


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(JSON_PREFIX):
        return json.loads(value[len(JSON_PREFIX):])
    return value


def _encode_graph(graph: nx.Graph) -> nx.Graph:
    out = graph.__class__()
    out.graph.update({k: _encode(v) for k, v in graph.graph.items()})
    for node, data in graph.nodes(data=True):
        out.add_node(node, **{k: _encode(v) for k, v in data.items()})
    if graph.is_multigraph():
        for u, v, key, data in graph.edges(keys=True, data=True):
            out.add_edge(u, v, key=key, **{k: _encode(x) for k, x in data.items()})
    else:
        for u, v, data in graph.edges(data=True):
            out.add_edge(u, v, **{k: _encode(x) for k, x in data.items()})
    return out


def _decode_graph(graph: nx.Graph) -> nx.Graph:
    for k in ("node_default", "edge_default"):  # added by networkx's GraphML reader
        if graph.graph.get(k) == {}:
            del graph.graph[k]
    for k, v in list(graph.graph.items()):
        graph.graph[k] = _decode(v)
    for _, data in graph.nodes(data=True):
        for k, v in list(data.items()):
            data[k] = _decode(v)
    for *_, data in graph.edges(data=True):
        for k, v in list(data.items()):
            data[k] = _decode(v)
    return graph
