"""GeNN's fuse switches (``fuse_postsynaptic_models``, ``fuse_pre_post_weight_update_models``): which synapse
groups share state, and that sharing it changes no result.

The model has four projections from one population onto another with the same trace-STDP rule and the same
postsynaptic model (one of them with an axonal delay), one projection whose presynaptic time constant differs,
one whose presynaptic trace starts from per-neuron values (never fused, as in GeNN), and two static projections
through dendritic delay rings.  Weights are powers of two, so the inputs sum exactly in any order and fused
postsynaptic buffers must give bit-identical results too.
"""

from __future__ import annotations

import numpy as np
import pytest

import genn_neuromod as pygenn
from genn_neuromod import create_weight_update_model, init_postsynaptic, init_sparse_connectivity, init_weight_update
from genn_neuromod.codegen.plan import make_plan

TRACE_STDP = create_weight_update_model(
    "trace_stdp_fusion_test",
    params=["tauPre", "tauPost", "aPlus", "aMinus"],
    vars=[("g", "scalar")],
    pre_vars=[("x", "scalar")],
    post_vars=[("y", "scalar")],
    pre_spike_syn_code="addToPost(g); g = fmax(0.0, g - aMinus * y);",
    post_spike_syn_code="g = fmin(1.0, g + aPlus * x);",
    pre_spike_code="x += 1.0;",
    pre_dynamics_code="x *= exp(-dt / tauPre);",
    post_spike_code="y += 1.0;",
    post_dynamics_code="y *= exp(-dt / tauPost);")

STDP = {"tauPre": 20.0, "tauPost": 20.0, "aPlus": 0.0078125, "aMinus": 0.0078125}  # powers of two


