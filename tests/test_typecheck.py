"""The type-checking pass of the snippet compiler, on its own and through build()."""

import pytest

from genn_neuromod.compiler import Function, Namespace, SnippetError, Symbol, compile_expression, compile_statements

CTX = "Neuron group 'Pop' (model 'M') sim_code"


def _ns():
    ns = Namespace()
    ns.add("V", Symbol("lV", "scalar", writable=True))
    ns.add("n", Symbol("ln", "unsigned int", writable=True))
    ns.add("t", Symbol("t", "timepoint"))
    ns.add("tau", Symbol("20.0f", "scalar"))
    ns.add("w", Symbol("egp_w", "scalar*", writable=True, index=lambda i: f"egp_w[{i}]"))
    ns.add_function("addToPost", Function(lambda a: f"out += {a[0]}", (1,)))
    ns.add_function("gennrand", Function(lambda a: "gn_next_u32(&rng)", (0,), True, "uint32_t"))
    return ns


@pytest.mark.parametrize("code", [
    "V = fmod(V, 2.0);",
    "n = n % 3;",
    "n = (n << 2) | (n & 1u) ^ ~n;",
    "n %= 2;",
    "V += w[n];",
    "V = *(w + 2);",
    "V = (int)t % 10;",
    "const unsigned int k = ((unsigned int)round(t / 0.1)) % 100u;\nw[k] = V;",
    "for (int i = 0; i < 3; i++) { if (i == 1) continue; V += i; }",
    "while (V > 0.0) { V -= 1.0; if (V < 0.5) break; }",
    "switch (n) { case 1: V = 0.0; break; default: V = 1.0; }",
    "V = gennrand() % 7u;",
    "scalar a[3] = {1.0, 2.0, 3.0};\nV = a[n % 3];",
    "V = n > 2 ? V : tau;",
    "V = pow(V, 2.0) + exp(-t / tau) + fmin(V, tau) + abs(-3) + min(V, 1.0);",
    "printf(\"%f\\n\", V);",
    "addToPost(V);",
])
def test_well_typed_snippets_compile(code):
    compile_statements(code, _ns(), CTX, "float")


@pytest.mark.parametrize("code,message", [
    ("V = V % 2.0;", "'%' needs integer operands, but 'V' is 'scalar'; use fmod()"),
    ("V = t % 2;", "'%' needs integer operands, but 't' is 'timepoint'"),
    ("V %= 2;", "'%=' needs integer operands"),
    ("n = n % 2.5;", "'%' needs integer operands, but the operand is 'double'"),
    ("V = V << 1;", "'<<' needs integer operands"),
    ("n = n & V;", "'&' needs integer operands, but 'V' is 'scalar'"),
    ("V = ~V;", "'~' needs an integer operand, but 'V' is 'scalar'"),
    ("V = pow(2.0);", "'pow' takes 2 argument(s), 1 given"),
    ("V = exp(1.0, 2.0);", "'exp' takes 1 argument(s), 2 given"),
    ("V = fma(1.0, 2.0);", "'fma' takes 3 argument(s), 2 given"),
    ("printf();", "printf needs a format string"),
    ("V = &tau;", "'&' (address-of) is not part of the snippet language"),
    ("V = *V;", "'*' (dereference) needs an array, but 'V' is 'scalar'"),
    ("V = V.x;", "member access ('.x')"),
    ("V = V->x;", "member access ('->x')"),
    ("V = tau[2];", "cannot be indexed"),
    ("V = w[1.5];", "an index must be an integer"),
    ("V = w * 2.0;", "'*' cannot take an array operand"),
    ("V = w;", "must be a number, but 'w' is 'scalar*'"),
    ("scalar *p = &V;", "cannot declare 'p' as a pointer"),
    ("if (w) { V = 0.0; }", "the condition of 'if' must be a number, but 'w' is 'scalar*'"),
    ("V = addToPost(V) + 1.0;", "'addToPost(...)' returns no value"),
    ("return;", "'return' is not part of the snippet language"),
    ("break;", "'break' outside a loop or switch"),
    ("continue;", "'continue' outside a loop"),
    ("if (V > 0.0) { continue; }", "'continue' outside a loop"),
    ("here: V = 1.0;", "labels are not part of the snippet language"),
    ("goto here;", "'goto' is not part of the snippet language"),
    ("case 1: V = 1.0;", "'case' outside a switch"),
    ("V = \"text\";", "string literals are only allowed as printf's format"),
    ("extern scalar e;", "storage class 'extern'"),
    ("V = (scalar*)V;", "cannot cast 'scalar' to 'scalar*'"),
])
def test_ill_typed_snippets_are_refused_with_line(code, message):
    with pytest.raises(SnippetError) as e:
        compile_statements("V += 1.0;\n" + code, _ns(), CTX, "float")
    assert message in str(e.value)
    assert e.value.line == 2 and "sim_code" in str(e.value) and "'Pop'" in str(e.value)


def test_conditions_are_numbers():
    compile_expression("V > tau && n % 2 == 0", _ns(), CTX, "float")
    with pytest.raises(SnippetError, match="'%' needs integer operands"):
        compile_expression("V % 2.0 > 1.0", _ns(), CTX, "float")
    with pytest.raises(SnippetError, match="a condition must be a number"):
        compile_expression("w", _ns(), CTX, "float")


def test_type_error_in_a_model_names_group_model_and_field(tmp_path):
    import genn_neuromod as pygenn

    model = pygenn.GeNNModel("float", "typecheck")
    nm = pygenn.create_neuron_model("Mod", vars=[("V", "scalar")], sim_code="V += 1.0;\nV = V % 2.0;")
    model.add_neuron_population("Pop", 3, nm, {}, {"V": 0.0})
    with pytest.raises(SnippetError) as e:
        model.build(str(tmp_path))
    text = str(e.value)
    assert "Neuron group 'Pop' (model 'Mod') sim_code, line 2" in text and "fmod" in text
    assert "gcc" not in text and "bug" not in text
