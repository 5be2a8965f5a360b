"""Every library model loads on both engines; neuron models give the same trajectories on real GeNN."""

from __future__ import annotations

import numpy as np
import pytest

import genn_neuromod
from genn_neuromod.models import available_models, load_model

MODELS = available_models()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_loads_by_name(name):
    model = load_model(name)
    assert model.class_name == name
    assert MODELS[name].summary, f"{name} has no summary line for docs/models.md"


def _stated_initial_values(description: str) -> dict[str, float]:
    """The numbers a description's "Initial values: ..." sentence gives (``c = 0, x = y = 0``; values it only
    suggests, "Initial values (suggested): ...", are not promised)."""
    import re

    found = re.search(r"Initial values:(.*?)(?:\.\s*$|\.\s*\n|$)", description, re.S)
    values: dict[str, float] = {}
    for part in re.split(r"[,;]", found.group(1)) if found else []:
        *names, value = [x.strip() for x in part.split("=")]
        value = value.split("(")[0].strip()
        try:
            number = float(value)
        except ValueError:
            continue  # "g = weight": left to the user
        values.update({n: number for n in names if n.isidentifier()})
    return values


@pytest.mark.parametrize("name", sorted(MODELS))
def test_initial_values_a_description_states_are_the_file_s_defaults(name):
    """What the description promises ("Initial values: c = 0; x = y = 0") is what circuits and
    ``model_defaults(name, "vars")`` fill in; ``model_defaults(name)`` stays the parameters alone."""
    from genn_neuromod.models import model_defaults

    spec = MODELS[name]
    stated = _stated_initial_values(spec.data.get("description", ""))
    declared = set(spec.names("vars")) | set(spec.names("pre_vars")) | set(spec.names("post_vars"))
    stated = {k: v for k, v in stated.items() if k in declared}
    assert {k: spec.defaults.get(k) for k in stated} == stated
    assert set(model_defaults(name)) <= set(spec.names("params"))


def test_initial_values_parser():
    assert _stated_initial_values("x.\nInitial values: g = weight, c = 0; x = y = 0.\n") == {"c": 0, "x": 0, "y": 0}
    assert _stated_initial_values("Initial values: trigger = 0, t_due = -1 (nothing scheduled).") == {
        "trigger": 0.0, "t_due": -1.0}
    assert _stated_initial_values("Initial values (suggested): V = -65.") == {}


def _build_and_step(model, path, steps: int) -> None:
    """Build into ``path`` (both engines take it), load and step one step at a time (PyGeNN's API)."""
    model.build(str(path))
    model.load()
    for _ in range(steps):
        model.step_time()


def _run_neuron(pg, name: str, tmp_path) -> dict[str, np.ndarray]:
    spec = MODELS[name]
    model = pg.GeNNModel("double", f"lib_{name}", backend="single_threaded_cpu")
    model.dt = 0.5
    nm = load_model(name, backend=pg)
    params = {p: spec.defaults[p] for p in spec.names("params")}
    var_names = [v[0] for v in spec.data.get("vars", [])]
    vars_ = {v: spec.defaults.get(v, 0.0) for v in var_names}
    pop = model.add_neuron_population("Pop", 8, nm, params, vars_)
    drive = pg.create_current_source_model("ramp", injection_code="injectCurrent(0.5 + 0.25 * id);")
    model.add_current_source("Drive", drive, pop)
    _build_and_step(model, tmp_path, 200)
    out = {}
    for v in var_names:
        pop.vars[v].pull_from_device()
        out[v] = np.array(pop.vars[v].values, dtype=float)
    return out


NEURONS = sorted(n for n, s in MODELS.items() if s.kind == "neuron" and not s.data.get("extra_global_params"))


@pytest.mark.parametrize("name", NEURONS)
def test_neuron_model_same_on_real_genn(tmp_path, name):
    pygenn = pytest.importorskip("pygenn")
    (tmp_path / "genn").mkdir()
    (tmp_path / "ours").mkdir()
    ref = _run_neuron(pygenn, name, tmp_path / "genn")
    ours = _run_neuron(genn_neuromod, name, tmp_path / "ours")
    for v in ref:
        np.testing.assert_allclose(ours[v], ref[v], rtol=0, atol=1e-10, err_msg=f"{name}.{v}")


@pytest.mark.parametrize("name", sorted(n for n, s in MODELS.items() if s.kind != "neuron"))
def test_other_models_are_valid_pygenn_definitions(name):
    pygenn = pytest.importorskip("pygenn")
    assert load_model(name, backend=pygenn) is not None


# weight-update models in a small network: spike trains -> IzhikevichNeuromod, references mapped to its variables
_WU_REFS = {"D": "Dmod", "D_in": "Dmod_in", "R": "Dmod"}


