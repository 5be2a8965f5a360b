"""Every bad input gives one clear error that names what to fix.

Snippet errors (:class:`genn_neuromod.SnippetError`) must surface at ``build()`` (not at load or
run), name the group, its model, the code field, the line and the offending name, and leave the
model object intact.  Model errors (:class:`genn_neuromod.ModelError`, ``ValueError``,
``TypeError``, ``RuntimeError``) must name the group and the offending item.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import build_load, empty_neuron_model, make_model

import genn_neuromod as pygenn
from genn_neuromod import (
    ModelError,
    SnippetError,
    VarAccess,
    VarAccessMode,
    create_current_source_model,
    create_custom_update_model,
    create_neuron_model,
    create_postsynaptic_model,
    create_sparse_connect_init_snippet,
    create_var_init_snippet,
    create_var_ref,
    create_weight_update_model,
    create_wu_var_ref,
    init_postsynaptic,
    init_sparse_connectivity,
    init_var,
    init_weight_update,
)

v_neuron_model = create_neuron_model("VNeuron", vars=[("V", "scalar")], params=["tau"])


def _model(name: str = "ErrorModel") -> pygenn.GeNNModel:
    return make_model(name, seed=None)


def _static(g=1.0):
    return init_weight_update("StaticPulse", {}, {"g": g})


def _build_error_message(model, path) -> str:
    """The message of the ModelError that building the model raises."""
    with pytest.raises(ModelError) as info:
        model.build(str(path))
    return str(info.value)


def _load_error_message(model, path) -> str:
    """Build the model; the message of the ModelError that loading it raises."""
    model.build(str(path))
    with pytest.raises(ModelError) as info:
        model.load()
    return str(info.value)


# =========================================================================== snippet errors at build()
def _neuron(sim_code="", threshold="", reset="", var_access=VarAccess.READ_WRITE):
    return create_neuron_model(
        "BadNeuron",
        params=["tau"],
        derived_params=[("decay", lambda pars, dt: np.exp(-dt / pars["tau"]))],
        vars=[("V", "scalar", var_access), ("U", "scalar")],
        sim_code=sim_code,
        threshold_condition_code=threshold,
        reset_code=reset,
    )


def _add_neuron(model, neuron_model, name="Pop"):
    return model.add_neuron_population(name, 3, neuron_model, {"tau": 10.0}, {"V": 0.0, "U": 0.0})


def _neuron_case(**kwargs):
    def make(model):
        _add_neuron(model, _neuron(**kwargs))

    return make


def _psm_case(model):
    pre = model.add_neuron_population("Pre", 2, empty_neuron_model)
    post = model.add_neuron_population("Post", 2, empty_neuron_model)
    psm = create_postsynaptic_model("BadPSM", sim_code="injectCurrent(inSyn);\ninSyn *= decayy;")
    model.add_synapse_population("Syn", "DENSE", pre, post, _static(), init_postsynaptic(psm))


def _wu_case(model):
    pre = model.add_neuron_population("Pre", 2, empty_neuron_model)
    post = model.add_neuron_population("Post", 2, empty_neuron_model)
    wu = create_weight_update_model(
        "BadWU", vars=[("g", "scalar", VarAccess.READ_ONLY)], pre_spike_syn_code="addToPost(g);\ng += 1.0;"
    )
    model.add_synapse_population(
        "Syn", "DENSE", pre, post, init_weight_update(wu, {}, {"g": 1.0}), init_postsynaptic("DeltaCurr")
    )


def _cu_case(model):
    pop = model.add_neuron_population("Pop", 3, v_neuron_model, {"tau": 1.0}, {"V": 0.0})
    cu = create_custom_update_model(
        "BadCU", var_refs=[("R", "scalar", VarAccessMode.READ_ONLY)], update_code="\nR = 2.0;"
    )
    model.add_custom_update("MyCU", "Group", cu, {}, {}, {"R": create_var_ref(pop, "V")})


def _cs_case(model):
    pop = model.add_neuron_population("Pop", 3, v_neuron_model, {"tau": 1.0}, {"V": 0.0})
    cs = create_current_source_model("BadCS", injection_code="injectCurrent(amp);")
    model.add_current_source("MyCS", cs, pop)


def _var_init_case(model):
    snippet = create_var_init_snippet("BadInit", params=["mean"], var_init_code="value = mean + sdd;")
    model.add_neuron_population(
        "Pop", 3, v_neuron_model, {"tau": 1.0}, {"V": init_var(snippet, {"mean": 1.0})}
    )


def _connectivity_case(model):
    pop = model.add_neuron_population("Pop", 3, empty_neuron_model)
    snippet = create_sparse_connect_init_snippet(
        "BadConn", row_build_code="addSynapse(id_pre + jj);", calc_max_row_len_func=lambda a, b, p: 1
    )
    model.add_synapse_population(
        "Syn",
        "SPARSE",
        pop,
        pop,
        _static(),
        init_postsynaptic("DeltaCurr"),
        init_sparse_connectivity(snippet),
    )


def _second_group_case(model):
    _add_neuron(model, _neuron(sim_code="V += 1.0;"), "GoodPop")
    _add_neuron(model, _neuron(sim_code="V += 1.0;\nU = W;"), "BadPop")


#: id -> (model factory, substrings the message must contain, line, offending name)
SNIPPET_CASES = {
    "syntax_error": (
        _neuron_case(sim_code="V += 1.0;\nU = V * 2.0;\nV = V * ;\n"),
        ["Pop", "BadNeuron", "sim_code", "line 3", "V = V * ;"],
        3,
        None,
    ),
    "unbalanced_paren": (
        _neuron_case(sim_code="V += 1.0;\nif (V > 1.0 {\n    V = 0.0;\n}\n"),
        ["Pop", "sim_code", "line 2"],
        2,
        None,
    ),
    "undefined_name": (
        _neuron_case(sim_code="V += 1.0;\n\nV = Vx + 2.0;"),
        ["Pop", "BadNeuron", "sim_code", "line 3", "Vx", "V = Vx + 2.0;"],
        3,
        "Vx",
    ),
    "write_read_only_var": (
        _neuron_case(sim_code="U = 1.0;\nV = 1.0;", var_access=VarAccess.READ_ONLY),
        ["Pop", "sim_code", "line 2", "'V'", "read-only"],
        2,
        "V",
    ),
    "write_parameter": (
        _neuron_case(sim_code="tau = 2.0;"),
        ["Pop", "sim_code", "line 1", "'tau'", "parameter"],
        1,
        "tau",
    ),
    "write_derived_parameter": (
        _neuron_case(sim_code="V = 1.0;\ndecay = 0.5;"),
        ["Pop", "sim_code", "line 2", "'decay'", "derived parameter"],
        2,
        "decay",
    ),
    "write_time": (_neuron_case(sim_code="t = 1.0;"), ["Pop", "sim_code", "'t'"], 1, "t"),
    "write_dt": (
        _neuron_case(sim_code="V = 0.0;\ndt = 1.0;"),
        ["Pop", "sim_code", "'dt'", "line 2"],
        2,
        "dt",
    ),
    "write_isyn": (_neuron_case(sim_code="Isyn = 2.0;"), ["Pop", "sim_code", "'Isyn'"], 1, "Isyn"),
    "unknown_function": (
        _neuron_case(sim_code="V = 0.0;\nV = foo(1.0);"),
        ["Pop", "sim_code", "line 2", "foo", "function"],
        2,
        "foo",
    ),
    "wrong_argument_count": (
        _neuron_case(sim_code="V = gennrand_uniform(2.0);"),
        ["Pop", "sim_code", "gennrand_uniform", "argument"],
        1,
        "gennrand_uniform",
    ),
    "genn4_dollar_syntax": (
        _neuron_case(sim_code="U = 0.0;\n$(V) += 1.0;"),
        ["Pop", "sim_code", "line 2", "$(V)", "GeNN 4"],
        2,
        None,
    ),
    "threshold_condition": (
        _neuron_case(threshold="V > Vthresh"),
        ["Pop", "threshold_condition_code", "Vthresh"],
        1,
        "Vthresh",
    ),
    "reset_code": (
        _neuron_case(threshold="V > 1.0", reset="V = 0.0;\nRefrac = 2.0;"),
        ["Pop", "reset_code", "line 2", "Refrac"],
        2,
        "Refrac",
    ),
    "postsynaptic_sim_code": (_psm_case, ["Syn", "BadPSM", "sim_code", "line 2", "decayy"], 2, "decayy"),
    "weight_update_read_only": (
        _wu_case,
        ["Syn", "BadWU", "pre_spike_syn_code", "line 2", "'g'", "read-only"],
        2,
        "g",
    ),
    "custom_update_read_only_ref": (
        _cu_case,
        ["MyCU", "BadCU", "update_code", "line 2", "'R'", "read-only"],
        2,
        "R",
    ),
    "current_source": (_cs_case, ["MyCS", "BadCS", "injection_code", "line 1", "amp"], 1, "amp"),
    "var_init_snippet": (_var_init_case, ["Pop", "'V'", "BadInit", "var_init_code", "sdd"], 1, "sdd"),
    "connectivity_snippet": (_connectivity_case, ["Syn", "BadConn", "row_build_code", "jj"], 1, "jj"),
    "names_the_bad_group": (_second_group_case, ["BadPop", "sim_code", "line 2", "'W'"], 2, "W"),
}


@pytest.mark.parametrize("case", list(SNIPPET_CASES))
def test_snippet_error_at_build(tmp_path, case):
    make, expected, line, name = SNIPPET_CASES[case]
    model = _model(f"snippet_{case}")
    make(model)  # defining the model never compiles a snippet
    groups = [
        dict(d)
        for d in (
            model.neuron_populations,
            model.synapse_populations,
            model.current_sources,
            model.custom_updates,
        )
    ]
    with pytest.raises(SnippetError) as info:
        model.build(str(tmp_path))
    err = info.value
    message = str(err)
    for text in expected:
        assert text in message, f"{text!r} not in error message:\n{message}"
    assert err.line == line
    if name is not None:
        assert err.name == name
    assert "GoodPop" not in message
    assert "model.c" not in message and "<snippet>" not in message  # no compiler or parser internals
    # the model is still a model: inspectable, not built, and it fails the same way again
    assert groups == [
        dict(d)
        for d in (
            model.neuron_populations,
            model.synapse_populations,
            model.current_sources,
            model.custom_updates,
        )
    ]
    for pop in model.neuron_populations.values():
        assert pop.num_neurons > 0 and isinstance(pop.vars, dict)
    with pytest.raises(RuntimeError, match="not been built"):
        model.load()
    with pytest.raises(SnippetError):
        model.build(str(tmp_path))


def test_snippet_errors_are_value_errors():
    assert issubclass(SnippetError, ValueError)
    assert issubclass(ModelError, ValueError)


def test_good_group_builds_after_fixing_the_snippet(tmp_path):
    """A fresh model with the corrected snippet builds and runs (the error left no stale state)."""
    bad = _model("fixme")
    _add_neuron(bad, _neuron(sim_code="V += Vx;"))
    with pytest.raises(SnippetError):
        bad.build(str(tmp_path))
    good = _model("fixme")
    pop = _add_neuron(good, _neuron(sim_code="V += decay;"))
    build_load(good, tmp_path)
    good.step_time_n(2)
    assert np.allclose(pop.vars["V"].view, 2.0 * np.exp(-1.0 / 10.0))


def test_unmatched_closing_brace_is_a_snippet_error(tmp_path):
    model = _model("brace")
    _add_neuron(model, _neuron(sim_code="V += 1.0;\n}\n"))
    with pytest.raises(SnippetError) as info:
        model.build(str(tmp_path))
    assert "Pop" in str(info.value) and "sim_code" in str(info.value)


# =========================================================================== initial values
def test_wrong_number_of_neuron_initial_values(tmp_path):
    model = _model()
    model.add_neuron_population("Pop", 5, v_neuron_model, {"tau": 1.0}, {"V": np.arange(4.0)})
    message = _load_error_message(model, tmp_path)
    assert "'Pop'" in message and "'V'" in message and "4" in message and "5" in message


def test_wrong_number_of_dense_synapse_initial_values(tmp_path):
    model = _model()
    a = model.add_neuron_population("A", 5, empty_neuron_model)
    b = model.add_neuron_population("B", 3, empty_neuron_model)
    model.add_synapse_population("Syn", "DENSE", a, b, _static(np.ones(14)), init_postsynaptic("DeltaCurr"))
    message = _load_error_message(model, tmp_path)
    assert "'Syn'" in message and "'g'" in message and "14" in message and "15" in message


def test_wrong_number_of_sparse_synapse_initial_values(tmp_path):
    model = _model()
    a = model.add_neuron_population("A", 5, empty_neuron_model)
    b = model.add_neuron_population("B", 3, empty_neuron_model)
    sg = model.add_synapse_population(
        "Syn", "SPARSE", a, b, _static(np.ones(4)), init_postsynaptic("DeltaCurr")
    )
    sg.set_sparse_connections([0, 1, 2], [0, 1, 2])
    message = _load_error_message(model, tmp_path)
    assert "'Syn'" in message and "'g'" in message and "4" in message and "3" in message


def test_wrong_number_of_presynaptic_initial_values(tmp_path):
    model = _model()
    a = model.add_neuron_population("A", 5, empty_neuron_model)
    b = model.add_neuron_population("B", 3, empty_neuron_model)
    wu = create_weight_update_model("PreWU", pre_vars=[("p", "scalar")])
    model.add_synapse_population(
        "Syn",
        "DENSE",
        a,
        b,
        init_weight_update(wu, {}, {}, {"p": np.ones(4)}),
        init_postsynaptic("DeltaCurr"),
    )
    message = _load_error_message(model, tmp_path)
    assert "'Syn'" in message and "'p'" in message


def test_unknown_var_names():
    model = _model()
    with pytest.raises(ModelError) as info:
        model.add_neuron_population("Pop", 5, v_neuron_model, {"tau": 1.0}, {"V": 0.0, "W": 1.0})
    assert "'Pop'" in str(info.value) and "'W'" in str(info.value) and "'V'" in str(info.value)
    a = model.add_neuron_population("A", 5, empty_neuron_model)
    with pytest.raises(ModelError) as info:
        model.add_synapse_population(
            "Syn",
            "DENSE",
            a,
            a,
            init_weight_update("StaticPulse", {}, {"w": 1.0}),
            init_postsynaptic("DeltaCurr"),
        )
    assert "'Syn'" in str(info.value) and "'w'" in str(info.value) and "'g'" in str(info.value)
    with pytest.raises(ModelError) as info:
        model.add_synapse_population(
            "Syn2", "DENSE", a, a, _static(), init_postsynaptic("ExpCurr", {"tau": 5.0}, {"x": 0.0})
        )
    assert "'Syn2'" in str(info.value) and "'x'" in str(info.value)


def test_unknown_var_in_var_ref():
    model = _model()
    pop = model.add_neuron_population("Pop", 5, v_neuron_model, {"tau": 1.0}, {"V": 0.0})
    with pytest.raises(ModelError) as info:
        create_var_ref(pop, "W")
    assert "'Pop'" in str(info.value) and "'W'" in str(info.value)
    sg = model.add_synapse_population("Syn", "DENSE", pop, pop, _static(), init_postsynaptic("DeltaCurr"))
    with pytest.raises(ModelError) as info:
        create_wu_var_ref(sg, "gg")
    assert "'Syn'" in str(info.value) and "'gg'" in str(info.value)
    with pytest.raises(TypeError, match="create_wu_var_ref"):
        create_var_ref(sg, "g")


def test_custom_update_var_ref_not_set():
    """References are checked when the custom update is added, not at build()."""
    model = _model()
    pop = model.add_neuron_population("Pop", 3, v_neuron_model, {"tau": 1.0}, {"V": 0.0})
    cu = create_custom_update_model("CU", var_refs=[("R", "scalar")], update_code="R = 2.0;")
    with pytest.raises(ModelError) as info:
        model.add_custom_update("MyCU", "G", cu, {}, {}, {"Q": create_var_ref(pop, "V")})
    assert "'MyCU'" in str(info.value) and "'R'" in str(info.value)
    with pytest.raises(ModelError) as info:
        model.add_custom_update("MyCU", "G", cu, {}, {}, {"R": create_var_ref(pop, "V"),
                                                           "Q": create_var_ref(pop, "V")})
    assert "unknown variable reference" in str(info.value) and "'Q'" in str(info.value)
    assert "MyCU" not in model.custom_updates


def test_custom_update_reference_errors():
    model = _model()
    a = model.add_neuron_population("A", 5, v_neuron_model, {"tau": 1.0}, {"V": 0.0})
    b = model.add_neuron_population("B", 3, v_neuron_model, {"tau": 1.0}, {"V": 0.0})
    two_refs = create_custom_update_model(
        "TwoRefs", var_refs=[("P", "scalar"), ("Q", "scalar")], update_code="P = Q;"
    )
    with pytest.raises(ModelError) as info:
        model.add_custom_update(
            "Mixed", "G", two_refs, {}, {}, {"P": create_var_ref(a, "V"), "Q": create_var_ref(b, "V")}
        )
    assert "'Mixed'" in str(info.value) and "size" in str(info.value)

    model = _model()
    no_refs = create_custom_update_model("NoRefs", vars=[("X", "scalar")], update_code="X = 1.0;")
    with pytest.raises(ModelError) as info:
        model.add_custom_update("Lonely", "G", no_refs, {}, {"X": 0.0}, {})
    assert "'Lonely'" in str(info.value) and "reference" in str(info.value)


def _reduction_into_full_var(model, pop):
    cu = create_custom_update_model(
        "BadReduce", var_refs=[("S", "scalar", VarAccessMode.REDUCE_SUM)], update_code="S = 1.0;"
    )
    model.add_custom_update("MyCU", "G", cu, {}, {}, {"S": create_var_ref(pop, "V")})


def _batch_and_neuron_reduction(model, pop):
    cu = create_custom_update_model(
        "BothReduce",
        vars=[("T", "scalar", pygenn.CustomUpdateVarAccess.REDUCE_NEURON_SUM)],
        var_refs=[("S", "scalar", VarAccessMode.REDUCE_SUM), ("X", "scalar", VarAccessMode.READ_ONLY)],
        update_code="S = X;\nT = X;",
    )
    model.add_custom_update(
        "MyCU", "G", cu, {}, {"T": 0.0}, {"S": create_var_ref(pop, "C"), "X": create_var_ref(pop, "V")}
    )


def _ref_type_mismatch(model, pop):
    cu = create_custom_update_model("IntRef", var_refs=[("S", "int")], update_code="S = 1;")
    model.add_custom_update("MyCU", "G", cu, {}, {}, {"S": create_var_ref(pop, "V")})


def _read_reduction_target(model, pop):
    cu = create_custom_update_model(
        "ReadReduce",
        var_refs=[("S", "scalar", VarAccessMode.REDUCE_SUM), ("X", "scalar", VarAccessMode.READ_ONLY)],
        update_code="S += X;",
    )
    model.add_custom_update(
        "MyCU", "G", cu, {}, {}, {"S": create_var_ref(pop, "Shared"), "X": create_var_ref(pop, "V")}
    )


@pytest.mark.parametrize(
    "make",
    [_reduction_into_full_var, _batch_and_neuron_reduction, _ref_type_mismatch, _read_reduction_target],
    ids=[
        "reduction_into_full_var",
        "batch_and_neuron_reduction",
        "ref_type_mismatch",
        "read_reduction_target",
    ],
)
def test_invalid_custom_update_definitions(tmp_path, make):
    model = _model()
    n_model = create_neuron_model(
        "Target",
        vars=[
            ("V", "scalar"),
            ("C", "scalar", VarAccess.READ_ONLY),
            ("Shared", "scalar", VarAccess.READ_ONLY_SHARED_NEURON),
        ],
    )
    pop = model.add_neuron_population("Pop", 5, n_model, {}, {"V": 0.0, "C": 0.0, "Shared": 0.0})
    with pytest.raises((ModelError, SnippetError)) as info:
        make(model, pop)  # refused when it is added, except the read of a reduction target (a snippet error)
        model.build(str(tmp_path))
    assert "MyCU" in str(info.value)
    assert isinstance(info.value, SnippetError) == (make is _read_reduction_target)


# =========================================================================== parameters
def test_missing_and_unknown_params():
    model = _model()
    with pytest.raises(ModelError) as info:
        model.add_neuron_population("Pop", 5, v_neuron_model, {}, {"V": 0.0})
    message = str(info.value)
    assert "'Pop'" in message and "VNeuron" in message and "missing" in message and "'tau'" in message
    with pytest.raises(ModelError) as info:
        model.add_neuron_population("Pop", 5, v_neuron_model, {"tau": 1.0, "taux": 2.0}, {"V": 0.0})
    message = str(info.value)
    assert "unknown" in message and "'taux'" in message
    a = model.add_neuron_population("A", 5, empty_neuron_model)
    with pytest.raises(ModelError) as info:
        model.add_synapse_population(
            "Syn",
            "DENSE",
            a,
            a,
            init_weight_update("StaticPulseConstantWeight", {}, {}),
            init_postsynaptic("DeltaCurr"),
        )
    assert "'Syn'" in str(info.value) and "StaticPulseConstantWeight" in str(info.value)
    assert "'g'" in str(info.value)
    with pytest.raises(ModelError) as info:
        model.add_synapse_population("Syn", "DENSE", a, a, _static(), init_postsynaptic("ExpCurr", {}))
    assert "ExpCurr" in str(info.value) and "'tau'" in str(info.value)


@pytest.mark.parametrize(
    "kind,params,offending",
    [
        ("var", {"min": 0.0}, "max"),
        ("var", {"min": 0.0, "max": 1.0, "mx": 2.0}, "mx"),
        ("connectivity", {"p": 0.1}, "prob"),
        ("connectivity", {"prob": 0.1, "seed": 3}, "seed"),
    ],
)
def test_init_snippet_params_are_checked(tmp_path, kind, params, offending):
    model = _model()
    with pytest.raises((ModelError, ValueError)) as info:
        if kind == "var":
            model.add_neuron_population(
                "Pop", 5, v_neuron_model, {"tau": 1.0}, {"V": init_var("Uniform", params)}
            )
        else:
            pop = model.add_neuron_population("Pop", 5, empty_neuron_model)
            model.add_synapse_population(
                "Syn",
                "SPARSE",
                pop,
                pop,
                _static(),
                init_postsynaptic("DeltaCurr"),
                init_sparse_connectivity("FixedProbability", params),
            )
        model.build(str(tmp_path))
    assert offending in str(info.value)
    assert ("Uniform" if kind == "var" else "FixedProbability") in str(info.value)


def test_dynamic_param_errors(tmp_path):
    model = _model()
    n_model = create_neuron_model("Dyn", params=["a", "b"])
    pop = model.add_neuron_population("Pop", 3, n_model, {"a": 1.0, "b": 2.0})
    with pytest.raises(ModelError) as info:
        pop.set_param_dynamic("c")
    assert "'Pop'" in str(info.value) and "'c'" in str(info.value)
    pop.set_param_dynamic("a")
    model.build(str(tmp_path))
    with pytest.raises(RuntimeError, match="built"):
        pop.set_param_dynamic("b")
    model.load()
    pop.set_dynamic_param_value("a", 3.0)
    with pytest.raises(ModelError) as info:
        pop.set_dynamic_param_value("b", 3.0)
    assert "'b'" in str(info.value) and "'Pop'" in str(info.value) and "dynamic" in str(info.value)


# =========================================================================== built-in names, backend, order
def _current_source_on_new_model(model_name: str):
    m = _model()
    return m.add_current_source("CS", model_name, m.add_neuron_population("Pop", 2, empty_neuron_model))


@pytest.mark.parametrize(
    "make,bad,kind",
    [
        (lambda: _model().add_neuron_population("Pop", 5, "LIFF", {}, {}), "LIFF", "neuron model"),
        (lambda: init_weight_update("StaticPuls", {}, {}), "StaticPuls", "weight update model"),
        (lambda: init_postsynaptic("DeltaCur"), "DeltaCur", "postsynaptic model"),
        (lambda: init_var("Unifrom", {}), "Unifrom", "var init snippet"),
        (lambda: init_sparse_connectivity("FixedProb", {}), "FixedProb", "connectivity snippet"),
        (lambda: _current_source_on_new_model("DCC"), "DCC", "current source model"),
        (
            lambda: _model().add_custom_update("CU", "G", "Transposer", {}, {}, {}),
            "Transposer",
            "custom update model",
        ),
    ],
)
def test_unknown_builtin_name(make, bad, kind):
    with pytest.raises(ValueError) as info:
        make()
    message = str(info.value)
    assert f"'{bad}'" in message and kind in message


def test_unknown_builtin_lists_the_alternatives():
    with pytest.raises(ValueError) as info:
        _model().add_neuron_population("Pop", 5, "LIFF", {}, {})
    assert "LIF" in str(info.value) and "Izhikevich" in str(info.value)


def test_wrong_model_object_type():
    with pytest.raises(TypeError):
        _model().add_neuron_population("Pop", 5, create_current_source_model("NotANeuron"))
    model = _model()
    pop = model.add_neuron_population("Pop", 5, empty_neuron_model)
    with pytest.raises(TypeError, match="init_weight_update"):
        model.add_synapse_population("Syn", "DENSE", pop, pop, "StaticPulse", init_postsynaptic("DeltaCurr"))
    with pytest.raises(TypeError, match="init_postsynaptic"):
        model.add_synapse_population("Syn", "DENSE", pop, pop, _static(), "DeltaCurr")


def test_unknown_backend_and_precision():
    with pytest.raises(ValueError) as info:
        pygenn.GeNNModel("float", "x", backend="opencl")
    assert "'opencl'" in str(info.value) and "cpu" in str(info.value)
    with pytest.raises(ValueError) as info:
        pygenn.GeNNModel("half", "x")
    assert "'half'" in str(info.value)


def test_lifecycle_order_errors(tmp_path):
    model = _model()
    pop = model.add_neuron_population("Pop", 5, v_neuron_model, {"tau": 1.0}, {"V": 0.0})
    with pytest.raises(RuntimeError, match="not been built"):
        model.load()
    with pytest.raises(RuntimeError, match="load"):
        model.step_time()
    with pytest.raises(RuntimeError, match="load"):
        model.custom_update("Anything")
    with pytest.raises(RuntimeError, match="load"):
        _ = pop.vars["V"].view
    model.build(str(tmp_path))
    with pytest.raises(RuntimeError, match="load"):
        model.step_time_n(3)
    with pytest.raises(RuntimeError, match="already built"):
        model.build(str(tmp_path))
    with pytest.raises(RuntimeError, match="built"):
        model.add_neuron_population("Late", 5, empty_neuron_model)
    with pytest.raises(RuntimeError, match="built"):
        model.dt = 0.5
    model.load()
    with pytest.raises(RuntimeError, match="already loaded"):
        model.load()
    with pytest.raises(ModelError) as info:
        model.custom_update("NoSuchGroup")
    assert "'NoSuchGroup'" in str(info.value)
    model.unload()
    model.unload()  # unloading a model that is not loaded does nothing
    with pytest.raises(RuntimeError, match="loaded"):
        model.step_time()
    model.load()  # and it can be loaded again
    model.step_time()
    assert model.timestep == 1


def test_recording_needs_num_recording_timesteps(tmp_path):
    model = _model()
    pop = model.add_neuron_population("Pop", 5, empty_neuron_model)
    pop.spike_recording_enabled = True
    model.build(str(tmp_path))
    with pytest.raises(ValueError, match="recording timesteps"):
        model.load()
    model.load(num_recording_timesteps=10)  # the model is still loadable


def test_pull_recording_without_recording(tmp_path):
    model = _model()
    model.add_neuron_population("Pop", 5, empty_neuron_model)
    build_load(model, tmp_path)
    with pytest.raises(RuntimeError, match="recording"):
        model.pull_recording_buffers_from_device()


def test_duplicate_and_empty_populations():
    model = _model()
    model.add_neuron_population("Pop", 5, empty_neuron_model)
    with pytest.raises(ModelError, match="'Pop'"):
        model.add_neuron_population("Pop", 5, empty_neuron_model)
    with pytest.raises(ModelError, match="'Empty'"):
        model.add_neuron_population("Empty", 0, empty_neuron_model)


# =========================================================================== connectivity and inputs
def test_sparse_without_connectivity(tmp_path):
    model = _model()
    a = model.add_neuron_population("A", 5, empty_neuron_model)
    model.add_synapse_population("NoConn", "SPARSE", a, a, _static(), init_postsynaptic("DeltaCurr"))
    message = _load_error_message(model, tmp_path)
    assert (
        "'NoConn'" in message
        and "set_sparse_connections" in message
        and "init_sparse_connectivity" in message
    )


def test_set_sparse_connections_errors():
    model = _model()
    a = model.add_neuron_population("A", 5, empty_neuron_model)
    b = model.add_neuron_population("B", 3, empty_neuron_model)
    dense = model.add_synapse_population("Dense", "DENSE", a, b, _static(), init_postsynaptic("DeltaCurr"))
    with pytest.raises(ModelError, match="SPARSE"):
        dense.set_sparse_connections([0], [0])
    sparse = model.add_synapse_population("Sparse", "SPARSE", a, b, _static(), init_postsynaptic("DeltaCurr"))
    with pytest.raises(ModelError, match="post_indices"):
        sparse.set_sparse_connections([0, 1], [0, 3])
    with pytest.raises(ModelError, match="pre_indices"):
        sparse.set_sparse_connections([0, 5], [0, 1])
    with pytest.raises(ModelError, match="same length"):
        sparse.set_sparse_connections([0, 1, 2], [0, 1])


def test_post_target_var_must_be_an_input():
    """Checked when it is set: the target neuron model must have that input."""
    model = _model()
    a = model.add_neuron_population("A", 5, empty_neuron_model)
    b = model.add_neuron_population("B", 3, empty_neuron_model)
    sg = model.add_synapse_population("Syn", "DENSE", a, b, _static(), init_postsynaptic("DeltaCurr"))
    with pytest.raises(ModelError) as info:
        sg.post_target_var = "Isyn2"
    message = str(info.value)
    assert "'Syn'" in message and "'Isyn2'" in message and "'B'" in message and "Isyn" in message
    assert sg.post_target_var == "Isyn"
    with pytest.raises(ModelError, match="pre_target_var 'Ipre'"):
        sg.pre_target_var = "Ipre"


def test_current_source_target_var_must_be_an_input():
    model = _model()
    a = model.add_neuron_population("A", 5, empty_neuron_model)
    cs = model.add_current_source("CS", "DC", a, {"amp": 1.0})
    with pytest.raises(ModelError) as info:
        cs.target_var = "Iextra"
    assert "'CS'" in str(info.value) and "'Iextra'" in str(info.value)


@pytest.mark.parametrize("attribute,value", [("axonal_delay_steps", -1), ("axonal_delay_steps", 2.5),
                                             ("back_prop_delay_steps", -2), ("max_dendritic_delay_timesteps", 0),
                                             ("max_dendritic_delay_timesteps", "3")])
def test_delays_are_checked_when_set(attribute, value):
    model = _model()
    a = model.add_neuron_population("A", 5, empty_neuron_model)
    sg = model.add_synapse_population("Syn", "DENSE", a, a, _static(), init_postsynaptic("DeltaCurr"))
    with pytest.raises(ModelError) as info:
        setattr(sg, attribute, value)
    assert "'Syn'" in str(info.value) and attribute in str(info.value)


def test_procedural_matrix_types_are_checked_when_added():
    model = _model()
    a = model.add_neuron_population("A", 5, empty_neuron_model)
    prob = init_sparse_connectivity("FixedProbability", {"prob": 0.5})
    with pytest.raises(ModelError, match="'Syn'.*row_build_code"):
        model.add_synapse_population("Syn", "PROCEDURAL", a, a, _static(), init_postsynaptic("DeltaCurr"))
    writable = init_weight_update(pygenn.create_weight_update_model("W", vars=[("g", "scalar")],
                                                                    pre_spike_syn_code="addToPost(g);"),
                                  {}, {"g": 1.0})
    with pytest.raises(ModelError, match="'Syn'.*'g' must be read-only"):
        model.add_synapse_population("Syn", "PROCEDURAL", a, a, writable, init_postsynaptic("DeltaCurr"), prob)
    with pytest.raises(ModelError, match="'Syn'.*'g' needs a var-init snippet or one number"):
        model.add_synapse_population("Syn", "DENSE_PROCEDURALG", a, a, _static(np.ones(25)),
                                     init_postsynaptic("DeltaCurr"))
    with pytest.raises(ModelError, match="'Syn'.*PROCEDURAL_KERNELG.*kernel"):
        model.add_synapse_population("Syn", "PROCEDURAL_KERNELG", a, a, _static(), init_postsynaptic("DeltaCurr"),
                                     prob)
    stdp = init_weight_update("STDP", {"tauPlus": 20.0, "tauMinus": 20.0, "Aplus": 0.1, "Aminus": 0.1,
                                       "Wmin": 0.0, "Wmax": 1.0}, {"g": 0.5})
    with pytest.raises(ModelError, match="'Syn'.*PROCEDURAL.*postsynaptic spike-triggered learning"):
        model.add_synapse_population("Syn", "PROCEDURAL", a, a, stdp, init_postsynaptic("DeltaCurr"), prob)


def test_unknown_matrix_type_name():
    model = _model()
    a = model.add_neuron_population("A", 5, empty_neuron_model)
    with pytest.raises(ModelError, match="'SPARSEST'"):
        model.add_synapse_population("Syn", "SPARSEST", a, a, _static(), init_postsynaptic("DeltaCurr"))


def test_toeplitz_needs_its_initialiser_and_only_presynaptic_code():
    model = _model()
    a = model.add_neuron_population("A", 16, empty_neuron_model)
    conv = pygenn.init_toeplitz_connectivity("Conv2D", {"conv_kh": 3, "conv_kw": 3, "conv_ih": 4, "conv_iw": 4,
                                                        "conv_ic": 1, "conv_oh": 4, "conv_ow": 4, "conv_oc": 1})
    with pytest.raises(ModelError, match="'Syn'.*init_toeplitz_connectivity"):
        model.add_synapse_population("Syn", "TOEPLITZ", a, a, _static(), init_postsynaptic("DeltaCurr"))
    with pytest.raises(ModelError, match="'Syn'.*init_toeplitz_connectivity"):
        model.add_synapse_population("Syn", "SPARSE", a, a, _static(), init_postsynaptic("DeltaCurr"), conv)
    flat = pygenn.init_toeplitz_connectivity("Conv2D", dict(conv.params, conv_oc=0))
    with pytest.raises(ModelError, match=r"^synapse population 'Syn': the kernel size of snippet 'Conv2D' must be "
                                         r"positive integers, got \(3, 3, 1, 0\)"):
        model.add_synapse_population("Syn", "TOEPLITZ", a, a, _static(), init_postsynaptic("DeltaCurr"), flat)
    stdp = init_weight_update("STDP", {"tauPlus": 20.0, "tauMinus": 20.0, "Aplus": 0.1, "Aminus": 0.1,
                                       "Wmin": 0.0, "Wmax": 1.0}, {"g": 0.5})
    with pytest.raises(ModelError, match="'Syn'.*TOEPLITZ.*postsynaptic spike-triggered learning"):
        model.add_synapse_population("Syn", "TOEPLITZ", a, a, stdp, init_postsynaptic("DeltaCurr"), conv)
    dynamics = pygenn.create_weight_update_model("dyn_t", vars=[("g", "scalar", pygenn.VarAccess.READ_ONLY)],
                                                 pre_spike_syn_code="addToPost(g);",
                                                 synapse_dynamics_code="addToPost(0.0);")
    with pytest.raises(NotImplementedError, match="'Syn': synapse dynamics over TOEPLITZ connectivity are not "
                                                  "implemented by the embedded engine"):
        model.add_synapse_population("Syn", "TOEPLITZ", a, a, init_weight_update(dynamics, {}, {"g": 1.0}),
                                     init_postsynaptic("DeltaCurr"), conv)
    with pytest.raises(ValueError, match="unknown Toeplitz connectivity snippet 'Conv3D'"):
        pygenn.init_toeplitz_connectivity("Conv3D", {})


def test_custom_connectivity_update_arguments_are_checked():
    model = _model()
    a = model.add_neuron_population("A", 4, empty_neuron_model)
    dense = model.add_synapse_population("D", "DENSE", a, a, _static(), init_postsynaptic("DeltaCurr"))
    sparse = model.add_synapse_population("S", "SPARSE", a, a, _static(), init_postsynaptic("DeltaCurr"),
                                          init_sparse_connectivity("OneToOne"))
    remove_all = pygenn.create_custom_connectivity_update_model(
        "RemoveAll", var_refs=[("g", "scalar")], row_update_code="for_each_synapse { remove_synapse(); }")
    with pytest.raises(ModelError, match="'CCU'.*SPARSE"):
        model.add_custom_connectivity_update("CCU", "G", dense, remove_all)
    with pytest.raises(ModelError, match="'CCU'.*needs a synapse group"):
        model.add_custom_connectivity_update("CCU", "G", None, remove_all)
    with pytest.raises(ModelError, match="'CCU'.*'g' is not set"):
        model.add_custom_connectivity_update("CCU", "G", sparse, remove_all)
    with pytest.raises(ModelError, match="'CCU'.*per-synapse variable of 'S'.*'g' of 'D'"):
        model.add_custom_connectivity_update("CCU", "G", sparse, remove_all,
                                             var_refs={"g": pygenn.create_wu_var_ref(dense, "g")})
    with pytest.raises(pygenn.SnippetError, match="'for_each_synapse' is not available"):
        bad = pygenn.create_custom_update_model("Bad", var_refs=[("g", "scalar")],
                                                update_code="for_each_synapse { g = 0.0; }")
        model.add_custom_update("CU", "G", bad, {}, {}, {"g": pygenn.create_wu_var_ref(sparse, "g")})
        model.build()


# =========================================================================== model definitions
def test_model_definition_errors():
    with pytest.raises(ValueError, match="sim_code"):
        create_postsynaptic_model("Old", decay_code="inSyn *= 0.5;")
    with pytest.raises(ValueError, match="pre_event_threshold_condition_code"):
        create_weight_update_model("Evt", pre_event_syn_code="addToPost(1.0);")
    with pytest.raises(ValueError, match="row_build_code"):
        create_sparse_connect_init_snippet(
            "Both", row_build_code="addSynapse(0);", col_build_code="addSynapse(0);"
        )


def test_synapse_custom_update_with_neuron_reference_is_refused():
    """GeNN refuses a weight-update custom update that also references a neuron variable."""
    m = pygenn.GeNNModel("double", "mixed_refs")
    pre = m.add_neuron_population("Pre", 3, "SpikeSourceArray", {}, {"startSpike": 0, "endSpike": 0})
    post = m.add_neuron_population("Post", 2, "LIF", {"C": 1.0, "TauM": 20.0, "Vrest": -70.0, "Vreset": -70.0,
                                                      "Vthresh": -50.0, "Ioffset": 0.0, "TauRefrac": 2.0},
                                   {"V": 0.0, "RefracTime": 0.0})
    sg = m.add_synapse_population("Syn", "DENSE", pre, post, init_weight_update("StaticPulse", {}, {"g": 1.0}),
                                  init_postsynaptic("DeltaCurr"))
    cu = create_custom_update_model("S", var_refs=[("g", "scalar"), ("V", "scalar", VarAccessMode.READ_ONLY)],
                                    update_code="g = V;")
    with pytest.raises(ModelError, match="'CU'.*per-neuron"):
        m.add_custom_update("CU", "CU", cu, {}, {},
                            {"g": pygenn.create_wu_var_ref(sg, "g"), "V": pygenn.create_var_ref(post, "V")})



def test_a_failing_derived_parameter_is_named_at_build(tmp_path):
    """A derived parameter whose function raises (here it reads a parameter the model lacks): build() says which
    one, of which model, and why, also where GeNN's fusion check computes it first (two synapse groups' postsynaptic
    models onto one population, with fuse_postsynaptic_models on and off)."""
    bad_ps = create_postsynaptic_model("BadDerivedPS", params=["tau"],
                                       derived_params=[("decay", lambda pars, dt: np.exp(-dt / pars["taum"]))],
                                       sim_code="injectCurrent(inSyn); inSyn *= decay;")
    for fuse in (False, True):
        model = _model(f"BadDerived{int(fuse)}")
        model.fuse_postsynaptic_models = fuse
        pre = model.add_neuron_population("Pre", 2, v_neuron_model, {"tau": 1.0}, {"V": 0.0})
        post = model.add_neuron_population("Post", 2, v_neuron_model, {"tau": 1.0}, {"V": 0.0})
        for name in ("A", "B"):
            model.add_synapse_population(name, "DENSE", pre, post, init_weight_update("StaticPulse", {}, {"g": 1.0}),
                                         init_postsynaptic(bad_ps, {"tau": 5.0}))
        with pytest.raises(ModelError, match=r"derived parameter 'decay' of model 'BadDerivedPS' failed: 'taum'"):
            model.build(str(tmp_path))
