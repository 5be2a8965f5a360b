"""The code generator's shape: the plan, the connectivity classes, the environment builder, the kernel
descriptions, the backend contracts, and the rule that nothing after the API writes into the user's objects."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import genn_neuromod as pygenn
from genn_neuromod import (
    create_current_source_model,
    create_postsynaptic_model,
    create_weight_update_model,
    init_postsynaptic,
    init_sparse_connectivity,
    init_weight_update,
)
from genn_neuromod.api.arrays import ArrayBase
from genn_neuromod.backends import base
from genn_neuromod.codegen import LoadInfo, make_plan
from genn_neuromod.codegen.connectivity import Dense, HostLayout, Sparse, connectivity_of
from genn_neuromod.codegen.environment import C_TARGET, CUDA_TARGET, Environment
from genn_neuromod.codegen.kernels import describe_model
from genn_neuromod.compiler import Symbol
from genn_neuromod.compiler.errors import ModelError

LIF = {"C": 1.0, "TauM": 20.0, "Vrest": -70.0, "Vreset": -70.0, "Vthresh": -50.0, "Ioffset": 0.0, "TauRefrac": 2.0}


def _network(backend: str = "cpu", seed: int = 3):
    model = pygenn.GeNNModel("double", "arch", backend=backend)
    model.dt = 0.5
    model.seed = seed
    pre = model.add_neuron_population("Pre", 20, "Poisson", {"rate": 80.0}, {"timeStepToSpike": 0.0})
    post = model.add_neuron_population("Post", 10, "LIF", LIF, {"V": -60.0, "RefracTime": 0.0})
    post.spike_recording_enabled = True
    stdp = create_weight_update_model(
        "Stdp", params=["a"], vars=[("g", "scalar")], pre_vars=[("x", "scalar")], post_vars=[("y", "scalar")],
        pre_spike_syn_code="addToPost(g); g -= a * y;", post_spike_syn_code="g += a * x;",
        pre_spike_code="x += 1.0;", post_spike_code="y += 1.0;", pre_dynamics_code="x *= 0.9;",
        post_dynamics_code="y *= 0.9;")
    sg = model.add_synapse_population(
        "Syn", "SPARSE", pre, post, init_weight_update(stdp, {"a": 0.01}, {"g": 2.0}, {"x": 0.0}, {"y": 0.0}),
        init_postsynaptic("ExpCurr", {"tau": 5.0}), init_sparse_connectivity("FixedProbability", {"prob": 0.3}))
    sg.axonal_delay_steps = 2
    model.add_synapse_population("Dense", "DENSE", post, post, init_weight_update("StaticPulse", {}, {"g": -0.5}),
                                 init_postsynaptic("DeltaCurr"))
    model.add_current_source("Drive", "DC", post, {"amp": 0.5})
    return model


def _object_states(model) -> dict[int, tuple]:
    """Every attribute of every group and array of the model, as (name, id of value) pairs."""
    out = {}
    for table in (model.neuron_populations, model.synapse_populations, model.current_sources,
                  model.custom_updates):
        for g in table.values():
            objects = [g] + [a for a in g.all_arrays()]
            for extra in ("spike_times", "prev_spike_times", "out_post", "den_delay"):
                if hasattr(g, extra):
                    objects.append(getattr(g, extra))
            for obj in objects:
                out[id(obj)] = tuple(sorted((k, id(v)) for k, v in vars(obj).items()))
    return out


def test_build_load_run_never_write_into_the_api_objects(tmp_path):
    model = _network()
    before = _object_states(model)
    model.build(str(tmp_path))
    model.load(num_recording_timesteps=50)
    model.step_time_n(50)
    model.pull_recording_buffers_from_device()
    assert len(model.neuron_populations["Post"].spike_recording_data[0][0]) > 0
    g = model.synapse_populations["Syn"].vars["g"].values
    assert g.size == len(model.synapse_populations["Syn"].get_sparse_post_inds())
    model.unload()
    assert _object_states(model) == before


def test_arrays_ask_the_runtime(tmp_path):
    model = _network()
    pop = model.neuron_populations["Post"]
    with pytest.raises(RuntimeError, match="load"):
        _ = pop.vars["V"].view
    model.build(str(tmp_path))
    model.load(num_recording_timesteps=10)
    view = pop.vars["V"].view
    assert view is model._runtime.view(pop.vars["V"])
    view[:] = -55.0
    assert np.all(pop.vars["V"].values == -55.0)
    other = _network()
    with pytest.raises(ModelError, match="not an array of this model"):
        model._runtime.view(other.neuron_populations["Post"].vars["V"])
    assert pop.num_delay_slots == 1 and model.neuron_populations["Pre"].num_delay_slots == 3


def test_plan_lists_arrays_once_and_binds_every_model_array():
    model = _network()
    plan = make_plan(model)
    names = [a.cname for a in plan.arrays]
    assert len(names) == len(set(names))
    for g in plan.neurons + plan.synapses + plan.current_sources:
        for array in g.all_arrays():
            assert isinstance(array, ArrayBase) and array in plan.bindings
    sg = model.synapse_populations["Syn"]
    assert plan.slots(sg.src) == 3 and plan.slots(sg.trg) == 1
    assert plan.is_delayed(sg.pre_vars["x"]) and not plan.is_delayed(sg.post_vars["y"])
    assert isinstance(plan.connectivity[sg], Sparse)
    assert isinstance(plan.connectivity[model.synapse_populations["Dense"]], Dense)


def test_kernel_descriptions_are_frozen_and_target_specific():
    plan = make_plan(_network())
    c, cuda = describe_model(plan, C_TARGET), describe_model(plan, CUDA_TARGET)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.neurons[0].n = 3
    assert [n.name for n in c.neurons] == ["Pre", "Post"]
    assert [k.group.name for k in c.presynaptic] == ["Syn", "Dense"]
    assert [k.group.name for k in c.postsynaptic] == ["Syn"] and c.needs_column_index == {"Syn"}
    assert "atomicAdd" not in c.presynaptic[0].spike.c and "atomicAdd" in cuda.presynaptic[0].spike.c
    assert [k.group.matrix for k in c.presynaptic] == ["sparse", "dense"]


def test_environment_builder_per_field_kind():
    plan = make_plan(_network())
    pop = plan.neurons[1]
    env = (Environment(plan, C_TARGET).params(pop.model, pop.params, {"Ioffset"}, "n1")
           .element("neuron", num_neurons=10))
    syms = env.namespace.symbols
    assert {"t", "dt", "batch", "id", "num_neurons", "TauM", "ExpTC", "Rmembrane", "Ioffset"} <= set(syms)
    assert syms["TauM"].c_expr == "20.0" and syms["Ioffset"].c_expr == "n1_dp_Ioffset"
    assert syms["num_neurons"].c_expr == "10u" and syms["num_neurons"].uniform
    assert syms["ExpTC"].c_expr == repr(float(np.exp(-0.5 / 20.0)))
    assert "gennrand_uniform" in env.namespace.functions
    syn = Environment(plan, CUDA_TARGET).element("synapse", num_pre=20, num_post=10)
    assert {"id_pre", "id_post", "id_syn", "num_pre", "num_post"} <= set(syn.namespace.symbols)
    assert syn.namespace.symbols["batch"].c_expr == "batch"
    copy = env.copy()
    copy.readonly("extra", "x", "scalar")
    assert "extra" not in env.namespace.symbols
    assert isinstance(copy.namespace.symbols["extra"], Symbol)


def test_connectivity_layouts_and_column_index():
    rng = np.random.default_rng(2)
    n_pre, n_post, stride = 7, 5, 4
    row_length = rng.integers(0, stride + 1, n_pre).astype(np.uint32)
    ind = np.zeros(n_pre * stride, dtype=np.uint32)
    for i in range(n_pre):
        ind[i * stride:i * stride + row_length[i]] = np.sort(rng.choice(n_post, row_length[i], replace=False))
    layout = HostLayout(stride, row_length, ind)
    assert layout.valid.sum() == row_length.sum()
    np.testing.assert_array_equal(layout.pre_indices, np.repeat(np.arange(n_pre), row_length))
    col_length, remap, col_stride = Sparse.build_column_index(layout, n_post)
    slots = np.nonzero(layout.valid)[0]
    for j in range(n_post):  # every synapse onto j, in row order, through the column index
        expected = slots[ind[slots] == j]
        np.testing.assert_array_equal(remap[j * col_stride:j * col_stride + col_length[j]], expected)
    dense = HostLayout(n_post, np.full(n_pre, n_post, dtype=np.uint32), None)
    np.testing.assert_array_equal(dense.post_indices, np.tile(np.arange(n_post), n_pre))


def test_connectivity_classes_size_their_arrays():
    model = _network()
    sparse, dense = model.synapse_populations["Syn"], model.synapse_populations["Dense"]
    info = LoadInfo()
    s, d = connectivity_of(sparse), connectivity_of(dense)
    s.load_info(info)
    assert info.row_stride["Syn"] == sparse.max_connections
    assert s.synapse_count(info) == 20 * sparse.max_connections and d.synapse_count(info) == 100
    arrays = {a.name: a for a in s.arrays("s0")}
    assert set(arrays) == {"rowLength", "ind", "colLength", "remap", "rowSplit"} and d.arrays("s1") == []
    assert arrays["rowSplit"].size(info) == 0  # split points only where an OpenMP team splits the rows
    info.row_split_parts["Syn"] = 3
    assert arrays["rowSplit"].size(info) == 20 * 3
    assert s.init_after_connectivity and not d.init_after_connectivity
    assert d.exposes_view and not s.exposes_view


def test_backend_registry_and_contracts(tmp_path):
    assert base.canonical_name("cpu") == base.canonical_name(None) == "single_threaded_cpu"
    with pytest.raises(ValueError, match="unknown backend 'tpu'.*single_threaded_cpu"):
        pygenn.GeNNModel("float", "x", backend="tpu")
    backend = base.get_backend("cpu")
    assert isinstance(backend, base.Backend) and backend.supports_batching
    assert base.get_backend("cuda").supports_batching
    model = _network()
    model.build(str(tmp_path))
    assert isinstance(model._build_result, base.Build)
    model.load(num_recording_timesteps=10)
    assert isinstance(model._runtime, base.Runtime)
    base.register_backend("test_alias_backend", "genn_neuromod.backends.cpu", "test-cpu")
    try:
        assert base.get_backend("test-cpu") is backend
    finally:
        base._REGISTRY.pop("test_alias_backend")
        base.ALIASES.pop("test-cpu")


def test_references_are_checked_when_groups_are_added():
    model = pygenn.GeNNModel("float", "refs")
    a = model.add_neuron_population("A", 4, "LIF", LIF, {"V": -60.0, "RefracTime": 0.0})
    b = model.add_neuron_population("B", 3, "LIF", LIF, {"V": -60.0, "RefracTime": 0.0})
    wu = create_weight_update_model("R", vars=[("g", "scalar")], post_neuron_var_refs=[("Vp", "scalar")],
                                    pre_spike_syn_code="addToPost(g * Vp);")
    with pytest.raises(ModelError, match="'S1'.*'Vp' is not set"):
        model.add_synapse_population("S1", "DENSE", a, b, init_weight_update(wu, {}, {"g": 1.0}),
                                     init_postsynaptic("DeltaCurr"))
    with pytest.raises(ModelError, match="'S2'.*unknown variable 'W' of 'B'"):
        model.add_synapse_population("S2", "DENSE", a, b, init_weight_update(wu, {}, {"g": 1.0},
                                                                             post_var_refs={"Vp": "W"}),
                                     init_postsynaptic("DeltaCurr"))
    with pytest.raises(ModelError, match="'S3'.*must point into 'B'"):
        model.add_synapse_population(
            "S3", "DENSE", a, b,
            init_weight_update(wu, {}, {"g": 1.0}, post_var_refs={"Vp": pygenn.create_var_ref(a, "V")}),
            init_postsynaptic("DeltaCurr"))
    with pytest.raises(ModelError, match="'S4'.*unknown variable reference"):
        model.add_synapse_population("S4", "DENSE", a, b,
                                     init_weight_update(wu, {}, {"g": 1.0}, post_var_refs={"Vp": "V", "X": "V"}),
                                     init_postsynaptic("DeltaCurr"))
    psm = create_postsynaptic_model("P", neuron_var_refs=[("Vn", "scalar")], sim_code="injectCurrent(inSyn * Vn);")
    with pytest.raises(ModelError, match="'S5'.*'Vn' is not set"):
        model.add_synapse_population("S5", "DENSE", a, b, init_weight_update("StaticPulse", {}, {"g": 1.0}),
                                     init_postsynaptic(psm))
    cs = create_current_source_model("C", neuron_var_refs=[("Vn", "scalar")], injection_code="injectCurrent(Vn);")
    with pytest.raises(ModelError, match="current source 'CS'.*'Vn' is not set"):
        model.add_current_source("CS", cs, a)
    assert set(model.synapse_populations) == set() and not model.current_sources


def test_unloading_an_openmp_model_keeps_the_process_alive(tmp_path):
    """libgomp must outlive the model libraries that started its threads (it used to crash at unload)."""
    script = textwrap.dedent(f"""
        import genn_neuromod as pg
        m = pg.GeNNModel("float", "omp_unload", num_threads=2)
        n = pg.create_neuron_model("N", vars=[("V", "scalar")], sim_code="V += 1.0;")
        m.add_neuron_population("P", 1000, n, {{}}, {{"V": 0.0}})
        m.build({str(tmp_path)!r})
        for _ in range(3):
            m.load(); m.step_time_n(20); m.unload()
        x = [list(range(1000)) for _ in range(2000)]
        print("alive", len(x))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "alive 2000" in proc.stdout
