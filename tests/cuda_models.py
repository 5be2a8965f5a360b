"""Representative models for the CUDA backend tests (code generation with nvcc, and CUDA-vs-CPU runs).

Each factory returns a model that is not built yet; ``backend`` and ``batch_size`` pass through.
The weights of the deterministic models are equal powers of two, so sums into postsynaptic inputs
are exact whatever order atomic additions happen in.
"""

from __future__ import annotations

import numpy as np

import genn_neuromod as pygenn
from genn_neuromod import (
    CustomUpdateVarAccess,
    VarAccess,
    VarAccessMode,
    create_custom_update_model,
    create_neuron_model,
    create_var_ref,
    create_weight_update_model,
    create_wu_var_ref,
    init_postsynaptic,
    init_sparse_connectivity,
    init_var,
    init_weight_update,
)
from genn_neuromod.api.enums import ParallelismHint

IZH = {"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0}
LIF = {"C": 1.0, "TauM": 20.0, "Vrest": -70.0, "Vreset": -70.0, "Vthresh": -51.0, "Ioffset": 0.0, "TauRefrac": 2.0}


def _model(name: str, precision: str, backend: str, batch_size: int, seed: int = 1234) -> pygenn.GeNNModel:
    model = pygenn.GeNNModel(precision, name, backend=backend)
    model.dt = 0.1
    model.seed = seed
    model.batch_size = batch_size
    return model


def _izh_pop(model, name: str, n: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    return model.add_neuron_population(name, n, "Izhikevich", IZH,
                                       {"V": rng.uniform(-70.0, -50.0, n), "U": -13.0})


def izh_lif_sparse_axonal(precision="double", backend="cpu", batch_size=1):
    """Izhikevich -> LIF, SPARSE FixedProbability, axonal delay 3, DC drive, spike recording."""
    model = _model("izh_lif_sparse", precision, backend, batch_size)
    pre = _izh_pop(model, "Pre", 200)
    post = model.add_neuron_population("Post", 100, "LIF", LIF, {"V": -60.0, "RefracTime": 0.0})
    pre.spike_recording_enabled = True
    post.spike_recording_enabled = True
    model.add_current_source("Drive", "DC", pre, {"amp": 12.0})
    sg = model.add_synapse_population(
        "PrePost", "SPARSE", pre, post, init_weight_update("StaticPulse", {}, {"g": 0.5}),
        init_postsynaptic("ExpCurr", {"tau": 5.0}), init_sparse_connectivity("FixedProbability", {"prob": 0.1}))
    sg.axonal_delay_steps = 3
    return model


def dense_dendritic(precision="double", backend="cpu", batch_size=1):
    """Izhikevich -> LIF, DENSE with per-synapse dendritic delays (addToPostDelay ring buffer)."""
    model = _model("dense_dendritic", precision, backend, batch_size)
    pre = _izh_pop(model, "Pre", 64, seed=2)
    post = model.add_neuron_population("Post", 32, "LIF", LIF, {"V": -60.0, "RefracTime": 0.0})
    post.spike_recording_enabled = True
    model.add_current_source("Drive", "DC", pre, {"amp": 11.0})
    d = (np.arange(64 * 32) % 5).astype(np.uint8)
    sg = model.add_synapse_population(
        "PrePost", "DENSE", pre, post, init_weight_update("StaticPulseDendriticDelay", {}, {"g": 4.0, "d": d}),
        init_postsynaptic("DeltaCurr"))
    sg.max_dendritic_delay_timesteps = 5
    return model


def stdp_sparse(precision="double", backend="cpu", batch_size=1, pre_span=False):
    """STDP (presynaptic depression, postsynaptic potentiation through the column index), back-prop delay."""
    model = _model("stdp_sparse", precision, backend, batch_size)
    pre = _izh_pop(model, "Pre", 150, seed=3)
    post = _izh_pop(model, "Post", 80, seed=4)
    post.spike_recording_enabled = True
    model.add_current_source("Drive", "DC", pre, {"amp": 10.0})
    model.add_current_source("DrivePost", "DC", post, {"amp": 4.0})
    stdp = {"tauPlus": 20.0, "tauMinus": 20.0, "Aplus": 0.1, "Aminus": 0.105, "Wmin": 0.0, "Wmax": 4.0}
    sg = model.add_synapse_population(
        "PrePost", "SPARSE", pre, post, init_weight_update("STDP", stdp, {"g": 1.0}),
        init_postsynaptic("ExpCurr", {"tau": 5.0}), init_sparse_connectivity("FixedProbability", {"prob": 0.2}))
    sg.back_prop_delay_steps = 2
    sg.axonal_delay_steps = 1
    if pre_span:
        sg.parallelism_hint = ParallelismHint.PRESYNAPTIC
    return model


prune_and_grow = pygenn.create_custom_connectivity_update_model(
    "prune_and_grow",
    params=["thresh"],
    var_refs=[("g", "scalar")],
    row_update_code="""
for_each_synapse {
    if (g < thresh) {
        remove_synapse();
        break;
    }
}
if (id_pre % 7 == 0) {
    add_synapse((id_pre * 13 + 5) % num_post, 2.0);
}
""")


def stdp_rewired(precision="double", backend="cpu", batch_size=1):
    """STDP over SPARSE connectivity that a custom connectivity update prunes (weakest synapse of each row under
    a threshold) and grows (a synapse of weight 2 on every seventh row); postsynaptic learning walks the column
    index the edits change."""
    model = stdp_sparse(precision, backend, batch_size)
    sg = model.synapse_populations["PrePost"]
    sg.max_connections = 40
    model.add_custom_connectivity_update("Rewire", "Rewire", sg, prune_and_grow, {"thresh": 0.95}, {}, {}, {},
                                         {"g": pygenn.create_wu_var_ref(sg, "g")})
    return model


def rng_current_sources(precision="double", backend="cpu", batch_size=1):
    """GaussianNoise and PoissonExp current sources (Philox streams), normal-initialised voltages."""
    model = _model("rng_sources", precision, backend, batch_size)
    pop = model.add_neuron_population("Pop", 300, "LIF", LIF,
                                      {"V": init_var("Uniform", {"min": -70.0, "max": -52.0}), "RefracTime": 0.0})
    pop.spike_recording_enabled = True
    model.add_current_source("Noise", "GaussianNoise", pop, {"mean": 1.0, "sd": 2.0})
    model.add_current_source("Poisson", "PoissonExp", pop, {"weight": 1.0, "tauSyn": 5.0, "rate": 20.0},
                             {"current": 0.0})
    return model


#: draws one raw 32-bit Philox number per neuron and step: identical on the cpu and cuda backends
philox_probe = create_neuron_model(
    "philox_probe", vars=[("R", "unsigned int"), ("U", "scalar")],
    sim_code="R = gennrand();\nU = gennrand_uniform();")


def rng_probe(precision="double", backend="cpu", batch_size=1):
    model = _model("rng_probe", precision, backend, batch_size, seed=987654321)
    model.add_neuron_population("Probe", 257, philox_probe, {}, {"R": 0, "U": 0.0})
    return model


def custom_update_reductions(precision="double", backend="cpu", batch_size=1):
    """Neuron reductions (softmax) and batch reductions over neurons, DENSE and SPARSE synapses."""
    model = _model("cu_reductions", precision, backend, batch_size)
    x_model = create_neuron_model("x_neuron", vars=[("X", "scalar", VarAccess.READ_ONLY_DUPLICATE),
                                                    ("Y", "scalar", VarAccess.READ_ONLY_DUPLICATE),
                                                    ("SumX", "scalar", VarAccess.READ_ONLY)])
    wu = create_weight_update_model("x_wu", vars=[("X", "scalar", VarAccess.READ_ONLY_DUPLICATE),
                                                  ("SumX", "scalar", VarAccess.READ_ONLY)])
    softmax_1 = create_custom_update_model(
        "softmax_1", update_code="MaxX = X;", vars=[("MaxX", "scalar", CustomUpdateVarAccess.REDUCE_NEURON_MAX)],
        var_refs=[("X", "scalar", VarAccessMode.READ_ONLY)])
    softmax_2 = create_custom_update_model(
        "softmax_2", update_code="SumExpX = exp(X - MaxX);",
        vars=[("SumExpX", "scalar", CustomUpdateVarAccess.REDUCE_NEURON_SUM)],
        var_refs=[("X", "scalar", VarAccessMode.READ_ONLY), ("MaxX", "scalar", VarAccessMode.READ_ONLY)])
    softmax_3 = create_custom_update_model(
        "softmax_3", update_code="Y = exp(X - MaxX) / SumExpX;",
        var_refs=[("X", "scalar", VarAccessMode.READ_ONLY), ("MaxX", "scalar", VarAccessMode.READ_ONLY),
                  ("SumExpX", "scalar", VarAccessMode.READ_ONLY), ("Y", "scalar", VarAccessMode.READ_WRITE)])
    batch_red = create_custom_update_model(
        "batch_red", update_code="SumX = X;\nMaxX = X;",
        vars=[("MaxX", "scalar", CustomUpdateVarAccess.REDUCE_BATCH_MAX)],
        var_refs=[("X", "scalar", VarAccessMode.READ_ONLY), ("SumX", "scalar", VarAccessMode.REDUCE_SUM)])
    scale = create_custom_update_model(
        "scale", update_code="X *= 2.0;", var_refs=[("X", "scalar", VarAccessMode.READ_WRITE)])
    rng = np.random.default_rng(5)
    src = model.add_neuron_population("Src", 10, create_neuron_model("empty_src"))
    pop = model.add_neuron_population("Pop", 100, x_model, {},
                                      {"X": init_var("Uniform", {"min": 0.0, "max": 10.0}), "Y": 0.0, "SumX": 0.0})
    dense = model.add_synapse_population("Dense", "DENSE", src, pop,
                                         init_weight_update(wu, {}, {"X": rng.uniform(0, 100, 1000), "SumX": 0.0}),
                                         init_postsynaptic("DeltaCurr"))
    sparse = model.add_synapse_population("Sparse", "SPARSE", src, pop,
                                          init_weight_update(wu, {}, {"X": 1.0, "SumX": 0.0}),
                                          init_postsynaptic("DeltaCurr"))
    sparse.set_sparse_connections(np.repeat(np.arange(10), 10), rng.integers(0, 100, 100))
    cu1 = model.add_custom_update("Softmax1", "Softmax1", softmax_1, {}, {"MaxX": 0.0}, {"X": create_var_ref(pop, "X")})
    cu2 = model.add_custom_update("Softmax2", "Softmax2", softmax_2, {}, {"SumExpX": 0.0},
                                  {"X": create_var_ref(pop, "X"), "MaxX": create_var_ref(cu1, "MaxX")})
    model.add_custom_update("Softmax3", "Softmax3", softmax_3, {}, {},
                            {"X": create_var_ref(pop, "X"), "MaxX": create_var_ref(cu1, "MaxX"),
                             "SumExpX": create_var_ref(cu2, "SumExpX"), "Y": create_var_ref(pop, "Y")})
    for name, g, ref in (("RedN", pop, create_var_ref), ("RedD", dense, create_wu_var_ref),
                         ("RedS", sparse, create_wu_var_ref)):
        model.add_custom_update(name, "BatchReduce", batch_red, {}, {"MaxX": 0.0},
                                {"X": ref(g, "X"), "SumX": ref(g, "SumX")})
    model.add_custom_update("ScaleS", "Scale", scale, {}, {}, {"X": create_wu_var_ref(sparse, "X")})
    return model


def graded_events_dynamics(precision="float", backend="cpu", batch_size=1):
    """Spike-like events (StaticGraded, pre-span) and synapse dynamics drawing random numbers."""
    model = _model("graded_dynamics", precision, backend, batch_size)
    pre = _izh_pop(model, "Pre", 40, seed=6)
    post = model.add_neuron_population("Post", 30, "LIF", LIF, {"V": -60.0, "RefracTime": 0.0})
    model.add_current_source("Drive", "DC", pre, {"amp": 9.0})
    sg = model.add_synapse_population(
        "Graded", "SPARSE", pre, post, init_weight_update("StaticGraded", {"Epre": -50.0, "Vslope": 10.0},
                                                          {"g": 0.5}, pre_var_refs={"V": create_var_ref(pre, "V")}),
        init_postsynaptic("ExpCurr", {"tau": 2.0}), init_sparse_connectivity("FixedProbability", {"prob": 0.3}))
    sg.parallelism_hint = ParallelismHint.PRESYNAPTIC
    noisy = create_weight_update_model(
        "noisy_dyn", vars=[("g", "scalar")], pre_spike_syn_code="addToPost(g);",
        synapse_dynamics_code="g += 0.001 * (gennrand_uniform() - 0.5);\naddToPost(0.01 * g);")
    model.add_synapse_population("Noisy", "DENSE", pre, post, init_weight_update(noisy, {}, {"g": 0.5}),
                                 init_postsynaptic("DeltaCurr"))
    return model


def matrix_types(precision="float", backend="cpu", batch_size=1):
    """BITMASK, TOEPLITZ (Conv2D, kernel weights), PROCEDURAL (random weights and delays regenerated per spike),
    PROCEDURAL_KERNELG and DENSE_PROCEDURALG, all driven by one Izhikevich population."""
    model = _model("matrix_types", precision, backend, batch_size)
    pre = _izh_pop(model, "Pre", 64, seed=7)
    post = model.add_neuron_population("Post", 64, "LIF", LIF, {"V": -60.0, "RefracTime": 0.0})
    pre.spike_recording_enabled = True
    post.spike_recording_enabled = True
    model.add_current_source("Drive", "DC", pre, {"amp": 10.0})
    prob = init_sparse_connectivity("FixedProbability", {"prob": 0.2})
    model.add_synapse_population("Bitmask", "BITMASK", pre, post,
                                 init_weight_update("StaticPulseConstantWeight", {"g": 0.25}),
                                 init_postsynaptic("ExpCurr", {"tau": 5.0}), prob)
    conv = {"conv_kh": 3, "conv_kw": 3, "conv_ih": 8, "conv_iw": 8, "conv_ic": 1, "conv_oh": 8, "conv_ow": 8,
            "conv_oc": 1}
    kernel = init_var("Normal", {"mean": 0.5, "sd": 0.1})
    model.add_synapse_population("Toeplitz", "TOEPLITZ", pre, post,
                                 init_weight_update("StaticPulse", {}, {"g": kernel}),
                                 init_postsynaptic("ExpCurr", {"tau": 5.0}),
                                 pygenn.init_toeplitz_connectivity("Conv2D", conv))
    sg = model.add_synapse_population(
        "Procedural", "PROCEDURAL", pre, post,
        init_weight_update("StaticPulseDendriticDelay", {},
                           {"g": init_var("NormalClipped", {"mean": 0.3, "sd": 0.1, "min": 0.0, "max": 1.0}),
                            "d": init_var("NormalClippedDelay", {"mean": 1.0, "sd": 0.5, "min": 0.0, "max": 2.0})}),
        init_postsynaptic("ExpCurr", {"tau": 5.0}),
        init_sparse_connectivity("FixedNumberTotalWithReplacement", {"num": 600}))
    sg.max_dendritic_delay_timesteps = 21
    model.add_synapse_population("KernelG", "PROCEDURAL_KERNELG", pre, post,
                                 init_weight_update("StaticPulse", {}, {"g": kernel}),
                                 init_postsynaptic("ExpCurr", {"tau": 5.0}),
                                 init_sparse_connectivity("Conv2D", {**conv, "conv_sh": 1, "conv_sw": 1,
                                                                     "conv_padh": 1, "conv_padw": 1}))
    model.add_synapse_population("DenseProcG", "DENSE_PROCEDURALG", pre, post,
                                 init_weight_update("StaticPulse", {}, {"g": init_var("Uniform", {"min": 0.0,
                                                                                                  "max": 0.05})}),
                                 init_postsynaptic("DeltaCurr"))
    return model


egp_neuron = create_neuron_model(
    "egp_schedule_neuron",
    params=["steps"],
    vars=[("V", "scalar"), ("Seen", "scalar")],
    extra_global_params=[("drive", "scalar*"), ("log", "scalar*")],
    sim_code="""
const unsigned int k = ((unsigned int)(t / dt + 0.5)) % (unsigned int)steps;
V += drive[k] * (1.0 + 0.01 * id) + gennrand_normal();
Seen += drive[k];
if (id == 0) {
    log[k] = V;
}
""",
    threshold_condition_code="V > 20.0",
    reset_code="V = 0.0;")


def egp_schedule(precision="double", backend="cpu", batch_size=1, per_instance=True, steps=50):
    """A population driven by an EGP schedule that its kernel also writes a log into: with ``per_instance``, every
    batch instance has its own schedule and log."""
    model = _model("egp_schedule", precision, backend, batch_size, seed=77)
    pop = model.add_neuron_population("Pop", 40, egp_neuron, {"steps": steps}, {"V": 0.0, "Seen": 0.0})
    pop.spike_recording_enabled = True
    for name in ("drive", "log"):
        pop.extra_global_params[name].per_instance = per_instance and batch_size > 1
        pop.extra_global_params[name].set_init_values(np.zeros(steps))
    return model


def run_egp_schedule(path, seeds, schedules, steps: int, backend: str = "cpu"):
    """Build ``egp_schedule`` with one batch instance per seed into ``path``, set the drive schedules (``(n,)`` or
    ``(len(seeds), n)``), run ``steps`` and pull the recording; returns the model."""
    model = egp_schedule(backend=backend, batch_size=len(seeds))
    if len(seeds) > 1:
        model.batch_seeds = list(seeds)
    else:
        model.seed = int(seeds[0])
    model.build(str(path))
    model.load(num_recording_timesteps=steps)
    model.neuron_populations["Pop"].extra_global_params["drive"].set_values(schedules)
    model.step_time_n(steps)
    model.pull_recording_buffers_from_device()
    return model


#: (name, factory, keyword arguments)
MODELS = [
    ("matrix_types", matrix_types, {}),
    ("matrix_types_batch2", matrix_types, {"batch_size": 2}),
    ("egp_schedule_batch3", egp_schedule, {"batch_size": 3}),
    ("stdp_rewired", stdp_rewired, {}),
    ("izh_lif_sparse_axonal", izh_lif_sparse_axonal, {}),
    ("izh_lif_sparse_axonal_float_batch4", izh_lif_sparse_axonal, {"precision": "float", "batch_size": 4}),
    ("dense_dendritic", dense_dendritic, {}),
    ("stdp_sparse", stdp_sparse, {}),
    ("stdp_sparse_pre_span_batch4", stdp_sparse, {"pre_span": True, "batch_size": 4}),
    ("rng_current_sources", rng_current_sources, {}),
    ("rng_probe", rng_probe, {}),
    ("custom_update_reductions", custom_update_reductions, {}),
    ("custom_update_reductions_batch4", custom_update_reductions, {"batch_size": 4}),
    ("graded_events_dynamics", graded_events_dynamics, {}),
]
