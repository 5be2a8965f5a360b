"""Regression tests of bad inputs that once reached the user as a compiler dump, an internal exception, a crash, a
hang or silence: each is now refused with the package's error, naming where the problem is.

Each test is one reproducer, named after what it feeds the package. Cases that once crashed or hung the
interpreter run in a subprocess with a timeout, so a regression fails the test instead of the test run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import genn_neuromod as pg
from genn_neuromod import ModelError, SimulationFault, SnippetError


def _neuron(sim="V += Isyn;", thr="V >= 1.0", reset="V = 0.0;", params=(), vars_=(("V", "scalar"),), egps=()):
    return pg.create_neuron_model("N", params=list(params), vars=list(vars_), sim_code=sim,
                                  threshold_condition_code=thr, reset_code=reset, extra_global_params=list(egps))


def _model(nm=None, n=4, pvals=None, vvals=None, **kw):
    m = pg.GeNNModel("float", "bad_input", **kw)
    m.dt = 1.0
    p = m.add_neuron_population("P", n, nm or _neuron(), pvals or {}, {"V": 0.0} if vvals is None else vvals)
    return m, p


def _build_load(m, tmp_path, **load):
    m.build(str(tmp_path))
    m.load(**load)


def _synapses(m, p, connectivity=None, matrix="SPARSE"):
    return m.add_synapse_population("S", matrix, p, p, pg.init_weight_update("StaticPulse", {}, {"g": 1.0}),
                                    pg.init_postsynaptic("DeltaCurr"), connectivity)


def _in_subprocess(code: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
    """Run ``code`` (with this module's helpers) in a fresh interpreter; a crash or hang fails the caller."""
    helpers = textwrap.dedent('''
        import numpy as np, tempfile, genn_neuromod as pg
        def neuron(sim="V += Isyn;", egps=()):
            return pg.create_neuron_model("N", vars=[("V", "scalar")], sim_code=sim,
                                          threshold_condition_code="V >= 1.0", reset_code="V = 0.0;",
                                          extra_global_params=list(egps))
        def faulting_model():  # population 'Pop' of model 'fault' reads far past its extra global parameter
            m = pg.GeNNModel("float", "fault"); m.dt = 1.0
            p = m.add_neuron_population("Pop", 4, neuron("V = e[100000000 + (int)V];", (("e", "scalar*"),)), {},
                                        {"V": 0.0})
            p.extra_global_params["e"].set_init_values(np.zeros(3))
            m.build(tempfile.mkdtemp()); m.load()
            return m
    ''')
    return subprocess.run([sys.executable, "-c", helpers + textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout)


# ------------------------------------------------------------------ snippets: where the problem is, never gcc
@pytest.mark.parametrize("code, words", [
    ("V += 1.0; /* never closed", "comment '/*' is never closed"),
    ("#define X 1\nV += 1.0;", "preprocessor lines"),
    ("V += 1.0;\nif (V > 0) { V = 1.0;", "'{' is never closed"),
    ("V = (1.0 + V;", "'(' is never closed"),
    ("V = 0x1.p;", "malformed number '0x1.p'"),
    ("V += 1.0;\nV = 1'000;", "malformed number '1'000'"),
    ("V = 12abc;", "malformed number '12abc'"),
    ("0 = V;", "only a variable or an array element can be assigned"),
    ("(V + 1.0)++;", "only a variable or an array element can be assigned"),
])
def test_unclosed_and_preprocessor_snippets_name_field_and_line(tmp_path, code, words):
    m, _ = _model(_neuron(sim=code))
    with pytest.raises(SnippetError) as info:
        m.build(str(tmp_path))
    msg = str(info.value)
    assert words in msg and "Neuron group 'P' (model 'N') sim_code, line" in msg and "pycparser" not in msg


def test_several_problems_in_one_snippet_are_reported_together(tmp_path):
    m, _ = _model(_neuron(sim="V += undefined_one;\nscalar q = undefined_two;\nV += q;"))
    with pytest.raises(SnippetError) as info:
        m.build(str(tmp_path))
    msg = str(info.value)
    assert msg.startswith("Neuron group 'P' (model 'N') sim_code: 2 problems:")
    assert "line 1: undefined name 'undefined_one'" in msg and "line 2: undefined name 'undefined_two'" in msg
    assert "'q'" not in msg  # q was declared (its initialiser was wrong): no cascade of follow-on errors
    m, _ = _model(_neuron(sim="V = V % 2.0;\nbreak;\nV += 1.0;\nreturn;"))
    with pytest.raises(SnippetError) as info:
        m.build(str(tmp_path / "b"))
    assert "3 problems" in str(info.value) and info.value.line == 1
    assert [p.line for p in info.value.problems] == [1, 2, 4]


def test_weight_update_syntax_errors_name_group_model_and_field(tmp_path):
    m, p = _model()
    wu = pg.create_weight_update_model("W", vars=[("g", "scalar")], pre_spike_syn_code="addToPost(g;")
    m.add_synapse_population("S", "DENSE", p, p, pg.init_weight_update(wu, {}, {"g": 1.0}),
                             pg.init_postsynaptic("DeltaCurr"))
    with pytest.raises(SnippetError, match=r"Synapse group 'S' \(model 'W'\) pre_spike_syn_code, line 1"):
        m.build(str(tmp_path))


@pytest.mark.parametrize("code", [
    "V = " + "(" * 1000 + "1.0" + ")" * 1000 + ";",
    "if (V > 0) " * 1000 + "V = 1.0;",
    "{" * 1000 + "V = 1.0;" + "}" * 1000,
    "V = " + " + ".join(["1.0"] * 15000) + ";",
])
def test_deep_nesting_and_long_chains_are_refused_as_too_deep(tmp_path, code):
    m, _ = _model(_neuron(sim=code))
    with pytest.raises(SnippetError, match="too deeply nested .* sim_code|sim_code: too deeply nested"):
        m.build(str(tmp_path))


def test_moderate_nesting_still_compiles(tmp_path):
    code = "V = " + "(" * 50 + "V + 1.0" + ")" * 50 + ";\n" + "if (V > -1e9) { " * 30 + "V += 0.0;" + " }" * 30
    m, p = _model(_neuron(sim=code))
    _build_load(m, tmp_path)
    m.step_time_n(3)
    p.vars["V"].pull_from_device()
    np.testing.assert_allclose(p.vars["V"].values, 0.0)  # reset to 0 after each step's 1.0 reaches threshold


# ------------------------------------------------------------------ model declarations (create_*)
@pytest.mark.parametrize("kwargs, words", [
    ({"vars": [("V", "flot")]}, "variable 'V' has the unknown type 'flot'"),
    ({"vars": [("V", "scalar")], "extra_global_params": [("e", "strng*")]},
     "extra global parameter 'e' has the unknown type 'strng*'"),
    ({"vars": [("V", "scalar"), ("V", "scalar")]}, "'V' is declared more than once"),
    ({"vars": [("V", "scalar"), ("t", "scalar")]}, "variable name 't' is a built-in name"),
    ({"vars": [("V", "scalar")], "params": ["dt"]}, "parameter name 'dt' is a built-in name"),
    ({"vars": [("V", "scalar"), ("V-1", "scalar")]}, "variable name 'V-1' is not a valid identifier"),
    ({"vars": [("V", "scalar"), ("", "scalar")]}, "variable name '' is not a valid identifier"),
    ({"vars": [("V", "scalar"), ("int", "scalar")]}, "variable name 'int' is a C keyword"),
    ({"vars": [("V", "scalar", 12345)]}, "access mode 12345"),
])
def test_model_declarations_are_checked_when_created(kwargs, words):
    with pytest.raises(ModelError) as info:
        pg.create_neuron_model("N", sim_code="", **kwargs)
    assert words in str(info.value) and "neuron model 'N'" in str(info.value)


def test_access_modes_may_be_given_by_name():
    nm = pg.create_neuron_model("N", vars=[("V", "scalar", "READ_ONLY")])
    assert nm.vars[0].access == pg.VarAccess.READ_ONLY
    cu = pg.create_custom_update_model("C", vars=[("x", "scalar", "READ_ONLY")])
    assert cu.vars[0].access == pg.CustomUpdateVarAccess.READ_ONLY


# ------------------------------------------------------------------ API arguments
@pytest.mark.parametrize("make, words", [
    (lambda: _model(n=2.5), "num_neurons must be a whole number, got 2.5"),
    (lambda: _model(n=10**12), "num_neurons must be at least 1, at most 2,147,483,647"),
    (lambda: _model(n=0), "num_neurons must be at least 1"),
    (lambda: pg.GeNNModel("float", "x").add_neuron_population('a"b', 2, _neuron(), {}, {"V": 0.0}),
     "the group name 'a\"b' is not valid: use letters, digits and '_' only"),
    (lambda: _model(vvals={}), "missing initial value(s) for variable(s) ['V']"),
    (lambda: _model(_neuron(vars_=(("V", "scalar"), ("k", "unsigned int"))), vvals={"V": 0.0, "k": -1}),
     "variable 'k' is of type 'unsigned int' and takes whole numbers in [0, 4294967295]; got -1"),
    (lambda: _model(_neuron(vars_=(("V", "scalar"), ("k", "int"))), vvals={"V": 0.0, "k": 0.5}),
     "got 0.5"),
])
def test_bad_population_arguments(make, words):
    with pytest.raises(ModelError) as info:
        make()
    assert words in str(info.value)


def test_group_names_may_start_with_a_digit_as_in_genn():
    m = pg.GeNNModel("float", "x")
    assert m.add_neuron_population("23E", 2, _neuron(), {}, {"V": 0.0}).name == "23E"  # GeNN's microcircuit


def test_uninitialised_variables_are_allowed_as_in_pygenn(tmp_path):
    m, p = _model(vvals={"V": None})  # PyGeNN: None means 'uninitialised'
    _build_load(m, tmp_path)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 0.0, -1.0, "x"])
