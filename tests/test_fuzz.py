"""Property-based fuzzing of bad input: mutated model code and bad API arguments.

Each case runs in a process of its own (forked from the test's) with a timeout. Every outcome must be a clean
build-load-run or one of the package's errors that says where the problem is: a :class:`SnippetError` naming the
group, the model and the mutated code field, a :class:`ModelError`, or a :class:`SimulationFault` naming the group
whose code faulted.
Never a compiler message, an internal exception (``KeyError``, ``RecursionError``, ...), a crash or a hang.

The default (``ci``) profile runs a few dozen cases; ``pytest --hypothesis-profile=long tests/test_fuzz.py``
runs 1,000 per test, 2,000 in all (see ``tests/conftest.py``).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from genn_neuromod.models import available_models

#: library models that build with their file defaults alone (no extra global parameters to fill in)
NEURONS = ["AdaptiveLIF", "IzhikevichCell", "IzhikevichNeuromod", "TwoCompartmentIzhikevich", "TwoCompartmentLIF"]
WEIGHT_UPDATES = ["PairSTDP", "SynapticScaling", "VolumeTransmission"]
#: what a mutation may put into code: tokens of the snippet language and of C outside it
VOCABULARY = ["return", "break", "continue", "goto", "&", "*", "->", ".", "#pragma omp", '"s"', "'c'", "%", "<<",
              "0x1.p", "1e999", "/", "(", ")", "{", "}", "[", "]", ";", ",", "=", "+=", "?", ":", "undefined_name",
              "t", "dt", "id", "Isyn", "int", "scalar", "unsigned", "exp", "pow", "sqrt", "fmod", "gennrand_uniform",
              "addToPost", "addToPre", "0", "1.0", "-1", "1u", "V", "printf", "case", "default", "switch", "if",
              "else", "sizeof", "++", "--", "!", "~", "&&", "||", "extern", "static", "/*", "*/", "//", "\\",
              "id_pre", "id_post", "num_neurons", "batch", "int x = 0;", "x", "V[1]", "[0]"]
_TOKEN = re.compile(r"\d+\.?\d*(?:[eE][+-]?\d+)?[fFdDuU]?|\w+|==|!=|<=|>=|&&|\|\||\+=|-=|\*=|/=|\+\+|--|->|\S")

_FALLBACK = {"V": -65.0, "U": -13.0, "a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0, "g": 1.0}


def _defaults(name: str, keys: str) -> dict:
    """A model file's defaults of ``keys``; values the file leaves to the user from _FALLBACK, else 0."""
    from genn_neuromod.models import model_defaults

    d = model_defaults(name, None)
    return {k: d.get(k, _FALLBACK.get(k, 0.0)) for k in available_models()[name].names(keys)}


def _build_and_run(case: dict) -> None:
    """What one case does: a population (or a synapse group) of the mutated model, built, loaded and run."""
    import tempfile

    import genn_neuromod as pg
    from genn_neuromod.models import load_model

    m = pg.GeNNModel("float", "fuzz")
    m.dt = case.get("dt", 0.1)
    kind, name, overrides = case["kind"], case["model"], case.get("overrides", {})
    if kind == "neuron":
        params, vars_ = _defaults(name, "params"), _defaults(name, "vars")
        params.update(case.get("params", {}))
        vars_.update(case.get("vars", {}))
        pop = m.add_neuron_population("Pop", case.get("num_neurons", 8), load_model(name, **overrides), params,
                                      vars_)
        pop.spike_recording_enabled = True
        m.add_current_source("Drive", pg.create_current_source_model("DC", injection_code="injectCurrent(500.0);"),
                             pop)
    else:
        cell = "IzhikevichCell"
        pops = [m.add_neuron_population(p, 8, load_model(cell), _defaults(cell, "params"), _defaults(cell, "vars"))
                for p in ("Pre", "Post")]
        wu = pg.init_weight_update(load_model(name, **overrides), _defaults(name, "params"), _defaults(name, "vars"),
                                   _defaults(name, "pre_vars"), _defaults(name, "post_vars"))
        m.add_synapse_population("Syn", "SPARSE", pops[0], pops[1], wu, pg.init_postsynaptic("DeltaCurr"),
                                 pg.init_sparse_connectivity("FixedProbability", {"prob": 0.5}))
        for p in pops:
            p.spike_recording_enabled = True
    with tempfile.TemporaryDirectory() as d:
        m.build(d)
        m.load(num_recording_timesteps=case.get("recording", 20))
        m.step_time_n(case.get("steps", 20))


def _child(case: dict, conn) -> None:
    """Runs in the forked process: the outcome goes back through ``conn``."""
    import traceback

    import genn_neuromod as pg

    try:
        _build_and_run(case)
        out = {"outcome": "ran"}
    except (pg.SnippetError, pg.ModelError, pg.SimulationFault) as exc:
        out = {"outcome": "package", "type": type(exc).__name__, "message": str(exc)}
    except Exception as exc:
        tb = traceback.extract_tb(exc.__traceback__)
        out = {"outcome": "other", "type": type(exc).__name__, "message": str(exc)[:2000],
               "where": f"{tb[-1].filename}:{tb[-1].lineno}" if tb else ""}
    conn.send(out)
    conn.close()


