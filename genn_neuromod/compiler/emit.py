"""Emit C from a resolved snippet AST.

A thin subclass of pycparser's generator: resolved names print as their C
expressions, special functions print through their emitters, and floating
literals get GeNN's typing: an unsuffixed literal is ``scalar`` (so ``0.5``
is ``0.5f`` in single precision), ``f`` is float and GeNN's ``d`` is double.
"""

from __future__ import annotations

from pycparser import c_ast, c_generator


class CEmitter(c_generator.CGenerator):
    """Prints an AST annotated by :mod:`.resolve` as C99."""

    def __init__(self, precision: str, notes: dict[int, object]):
        super().__init__()
        self.single = precision == "float"
        self.notes = notes

    def visit_ID(self, n: c_ast.ID) -> str:
        return self.notes.get(id(n), n.name)

    def visit_Constant(self, n: c_ast.Constant) -> str:
        v = n.value
        if n.type in ("double", "float", "long double"):
            low = v.lower()
            if low.endswith("l"):  # GeNN 'd' suffix -> plain double literal
                return v[:-1]
            if low.endswith("f"):
                return v
            return v + "f" if self.single else v
        return v

    def visit_FuncCall(self, n: c_ast.FuncCall) -> str:
        fn = self.notes.get(id(n))
        args = [self.visit(a) for a in n.args.exprs] if n.args is not None else []
        if fn is not None:
            return fn.emit(args) if fn.block else "(" + fn.emit(args) + ")"
        return f"{self.visit(n.name)}({', '.join(args)})"

    def visit_For(self, n: c_ast.For) -> str:
        loop = self.notes.get(id(n))
        if loop is not None:  # for_each_synapse: the field's own loop around the body
            return loop.header + "\n" + self._generate_stmt(n.stmt, add_indent=True) + loop.footer
        return super().visit_For(n)

    def visit_ArrayRef(self, n: c_ast.ArrayRef) -> str:
        index = self.notes.get(id(n))
        if index is not None:
            return index(self.visit(n.subscript))
        return super().visit_ArrayRef(n)


def emit_statements(body: c_ast.Compound, precision: str, notes: dict[int, object]) -> str:
    gen = CEmitter(precision, notes)
    return "".join(gen._generate_stmt(s) for s in (body.block_items or []))


def emit_expression(expr: c_ast.Node, precision: str, notes: dict[int, object]) -> str:
    return CEmitter(precision, notes).visit(expr)
