"""Resolve every name in a parsed snippet against its namespace.

This pass walks the pycparser AST, keeps a stack of block scopes for local
declarations (which may shadow built-ins, as in GeNN's own STDP:
``scalar dt = t - st_post;``), and annotates nodes for the emitter:

* an ``ID``: the C expression of the name,
* a ``FuncCall``: the :class:`Function` to emit,
* an ``ArrayRef``: the indexer of a delayed read or an array parameter,

kept in ``ResolveResult.notes`` keyed by ``id(node)`` (pycparser nodes have slots).

It raises :class:`SnippetError` for undefined names, unknown functions and
writes to read-only names, with the line where they occur.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pycparser import c_ast

from .errors import SnippetError
from .namespace import MATHS_FUNCTIONS, Function, Namespace, Symbol
from .parse import FOR_EACH_SYNAPSE

_LOCAL_PREFIX = "_u_"
_CONSTANTS = {"true": "1", "false": "0", "NULL": "0", "M_PI": "M_PI", "M_E": "M_E",
              "INFINITY": "INFINITY", "NAN": "NAN", "FLT_MAX": "FLT_MAX", "DBL_MAX": "DBL_MAX",
              "TIME_MAX": "GN_TIME_MAX"}
_WRITE_OPS = {"++", "--", "p++", "p--"}


#: stands in ``names_written`` for a write through a pointer or into a struct (target not known)
UNKNOWN_TARGET = "*"


@dataclass
class ResolveResult:
    """What a resolved snippet uses: names (for dependency analysis) and the RNG."""

    names_used: set[str] = field(default_factory=set)
    names_written: set[str] = field(default_factory=set)  #: variables, and arrays written element-wise
    delayed_names: set[str] = field(default_factory=set)
    functions_used: set[str] = field(default_factory=set)
    uses_rng: bool = False
    #: id(node) -> C name (ID), Function (FuncCall) or indexer (ArrayRef), for the emitter
    notes: dict[int, object] = field(default_factory=dict, repr=False)
    #: id(node) -> snippet type name of a resolved name (ID) or indexed element (ArrayRef), for the type checker
    types: dict[int, str] = field(default_factory=dict, repr=False)


class _Local:
    def __init__(self, name: str, const: bool, type_name: str):
        self.c_name = _LOCAL_PREFIX + name
        self.const = const
        self.type_name = type_name


def declared_type(decl: c_ast.Node) -> str:
    """The snippet type of a declarator: ``'scalar'``, ``'unsigned int'``, ``'scalar*'``, ``'int[]'``."""
    if isinstance(decl, c_ast.PtrDecl):
        return declared_type(decl.type) + "*"
    if isinstance(decl, c_ast.ArrayDecl):
        return declared_type(decl.type) + "[]"
    if isinstance(decl, c_ast.TypeDecl) and isinstance(decl.type, c_ast.IdentifierType):
        return " ".join(decl.type.names)
    return "?"


class Resolver(c_ast.NodeVisitor):
    """Annotates one snippet's AST; see the module docstring."""

    def __init__(self, namespace: Namespace, context: str, source: str):
        self.ns = namespace
        self.context = context
        self.source = source
        self.scopes: list[dict[str, _Local]] = [{}]
        self.result = ResolveResult()
        self.errors: list[SnippetError] = []

    # -- helpers ---------------------------------------------------------
    def _error(self, node: c_ast.Node, message: str, name: str | None = None) -> SnippetError:
        line = node.coord.line if node is not None and node.coord is not None else None
        return SnippetError(self.context, message, line=line, source=self.source, name=name)

    def _lookup_local(self, name: str) -> _Local | None:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    def _symbol(self, node: c_ast.ID) -> Symbol | None:
        return self.ns.symbols.get(node.name)

    def _check_writable(self, target: c_ast.Node) -> None:
        if isinstance(target, c_ast.ID):
            name = target.name
            local = self._lookup_local(name)
            if local is not None:
                if local.const:
                    raise self._error(target, f"cannot assign to '{name}': it was declared const", name)
                return
            sym = self.ns.symbols.get(name)
            if sym is None:
                return  # reported as undefined when the ID itself is visited
            if not sym.writable:
                raise self._error(target, f"cannot assign to '{name}': {sym.readonly_reason}", name)
            if sym.ctype.endswith("*"):
                raise self._error(target, f"cannot assign to '{name}': it is an array; assign to its elements "
                                          f"({name}[i] = ...)", name)
            self.result.names_written.add(name)
        elif isinstance(target, c_ast.ArrayRef):
            base = target.name
            if isinstance(base, c_ast.ID) and self._lookup_local(base.name) is None:
                sym = self.ns.symbols.get(base.name)
                if sym is not None and not sym.writable:
                    raise self._error(target, f"cannot assign to '{base.name}[...]': {sym.readonly_reason}",
                                      base.name)
                if sym is not None:
                    self.result.names_written.add(base.name)
        elif isinstance(target, c_ast.UnaryOp) and target.op == "*":
            self.result.names_written.add(UNKNOWN_TARGET)
        elif isinstance(target, c_ast.StructRef):
            self.result.names_written.add(UNKNOWN_TARGET)
        else:  # a number, a call, an arithmetic expression ...: nothing to store into
            raise self._error(target, "only a variable or an array element can be assigned to (or incremented)")

    # -- scopes ----------------------------------------------------------
    def visit_Compound(self, node: c_ast.Compound) -> None:
        self.scopes.append({})
        for item in node.block_items or []:
            try:
                self.visit(item)
            except SnippetError as exc:  # go on with the next statement: all problems are reported together
                self.errors.append(exc)
        self.scopes.pop()

    def visit_For(self, node: c_ast.For) -> None:
        if is_for_each_synapse(node):
            self._for_each_synapse(node)
            return
        self.scopes.append({})
        for child in (node.init, node.cond, node.next, node.stmt):
            if child is not None:
                self.visit(child)
        self.scopes.pop()

    def _for_each_synapse(self, node: c_ast.For) -> None:
        loop = self.ns.for_each_synapse
        if loop is None:
            raise self._error(node, "'for_each_synapse' is not available in this code field")
        self.result.notes[id(node)] = loop
        outer, self.ns = self.ns, self.ns.inside_for_each_synapse()
        try:
            self.scopes.append({})
            self.visit(node.stmt)
            self.scopes.pop()
        finally:
            self.ns = outer

    def visit_Decl(self, node: c_ast.Decl) -> None:
        problem = None
        try:
            if node.init is not None:
                self.visit(node.init)  # the initialiser sees the enclosing names (C semantics aside)
            if isinstance(node.type, c_ast.ArrayDecl) and node.type.dim is not None:
                self.visit(node.type.dim)
        except SnippetError as exc:
            problem = exc  # still declare the name, so later statements do not report it as unknown
        name = node.name
        if name is None:
            if problem is not None:
                raise problem
            return
        local = _Local(name, "const" in (node.quals or []), declared_type(node.type))
        self.scopes[-1][name] = local
        node.name = local.c_name
        decl = node.type
        while not isinstance(decl, c_ast.TypeDecl):
            decl = decl.type
        decl.declname = local.c_name
        if problem is not None:
            raise problem

    def visit_DeclList(self, node: c_ast.DeclList) -> None:
        for d in node.decls:
            self.visit(d)

    # -- names -----------------------------------------------------------
    def visit_ID(self, node: c_ast.ID) -> None:
        name = node.name
        local = self._lookup_local(name)
        if local is not None:
            self.result.notes[id(node)] = local.c_name
            self.result.types[id(node)] = local.type_name
            return
        sym = self.ns.symbols.get(name)
        if sym is not None:
            if sym.write_only:
                raise self._error(node, f"'{name}' is a reduction target: it can only be assigned "
                                        f"({name} = ...), not read", name)
            self.result.notes[id(node)] = sym.c_expr
            self.result.types[id(node)] = sym.ctype
            self.result.names_used.add(name)
            return
        if name in _CONSTANTS:
            self.result.notes[id(node)] = _CONSTANTS[name]
            self.result.types[id(node)] = "int" if name in ("true", "false", "NULL") else "double"
            return
        if name in self.ns.functions or name in MATHS_FUNCTIONS:
            raise self._error(node, f"'{name}' is a function; call it as {name}(...)", name)
        if name in self.ns.hidden:
            raise self._error(node, f"'{name}' cannot be used here: {self.ns.hidden[name]}", name)
        raise self._error(node, f"undefined name '{name}'{self._suggest(name)}", name)

    def _suggest(self, name: str) -> str:
        import difflib

        candidates = list(self.ns.symbols) + [n for s in self.scopes for n in s]
        close = difflib.get_close_matches(name, candidates, n=3)
        if close:
            return " (did you mean " + ", ".join(f"'{c}'" for c in close) + "?)"
        if candidates:
            return "; names available here: " + ", ".join(sorted(candidates)[:25])
        return ""

    def visit_FuncCall(self, node: c_ast.FuncCall) -> None:
        if not isinstance(node.name, c_ast.ID):
            raise self._error(node, "only named functions can be called")
        name = node.name.name
        fn: Function | None = self.ns.functions.get(name)
        nargs = len(node.args.exprs) if node.args is not None else 0
        if fn is None:
            if self._lookup_local(name) is not None or name in self.ns.symbols:
                raise self._error(node, f"'{name}' is not a function", name)
            if name not in MATHS_FUNCTIONS:
                raise self._error(node, f"unknown function '{name}'", name)
            self.result.notes[id(node.name)] = name
        else:
            if fn.nargs is not None and nargs not in fn.nargs:
                want = " or ".join(str(n) for n in fn.nargs)
                raise self._error(node, f"'{name}' takes {want} argument(s), {nargs} given", name)
            self.result.notes[id(node)] = fn
            self.result.uses_rng |= fn.uses_rng
        self.result.functions_used.add(name)
        if node.args is not None:
            for a in node.args.exprs:
                self.visit(a)

    def visit_ArrayRef(self, node: c_ast.ArrayRef) -> None:
        base = node.name
        if isinstance(base, c_ast.ID) and self._lookup_local(base.name) is None:
            sym = self.ns.symbols.get(base.name)
            if sym is not None:
                if sym.index is None:
                    raise self._error(node, f"'{base.name}' cannot be indexed here", base.name)
                self.result.notes[id(node)] = sym.index
                self.result.types[id(node)] = sym.ctype.replace("*", "").strip()
                self.result.names_used.add(base.name)
                self.result.delayed_names.add(base.name)
                self.visit(node.subscript)
                return
        self.generic_visit(node)

    # -- writes ----------------------------------------------------------
    def visit_Assignment(self, node: c_ast.Assignment) -> None:
        self._check_writable(node.lvalue)
        target = node.lvalue
        sym = self.ns.symbols.get(target.name) if isinstance(target, c_ast.ID) else None
        if sym is not None and sym.write_only and self._lookup_local(target.name) is None:
            if node.op != "=":
                raise self._error(target, f"'{target.name}' is a reduction target: assign it with '=', "
                                          f"not '{node.op}'", target.name)
            self.result.notes[id(target)] = sym.c_expr
            self.result.types[id(target)] = sym.ctype
            self.result.names_written.add(target.name)
        else:
            self.visit(target)
        self.visit(node.rvalue)

    def visit_UnaryOp(self, node: c_ast.UnaryOp) -> None:
        if node.op in _WRITE_OPS:
            self._check_writable(node.expr)
        self.visit(node.expr)

    def visit_StructRef(self, node: c_ast.StructRef) -> None:
        self.visit(node.name)  # the field name is not a variable

    def visit_Typename(self, node: c_ast.Typename) -> None:
        return


def is_for_each_synapse(node: c_ast.Node) -> bool:
    """Whether a ``for`` statement is GeNN's ``for_each_synapse`` loop (see :mod:`.parse`)."""
    return (isinstance(node, c_ast.For) and isinstance(node.init, c_ast.ID) and node.init.name == FOR_EACH_SYNAPSE
            and node.cond is None and node.next is None)


def resolve(ast: c_ast.Node, namespace: Namespace, context: str, source: str) -> ResolveResult:
    """Annotate ``ast`` in place; return what it uses."""
    r = Resolver(namespace, context, source)
    r.visit(ast)
    if r.errors:
        raise SnippetError.combine(r.errors)
    return r.result
