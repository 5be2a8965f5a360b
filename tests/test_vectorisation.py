"""Loops the C backend marks for SIMD lanes, and that marking them changes no result.

Neuron loops always carry ``#pragma omp simd`` (neurons are independent, as on a GPU); a synapse-
dynamics row loop carries it only when each synapse writes nothing but its own variables: with
``addToPost`` two synapses of one row may share a target (multapses), and an extra global
parameter array may be written by every synapse.
"""

from __future__ import annotations

import re

import numpy as np
from helpers import build_load, make_model

import genn_neuromod as pygenn


def _dynamics_loops(source: str) -> dict[str, bool]:
    """Synapse group name -> whether its dynamics row loop is marked ``omp simd``."""
    out = {}
    for m in re.finditer(r"/\* synapse dynamics of '(\w+)' \*/(.*?)\n    }\n", source, re.S):
        out[m.group(1)] = "#pragma omp simd" in m.group(2)
    return out


def test_simd_only_where_synapses_write_their_own_state(tmp_path):
    model = make_model("vec", "float")
    post_model = pygenn.create_neuron_model("Acc", vars=[("acc", "scalar")], sim_code="acc += Isyn;")
    pre = model.add_neuron_population("Pre", 2, post_model, {}, {"acc": 0.0})
    post = model.add_neuron_population("Post", 3, post_model, {}, {"acc": 0.0})
    decay = pygenn.create_weight_update_model("Decay", vars=[("g", "scalar")], synapse_dynamics_code="g *= 0.5;")
    push = pygenn.create_weight_update_model("Push", vars=[("g", "scalar")], synapse_dynamics_code="addToPost(g);")
    logged = pygenn.create_weight_update_model("Logged", vars=[("g", "scalar")],
                                               extra_global_params=[("log", "scalar*")],
                                               synapse_dynamics_code="log[0] = g;")
    # multapses: 0 -> 1 three times and 1 -> 1 once, so a lane-parallel addToPost would lose updates
    pre_ids, post_ids = np.array([0, 0, 0, 1, 1]), np.array([1, 1, 1, 1, 2])
    g = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    groups = {}
    for name, wu in (("Decay", decay), ("Push", push), ("Logged", logged)):
        sg = model.add_synapse_population(name, "SPARSE", pre, post, pygenn.init_weight_update(wu, {}, {"g": g}),
                                          pygenn.init_postsynaptic("DeltaCurr"))
        sg.set_sparse_connections(pre_ids, post_ids)
        groups[name] = sg
    groups["Logged"].extra_global_params["log"].set_init_values(np.zeros(1))
    build_load(model, tmp_path)
    source = next(tmp_path.rglob("model.c")).read_text()
    assert _dynamics_loops(source) == {"Decay": True, "Push": False, "Logged": False}
    assert source.count("#pragma omp simd") == 2 + 1  # the two neuron loops and Decay's row loop
    model.step_time()
    acc = post.vars["acc"]
    acc.pull_from_device()
    # Push delivers every synapse's weight this step; Decay and Logged deliver nothing
    np.testing.assert_array_equal(np.asarray(acc.values), [0.0, 1.0 + 2.0 + 4.0 + 8.0, 16.0])
    w = groups["Decay"].vars["g"]
    w.pull_from_device()
    np.testing.assert_array_equal(np.sort(np.asarray(w.values)), np.sort(g / 2))
    log = groups["Logged"].extra_global_params["log"]
    log.pull_from_device()
    assert float(np.asarray(log.values)[0]) == 16.0  # the last synapse of the last row wins, as in serial C
