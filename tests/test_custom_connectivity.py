"""Custom connectivity updates: rows edited by snippet code, against the same edit done in numpy."""

from __future__ import annotations

import numpy as np
import pytest

import genn_neuromod as pygenn
from genn_neuromod import (
    VarAccessMode,
    create_custom_connectivity_update_model,
    create_custom_update_model,
    create_neuron_model,
    create_post_var_ref,
    create_pre_var_ref,
    create_var_ref,
    create_weight_update_model,
    create_wu_var_ref,
    init_postsynaptic,
    init_weight_update,
)

empty = create_neuron_model("empty")
two_vars = create_weight_update_model("two_vars", vars=[("g", "scalar"), ("tag", "scalar")])
remove_small = create_custom_connectivity_update_model(
    "remove_small", params=["threshold"], var_refs=[("g", "scalar", VarAccessMode.READ_ONLY)],
    row_update_code="for_each_synapse { if (g < threshold) { remove_synapse(); } }")


def _network(tmp_path, ccu_model, ccu_args, n_pre=6, n_post=5, max_connections=None):
    """Random SPARSE connectivity with two weight-update variables and a custom update's variable over it (every
    per-synapse array an edit has to keep in step), then a custom connectivity update."""
    rng = np.random.default_rng(11)
    pre, post = np.nonzero(rng.random((n_pre, n_post)) < 0.5)
    model = pygenn.GeNNModel("double", "ccu")
    model.dt = 1.0
    a = model.add_neuron_population("Pre", n_pre, empty)
    b = model.add_neuron_population("Post", n_post, empty)
    g = rng.integers(0, 10, pre.size).astype(float)
    sg = model.add_synapse_population("S", "SPARSE", a, b, init_weight_update(two_vars, {}, {"g": g, "tag": 0.0}),
                                      init_postsynaptic("DeltaCurr"))
    sg.set_sparse_connections(pre, post)
    if max_connections:
        sg.max_connections = max_connections
    mark = create_custom_update_model("mark", vars=[("m", "scalar")], var_refs=[("tg", "scalar")],
                                      update_code="tg = m;")
    cu = model.add_custom_update("Mark", "Mark", mark, {}, {"m": g * 10.0}, {"tg": create_wu_var_ref(sg, "tag")})
    ccu = model.add_custom_connectivity_update("Edit", "Edit", sg, ccu_model, **ccu_args(sg))
    model.build(str(tmp_path))
    model.load()
    model.custom_update("Mark")  # tag = m = 10 g, so each synapse's three values must stay together
    return model, sg, cu, ccu, dict(zip(zip(pre.tolist(), post.tolist(), strict=True), g.tolist(), strict=True))


def _synapses(sg, cu) -> dict:
    pre, post = sg.get_sparse_pre_inds(), sg.get_sparse_post_inds()
    g, tag, m = sg.vars["g"].values, sg.vars["tag"].values, cu.vars["m"].values
    return {(int(i), int(j)): (g[k], tag[k], m[k]) for k, (i, j) in enumerate(zip(pre, post, strict=True))}


def test_remove_synapses_by_rule_keeps_every_per_synapse_array_in_step(tmp_path):
    model, sg, cu, _, before = _network(
        tmp_path, remove_small, lambda sg: {"params": {"threshold": 5.0},
                                            "var_refs": {"g": create_wu_var_ref(sg, "g")}})
    model.custom_update("Edit")
    after = _synapses(sg, cu)
    expected = {k: g for k, g in before.items() if g >= 5.0}  # numpy's version of the rule
    assert set(after) == set(expected) and len(expected) < len(before)
    for key, (g, tag, m) in after.items():
        assert g == expected[key] and tag == 10 * g and m == 10 * g


def test_add_synapse_sets_its_values_and_zeroes_the_others(tmp_path):
    add_diagonal = create_custom_connectivity_update_model(
        "add_diagonal", vars=[("age", "scalar")], var_refs=[("g", "scalar")],
        row_update_code="""
        bool found = false;
        for_each_synapse { if (id_post == id_pre) { found = true; break; } }
        if (!found && id_pre < num_post) { add_synapse(id_pre, 1.5, 100.0 + id_pre); }
        """)
    model, sg, cu, ccu, before = _network(
        tmp_path, add_diagonal, lambda sg: {"vars": {"age": 7.0}, "var_refs": {"g": create_wu_var_ref(sg, "g")}},
        max_connections=6)
    model.custom_update("Edit")
    after = _synapses(sg, cu)
    added = {(i, i) for i in range(5)} - set(before)
    assert added and set(after) == set(before) | added
    ages = dict(zip(zip(sg.get_sparse_pre_inds().tolist(), sg.get_sparse_post_inds().tolist(), strict=True),
                    ccu.vars["age"].values.tolist(), strict=True))
    for key, (g, tag, m) in after.items():
        if key in added:  # the update's own variable and the reference take add_synapse's values
            assert (ages[key], g, tag, m) == (1.5, 100.0 + key[0], 0.0, 0.0)
        else:
            assert (ages[key], g, tag, m) == (7.0, before[key], 10 * before[key], 10 * before[key])