def test_dt_must_be_finite_and_positive(value):
    m = pg.GeNNModel("float", "x")
    with pytest.raises(ModelError, match="dt must be"):
        m.dt = value


def test_num_threads_is_bounded():
    with pytest.raises(ModelError, match=r"num_threads must be None \(by the network.s size\), or a whole number "
                                         r"from 0 .* to 1024, got 100000"):
        pg.GeNNModel("float", "x", num_threads=100000)


def test_synapses_and_current_sources_need_populations_of_their_own_model():
    m1, p1 = _model()
    m2, p2 = _model()
    with pytest.raises(ModelError, match="synapse population 'S': its source must be a neuron population of model"):
        m2.add_synapse_population("S", "DENSE", p1, p2, pg.init_weight_update("StaticPulse", {}, {"g": 1.0}),
                                  pg.init_postsynaptic("DeltaCurr"))
    cs = pg.create_current_source_model("I", injection_code="injectCurrent(1.0);")
    with pytest.raises(ModelError, match="current source 'C': its population must be a neuron population"):
        m2.add_current_source("C", cs, p1)


@pytest.mark.parametrize("steps", [-1, 2.5, 2**70])
def test_step_counts_are_checked(tmp_path, steps):
    m, _ = _model()
    _build_load(m, tmp_path)
    with pytest.raises(ModelError, match="step_time_n's number of steps"):
        m.step_time_n(steps)
    assert m.timestep == 0