def _run_weight_update(pg, name: str, tmp_path) -> np.ndarray:
    spec = MODELS[name]
    model = pg.GeNNModel("double", f"wu_{name}", backend="single_threaded_cpu")
    model.dt = 1.0
    model.seed = 7
    nm = load_model("IzhikevichNeuromod", backend=pg)
    nm_params = {k: v for k, v in MODELS["IzhikevichNeuromod"].defaults.items()}
    nm_vars = {v[0]: 0.0 for v in MODELS["IzhikevichNeuromod"].data["vars"]}
    nm_vars.update(V=-65.0, U=-13.0, a=0.02, b=0.2, c=-65.0, d=8.0, gain_D1=1.0, DA=0.3, mode=0)
    post = model.add_neuron_population("Post", 4, nm, nm_params, nm_vars)
    model.add_current_source("Drive", "DC", post, {"amp": 6.0})
    trains = [np.arange(3.0 + 5 * i, 300.0, 17.0 + 3 * i) for i in range(6)]  # deterministic input
    ends = np.cumsum([len(x) for x in trains])
    pre = model.add_neuron_population("Pre", 6, "SpikeSourceArray", {},
                                      {"startSpike": np.r_[0, ends[:-1]], "endSpike": ends})
    pre.extra_global_params["spikeTimes"].set_init_values(np.concatenate(trains))
    wu = load_model(name, backend=pg)
    params = {p: spec.defaults[p] for p in spec.names("params")}
    init = {v[0]: spec.defaults.get(v[0], 0.5 if v[0] in ("g", "w") else 0.0) for v in spec.data.get("vars", [])}
    pre_vars = {v[0]: 0.0 for v in spec.data.get("pre_vars", [])}
    post_vars = {v[0]: 0.0 for v in spec.data.get("post_vars", [])}
    post_refs = {r[0]: _WU_REFS[r[0]] for r in spec.data.get("post_neuron_var_refs", [])}
    if spec.data.get("pre_neuron_var_refs"):  # a graded (rate) source: give it a scalar variable to read
        rate_unit = pg.create_neuron_model("RateUnit", vars=[("r", "scalar")],
                                           sim_code="r = 0.5 + 0.5 * sin(0.05 * t);")
        pre = model.add_neuron_population("RatePre", 6, rate_unit, {}, {"r": 0.0})
    pre_refs = {r[0]: "r" for r in spec.data.get("pre_neuron_var_refs", [])}
    sg = model.add_synapse_population(
        "Syn", "DENSE", pre, post,
        pg.init_weight_update(wu, params, init, pre_vars, post_vars, pre_var_refs=pre_refs, post_var_refs=post_refs),
        pg.init_postsynaptic("DeltaCurr"))
    if name.startswith("VolumeTransmission"):
        sg.post_target_var = "inDA"
    _build_and_step(model, tmp_path, 300)
    first = next(iter(init))
    sg.vars[first].pull_from_device()
    return np.array(sg.vars[first].values, dtype=float)


WEIGHT_UPDATES = sorted(n for n, s in MODELS.items() if s.kind == "weight_update")


@pytest.mark.parametrize("name", WEIGHT_UPDATES)
def test_weight_update_model_same_on_real_genn(tmp_path, name):
    pygenn = pytest.importorskip("pygenn")
    (tmp_path / "genn").mkdir()
    (tmp_path / "ours").mkdir()
    ref = _run_weight_update(pygenn, name, tmp_path / "genn")
    ours = _run_weight_update(genn_neuromod, name, tmp_path / "ours")
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-9, err_msg=name)


def test_alpha_current_follows_the_alpha_function(tmp_path):
    """AlphaCurr: one input of weight w injects w (t/tau) exp(1 - t/tau) from the step it arrives (peak w at tau),
    checked step by step against that closed form."""
    pg, w, tau, steps = genn_neuromod, 0.75, 20.0, 120
    model = pg.GeNNModel("double", "alpha_psc")
    model.dt = 1.0
    probe = pg.create_neuron_model("InputProbe", vars=[("I", "scalar")], sim_code="I = Isyn;")
    src = model.add_neuron_population("Src", 1, "SpikeSourceArray", {}, {"startSpike": [0], "endSpike": [1]})
    src.extra_global_params["spikeTimes"].set_init_values(np.array([0.0]))
    post = model.add_neuron_population("Post", 1, probe, {}, {"I": 0.0})
    model.add_synapse_population("Syn", "DENSE", src, post, pg.init_weight_update("StaticPulse", {}, {"g": w}),
                                 pg.init_postsynaptic(load_model("AlphaCurr"), {"tau": tau}, {"x": 0.0}))
    model.build(str(tmp_path))
    model.load()
    trace = []
    for _ in range(steps):
        model.step_time()
        post.vars["I"].pull_from_device()
        trace.append(float(post.vars["I"].values[0]))
    trace = np.array(trace)
    arrival = int(np.argmax(trace > 0)) - 1  # the current is 0 on the step the input arrives, then rises
    assert 0 <= arrival < 5
    k = np.arange(steps - arrival)
    np.testing.assert_allclose(trace[arrival:], w * (k / tau) * np.exp(1.0 - k / tau), rtol=1e-9, atol=1e-12)
    assert int(np.argmax(trace)) - arrival == int(tau)