def test_full_rows_are_reported(tmp_path):
    always_add = create_custom_connectivity_update_model("always_add", row_update_code="add_synapse(0);")
    model, *_ = _network(tmp_path, always_add, lambda sg: {})
    with pytest.raises(pygenn.ModelError, match="'Edit'.*full.*max_connections"):
        model.custom_update("Edit")


def test_host_code_fills_arrays_the_rows_read(tmp_path):
    """Host update code writes a presynaptic variable and an EGP bitmask; row code removes what they select."""
    host_then_rows = create_custom_connectivity_update_model(
        "host_then_rows", pre_vars=[("drop", "unsigned int")], extra_global_params=[("keep", "uint32_t*")],
        host_update_code="""
        for (unsigned int i = 0; i < num_pre; i++) { drop[i] = (i * 2) % num_post; }
        pushdropToDevice();
        uint32_t *words = keep;
        words[0] = 0x5u;
        pushkeepToDevice(1);
        """,
        row_update_code="""
        for_each_synapse {
            if (id_post == drop && !(keep[0] & (1u << id_pre))) { remove_synapse(); }
        }
        """)
    model, sg, cu, ccu, before = _network(tmp_path, host_then_rows, lambda sg: {"pre_vars": {"drop": 0}})
    ccu.extra_global_params["keep"].set_init_values(np.zeros(1, dtype=np.uint32))
    model.custom_update("Edit")
    removed = {(i, j) for (i, j) in before if j == (i * 2) % 5 and not (0x5 >> i) & 1}
    assert removed and set(_synapses(sg, cu)) == set(before) - removed
    np.testing.assert_array_equal(ccu.pre_vars["drop"].values, (np.arange(6) * 2) % 5)


def test_postsynaptic_learning_sees_the_edited_rows(tmp_path):
    """After an edit, learning through the column index reaches exactly the remaining synapses."""
    count = create_weight_update_model("count", vars=[("g", "scalar"), ("n", "scalar")],
                                       post_spike_syn_code="n += 1.0;")
    fire = create_neuron_model("fire", threshold_condition_code="true")
    model = pygenn.GeNNModel("double", "ccu_learn")
    a = model.add_neuron_population("Pre", 4, empty)
    b = model.add_neuron_population("Post", 4, fire)
    sg = model.add_synapse_population("S", "SPARSE", a, b,
                                      init_weight_update(count, {}, {"g": np.arange(10.0), "n": 0.0}),
                                      init_postsynaptic("DeltaCurr"))
    pre, post = np.nonzero(np.tri(4, k=0) > 0)
    sg.set_sparse_connections(pre, post)
    model.add_custom_connectivity_update("Edit", "Edit", sg, remove_small, {"threshold": 4.0},
                                         var_refs={"g": create_wu_var_ref(sg, "g")})
    model.build(str(tmp_path))
    model.load()
    model.custom_update("Edit")
    model.step_time_n(3)  # every post neuron spikes every step; learning runs from the second step on
    g, n = sg.vars["g"].values, sg.vars["n"].values
    assert np.all(g >= 4.0) and np.all(n == 2.0)


def test_references_to_neuron_and_update_variables(tmp_path):
    """Presynaptic and postsynaptic variable references read the neurons' current values; the update's own
    presynaptic and postsynaptic variables can be referenced by a custom update."""
    keep_pair = create_custom_connectivity_update_model(
        "keep_pair", pre_var_refs=[("a", "scalar")], post_var_refs=[("b", "scalar")],
        post_vars=[("seen", "scalar")], pre_vars=[("mark", "scalar")],
        row_update_code="mark = a; for_each_synapse { if (a + b != 3.0) { remove_synapse(); } }")
    holder = create_neuron_model("holder", vars=[("v", "scalar")])
    model = pygenn.GeNNModel("double", "ccu_refs")
    a = model.add_neuron_population("Pre", 3, holder, {}, {"v": [0.0, 1.0, 2.0]})
    b = model.add_neuron_population("Post", 3, holder, {}, {"v": [3.0, 2.0, 1.0]})
    sg = model.add_synapse_population("S", "SPARSE", a, b, init_weight_update("StaticPulse", {}, {"g": 1.0}),
                                      init_postsynaptic("DeltaCurr"))
    pre, post = np.meshgrid(np.arange(3), np.arange(3), indexing="ij")
    sg.set_sparse_connections(pre.ravel(), post.ravel())
    ccu = model.add_custom_connectivity_update(
        "Edit", "Edit", sg, keep_pair, pre_vars={"mark": 0.0}, post_vars={"seen": 0.0},
        pre_var_refs={"a": create_var_ref(a, "v")}, post_var_refs={"b": create_var_ref(b, "v")})
    double = create_custom_update_model("double", var_refs=[("x", "scalar")], update_code="x *= 2.0;")
    model.add_custom_update("DoubleMark", "Double", double, {}, {}, {"x": create_pre_var_ref(ccu, "mark")})
    model.add_custom_update("DoubleSeen", "Double", double, {}, {}, {"x": create_post_var_ref(ccu, "seen")})
    model.build(str(tmp_path))
    model.load()
    model.custom_update("Edit")
    assert list(zip(sg.get_sparse_pre_inds(), sg.get_sparse_post_inds(), strict=True)) == [(0, 0), (1, 1), (2, 2)]
    model.custom_update("Double")
    np.testing.assert_array_equal(ccu.pre_vars["mark"].values, [0.0, 2.0, 4.0])