def test_negative_recording_length_is_refused(tmp_path):
    m, p = _model()
    p.spike_recording_enabled = True
    m.build(str(tmp_path))
    with pytest.raises(ModelError, match="num_recording_timesteps must be at least 0"):
        m.load(num_recording_timesteps=-5)


def test_values_of_the_wrong_shape_name_the_variable(tmp_path):
    m, p = _model()
    _build_load(m, tmp_path)
    with pytest.raises(ModelError, match=r"'P': values of 'V' takes 4 values \(shape \(4,\)\) or one value; got "
                                         r"shape \(7,\)"):
        p.vars["V"].values = np.zeros(7)
    p.vars["V"].values = 2.0  # one value for all still works
    assert np.all(p.vars["V"].values == 2.0)


def test_extra_global_parameter_read_but_never_set_faults_cleanly():
    """As in GeNN an unset extra global parameter is a null pointer (a SpikeSourceArray whose start and end spikes
    are equal never reads its spike times, so it need not be set); code that reads one faults cleanly."""
    proc = _in_subprocess('''
        m = pg.GeNNModel("float", "unset"); m.dt = 1.0
        m.add_neuron_population("Pop", 4, neuron("V = e[3];", (("e", "scalar*"),)), {}, {"V": 0.0})
        m.build(tempfile.mkdtemp()); m.load()
        m.step_time()
    ''')
    last = proc.stderr.strip().splitlines()[-1]
    assert proc.returncode == 1 and "SimulationFault" in last and "neuron update of 'Pop'" in last, proc.stderr
    assert "extra global parameters never given values: 'Pop'.e" in last


