"""Circuits as networkx graphs: schema validation, build, to_graph round trip, JSON/GraphML files."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import genn_neuromod as pygenn
from genn_neuromod import ModelError
from genn_neuromod.circuits import build_model, load_graph, save_graph, to_graph, validate_graph
from genn_neuromod.circuits.schema import MATRICES

EXAMPLE = Path(__file__).resolve().parent.parent / "data" / "example_circuit.json"


def small_circuit() -> nx.MultiDiGraph:
    """A deterministic circuit touching most of the schema (seeded, so its spikes repeat exactly)."""
    g = nx.MultiDiGraph(name="small", dt=0.5, precision="float", seed=7)
    g.add_node("P", model="Poisson", size=20, params={"rate": 80.0}, vars={"timeStepToSpike": 0.0}, record=["spikes"])
    g.add_node("L", model="LIF", size=10,
               params={"C": 0.25, "TauM": 20.0, "Vrest": -65.0, "Vreset": -70.0, "Vthresh": -52.0,
                       "Ioffset": 0.0, "TauRefrac": 2.0},
               vars={"V": {"init": "Uniform", "params": {"min": -70.0, "max": -55.0}}, "RefracTime": 0.0},
               record=["spikes", "V"],
               current_sources=[{"name": "L_dc", "model": "DC", "params": {"amp": 0.3}}])
    g.add_node("Z", model="Izhikevich", size=5, params={"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0},
               vars={"V": [-65.0, -64.0, -63.0, -62.0, -61.0], "U": -13.0}, record=["spikes"],
               current_sources=[{"name": "Z_noise", "model": "GaussianNoise", "params": {"mean": 4.0, "sd": 2.0}}])
    g.add_node("A", model="AdaptiveLIF", size=4, params={"Ioffset": 0.9},
               vars={"V": -70.0, "A": 0.0, "RefracTime": 0.0}, record=["spikes"])
    g.add_edge("P", "L", key="PL", name="PL", matrix="SPARSE",
               connectivity={"snippet": "FixedProbability", "params": {"prob": 0.5}},
               weight_update={"model": "StaticPulse", "vars": {"g": {"init": "Uniform",
                                                                     "params": {"min": 0.5, "max": 1.5}}}},
               postsynaptic={"model": "ExpCurr", "params": {"tau": 5.0}}, axonal_delay_steps=2, record=["g"])
    g.add_edge("L", "Z", key="LZ", name="LZ", matrix="SPARSE",
               connectivity={"pre": [0, 1, 2, 3, 9], "post": [0, 1, 2, 3, 4]},
               weight_update={"model": "StaticPulse", "vars": {"g": [5.0, 6.0, 7.0, 8.0, 9.0]}})
    g.add_edge("P", "Z", key="PZ", name="PZ", matrix="DENSE",
               weight_update={"model": "StaticPulseDendriticDelay",
                              "vars": {"g": 1.0, "d": {"init": "Uniform", "params": {"min": 0.0, "max": 3.0}}}},
               postsynaptic={"model": "ExpCond", "params": {"tau": 2.0, "E": 0.0}, "var_refs": {"V": "V"}},
               max_dendritic_delay_timesteps=4)
    g.add_edge("L", "A", key="LA", name="LA", matrix="DENSE",
               weight_update={"model": "StaticGraded", "params": {"Epre": -60.0, "Vslope": 5.0},
                              "vars": {"g": 0.01}, "pre_var_refs": {"V": "V"}})
    return g


def run(graph: nx.Graph, tmp_path: Path, steps: int = 400, engine: str = "embedded"):
    model, handles = build_model(graph, engine=engine)
    model.build(path_to_model=str(tmp_path))
    model.load(num_recording_timesteps=steps)
    for _ in range(steps):
        model.step_time()
    model.pull_recording_buffers_from_device()
    spikes = {name: handles.populations[name].spike_recording_data[0] for name in handles.record.spikes}
    return model, handles, spikes


def same_graph(a: nx.MultiDiGraph, b: nx.MultiDiGraph) -> None:
    assert a.graph == b.graph
    assert dict(a.nodes(data=True)) == dict(b.nodes(data=True))
    assert sorted(a.edges(keys=True, data="name")) == sorted(b.edges(keys=True, data="name"))
    for u, v, k, data in a.edges(keys=True, data=True):
        assert b.edges[u, v, k] == data


# --------------------------------------------------------------------------- build and round trip
def test_build_creates_groups_and_record_plan(tmp_path):
    g = small_circuit()
    model, handles = build_model(g)
    assert set(handles.populations) == {"P", "L", "Z", "A"}
    assert set(handles.synapses) == {"PL", "LZ", "PZ", "LA"}
    assert set(handles.current_sources) == {"L_dc", "Z_noise"}
    assert handles.record.spikes == ["P", "L", "Z", "A"]
    assert handles.record.state == {"L": ["V"]}
    assert handles.record.weights == {"PL": ["g"]}
    assert all(p.spike_recording_enabled for p in handles.populations.values())
    assert model.dt == 0.5 and model.seed == 7
    assert handles.synapses["PL"].axonal_delay_steps == 2
    assert handles.synapses["PZ"].max_dendritic_delay_timesteps == 4
    assert handles.populations["A"].params["TauM"] == 20.0  # library default filled in


def test_round_trip_gives_same_spikes(tmp_path):
    g = small_circuit()
    model, _, spikes = run(g, tmp_path / "a")
    assert all(len(t) > 0 for t, _ in spikes.values()), {k: len(t) for k, (t, _) in spikes.items()}
    g2 = to_graph(model)
    validate_graph(g2)
    assert g2.nodes["L"]["vars"]["V"] == {"init": "Uniform", "params": {"min": -70.0, "max": -55.0}}
    assert g2.edges["L", "Z", "LZ"]["connectivity"] == {"pre": [0, 1, 2, 3, 9], "post": [0, 1, 2, 3, 4]}
    assert g2.edges["P", "Z", "PZ"]["postsynaptic"]["var_refs"] == {"V": "V"}
    assert g2.edges["L", "A", "LA"]["weight_update"]["pre_var_refs"] == {"V": "V"}
    _, _, spikes2 = run(g2, tmp_path / "b")
    for name, (t, i) in spikes.items():
        np.testing.assert_array_equal(t, spikes2[name][0])
        np.testing.assert_array_equal(i, spikes2[name][1])


def test_to_graph_of_a_pygenn_script_model():
    model = pygenn.GeNNModel("double", "script")
    model.dt = 1.0
    pre = model.add_neuron_population("Pre", 3, "Izhikevich", {"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0},
                                      {"V": np.array([-65.0, -60.0, -55.0]), "U": -13.0})
    post = model.add_neuron_population("Post", 2, "LIF", {"C": 1.0, "TauM": 10.0, "Vrest": -65.0, "Vreset": -65.0,
                                                          "Vthresh": -50.0, "Ioffset": 0.0, "TauRefrac": 1.0},
                                       {"V": -65.0, "RefracTime": 0.0})
    sg = model.add_synapse_population(
        "S", "SPARSE", pre, post,
        pygenn.init_weight_update("StaticGraded", {"Epre": -60.0, "Vslope": 2.0}, {"g": [0.1, 0.2]},
                                  pre_var_refs={"V": pygenn.create_var_ref(pre, "V")}),
        pygenn.init_postsynaptic("ExpCond", {"tau": 5.0, "E": 0.0}, var_refs={"V": pygenn.create_var_ref(post, "V")}))
    sg.set_sparse_connections([0, 2], [1, 0])
    sg.axonal_delay_steps = 3
    g = to_graph(model)
    validate_graph(g)
    assert g.graph == {"name": "script", "dt": 1.0, "precision": "double", "seed": 0}
    assert g.nodes["Pre"]["vars"]["V"] == [-65.0, -60.0, -55.0]
    edge = g.edges["Pre", "Post", "S"]
    assert edge["weight_update"]["pre_var_refs"] == {"V": "V"}
    assert edge["postsynaptic"]["var_refs"] == {"V": "V"}
    assert edge["connectivity"] == {"pre": [0, 2], "post": [1, 0]}
    assert edge["axonal_delay_steps"] == 3 and edge["matrix"] == "SPARSE"
    custom = pygenn.create_neuron_model("my_neuron", vars=[("V", "scalar")], sim_code="V += 1.0;")
    model.add_neuron_population("Custom", 2, custom, {}, {"V": 0.0})
    with pytest.raises(ModelError, match="population 'Custom'.*'my_neuron'.*neither a GeNN built-in"):
        to_graph(model)


# --------------------------------------------------------------------------- files
@pytest.mark.parametrize("ext", [".json", ".graphml"])
def test_save_load_preserves_graph(tmp_path, ext):
    g = small_circuit()
    g.nodes["L"]["receptors"] = {"D1": {"gain": 0.5}}
    g.nodes["L"]["description"] = "json:not really json"  # a string that looks encoded stays a string
    path = save_graph(g, tmp_path / f"circuit{ext}")
    loaded = load_graph(path)
    assert isinstance(loaded, nx.MultiDiGraph)
    same_graph(g, loaded)
    validate_graph(loaded)


def test_file_errors(tmp_path):
    with pytest.raises(ModelError, match="unknown extension '.yaml'"):
        save_graph(small_circuit(), tmp_path / "c.yaml")
    with pytest.raises(ModelError, match="unknown extension"):
        load_graph(tmp_path / "c.txt")
    missing = tmp_path / "missing.json"
    with pytest.raises(FileNotFoundError, match="missing.json"):
        load_graph(missing)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ModelError, match="not valid JSON"):
        load_graph(bad)


# --------------------------------------------------------------------------- schema errors
def _drop_size(g):
    del g.nodes["L"]["size"]


def _set(where, key, value):
    def mutate(g):
        target = g.nodes[where] if isinstance(where, str) else g.edges[where]
        target[key] = value
    return mutate


def _unknown_node(g):
    g.add_edge("L", "Q", key="LQ", name="LQ", weight_update={"model": "StaticPulse", "vars": {"g": 1.0}})


def _duplicate_edge(g):
    g.add_edge("Z", "L", key="dup", name="PL", weight_update={"model": "StaticPulse", "vars": {"g": 1.0}})


def _bad_psm_ref(g):
    g.edges["P", "Z", "PZ"]["postsynaptic"]["var_refs"] = {"V": "Vm"}


def _bad_pre_ref(g):
    g.edges["L", "A", "LA"]["weight_update"]["pre_var_refs"] = {"V": "U"}


def _missing_ref(g):
    g.edges["L", "A", "LA"]["weight_update"].pop("pre_var_refs")


def _unknown_param(g):
    g.nodes["Z"]["params"]["e"] = 1.0


def _wrong_var_length(g):
    g.nodes["Z"]["vars"]["V"] = [-65.0, -64.0]


def _unknown_cs_model(g):
    g.nodes["L"]["current_sources"][0]["model"] = "Laser"


def _unknown_var_init(g):
    g.nodes["L"]["vars"]["V"] = {"init": "Gauss", "params": {}}


def _record_unknown_var(g):
    g.nodes["L"]["record"] = ["spikes", "W"]


def _dense_with_snippet(g):
    g.edges["P", "L", "PL"]["matrix"] = "DENSE"


def _drop_var(g):
    del g.nodes["A"]["vars"]["A"]


def _list_weights(g):
    g.edges["P", "L", "PL"]["weight_update"]["vars"]["g"] = [1.0, 2.0]


def _explicit_out_of_range(g):
    g.edges["L", "Z", "LZ"]["connectivity"] = {"pre": [0, 10], "post": [0, 1]}


SCHEMA_ERRORS = [
    ("missing size", _drop_size, ["node 'L'", "field 'size' is missing"]),
    ("negative size", _set("L", "size", -3), ["circuit 'small', node 'L': field 'size' must be a positive integer, "
                                              "got -3"]),
    ("unknown model", _set("L", "model", "Hodgkin"), ["node 'L'", "field 'model'", "'Hodgkin'"]),
    ("unknown param", _unknown_param, ["node 'Z'", "field 'params'", "'e'"]),
    ("bad matrix", _set(("P", "L", "PL"), "matrix", "BITMAP"), ["edge 'PL' (P -> L)", "field 'matrix'", "BITMAP"]),
    ("edge to unknown node", _unknown_node, ["edge 'LQ' (L -> Q)", "field 'target'", "'Q'"]),
    ("bad psm var ref", _bad_psm_ref, ["edge 'PZ'", "field 'postsynaptic.var_refs'", "'Vm'"]),
    ("bad pre var ref", _bad_pre_ref, ["edge 'LA'", "field 'weight_update.pre_var_refs'", "'U'"]),
    ("missing var ref", _missing_ref, ["edge 'LA'", "field 'weight_update.pre_var_refs'", "misses"]),
    ("duplicate edge name", _duplicate_edge, ["edge 'PL' (Z -> L)", "field 'name'", "already used"]),
    ("wrong var length", _wrong_var_length, ["node 'Z'", "field 'vars.V'", "5 values"]),
    ("unknown cs model", _unknown_cs_model, ["node 'L'", "field 'current_sources[0].model'", "'Laser'"]),
    ("unknown var init", _unknown_var_init, ["node 'L'", "field 'vars.V.init'", "'Gauss'"]),
    ("record unknown var", _record_unknown_var, ["node 'L'", "field 'record'", "'W'"]),
    ("dense with snippet", _dense_with_snippet, ["edge 'PL'", "field 'connectivity'", "SPARSE"]),
    ("explicit out of range", _explicit_out_of_range, ["edge 'LZ'", "field 'connectivity.pre'"]),
    ("bad delay", _set(("P", "L", "PL"), "axonal_delay_steps", -1), ["edge 'PL'", "field 'axonal_delay_steps'"]),
    ("missing var", _drop_var, ["node 'A'", "field 'vars'", "['A']"]),
    ("list weights, unknown count", _list_weights, ["edge 'PL'", "field 'weight_update.vars.g'", "cannot be a list"]),
    ("unknown node field", _set("L", "sise", 3), ["node 'L'", "field 'sise'"]),
    ("bad target var", _set(("L", "Z", "LZ"), "post_target_var", "Iext"), ["edge 'LZ'", "field 'post_target_var'"]),
]


# --------------------------------------------------------------------------- every matrix type
LIF_PARAMS = {"C": 1.0, "TauM": 20.0, "Vrest": -65.0, "Vreset": -65.0, "Vthresh": -50.0, "Ioffset": 0.0,
              "TauRefrac": 2.0}
CONV = {"conv_kh": 3, "conv_kw": 3, "conv_ih": 6, "conv_iw": 6, "conv_ic": 1, "conv_oh": 4, "conv_ow": 4, "conv_oc": 2}


def _every_matrix_model() -> pygenn.GeNNModel:
    """Poisson input reaching one LIF population through each matrix type (built-in models only)."""
    model = pygenn.GeNNModel("float", "matrices")
    model.dt = 1.0
    model.seed = 11
    pre = model.add_neuron_population("In", 36, "Poisson", {"rate": 150.0}, {"timeStepToSpike": 0.0})
    normal = pygenn.init_var("Normal", {"mean": 2.0, "sd": 0.5})
    kernel = np.random.default_rng(3).normal(2.0, 0.5, 18)
    sparse_conv = pygenn.init_sparse_connectivity("Conv2D", dict(CONV, conv_sh=1, conv_sw=1, conv_padh=0,
                                                                 conv_padw=0))
    groups = [
        ("DENSE_PROCEDURALG", pygenn.init_weight_update("StaticPulse", {}, {"g": normal}), None, 30),
        ("BITMASK", pygenn.init_weight_update("StaticPulseConstantWeight", {"g": 2.0}),
         pygenn.init_sparse_connectivity("FixedProbability", {"prob": 0.3}), 30),
        ("PROCEDURAL", pygenn.init_weight_update("StaticPulse", {}, {"g": normal}),
         pygenn.init_sparse_connectivity("FixedProbability", {"prob": 0.3}), 30),
        ("SPARSE", pygenn.init_weight_update("StaticPulse", {}, {"g": normal}),
         pygenn.init_sparse_connectivity("FixedNumberPostWithReplacement", {"num": 10}), 30),
        ("PROCEDURAL_KERNELG", pygenn.init_weight_update("StaticPulse", {}, {"g": kernel}), sparse_conv, 32),
        ("TOEPLITZ", pygenn.init_weight_update("StaticPulse", {}, {"g": kernel}),
         pygenn.init_toeplitz_connectivity("Conv2D", CONV), 32),
    ]
    for matrix, wu, conn, n in groups:
        post = model.add_neuron_population(f"Out_{matrix}", n, "LIF", LIF_PARAMS, {"V": -65.0, "RefracTime": 0.0})
        post.spike_recording_enabled = True
        sg = model.add_synapse_population(f"S_{matrix}", matrix, pre, post, wu, pygenn.init_postsynaptic("DeltaCurr"),
                                          conn)
        sg.narrow_sparse_ind_enabled = matrix == "SPARSE"
    return model


def _spikes_of(model, tmp_path: Path, steps: int = 100) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    model.build(path_to_model=str(tmp_path))
    model.load(num_recording_timesteps=steps)
    model.step_time_n(steps)
    model.pull_recording_buffers_from_device()
    return {name: pop.spike_recording_data[0] for name, pop in model.neuron_populations.items()
            if pop.spike_recording_enabled}


def test_every_matrix_type_round_trips_through_a_graph_file(tmp_path):
    """to_graph describes every matrix type (with its sparse or Toeplitz snippet, kernel weights and narrow
    indices), the file keeps it and build_model makes the same network: the same spikes, spike for spike."""
    assert set(MATRICES) == set(pygenn.SynapseMatrixType.__members__)
    model = _every_matrix_model()
    spikes = _spikes_of(model, tmp_path / "a")
    assert all(len(t) > 20 for t, _ in spikes.values()), {k: len(t) for k, (t, _) in spikes.items()}
    g = load_graph(save_graph(to_graph(model), tmp_path / "matrices.json"))
    edges = {d["name"]: d for _, _, d in g.edges(data=True)}
    assert {name: d["matrix"] for name, d in edges.items()} == {f"S_{m}": m for m in MATRICES if m != "DENSE"}
    assert edges["S_TOEPLITZ"]["connectivity"] == {"snippet": "Conv2D", "params": CONV}
    assert "connectivity" not in edges["S_DENSE_PROCEDURALG"]
    assert edges["S_SPARSE"]["narrow_sparse_ind_enabled"] is True
    assert len(edges["S_PROCEDURAL_KERNELG"]["weight_update"]["vars"]["g"]) == 18
    rebuilt, handles = build_model(g)
    assert handles.synapses["S_SPARSE"].narrow_sparse_ind_enabled
    spikes2 = _spikes_of(rebuilt, tmp_path / "b")
    assert spikes2.keys() == spikes.keys()
    for name, (t, i) in spikes.items():
        np.testing.assert_array_equal(t, spikes2[name][0])
        np.testing.assert_array_equal(i, spikes2[name][1])


def _matrix_edge(matrix: str, connectivity: dict | None, g_value=2.0, model: str = "StaticPulse"):
    def mutate(g):
        edge = {"name": "M", "matrix": matrix, "weight_update": {"model": model, "vars": {"g": g_value}}}
        if connectivity is not None:
            edge["connectivity"] = connectivity
        g.add_edge("P", "L", key="M", **edge)
    return mutate


CONV_SNIPPET = {"snippet": "Conv2D", "params": CONV}
MATRIX_ERRORS = [
    ("unknown matrix", _matrix_edge("DIAGONAL", None),
     ["edge 'M' (P -> L)", "field 'matrix' must be one of 'DENSE', 'DENSE_PROCEDURALG', 'SPARSE'", "'DIAGONAL'"]),
    ("procedural without snippet", _matrix_edge("PROCEDURAL", None),
     ["edge 'M'", "field 'connectivity' is missing (a PROCEDURAL matrix needs a sparse connectivity snippet)"]),
    ("bitmask from lists", _matrix_edge("BITMASK", {"pre": [0], "post": [0]}),
     ["edge 'M'", "field 'connectivity' cannot be explicit pre/post lists with matrix 'BITMASK'"]),
    ("dense procedural with snippet", _matrix_edge("DENSE_PROCEDURALG", {"snippet": "OneToOne"}),
     ["edge 'M'", "field 'connectivity' is not used with matrix 'DENSE_PROCEDURALG'"]),
    ("toeplitz with a sparse snippet", _matrix_edge("TOEPLITZ", {"snippet": "FixedProbability"}),
     ["edge 'M'", "field 'connectivity.snippet' names unknown Toeplitz connectivity snippet 'FixedProbability'",
      "AvgPoolConv2D"]),
    ("toeplitz kernel of the wrong length", _matrix_edge("TOEPLITZ", CONV_SNIPPET, [1.0] * 9),
     ["edge 'M'", "field 'weight_update.vars.g' must have 18 values, got 9"]),
    ("toeplitz kernel not positive", _matrix_edge("TOEPLITZ", {"snippet": "Conv2D", "params": dict(CONV, conv_kh=0)}),
     ["edge 'M'", "field 'connectivity.params' give a kernel size that is not positive", "got (0, 3, 1, 2)"]),
    ("toeplitz without its kernel size", _matrix_edge("TOEPLITZ", {"snippet": "Conv2D", "params": {"conv_kh": 3}}),
     ["edge 'M'", "field 'connectivity.params'"]),
    ("procedural weights as a list", _matrix_edge("PROCEDURAL", {"snippet": "OneToOne"}, [1.0] * 10),
     ["edge 'M'", "field 'weight_update.vars.g' cannot be a list here"]),
    ("recorded procedural weights", lambda g: (_matrix_edge("PROCEDURAL", {"snippet": "OneToOne"})(g),
                                               g.edges["P", "L", "M"].update(record=["g"])),
     ["edge 'M'", "field 'record' cannot record the weights of a PROCEDURAL matrix"]),
    ("narrow indices not a flag", _set(("P", "L", "PL"), "narrow_sparse_ind_enabled", "yes"),
     ["edge 'PL'", "field 'narrow_sparse_ind_enabled' must be true or false, got 'yes'"]),
]


@pytest.mark.parametrize("mutate,expected", [e[1:] for e in SCHEMA_ERRORS + MATRIX_ERRORS],
                         ids=[e[0] for e in SCHEMA_ERRORS + MATRIX_ERRORS])
def test_schema_errors(mutate, expected):
    g = copy.deepcopy(small_circuit())
    mutate(g)
    with pytest.raises(ModelError) as info:
        validate_graph(g)
    for text in expected:
        assert text in str(info.value)
    with pytest.raises(ModelError):  # build_model validates first
        build_model(g)


def test_the_engine_s_own_rules_name_the_circuit_and_edge():
    """A BITMASK edge with per-synapse weights passes the schema, which leaves the rule to the engine; the engine's
    error still says which circuit and edge."""
    g = copy.deepcopy(small_circuit())
    _matrix_edge("BITMASK", {"snippet": "FixedProbability", "params": {"prob": 0.5}})(g)
    validate_graph(g)
    with pytest.raises(ModelError, match=r"^circuit 'small', edge 'M' \(P -> L\): synapse population 'M': BITMASK "
                                         r"connectivity can only be used with weight update models without "
                                         r"per-synapse variables"):
        build_model(g)
    g.edges["P", "L", "M"]["weight_update"] = {"model": "StaticPulseConstantWeight", "params": {"g": 2.0}}
    build_model(g)


def test_graph_attribute_errors():
    g = small_circuit()
    g.graph["precision"] = "half"
    with pytest.raises(ModelError, match="circuit 'small', graph: field 'precision'"):
        validate_graph(g)
    with pytest.raises(ModelError, match="directed"):
        validate_graph(nx.Graph(small_circuit()))


# --------------------------------------------------------------------------- heterogeneous populations
def _cell_types():
    module = pytest.importorskip("genn_neuromod.models.cell_types")
    if not hasattr(module, "add_heterogeneous_population"):
        pytest.skip("genn_neuromod.models.cell_types.add_heterogeneous_population is not there yet")
    return module


def test_example_circuit_runs_asynchronously(tmp_path):
    _cell_types()
    g = load_graph(EXAMPLE)
    validate_graph(g)
    model, handles, spikes = run(g, tmp_path, steps=1000)
    assert handles.record.spikes == ["E", "I"] and handles.record.state == {"I": ["V"]}
    pops = handles.populations
    assert list(pops["E"].cell_type_names) == ["RS", "IB"]
    for name, (t, i) in spikes.items():
        rate = len(t) / pops[name].num_neurons  # spikes per neuron in 1 s
        assert 2.0 < rate < 30.0, (name, rate)
        assert len(np.unique(i)) > 0.9 * pops[name].num_neurons  # most neurons fire
        counts = np.histogram(t, bins=np.arange(0.0, 1001.0, 5.0))[0]
        assert counts.std() / counts.mean() < 0.8, name  # no population bursts
    # the heterogeneous populations come back from to_graph as their mixtures (labels, seed) and give the same
    # cell types and spikes
    g2 = to_graph(model)
    assert g2.nodes["E"]["mixture"] == g.nodes["E"]["mixture"]
    assert g2.nodes["E"]["mixture_seed"] == g.nodes["E"].get("mixture_seed", 0)
    model2, handles2, spikes2 = run(g2, tmp_path / "again", steps=1000)
    np.testing.assert_array_equal(handles2.populations["E"].cell_types, pops["E"].cell_types)
    assert list(handles2.populations["E"].cell_type_names) == ["RS", "IB"]
    for name, (t, i) in spikes.items():
        np.testing.assert_array_equal(t, spikes2[name][0])
        np.testing.assert_array_equal(i, spikes2[name][1])


def test_mixture_errors_name_the_node():
    _cell_types()
    g = load_graph(EXAMPLE)
    g.nodes["E"]["mixture"] = {"RS": 0.5, "XX": 0.5}
    with pytest.raises(ModelError, match="node 'E': field 'mixture'.*XX"):
        build_model(g)
    g.nodes["E"]["mixture"] = {"RS": 0.5, "IB": 0.3}
    with pytest.raises(ModelError, match="node 'E': field 'mixture'.*sum"):
        validate_graph(g)


# --------------------------------------------------------------------------- real GeNN
@pytest.mark.skipif(importlib.util.find_spec("pygenn") is not None, reason="pygenn is installed")
def test_genn_engine_without_pygenn_says_how_to_get_it():
    with pytest.raises(ImportError, match="engine 'genn' needs PyGeNN"):
        build_model(small_circuit(), engine="genn")


def test_genn_engine_builds_example(tmp_path):
    pytest.importorskip("pygenn")
    _cell_types()
    _, handles, spikes = run(load_graph(EXAMPLE), tmp_path, steps=1000, engine="genn")
    for name, (t, _) in spikes.items():
        assert 2.0 < len(t) / handles.populations[name].num_neurons < 30.0


# --------------------------------------------------------------------------- compartments, EGPs, custom updates
def compartment_circuit() -> nx.MultiDiGraph:
    """Spike-source times (an EGP), a heterogeneous mixture, a two-compartment target reached on its dendrite by
    synapses and a current source, dynamic parameters and a custom update."""
    g = nx.MultiDiGraph(name="compartments", dt=0.1, precision="double", seed=3)
    g.add_node("Src", model="SpikeSourceArray", size=2,
               vars={"startSpike": [0, 3], "endSpike": [3, 5]},
               extra_global_params={"spikeTimes": [5.0, 25.0, 45.0, 10.0, 30.0]}, record=["spikes"])
    g.add_node("Mix", size=20, mixture={"RS": 0.5, "FS": 0.5}, mixture_seed=7, record=["spikes"],
               current_sources=[{"name": "MixDrive", "model": "DC", "params": {"amp": 8.0}}])
    g.add_node("L5", model="TwoCompartmentIzhikevich", size=2, record=["spikes"],
               dynamic_params=["g_c"],
               current_sources=[{"name": "Soma", "model": "DC", "params": {"amp": 300.0}},
                                {"name": "Apical", "model": "DC", "params": {"amp": 250.0},
                                 "target_var": "Isyn_dend", "dynamic_params": ["amp"]}])
    g.add_edge("Src", "L5", key="SrcL5", name="SrcL5", connectivity={"pre": [0, 1], "post": [0, 1]},
               weight_update={"model": "StaticPulse", "vars": {"g": 4000.0}}, target="dendrite",
               dynamic_params=[])
    g.add_edge("Mix", "L5", key="MixL5", name="MixL5", matrix="DENSE",
               weight_update={"model": "StaticPulse", "vars": {"g": 50.0}})
    return g


def test_compartments_egps_and_dynamic_params_round_trip(tmp_path):
    g = compartment_circuit()
    model, handles = build_model(g)
    assert handles.synapses["SrcL5"].post_target_var == "Isyn_dend"
    assert model.current_sources["Apical"].target_var == "Isyn_dend"
    assert "g_c" in handles.populations["L5"].dynamic_params
    g2 = to_graph(model)
    validate_graph(g2)
    assert g2.nodes["Src"]["extra_global_params"] == {"spikeTimes": [5.0, 25.0, 45.0, 10.0, 30.0]}
    assert g2.nodes["L5"]["dynamic_params"] == ["g_c"]
    apical = next(cs for cs in g2.nodes["L5"]["current_sources"] if cs["name"] == "Apical")
    assert apical["target_var"] == "Isyn_dend" and apical["dynamic_params"] == ["amp"]
    assert g2.nodes["Mix"]["mixture"] == {"RS": 0.5, "FS": 0.5} and g2.nodes["Mix"]["mixture_seed"] == 7
    assert g2.edges["Src", "L5", "SrcL5"]["post_target_var"] == "Isyn_dend"
    model2, handles2 = build_model(g2)
    np.testing.assert_array_equal(handles2.populations["Mix"].cell_types, handles.populations["Mix"].cell_types)
    spikes = {}
    for label, (m, h) in (("a", (model, handles)), ("b", (model2, handles2))):
        m.build(str(tmp_path / label))
        m.load(num_recording_timesteps=600)
        m.step_time_n(600)
        m.pull_recording_buffers_from_device()
        spikes[label] = {n: p.spike_recording_data[0] for n, p in h.populations.items()}
    assert spikes["a"]["Src"][0].size == 5 and spikes["a"]["L5"][0].size > 0
    for name in spikes["a"]:
        np.testing.assert_array_equal(spikes["a"][name][0], spikes["b"][name][0])
        np.testing.assert_array_equal(spikes["a"][name][1], spikes["b"][name][1])


def _with_dopamine_stdp(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Adds an event-driven DA-STDP edge and the custom update that brings its synapses up to date."""
    stdp = {"A_plus": 1.0, "A_minus": 1.5, "tau_plus": 20.0, "tau_minus": 20.0, "tau_c": 1000.0, "tau_n": 200.0,
            "b": 0.0, "Wmin": 0.0, "Wmax": 4000.0}
    g.add_edge("Src", "L5", key="Learn", name="Learn", connectivity={"pre": [0, 1, 1], "post": [1, 0, 1]},
               weight_update={"model": "DASTDPEventDriven", "params": stdp,
                              "vars": {"g": 500.0, "c": 0.0, "n": 0.0, "tlast": 0.0},
                              "pre_vars": {"Kplus": 0.0}, "post_vars": {"Kminus": 0.0},
                              "post_var_refs": {"D_in": "Dmod"}})
    g.graph["custom_updates"] = [{
        "name": "Sync", "group": "Sync", "model": "DASTDPEventDrivenSync",
        "params": {k: stdp[k] for k in ("tau_c", "tau_n", "b", "Wmin", "Wmax")}, "vars": {},
        "var_refs": {v: ["Learn", v] for v in ("g", "c", "n", "tlast")}}]
    return g


