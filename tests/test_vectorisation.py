"""Loops the C backend marks for SIMD lanes, and that marking them changes no result.

Neuron loops always carry ``#pragma omp simd`` (neurons are independent, as on a GPU); a synapse-
dynamics row loop carries it only when each synapse writes nothing but its own variables: with
``addToPost`` two synapses of one row may share a target (multapses), and an extra global
parameter array may be written by every synapse.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from helpers import build_load, make_model, run_recorded

import genn_neuromod as pygenn
from genn_neuromod.codegen.render import philox_header


def _dynamics_blocks(source: str) -> dict[str, str]:
    """Synapse group name -> the C block of its synapse dynamics."""
    return {m.group(1): m.group(2)
            for m in re.finditer(r"/\* synapse dynamics of '(\w+)' \*/(.*?)\n    }\n", source, re.S)}


def _dynamics_loops(source: str) -> dict[str, bool]:
    """Synapse group name -> whether its dynamics row loop is marked ``omp simd``."""
    return {name: "#pragma omp simd" in code for name, code in _dynamics_blocks(source).items()}


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
    kernels = source.replace(philox_header(), "")  # the header's own loop (a tile's first blocks) aside
    assert kernels.count("#pragma omp simd") == 2 + 1  # the two neuron loops and Decay's row loop
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


def _vectorised_lines(source_path, flags: list[str]) -> set[int]:
    """Lines of ``source_path`` whose loop GCC reports as vectorised with the backend's flags plus ``flags``."""
    import subprocess

    from genn_neuromod.backends.compile import CFLAGS, compiler

    out = subprocess.run([compiler(), *CFLAGS, *flags, "-fopt-info-vec-optimized", "-o", "/dev/null",
                          str(source_path), "-lm"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[:2000]
    return {int(m.group(1)) for m in re.finditer(r":(\d+):\d+: optimized: loop vectorized", out.stderr)}


def _require_gcc() -> None:
    import subprocess

    from genn_neuromod.backends.compile import compiler

    version = subprocess.run([compiler(), "--version"], capture_output=True, text=True).stdout
    if "Free Software Foundation" not in version:
        pytest.skip("the vectoriser report (-fopt-info-vec) is GCC's")


def _neuron_loop_vectorised(build_dir, population: str, team: bool = False) -> bool:
    """Whether the update loop of ``population`` vectorises (``team``: its OpenMP version in the parallel step)."""
    source = next(build_dir.rglob("model.c"))
    text = source.read_text().splitlines()
    marker = f"neuron population '{population}'" + (": this thread's share" if team else " */")
    start = next(i for i, line in enumerate(text) if marker in line)
    pragma = next(i for i in range(start, len(text)) if "#pragma omp simd" in text[i])
    return bool({pragma + 2, pragma + 3} & _vectorised_lines(source, ["-fopenmp" if team else "-fopenmp-simd"]))


def test_neuron_loop_with_a_clamped_threshold_vectorises(tmp_path):
    """Izhikevich code that clamps V at the peak (``if (V > 30) V = 30``) and fires at ``V >= 29.99``: GCC
    threads the clamp's branch into the uses of the spike flag and, in larger loops, builds a select between
    masks that GCC 12 does not vectorise, so the whole neuron loop stayed scalar. The distal-reward network's
    ``bu_fs`` condition did (its neuron update 2.8x slower), on one thread and on a team; the neuron update
    (a function of its own in the parallel step too) is now compiled without jump threading."""
    _require_gcc()
    from genn_neuromod.experiments.distal_reward import build_network

    model, _ = build_network("bu_fs", seed=1)
    model.build(str(tmp_path / "distal"))
    assert _neuron_loop_vectorised(tmp_path / "distal", "N")

    class TwoThreads:  # the same network on an OpenMP team of two
        def __getattr__(self, name):
            return getattr(pygenn, name)

        def GeNNModel(self, *args, **kwargs):  # noqa: N802 (PyGeNN's name)
            return pygenn.GeNNModel(*args, num_threads=2, **kwargs)

    model, _ = build_network("bu_fs", seed=1, pg=TwoThreads())
    model.build(str(tmp_path / "team"))
    assert _neuron_loop_vectorised(tmp_path / "team", "N", team=True)

    small = make_model("clamped", "float")
    izh = pygenn.create_neuron_model(
        "ClampedIzh", params=["a", "b", "c", "d"], vars=[("V", "scalar"), ("U", "scalar"), ("x", "scalar")],
        sim_code="""
        if (V >= 30.0) { V = c; U += d; }
        V += 0.5 * (0.04 * V * V + 5.0 * V + 140.0 - U + Isyn) * dt;
        V += 0.5 * (0.04 * V * V + 5.0 * V + 140.0 - U + Isyn) * dt;
        U += a * (b * V - U) * dt;
        if (V > 30.0) { V = 30.0; }
        x *= 0.95;
        """, threshold_condition_code="V >= 29.99")
    pop = small.add_neuron_population("N", 64, izh, {"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0},
                                      {"V": -65.0, "U": -13.0, "x": 0.0})
    stdp = pygenn.create_weight_update_model(
        "Traced", vars=[("g", "scalar")], pre_vars=[("tr", "scalar")], pre_spike_code="tr += 1.0;",
        pre_dynamics_code="tr *= 0.95;", pre_spike_syn_code="addToPost(g);")
    sg = small.add_synapse_population("Rec", "SPARSE", pop, pop,
                                      pygenn.init_weight_update(stdp, {}, {"g": 0.5}, {"tr": 0.0}),
                                      pygenn.init_postsynaptic("DeltaCurr"))
    sg.set_sparse_connections(np.arange(64), (np.arange(64) + 1) % 64)
    sg.axonal_delay_steps = 3  # delay slots: the previous spike times are selected by the flag too
    build_load(small, tmp_path / "small")
    assert _neuron_loop_vectorised(tmp_path / "small", "N")


_POISSON_LOOP = """
scalar p = 1.0;
unsigned int count = 0;
do {
    count++;
    p *= gennrand_uniform();
} while (p > expMinusLambda);
current += weight * (scalar)(count - 1);
injectCurrent(current);
current *= decay;
"""


def _poisson_driven(tmp_path, name: str, with_reference: bool):
    """LIF cells driven by a current source whose code loops (a Poisson count by repeated uniforms, as GeNN's
    PoissonExp); ``with_reference`` gives the source an (unused) neuron variable reference."""
    model = make_model(name, "float", dt=0.1, seed=5)
    refs = [("Vn", "scalar", pygenn.VarAccessMode.READ_ONLY)] if with_reference else []
    source = pygenn.create_current_source_model(
        "PoissonLoop", params=["weight", "expMinusLambda", "decay"], vars=[("current", "scalar")],
        neuron_var_refs=refs, injection_code=_POISSON_LOOP)
    lif = {"C": 0.25, "TauM": 10.0, "Vrest": -65.0, "Vreset": -65.0, "Vthresh": -50.0, "Ioffset": 0.0,
           "TauRefrac": 2.0}
    pop = model.add_neuron_population("N", 300, "LIF", lif, {"V": -60.0, "RefracTime": 0.0})
    pop.spike_recording_enabled = True
    model.add_current_source("Background", source, pop, {"weight": 0.09, "expMinusLambda": 0.2, "decay": 0.8},
                             {"current": 0.0}, var_refs={"Vn": pygenn.create_var_ref(pop, "V")} if refs else {})
    model.add_current_source("Noise", "GaussianNoise", pop, {"mean": 0.5, "sd": 0.3})  # added after the loop's
    model.add_synapse_population(
        "Recurrent", "SPARSE", pop, pop, pygenn.init_weight_update("StaticPulseDendriticDelay", {},
                                                                    {"g": 0.05, "d": 3}),
        pygenn.init_postsynaptic("ExpCurr", {"tau": 0.5}),
        pygenn.init_sparse_connectivity("FixedProbability", {"prob": 0.1})).max_dendritic_delay_timesteps = 5
    run_recorded(model, tmp_path / name, 400)
    return pop.spike_recording_data[0], pop.vars["V"].values, next((tmp_path / name).rglob("model.c")).read_text()


def test_a_current_source_that_loops_runs_in_its_own_pass_with_the_same_results(tmp_path):
    """A current source whose code loops runs in a pass of its own over each tile of neurons (so the update loop
    can take SIMD lanes) and its injection is added where the code would have run: the same results, bit for bit,
    as the same source run inside the loop (kept there by its neuron variable reference)."""
    (t1, i1), v1, apart = _poisson_driven(tmp_path, "apart", with_reference=False)
    (t2, i2), v2, inside = _poisson_driven(tmp_path, "inside", with_reference=True)
    assert "gn_inj_" in apart and "gn_inj_" not in inside
    assert len(t1) > 100
    np.testing.assert_array_equal(t1, t2)
    np.testing.assert_array_equal(i1, i2)
    np.testing.assert_array_equal(v1, v2)


@pytest.mark.parametrize("code, once", [
    ("x = 1;\n(_in_Isyn += x);\nx *= 2;", True),
    ("while (p > q) { p *= u; }\n(_in_Isyn += c);", True),
    ("if (c) {\n(_in_Isyn += x);\n}", False),               # inside a block
    ("while (p > q)\n  (_in_Isyn += x);", False),           # a loop body without braces
    ("do (_in_Isyn += x); while (p > q);", False),
    ("if (c) x = 1; else (_in_Isyn += x);", False),
    ("(_in_Isyn += x);\n(_in_Isyn += y);", False),           # twice: summed apart, the rounding would differ
])
def test_an_injection_runs_apart_only_where_it_happens_once(code, once):
    from genn_neuromod.codegen.kernels.neuron import _injects_once

    assert _injects_once(code, "_in_Isyn += ") is once


@pytest.mark.parametrize("threads", [1, 2])
def test_rows_stored_back_to_back_run_as_one_loop(tmp_path, threads):
    """Synapse dynamics that do not ask which row a synapse is in run over runs of rows stored back to back (full
    rows, then the row that ends the run) in one vectorised loop; code that reads a presynaptic variable keeps the
    row loop. Both give every synapse its own update (numpy reference), on one thread and on a team of two."""
    model = pygenn.GeNNModel("float", f"runs{threads}", num_threads=threads, adaptive_threads=False)
    model.dt = 1.0
    cell = pygenn.create_neuron_model("Cell", vars=[("x", "scalar")])
    pre = model.add_neuron_population("Pre", 7, cell, {}, {"x": np.arange(7.0)})
    post = model.add_neuron_population("Post", 5, cell, {}, {"x": 10.0 * np.arange(5.0)})
    post_only = pygenn.create_weight_update_model("PostOnly", vars=[("g", "scalar")],
                                                  synapse_dynamics_code="g = g * 0.5 + x_post;",
                                                  post_neuron_var_refs=[("x_post", "scalar")])
    with_pre = pygenn.create_weight_update_model("WithPre", vars=[("g", "scalar")],
                                                 synapse_dynamics_code="g = g * 0.5 + x_pre;",
                                                 pre_neuron_var_refs=[("x_pre", "scalar")])
    # row lengths 4 (full), 4, 2, 0, 4, 1, 4: runs [0, 1, 2], [3], [4, 5], [6]
    rows = {0: [0, 1, 2, 3], 1: [4, 0, 2, 1], 2: [3, 3], 4: [1, 2, 3, 4], 5: [0], 6: [4, 3, 2, 1]}
    pre_ids = np.array([i for i, t in rows.items() for _ in t])
    post_ids = np.array([j for t in rows.values() for j in t])
    g0 = np.linspace(1.0, 3.0, len(pre_ids))
    groups = {}
    for name, wu, refs in (("PostOnly", post_only, {"post_var_refs": {"x_post": pygenn.create_var_ref(post, "x")}}),
                           ("WithPre", with_pre, {"pre_var_refs": {"x_pre": pygenn.create_var_ref(pre, "x")}})):
        sg = model.add_synapse_population(name, "SPARSE", pre, post,
                                          pygenn.init_weight_update(wu, {}, {"g": g0}, **refs),
                                          pygenn.init_postsynaptic("DeltaCurr"))
        sg.set_sparse_connections(pre_ids, post_ids)
        groups[name] = sg
    build_load(model, tmp_path)
    source = next(tmp_path.rglob("model.c")).read_text()
    assert {name: "gn_row" in code for name, code in _dynamics_blocks(source).items()} == {"PostOnly": True,
                                                                                            "WithPre": False}
    model.step_time_n(3)
    for name, source_x in (("PostOnly", 10.0 * post_ids), ("WithPre", pre_ids.astype(float))):
        expected = g0.astype(np.float32)
        for _ in range(3):
            expected = expected * np.float32(0.5) + source_x.astype(np.float32)
        sg = groups[name]
        sg.vars["g"].pull_from_device()
        got = dict(zip(zip(sg.get_sparse_pre_inds(), sg.get_sparse_post_inds(), strict=True), sg.vars["g"].values,
                       strict=True))
        want = dict(zip(zip(pre_ids, post_ids, strict=True), expected, strict=True))
        assert got.keys() == want.keys() and all(got[k] == want[k] for k in want)