def test_set_sparse_connections_after_load_is_refused(tmp_path):
    m, p = _model()
    s = _synapses(m, p)
    s.set_sparse_connections([0], [1])
    _build_load(m, tmp_path)
    with pytest.raises(ModelError, match="set_sparse_connections after load"):
        s.set_sparse_connections([1], [2])


# ------------------------------------------------------------------ connectivity and initialisation snippets
def test_negative_number_of_connections_is_refused():
    with pytest.raises(ModelError, match="parameter 'num' is of type 'unsigned int' .* got -3"):
        pg.init_sparse_connectivity("FixedNumberPostWithReplacement", {"num": -3})


@pytest.mark.parametrize("params, words", [
    ({"mean": 0.0, "sd": 1.0, "min": 1.0, "max": -1.0}, "min (1) must be below max (-1)"),
    ({"mean": 0.0, "sd": 1.0, "min": 50.0, "max": 60.0}, "practically never end"),
    ({"mean": 5.0, "sd": 0.0, "min": 0.0, "max": 1.0}, "with sd = 0 every value is the mean 5"),
])
def test_clipped_normal_that_would_never_finish_sampling_is_refused(params, words):
    with pytest.raises(ModelError) as info:
        pg.init_var("NormalClipped", params)
    assert words in str(info.value)


@pytest.mark.parametrize("func, words", [
    (lambda n1, n2, pars: -1, "must be at least 0"),
    (lambda n1, n2, pars: 1 / 0, "calc_max_row_len_func raised ZeroDivisionError"),
    (lambda n1, n2, pars: "many", "must be a whole number"),
])
def test_row_length_functions_that_fail_are_named(func, words):
    m, p = _model()
    sn = pg.create_sparse_connect_init_snippet("C", row_build_code="addSynapse(0);", calc_max_row_len_func=func)
    with pytest.raises(ModelError) as info:
        _synapses(m, p, pg.init_sparse_connectivity(sn, {}))
    assert words in str(info.value) and "synapse population 'S' (connectivity snippet 'C')" in str(info.value)


def test_add_synapse_outside_the_population_is_refused_at_load(tmp_path):
    m, p = _model()
    sn = pg.create_sparse_connect_init_snippet("C", row_build_code="addSynapse(id_pre + 5);",
                                               calc_max_row_len_func=lambda n1, n2, pars: 1)
    _synapses(m, p, pg.init_sparse_connectivity(sn, {}))
    m.build(str(tmp_path))
    with pytest.raises(ModelError, match="'C' called addSynapse with an index outside the populations"):
        m.load()


