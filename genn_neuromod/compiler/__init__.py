"""The snippet compiler: parse (pycparser) -> resolve names and access -> type-check -> emit C.

Each pass lives in its own module and is tested on its own; this module joins
them into the two entry points the code generator uses.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from pycparser import c_ast

from .emit import emit_expression, emit_statements
from .errors import ModelError, SnippetError
from .hoist import uniform_guard
from .namespace import ForEachSynapse, Function, Namespace, Symbol
from .parse import parse_expression, parse_statements
from .resolve import ResolveResult, resolve
from .typecheck import typecheck

__all__ = ["CompiledSnippet", "ForEachSynapse", "Function", "ModelError", "Namespace", "SnippetError", "Symbol",
           "compile_expression", "compile_statements", "scan_names"]


def _depth_limited(context_arg: int):
    """Snippets nested deeper (or operator chains longer) than Python's recursion allows the passes: one clear
    error, naming the context (the ``context_arg``-th argument), instead of a RecursionError from the parser."""

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except RecursionError:
                context = kwargs.get("context", args[context_arg] if len(args) > context_arg else "snippet")
                raise SnippetError(str(context), "too deeply nested (or too long a chain of operators) to "
                                   "compile: split it into several statements with intermediate variables") from None

        return wrapper

    return decorate


@dataclass
class CompiledSnippet:
    """C text of a snippet and what it uses.

    When the snippet is one ``if`` with a uniform condition (see :mod:`.hoist`), ``guard`` is
    that condition's C and ``guarded`` the C of its body, so a loop can be skipped as a whole.
    """

    c: str
    info: ResolveResult
    guard: str = ""
    guarded: str = ""

    @property
    def uses_rng(self) -> bool:
        return self.info.uses_rng


@_depth_limited(2)
def compile_statements(code: str | None, namespace: Namespace, context: str, precision: str) -> CompiledSnippet:
    """Compile a statement-list field (sim code, reset code, ...)."""
    if not code or not code.strip():
        return CompiledSnippet("", ResolveResult())
    body = parse_statements(code, context)
    info = resolve(body, namespace, context, code)
    typecheck(body, info, context, code, host_code=namespace.host_code)
    compiled = CompiledSnippet(emit_statements(body, precision, info.notes), info)
    branch = uniform_guard(body, namespace)
    if branch is not None:
        inner = branch.iftrue if isinstance(branch.iftrue, c_ast.Compound) else c_ast.Compound([branch.iftrue])
        compiled.guard = emit_expression(branch.cond, precision, info.notes)
        compiled.guarded = emit_statements(inner, precision, info.notes)
    return compiled


@_depth_limited(2)
def compile_expression(code: str | None, namespace: Namespace, context: str, precision: str) -> CompiledSnippet:
    """Compile an expression field (threshold or event condition)."""
    if not code or not code.strip():
        return CompiledSnippet("", ResolveResult())
    expr = parse_expression(code, context)
    info = resolve(expr, namespace, context, code)
    typecheck(expr, info, context, code, expression=True)
    return CompiledSnippet(emit_expression(expr, precision, info.notes), info)


@_depth_limited(1)
def scan_names(code: str | None, context: str, expression: bool = False) -> set[str]:
    """Identifiers a snippet refers to (parse only; used to plan arrays before compiling)."""
    from pycparser import c_ast

    if not code or not code.strip():
        return set()
    tree = parse_expression(code, context) if expression else parse_statements(code, context)
    names: set[str] = set()

    class _V(c_ast.NodeVisitor):
        def visit_ID(self, n):
            names.add(n.name)

        def visit_ArrayRef(self, n):
            if isinstance(n.name, c_ast.ID):
                names.add(n.name.name + "[]")
            self.generic_visit(n)

    _V().visit(tree)
    return names
