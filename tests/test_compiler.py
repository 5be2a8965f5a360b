"""Unit tests of the snippet compiler's passes: parse, resolve, emit."""

import pytest

from genn_neuromod.compiler import (
    Function,
    Namespace,
    SnippetError,
    Symbol,
    compile_expression,
    compile_statements,
    scan_names,
)
from genn_neuromod.compiler.parse import parse_expression, parse_statements

CTX = "Neuron group 'Pop' (model 'M') sim_code"


def _ns():
    ns = Namespace()
    ns.add("V", Symbol("lV", writable=True))
    ns.add("U", Symbol("lU", writable=False, readonly_reason="variable 'U' has read-only access (READ_ONLY)"))
    ns.add("tau", Symbol("20.0f", readonly_reason="'tau' is a parameter"))
    ns.add("t", Symbol("t"))
    ns.add("st_post", Symbol("stPost"))
    ns.add_function("addToPost", Function(lambda a: f"out[id_post] += {a[0]}", (1,)))
    ns.add_function("gennrand_uniform", Function(lambda a: "gn_uniform_f(&rng)", (0,), True, "scalar"))
    return ns


def test_parse_reports_line_of_syntax_error():
    with pytest.raises(SnippetError) as e:
        parse_statements("V += 1.0;\nV = (2.0 * ;\n", CTX)
    assert e.value.line == 2 and "sim_code" in str(e.value)


def test_parse_expression_and_genn_double_suffix():
    expr = parse_expression("V >= 29.99d", "thr")
    assert expr is not None
    c = compile_expression("V >= 29.99d", _ns(), "thr", "float").c
    assert c == "lV >= 29.99"  # 'd' literal stays double; unsuffixed would become scalar


def test_unsuffixed_literals_are_scalar():
    assert "0.5f" in compile_statements("V += 0.5;", _ns(), CTX, "float").c
    assert "0.5f" not in compile_statements("V += 0.5;", _ns(), CTX, "double").c
    assert "0.5f" in compile_statements("V += 0.5f;", _ns(), CTX, "double").c


def test_names_resolve_and_locals_shadow_builtins():
    out = compile_statements("scalar t = 3.0;\nV += t - st_post;\naddToPost(V);", _ns(), CTX, "float")
    assert "_u_t = 3.0f" in out.c and "_u_t - stPost" in out.c and "out[id_post] += lV" in out.c
    assert out.info.names_written == {"V"}


def test_undefined_name_suggests_close_match():
    with pytest.raises(SnippetError) as e:
        compile_statements("V += tua;", _ns(), CTX, "float")
    assert "undefined name 'tua'" in str(e.value) and "'tau'" in str(e.value) and e.value.line == 1


@pytest.mark.parametrize("code,needle", [("U = 1.0;", "'U'"), ("tau += 1.0;", "'tau'"), ("U++;", "'U'"),
                                         ("t = 0.0;", "'t'")])
def test_writes_to_read_only_names_are_refused(code, needle):
    with pytest.raises(SnippetError) as e:
        compile_statements(code, _ns(), CTX, "float")
    assert "cannot assign" in str(e.value) and needle in str(e.value)


def test_const_local_cannot_be_assigned():
    with pytest.raises(SnippetError, match="declared const"):
        compile_statements("const scalar x = 1.0;\nx = 2.0;", _ns(), CTX, "float")


def test_unknown_function_and_wrong_arity():
    with pytest.raises(SnippetError, match="unknown function 'foo'"):
        compile_statements("V += foo(1.0);", _ns(), CTX, "float")
    with pytest.raises(SnippetError, match="takes 1 argument"):
        compile_statements("addToPost(V, V);", _ns(), CTX, "float")


def test_maths_functions_and_rng_flag():
    out = compile_statements("V = exp(-V / tau) + gennrand_uniform();", _ns(), CTX, "float")
    assert "exp(" in out.c and "gn_uniform_f(&rng)" in out.c and out.uses_rng


def test_genn4_syntax_is_explained():
    with pytest.raises(SnippetError, match=r"GeNN 4 '\$\(V\)'"):
        compile_statements("$(V) += 1.0;", _ns(), CTX, "float")


def test_delayed_read_uses_indexer():
    ns = _ns()
    ns.add("Vpost", Symbol("Vp[id]", index=lambda d: f"Vp[slot({d})]"))
    assert "Vp[slot(3)]" in compile_statements("V += Vpost[3];", ns, CTX, "float").c
    with pytest.raises(SnippetError, match="cannot be indexed"):
        compile_statements("V += tau[1];", ns, CTX, "float")


def test_scan_names():
    assert {"V", "Vpost[]", "d"} <= scan_names("V += Vpost[d];", CTX)


def test_comments_are_ignored_and_lines_kept():
    code = "V += 1.0; // comment\n/* block\ncomment */ V = 2.0;\nprintf(\"// kept %f\", V);\nV = (;"
    with pytest.raises(SnippetError) as e:
        compile_statements(code, _ns(), CTX, "float")
    assert e.value.line == 5
    out = compile_statements(code.rsplit("\n", 1)[0], _ns(), CTX, "float").c
    assert "comment" not in out and '"// kept %f"' in out


def _uniform_ns():
    ns = _ns()
    ns.add("t", Symbol("t", uniform=True))
    ns.add("period", Symbol("10.0f", uniform=True))
    return ns


def test_uniform_guard_is_split_off():
    c = compile_statements("if (fmod(t, period) < 0.5) {\n    V += 1.0;\n}\n", _uniform_ns(), CTX, "float")
    assert c.guard and "fmod" in c.guard and "lV" not in c.guard
    assert "lV" in c.guarded and "if" not in c.guarded


@pytest.mark.parametrize("code", [
    "if (V > period) { V = 0.0; }",                   # per-element condition
    "if (t > period) { V = 0.0; } else { V = 1.0; }",  # an else branch
    "if (t > period) { V = 0.0; }\nV += 1.0;",         # more than the if
    "if (gennrand_uniform() < 0.5) { V = 0.0; }",     # a random draw is per element
])
def test_non_uniform_or_compound_code_is_not_guarded(code):
    c = compile_statements(code, _uniform_ns(), CTX, "float")
    assert c.guard == "" and c.guarded == ""


def test_element_writes_are_recorded_as_written():
    ns = _ns()
    ns.add("log", Symbol("egp_log", "scalar*", writable=True, index=lambda i: f"egp_log[{i}]"))
    out = compile_statements("log[2] = V;\nV += 1.0;", ns, CTX, "float")
    assert out.info.names_written == {"V", "log"}