# ------------------------------------------------------------------ faults at run time
def test_out_of_bounds_read_at_run_time_is_an_exception_naming_the_group():
    """A read far past an extra global parameter's end: a SimulationFault naming the kernel and group, and the
    interpreter goes on (a further step is refused until the model is loaded again)."""
    proc = _in_subprocess("faulting_model().step_time_n(2)")
    assert proc.returncode == 1, proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("genn_neuromod.compiler.errors.SimulationFault: model 'fault': invalid memory access")
    assert "neuron update of 'Pop'" in last and "timestep 0" in last


def test_integer_division_by_zero_at_run_time_is_an_exception():
    proc = _in_subprocess('''
        m = pg.GeNNModel("float", "fpe"); m.dt = 1.0
        m.add_neuron_population("Pop", 4, neuron("int a = (int)V + 7 + (int)t; int z = (int)V; V = (scalar)(a / z);"),
                                {}, {"V": 0.0})
        m.build(tempfile.mkdtemp()); m.load()
        m.step_time_n(2)
    ''')
    last = proc.stderr.strip().splitlines()[-1]
    assert proc.returncode == 1 and "SimulationFault: model 'fpe': arithmetic fault (SIGFPE" in last, proc.stderr
    assert "neuron update of 'Pop'" in last


@pytest.mark.parametrize("faulting", ["id == 0", "id == 3999", "true"])
def test_a_fault_on_any_openmp_thread_is_an_exception(faulting):
    """With two threads, a fault on the calling thread, on the other one or on both cancels the step's parallel
    region: a SimulationFault, and the model runs again after a reload (twenty times over, so a lost thread or
    a stuck barrier would show as a hang)."""
    proc = _in_subprocess(f'''
        from genn_neuromod import SimulationFault
        m = pg.GeNNModel("float", "threads", num_threads=2); m.dt = 1.0
        sim = "V += 0.3; if (({faulting}) && t >= 5.0) {{ V = e[100000000 + (int)V]; }}"
        p = m.add_neuron_population("Pop", 4000, neuron(sim, (("e", "scalar*"),)), {{}}, {{"V": 0.0}})
        p.extra_global_params["e"].set_init_values(np.zeros(3))
        m.build(tempfile.mkdtemp())
        for _ in range(20):
            m.load()
            try:
                m.step_time_n(10)
            except SimulationFault as exc:
                print("FAULT", m.timestep, "neuron update of 'Pop'" in str(exc))
            m.unload()
    ''')
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["FAULT", "0", "True"] * 20


def test_without_openmp_cancellation_a_threaded_model_warns_at_load():
    """OMP_CANCELLATION=false (or libgomp loaded by someone else first): a worker thread's fault cannot be
    returned from, and load() says so."""
    code = textwrap.dedent('''
        import tempfile, warnings, genn_neuromod as pg
        m = pg.GeNNModel("float", "nocancel", num_threads=2); m.dt = 1.0
        m.add_neuron_population("Pop", 8, "LIF", {"C": 1.0, "TauM": 20.0, "Vrest": 0.0, "Vreset": 0.0,
                                "Vthresh": 1.0, "Ioffset": 0.0, "TauRefrac": 2.0}, {"V": 0.0, "RefracTime": 0.0})
        m.build(tempfile.mkdtemp())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            m.load()
        print(sum("OpenMP cancellation is off" in str(w.message) for w in caught))
    ''')
    env = dict(os.environ, OMP_CANCELLATION="false")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0 and proc.stdout.split() == ["1"], proc.stderr[-2000:]


