"""``to_graph``: describe a ``GeNNModel`` of the embedded engine as a circuit graph."""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from ..compiler.errors import ModelError
from .schema import KIND_LABELS, Library


def to_graph(model) -> nx.MultiDiGraph:
    """The circuit graph of a (built or unbuilt) ``genn_neuromod.GeNNModel``.

    Models are recorded by name, so every model must be a GeNN built-in or a model-library
    model; variables keep their initial values (numbers, lists, or var-init snippets), not
    the running state. Spike recording flags become ``record: ["spikes"]``.
    """
    from ..api.init import VarInit

    lib = Library()

    def value(v: Any, where: str) -> Any:
        if isinstance(v, VarInit):
            return {"init": _name(v.snippet, "var_init", where, lib), "params": _plain(v.params)}
        return _plain(v)

    def var_values(variables: dict, where: str) -> dict:
        return {k: value(var.init_values, where) for k, var in variables.items() if var.init_values is not None}

    g = nx.MultiDiGraph(name=model.name, dt=float(model.dt), precision=str(model.precision), seed=int(model.seed))
    for name, pop in model.neuron_populations.items():
        where = f"population '{name}'"
        mixture = getattr(pop, "mixture_spec", None)
        if mixture is not None:  # a heterogeneous population: the mixture that draws it again (same seed)
            data: dict[str, Any] = {"size": int(pop.num_neurons), **_plain(mixture)}
            if not data["vars"]:
                del data["vars"]
        else:
            data = {"model": _name(pop.model, "neuron", where, lib), "size": int(pop.num_neurons),
                    "params": _plain(pop.params), "vars": var_values(pop.vars, where)}
        data.update(_egps_and_dynamic(pop, pop.dynamic_params))
        if pop.spike_recording_enabled:
            data["record"] = ["spikes"]
        sources = []
        for cs in pop.current_sources:
            cs_where = f"current source '{cs.name}'"
            item = {"name": cs.name, "model": _name(cs.model, "current_source", cs_where, lib),
                    "params": _plain(cs.params), "vars": var_values(cs.vars, cs_where)}
            if cs.var_refs:
                item["var_refs"] = _refs(cs.var_refs)
            if cs.target_var != "Isyn":
                item["target_var"] = cs.target_var
            item.update(_egps_and_dynamic(cs, cs.dynamic_params))
            sources.append(item)
        if sources:
            data["current_sources"] = sources
        g.add_node(name, **data)
    for name, sg in model.synapse_populations.items():
        where = f"synapse population '{name}'"
        wu_init, ps_init = sg.wu_initialiser, sg.ps_initialiser
        wu = {"model": _name(sg.wu_model, "weight_update", where, lib), "params": _plain(sg.params),
              "vars": var_values(sg.vars, where), "pre_vars": var_values(sg.pre_vars, where),
              "post_vars": var_values(sg.post_vars, where), "pre_var_refs": _refs(wu_init.pre_var_refs),
              "post_var_refs": _refs(wu_init.post_var_refs), "psm_var_refs": _refs(wu_init.psm_var_refs)}
        ps = {"model": _name(sg.ps_model, "postsynaptic", where, lib), "params": _plain(sg.ps_params),
              "vars": var_values(sg.psm_vars, where), "var_refs": _refs(ps_init.var_refs)}
        data = {"name": name, "matrix": sg.matrix_type.name,
                "weight_update": {k: v for k, v in wu.items() if v or k in ("model", "params")},
                "postsynaptic": {k: v for k, v in ps.items() if v or k in ("model", "params")},
                "axonal_delay_steps": int(sg.axonal_delay_steps),
                "back_prop_delay_steps": int(sg.back_prop_delay_steps),
                "max_dendritic_delay_timesteps": int(sg.max_dendritic_delay_timesteps),
                "post_target_var": sg.post_target_var, "pre_target_var": sg.pre_target_var}
        data.update(_egps_and_dynamic(sg, sg.dynamic_params))
        if sg.narrow_sparse_ind_enabled:
            data["narrow_sparse_ind_enabled"] = True
        if sg._manual_connectivity is not None:
            pre, post = sg._manual_connectivity
            data["connectivity"] = {"pre": _plain(pre), "post": _plain(post)}
        elif sg.connectivity_initialiser is not None or sg.toeplitz_connectivity_initialiser is not None:
            toeplitz = sg.toeplitz_connectivity_initialiser is not None
            ci = sg.toeplitz_connectivity_initialiser if toeplitz else sg.connectivity_initialiser
            kind = "toeplitz_connectivity" if toeplitz else "sparse_connectivity"
            data["connectivity"] = {"snippet": _name(ci.snippet, kind, where, lib), "params": _plain(ci.params)}
        g.add_edge(sg.src.name, sg.trg.name, key=name, **data)
    updates = []
    for name, cu in model.custom_updates.items():
        where = f"custom update '{name}'"
        refs = {}
        for k, ref in cu.var_refs.items():
            if ref.kind not in ("neuron", "wu") or ref.transpose_group is not None:
                raise ModelError(f"to_graph: {where}: reference '{k}' ({ref.kind} variable) cannot be described in "
                                 "a circuit graph, which takes neuron and weight-update variables")
            refs[k] = [ref.group.name, ref.var_name]
        updates.append({"name": name, "group": cu.update_group_name,
                        "model": _name(cu.model, "custom_update", where, lib), "params": _plain(cu.params),
                        "vars": var_values(cu.vars, where), "var_refs": refs})
    if updates:
        g.graph["custom_updates"] = updates
    return g


def _egps_and_dynamic(group, dynamic: set) -> dict[str, Any]:
    """The graph fields of a group's extra global parameter values and dynamic parameters (when it has any)."""
    out: dict[str, Any] = {}
    egps = {k: _plain(np.asarray(e.init_values).ravel()) for k, e in group.extra_global_params.items()
            if e.init_values is not None}
    if egps:
        out["extra_global_params"] = egps
    if dynamic:
        out["dynamic_params"] = sorted(dynamic)
    return out


def _name(snippet, kind: str, where: str, lib: Library) -> str:
    """The name a graph records for ``snippet``: it must be a built-in or a library model of that name."""
    name = snippet.class_name
    try:
        reference = lib.load(kind, name)
    except KeyError:
        raise ModelError(f"to_graph: {where} uses {KIND_LABELS[kind]} '{name}', which is neither a "
                         "GeNN built-in nor in the model library; add it to a model folder "
                         "(genn_neuromod.models.add_model_folder) to describe it in a graph") from None
    if reference.code_fields() != snippet.code_fields() or \
            [p.name for p in reference.params] != [p.name for p in snippet.params]:
        raise ModelError(f"to_graph: {where} uses a {KIND_LABELS[kind]} named '{name}' whose code "
                         f"differs from the built-in or library model '{name}'; give it a name of its own "
                         "and add it to a model folder")
    return name


def _refs(refs: dict) -> dict[str, str]:
    return {k: (r if isinstance(r, str) else r.var_name) for k, r in (refs or {}).items()}


def _plain(value: Any) -> Any:
    """Numbers, lists and dicts only (numpy arrays and scalars converted)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