def _run_case(case: dict, timeout: float = 300.0) -> dict:
    """One case in a process of its own, forked from this one (the package is imported once, here)."""
    import multiprocessing

    import genn_neuromod  # noqa: F401  (imported before the fork, so each child starts at once)

    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(case, send))
    proc.start()
    send.close()
    got = receive.poll(timeout)
    try:
        result = receive.recv() if got else None
    except EOFError:  # the child died without answering (a crash)
        result = None
    proc.join(5.0 if got else 0.0)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return result if result is not None else {"outcome": "hang"}
    if result is None or proc.exitcode != 0:
        return {"outcome": "crash", "exitcode": proc.exitcode, "result": result}
    return result


def _assert_clean(case: dict, result: dict, field: str | None = None) -> None:
    outcome = result["outcome"]
    assert outcome in ("ran", "package"), f"{case}\n-> {result}"
    if outcome != "package":
        return
    msg = result["message"]
    assert "error:" not in msg.split("\n")[0].lower() or "line" in msg, f"{case}\n-> compiler-like message: {msg}"
    if result["type"] == "SnippetError":
        assert re.search(r"'(Pop|Syn|Pre|Post|Drive)'", msg), f"{case}\n-> SnippetError without its group: {msg}"
        if field is not None and "'Drive'" not in msg and "'Pre'" not in msg and "'Post'" not in msg:
            assert field in msg, f"{case}\n-> SnippetError without the code field {field}: {msg}"


def _fields(kind: str) -> list[tuple[str, str]]:
    names = NEURONS if kind == "neuron" else WEIGHT_UPDATES
    out = []
    for name in names:
        data = available_models()[name].data
        out += [(name, f) for f in sorted(data) if f.endswith("_code") and data[f].strip()]
    return out


_MODEL_FIELDS = [("neuron", n, f) for n, f in _fields("neuron")] + \
                [("weight_update", n, f) for n, f in _fields("weight_update")]


@st.composite
def mutated_code(draw):
    kind, name, field = draw(st.sampled_from(_MODEL_FIELDS))
    tokens = _TOKEN.findall(available_models()[name].data[field])
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["delete", "insert", "replace", "duplicate", "swap"]))
        i = draw(st.integers(0, max(len(tokens) - 1, 0)))
        if op == "delete" and tokens:
            del tokens[i]
        elif op == "insert":
            tokens.insert(i, draw(st.sampled_from(VOCABULARY)))
        elif op == "replace" and tokens:
            tokens[i] = draw(st.sampled_from(VOCABULARY))
        elif op == "duplicate" and tokens:
            tokens.insert(i, tokens[i])
        elif op == "swap" and len(tokens) > 1:
            j = min(i + 1, len(tokens) - 1)
            tokens[i], tokens[j] = tokens[j], tokens[i]
    return kind, name, field, " ".join(tokens)


@given(mutated_code())
def test_mutated_model_code_runs_or_is_refused_where_it_is_wrong(mutation):
    kind, name, field, code = mutation
    case = {"kind": kind, "model": name, "overrides": {field: code}, "steps": 20}
    _assert_clean(case, _run_case(case), field)


_BAD_NUMBERS = [-1, 0, 2.5, 10**12, float("nan"), float("inf"), -1e300, "3", None, [1, 2, 3]]


@st.composite
def bad_arguments(draw):
    name = draw(st.sampled_from(NEURONS))
    spec = available_models()[name]
    case = {"kind": "neuron", "model": name}
    what = draw(st.sampled_from(["num_neurons", "dt", "steps", "recording"] + ["param"] * bool(spec.names("params"))
                                + ["var"] * bool(spec.names("vars"))))
    value = draw(st.sampled_from(_BAD_NUMBERS))
    if what in ("param", "var"):
        key = draw(st.sampled_from(spec.names("params" if what == "param" else "vars")))
        case[what + "s"] = {key: value}
    else:  # a step count of 10**12 is a long run the user asked for, not a bad input: ask for 2**70 instead
        case[what] = 2**70 if what == "steps" and value == 10**12 else value
    return case


@given(bad_arguments())
def test_bad_api_arguments_run_or_are_refused_clearly(case):
    _assert_clean(case, _run_case(case))


@pytest.mark.parametrize("kind, name", [("neuron", n) for n in NEURONS]
                         + [("weight_update", w) for w in WEIGHT_UPDATES])
def test_the_unmutated_models_run(kind, name):
    """The harness itself: every model it mutates builds and runs as it is (so a refusal is the mutation's)."""
    case = {"kind": kind, "model": name}
    assert _run_case(case) == {"outcome": "ran"}