def test_a_fault_in_a_custom_update_is_an_exception_naming_it():
    proc = _in_subprocess('''
        from genn_neuromod import SimulationFault
        m = pg.GeNNModel("float", "cu"); m.dt = 1.0
        p = m.add_neuron_population("Pop", 4, neuron(), {}, {"V": 0.0})
        cu = pg.create_custom_update_model("Divide", var_refs=[("V", "scalar")],
                                           update_code="int z = (int)V; V = (scalar)(7 / z);")
        m.add_custom_update("Div", "G", cu, {}, {}, {"V": pg.create_var_ref(p, "V")})
        m.build(tempfile.mkdtemp()); m.load()
        m.step_time()
        m.custom_update("G")
    ''')
    last = proc.stderr.strip().splitlines()[-1]
    assert proc.returncode == 1 and "SimulationFault: model 'cu': arithmetic fault (SIGFPE" in last, proc.stderr
    assert "custom update 'Div' (update_code), at timestep 1" in last


def test_a_fault_in_initialisation_is_an_exception_and_the_model_is_not_loaded():
    proc = _in_subprocess('''
        from genn_neuromod import SimulationFault
        m = pg.GeNNModel("float", "init"); m.dt = 1.0
        table = pg.create_var_init_snippet("Table", var_init_code="value = e[id];",
                                           extra_global_params=[("e", "scalar*")])
        p = m.add_neuron_population("Pop", 4, neuron(), {}, {"V": pg.init_var(table, {})})
        m.build(tempfile.mkdtemp())  # 'e' never set: a null pointer
        try:
            m.load()
        except SimulationFault as exc:
            print("FAULT", "variable 'V' of neuron population 'Pop'" in str(exc), "not loaded" in str(exc))
        p.vars["V"].extra_global_params["e"].set_init_values(np.zeros(4))
        m.load(); m.step_time()
        print("LOADED", m.timestep)
    ''')
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["FAULT", "True", "True", "LOADED", "1"]


def test_after_a_fault_the_model_refuses_to_step_until_reloaded():
    proc = _in_subprocess('''
        from genn_neuromod import SimulationFault
        m = faulting_model()
        for _ in range(2):
            try:
                m.step_time()
            except SimulationFault as exc:
                print("FAULT", "unload() and load()" in str(exc))
        m.unload(); m.load()
        print("RELOADED", m.timestep)
    ''')
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["FAULT", "True", "FAULT", "True", "RELOADED", "0"]


def test_recordings_written_before_a_fault_stay_readable(tmp_path):
    """The fault at step 50 ends the run; the two 20-step chunks before it are in the store, which says why it
    is incomplete."""
    store = tmp_path / "run.zarr"
    proc = _in_subprocess(f'''
        from genn_neuromod import SimulationFault
        from genn_neuromod.recording import Recorder
        m = pg.GeNNModel("float", "fault"); m.dt = 1.0
        sim = "V += 0.5; if (t >= 50.0) {{ V = e[100000000 + (int)V]; }}"
        p = m.add_neuron_population("Pop", 4, neuron(sim, (("e", "scalar*"),)), {{}}, {{"V": 0.0}})
        p.extra_global_params["e"].set_init_values(np.zeros(3))
        rec = Recorder(m, {str(store)!r}, spikes=["Pop"], chunk_steps=20)
        m.build(tempfile.mkdtemp())
        m.load(num_recording_timesteps=20)
        try:
            rec.run(100.0)
        except SimulationFault as exc:
            print("FAULT")
    ''')
    assert proc.returncode == 0 and proc.stdout.split() == ["FAULT"], proc.stderr[-2000:]
    from genn_neuromod.recording import open_store

    r = open_store(str(store))
    assert not r.complete and r.duration == 40.0 and "SimulationFault" in r.attrs["error"]
    times, ids = r.spikes("Pop")
    np.testing.assert_array_equal(np.unique(times), np.arange(1.0, 40.0, 2.0))  # V: 0.5, 1.0 -> spike every 2 ms
    assert np.all(np.bincount(ids) == 20)


def test_simulation_fault_is_exported():
    assert issubclass(SimulationFault, RuntimeError)
