"""Find a uniform guard: a snippet that is one ``if`` whose condition is the same for every element.

Time-driven rules are often written ``if (step % period == 0) { ... }`` inside a loop over
every synapse.  When the condition reads only uniform names (``t``, ``dt``, parameters,
scalar extra global parameters) and pure maths, the code generator tests it once per step
and skips the whole loop on the other steps.
"""

from __future__ import annotations

from pycparser import c_ast

from .namespace import MATHS_FUNCTIONS, Namespace

_IMPURE = frozenset({"printf"})


class _Uniformity(c_ast.NodeVisitor):
    def __init__(self, namespace: Namespace):
        self.ns = namespace
        self.uniform = True

    def visit_ID(self, node: c_ast.ID) -> None:
        sym = self.ns.symbols.get(node.name)
        if sym is None or not sym.uniform:
            self.uniform = False

    def visit_FuncCall(self, node: c_ast.FuncCall) -> None:
        name = node.name.name if isinstance(node.name, c_ast.ID) else None
        if name is None or name in self.ns.functions or name not in MATHS_FUNCTIONS or name in _IMPURE:
            self.uniform = False
            return
        if node.args is not None:
            self.visit(node.args)

    def visit_ArrayRef(self, node: c_ast.ArrayRef) -> None:
        self.uniform = False

    def visit_Assignment(self, node: c_ast.Assignment) -> None:
        self.uniform = False

    def visit_UnaryOp(self, node: c_ast.UnaryOp) -> None:
        if node.op in ("++", "--", "p++", "p--", "&", "*"):
            self.uniform = False
            return
        self.visit(node.expr)


def uniform_guard(body: c_ast.Compound, namespace: Namespace) -> c_ast.If | None:
    """The ``if`` statement when ``body`` is exactly one ``if`` (no ``else``) with a uniform condition."""
    items = body.block_items or []
    if len(items) != 1 or not isinstance(items[0], c_ast.If) or items[0].iffalse is not None:
        return None
    check = _Uniformity(namespace)
    check.visit(items[0].cond)
    return items[0] if check.uniform else None