def _driven_pair(model, n_pre: int, n_post: int):
    """Izhikevich 'Pre' and 'Post' populations driven by Gaussian noise, 'Post' recording its spikes."""
    izh = {"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0}
    pre = model.add_neuron_population("Pre", n_pre, "Izhikevich", izh, {"V": -65.0, "U": -13.0})
    post = model.add_neuron_population("Post", n_post, "Izhikevich", izh, {"V": -65.0, "U": -13.0})
    post.spike_recording_enabled = True
    model.add_current_source("DrivePre", "GaussianNoise", pre, {"mean": 9.0, "sd": 6.0})
    model.add_current_source("DrivePost", "GaussianNoise", post, {"mean": 3.0, "sd": 3.0})
    return pre, post


def _model(fuse_ps: bool, fuse_wu: bool, backend: str = "cpu") -> pygenn.GeNNModel:
    model = pygenn.GeNNModel("double", "fusion_test", backend=backend)
    model.dt = 1.0
    model.seed = 1234  # one seed: the two builds draw the same noise and connectivity
    model.fuse_postsynaptic_models = fuse_ps
    model.fuse_pre_post_weight_update_models = fuse_wu
    pre, post = _driven_pair(model, 60, 40)
    rng = np.random.default_rng(5)
    variants = {"A": {}, "B": {}, "C": {}, "D": {}, "SlowPre": {"tauPre": 40.0}, "OwnStart": None}
    for name, change in variants.items():
        pre_start = rng.uniform(0.0, 1.0, 60) if change is None else 0.0
        params = dict(STDP, **(change or {}))
        sg = model.add_synapse_population(
            name, "SPARSE", pre, post, init_weight_update(TRACE_STDP, params, {"g": 0.5}, {"x": pre_start}, {"y": 0.0}),
            init_postsynaptic("DeltaCurr"), init_sparse_connectivity("FixedProbability", {"prob": 0.25}))
        sg.axonal_delay_steps = 2 if name == "D" else 0  # another delay: never shares its presynaptic trace
    for name in ("RingA", "RingB"):  # dendritic delays: their own fused buffer and ring (addToPostDelay)
        sg = model.add_synapse_population(
            name, "SPARSE", pre, post,
            init_weight_update("StaticPulseDendriticDelay", {}, {"g": 0.25, "d": pygenn.init_var("Uniform", {
                "min": 0.0, "max": 4.0})}),
            init_postsynaptic("DeltaCurr"), init_sparse_connectivity("FixedProbability", {"prob": 0.2}))
        sg.max_dendritic_delay_timesteps = 5
    return model


def _run(model, path, steps: int = 500):
    model.build(str(path))
    model.load(num_recording_timesteps=steps)
    model.step_time_n(steps)
    model.pull_recording_buffers_from_device()
    times, ids = model.neuron_populations["Post"].spike_recording_data[0]
    weights = {}
    for name, sg in model.synapse_populations.items():
        sg.vars["g"].pull_from_device()
        weights[name] = np.array(sg.vars["g"].values)
    return times, ids, weights


def test_which_groups_are_fused():
    plan = make_plan(_model(True, True))
    fused = {(part, sg.name): head.name for (part, sg), head in plan.fused.items()}
    # postsynaptic models: all are DeltaCurr onto Isyn of the same population; those with a dendritic delay
    # ring share another buffer
    assert {(k[1], v) for k, v in fused.items() if k[0] == "ps"} == {
        ("B", "A"), ("C", "A"), ("D", "A"), ("SlowPre", "A"), ("OwnStart", "A"), ("RingB", "RingA")}
    # presynaptic traces: SlowPre reads another tauPre, D has another delay, OwnStart starts from an array
    assert {(k[1], v) for k, v in fused.items() if k[0] == "pre"} == {("B", "A"), ("C", "A")}
    # postsynaptic traces: tauPost and the start are the same everywhere
    assert {k[1] for k in fused if k[0] == "post"} == {"B", "C", "D", "SlowPre", "OwnStart"}
    assert make_plan(_model(False, False)).fused == {}


def test_fused_state_is_shared_and_results_are_identical(tmp_path):
    plain = _run(_model(False, False), tmp_path / "plain")
    fused_model = _model(True, True)
    fused = _run(fused_model, tmp_path / "fused")
    assert plain[0].size > 100, "the target population hardly spiked: the comparison would be vacuous"
    np.testing.assert_array_equal(fused[0], plain[0])
    np.testing.assert_array_equal(fused[1], plain[1])
    for name in plain[2]:
        np.testing.assert_array_equal(fused[2][name], plain[2][name])
    assert any(not np.all(w == 0.5) for w in plain[2].values()), "no weight changed: learning was not exercised"
    groups = fused_model.synapse_populations
    a, b = groups["A"].pre_vars["x"], groups["B"].pre_vars["x"]
    a.pull_from_device()
    b.pull_from_device()
    assert np.shares_memory(a.view, b.view)  # a fused group's variable is a view of the first group's
    assert not np.shares_memory(groups["SlowPre"].pre_vars["x"].view, a.view)


def test_only_the_weight_update_switch(tmp_path):
    """Each switch works alone: pre/post traces fused while every postsynaptic buffer stays its own."""
    model = _model(False, True)
    plan = make_plan(model)
    assert {part for part, _ in plan.fused} == {"pre", "post"}
    plain = _run(_model(False, False), tmp_path / "plain")
    fused = _run(model, tmp_path / "fused")
    np.testing.assert_array_equal(fused[1], plain[1])
    for name in plain[2]:
        np.testing.assert_array_equal(fused[2][name], plain[2][name])


@pytest.mark.parametrize("switch", ["fuse_postsynaptic_models", "fuse_pre_post_weight_update_models"])
def test_switches_take_only_booleans(switch):
    model = pygenn.GeNNModel("float", "fusion_switch")
    with pytest.raises(pygenn.ModelError, match=switch):
        setattr(model, switch, "yes")


def test_fused_model_on_the_cuda_emulation_matches_the_cpu(tmp_path):
    cpu = _run(_model(True, True), tmp_path / "cpu", steps=200)
    emulated = _run(_model(True, True, backend="cuda_emulated"), tmp_path / "emulated", steps=200)
    np.testing.assert_array_equal(emulated[0], cpu[0])
    np.testing.assert_array_equal(emulated[1], cpu[1])
    for name in cpu[2]:
        np.testing.assert_array_equal(emulated[2][name], cpu[2][name])


TRACE_DERIVED = create_weight_update_model(
    "trace_derived_fusion_test",
    params=["tauPre", "tauPost", "shift"],
    derived_params=[("decayPre", lambda pars, dt: np.exp(-dt / pars["tauPre"])),
                    ("decayPost", lambda pars, dt: np.exp(-dt / pars["tauPost"]))],
    vars=[("g", "scalar")],
    pre_vars=[("x", "scalar")],
    post_vars=[("y", "scalar")],
    pre_spike_syn_code="addToPost(g); g = fmax(0.0, g - 0.0078125 * y);",
    post_spike_syn_code="g = fmin(1.0, g + 0.0078125 * x * shift);",
    pre_spike_code="x += 1.0;",
    pre_dynamics_code="x *= decayPre;",
    post_spike_code="y += 1.0;",
    post_dynamics_code="y *= decayPost;")


def _derived_model(fuse: bool) -> pygenn.GeNNModel:
    """Groups whose trace code reads derived parameters only: 'Shifted' differs in a parameter no trace code
    reads (only its synapse code does), 'Slow' in the time constant its decay is derived from."""
    model = pygenn.GeNNModel("double", "fusion_derived_test")
    model.dt = 1.0
    model.seed = 99
    model.fuse_pre_post_weight_update_models = fuse
    pre, post = _driven_pair(model, 50, 30)
    for name, change in {"A": {}, "Shifted": {"shift": 2.0}, "Slow": {"tauPre": 40.0}}.items():
        params = dict({"tauPre": 20.0, "tauPost": 20.0, "shift": 1.0}, **change)
        model.add_synapse_population(
            name, "SPARSE", pre, post, init_weight_update(TRACE_DERIVED, params, {"g": 0.5}, {"x": 0.0}, {"y": 0.0}),
            init_postsynaptic("DeltaCurr"), init_sparse_connectivity("FixedProbability", {"prob": 0.25}))
    return model


def test_groups_fuse_by_the_derived_values_their_code_reads(tmp_path):
    """What trace code reads through a derived parameter is compared by value: a parameter that only the synapse
    code reads (like the distal-reward experiment's LTP shift) no longer keeps traces apart; a different time
    constant still does. The results are those of the unfused model, bit for bit."""
    fused_model = _derived_model(True)
    fused = {(part, sg.name): head.name for (part, sg), head in make_plan(fused_model).fused.items()}
    assert fused == {("pre", "Shifted"): "A", ("post", "Shifted"): "A", ("post", "Slow"): "A"}
    plain = _run(_derived_model(False), tmp_path / "plain")
    result = _run(fused_model, tmp_path / "fused")
    assert plain[0].size > 100
    np.testing.assert_array_equal(result[0], plain[0])
    np.testing.assert_array_equal(result[1], plain[1])
    for name in plain[2]:
        np.testing.assert_array_equal(result[2][name], plain[2][name])
    assert not np.array_equal(plain[2]["Shifted"], plain[2]["A"])  # the shift does change the learning


def test_postsynaptic_models_fuse_only_with_every_parameter_equal():
    """GeNN hashes every parameter and derived parameter of a postsynaptic model, read by its code or not."""
    labelled = pygenn.create_postsynaptic_model("labelled_exp_fusion_test", params=["tau", "label"],
                                                derived_params=[("decay", lambda pars, dt: np.exp(-dt / pars["tau"]))],
                                                sim_code="injectCurrent(inSyn); inSyn *= decay;")
    model = pygenn.GeNNModel("double", "fusion_ps_test")
    model.fuse_postsynaptic_models = True
    pre = model.add_neuron_population("Pre", 5, "Poisson", {"rate": 10.0}, {"timeStepToSpike": 0.0})
    post = model.add_neuron_population("Post", 5, "LIF", {"C": 1.0, "TauM": 20.0, "Vrest": -65.0, "Vreset": -65.0,
                                                          "Vthresh": -50.0, "Ioffset": 0.0, "TauRefrac": 2.0},
                                       {"V": -65.0, "RefracTime": 0.0})
    for name, label in (("A", 0.0), ("Same", 0.0), ("OtherLabel", 1.0)):
        model.add_synapse_population(name, "DENSE", pre, post, init_weight_update("StaticPulse", {}, {"g": 1.0}),
                                     init_postsynaptic(labelled, {"tau": 5.0, "label": label}))
    fused = {(part, sg.name): head.name for (part, sg), head in make_plan(model).fused.items()}
    assert fused == {("ps", "Same"): "A"}