def test_custom_updates_round_trip(tmp_path):
    g = _with_dopamine_stdp(compartment_circuit())
    del g.graph["custom_updates"][1:]
    model, handles = build_model(g)
    assert set(handles.custom_updates) == {"Sync"}
    g2 = to_graph(model)
    validate_graph(g2)
    assert g2.graph["custom_updates"] == g.graph["custom_updates"]
    weights = []
    for label, m in (("a", model), ("b", build_model(g2)[0])):
        m.build(str(tmp_path / label))
        m.load(num_recording_timesteps=400)
        m.step_time_n(400)
        m.custom_update("Sync")
        weights.append(m.synapse_populations["Learn"].vars["c"].values.copy())
    assert np.any(weights[0] != 0.0), "no STDP happened"
    np.testing.assert_array_equal(weights[0], weights[1])


@pytest.mark.parametrize("mutate, expected", [
    (lambda g: g.edges["Src", "L5", "SrcL5"].update(target="apical"), "field 'target' must be one of"),
    (lambda g: g.edges["Src", "L5", "SrcL5"].update(post_target_var="Isyn"), "'dendrite' means post_target_var"),
    (lambda g: g.edges["Mix", "L5", "MixL5"].update(target="dendrite", post_target_var="Isyn"), "means"),
    (lambda g: g.nodes["Mix"].update(extra_global_params={"nope": [1.0]}), "not an extra global parameter"),
    (lambda g: g.nodes["L5"].update(dynamic_params=["nope"]), "not a parameter of model"),
    (lambda g: g.nodes["L5"]["current_sources"][1].update(target_var="Isyn_apical"), "must name an input"),
    (lambda g: g.graph["custom_updates"][0]["var_refs"].update(g=["Nowhere", "g"]), "neither a node"),
    (lambda g: g.graph["custom_updates"][0]["var_refs"].update(g=["Learn", "h"]), "not a weight update"),
    (lambda g: g.graph["custom_updates"][0]["var_refs"].update(g=["L5", "V"]), "all reference neuron"),
    (lambda g: g.graph["custom_updates"][0]["var_refs"].pop("n"), "exactly the references"),
    (lambda g: g.graph["custom_updates"][0].update(model="Nope"), "unknown custom update model"),
])
def test_compartment_schema_errors(mutate, expected):
    g = _with_dopamine_stdp(compartment_circuit())
    mutate(g)
    with pytest.raises(ModelError, match=expected):
        validate_graph(g)


def test_library_initial_values_fill_in_what_a_circuit_leaves_out():
    """A plasticity rule's traces start where its model file says (PairSTDP: x = y = 0); the weight is the
    circuit's to give."""
    g = small_circuit()
    g.add_edge("P", "L", key="Plastic", name="Plastic", matrix="DENSE",
               weight_update={"model": "PairSTDP", "vars": {"g": 0.25}})
    validate_graph(g)
    _, handles = build_model(g)
    sg = handles.synapses["Plastic"]
    assert sg.pre_vars["x"].init_values == 0.0 and sg.post_vars["y"].init_values == 0.0
    del g.edges["P", "L", "Plastic"]["weight_update"]["vars"]["g"]
    with pytest.raises(ModelError, match=r"edge 'Plastic'.*'weight_update.vars' misses initial value\(s\) of \['g'\]"):
        validate_graph(g)
