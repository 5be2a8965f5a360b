"""Type-check a resolved snippet before any C is written.

The pass runs between name resolution (:mod:`.resolve`, which records the type of every name it
resolves) and emission (:mod:`.emit`), as GeNN's transpiler runs its type checker before its pretty
printer.  It follows the rules of GeNN 5's ``typeChecker.cc``:

* ``%``, ``<<``, ``>>``, ``&``, ``|``, ``^``, ``~`` (and their compound assignments) need integer operands;
* arithmetic, comparison and logical operators need numbers; a pointer (an extra global parameter array)
  may only be indexed, dereferenced, or offset by an integer;
* ``&`` (address-of), member access (``.``, ``->``), pointer declarations and casts between pointers and
  numbers are not part of the snippet language;
* maths functions are called with their C99 number of arguments;
* conditions are numbers; ``break`` is inside a loop or ``switch``, ``continue`` inside a loop, ``case`` and
  ``default`` inside a ``switch``; ``return``, ``goto`` and labels are not part of the language.

Each violation raises :class:`SnippetError` with the snippet's context (group, model, code field) and line.
"""

from __future__ import annotations

from dataclasses import dataclass

from pycparser import c_ast

from .errors import SnippetError
from .namespace import Function
from .resolve import ResolveResult, declared_type, is_for_each_synapse

_FLOATING = frozenset({"float", "double", "scalar", "timepoint", "long double"})
_INTEGER_OPS = frozenset({"%", "<<", ">>", "&", "|", "^"})
_COMPARISONS = frozenset({"<", ">", "<=", ">=", "==", "!="})

# maths functions: number of arguments and what they return ("float": a floating value, "int": an
# integer, "common": the common type of the arguments)
_SIGNATURES: dict[str, tuple[tuple[int, ...] | None, str]] = {}
for _names, _n, _ret in (
    ("cos sin tan acos asin atan cosh sinh tanh acosh asinh atanh exp exp2 expm1 log log1p log2 log10 logb sqrt "
     "cbrt ceil floor round rint trunc nearbyint fabs tgamma lgamma erf erfc", (1,), "float"),
    ("atan2 pow hypot fmod remainder fmax fmin fdim copysign nextafter ldexp scalbn scalbln frexp modf",
     (2,), "float"),
    ("fma remquo", (3,), "float"),
    ("ilogb lrint lround llrint llround isinf isnan isfinite signbit abs labs", (1,), "int"),
    ("min max", (2,), "common"),
):
    for _name in _names.split():
        _SIGNATURES[_name] = (_n, _ret)
_SIGNATURES["printf"] = (None, "int")


@dataclass(frozen=True)
class _Type:
    """What the checker needs to know of a type: its name as written and its kind."""

    name: str
    kind: str  # "int", "float", "pointer", "array", "string", "void"

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "float")

    @property
    def indexable(self) -> bool:
        return self.kind in ("pointer", "array")


def type_of_name(type_name: str) -> _Type:
    t = " ".join(type_name.split())
    if t.endswith("*"):
        return _Type(t, "pointer")
    if t.endswith("[]"):
        return _Type(t, "array")
    if t == "void":
        return _Type(t, "void")
    if t in _FLOATING:
        return _Type(t, "float")
    return _Type(t, "int")


_INT = _Type("int", "int")
_DOUBLE = _Type("double", "float")
_VOID = _Type("void", "void")


def _element(t: _Type) -> _Type:
    if t.kind == "pointer":
        return type_of_name(t.name[:-1])
    if t.kind == "array":
        return type_of_name(t.name[:-2])
    return t


def _common(a: _Type, b: _Type) -> _Type:
    if a.kind == "float" or b.kind == "float":
        return a if a.kind == "float" else b
    return a


class TypeChecker:
    """Walks a resolved snippet; each ill-typed statement adds a :class:`SnippetError` to ``errors``."""

    def __init__(self, info: ResolveResult, context: str, source: str, host_code: bool = False):
        self.info = info
        self.context = context
        self.source = source
        self.host_code = host_code
        self.loops = 0
        self.switches = 0
        self.errors: list[SnippetError] = []

    def _error(self, node: c_ast.Node, message: str) -> SnippetError:
        line = node.coord.line if node is not None and node.coord is not None else None
        return SnippetError(self.context, message, line=line, source=self.source)

    @staticmethod
    def _describe(node: c_ast.Node, t: _Type) -> str:
        if isinstance(node, c_ast.ID):
            return f"'{node.name}' is '{t.name}'"
        if isinstance(node, c_ast.FuncCall) and isinstance(node.name, c_ast.ID) and t.kind == "void":
            return f"'{node.name.name}(...)' returns no value"
        return f"the operand is '{t.name}'"

    # ------------------------------------------------------------------ statements
    def statement(self, node: c_ast.Node | None) -> None:
        if node is None:
            return
        method = getattr(self, "stmt_" + type(node).__name__, None)
        if method is not None:
            method(node)
        else:
            self.expression(node)

    def stmt_Compound(self, node: c_ast.Compound) -> None:
        for item in node.block_items or []:
            try:
                self.statement(item)
            except SnippetError as exc:  # go on: every ill-typed statement is reported together
                self.errors.append(exc)

    def stmt_DeclList(self, node: c_ast.DeclList) -> None:
        for d in node.decls:
            self.statement(d)

    def stmt_Decl(self, node: c_ast.Decl) -> None:
        declared = declared_type(node.type)
        if isinstance(node.type, c_ast.FuncDecl):
            raise self._error(node, "functions cannot be declared in a snippet")
        if not isinstance(node.type, (c_ast.TypeDecl, c_ast.ArrayDecl, c_ast.PtrDecl)) or "?" in declared:
            raise self._error(node, "only variables of number types can be declared in a snippet")
        if "*" in declared and not self.host_code:
            raise self._error(node, f"cannot declare '{node.name.removeprefix('_u_')}' as a pointer: pointers are "
                                    "not part of the snippet language (only of host update code)")
        if node.storage:
            raise self._error(node, f"storage class '{' '.join(node.storage)}' is not part of the snippet language")
        if isinstance(node.type, c_ast.ArrayDecl) and node.type.dim is not None:
            self._require_integer(node.type.dim, self.expression(node.type.dim), "an array size")
        if node.init is None:
            return
        if isinstance(node.init, c_ast.InitList):
            if not isinstance(node.type, c_ast.ArrayDecl):
                raise self._error(node, "a brace initialiser needs an array")
            for e in node.init.exprs:
                self._require_number(e, self.expression(e), "an array element")
            return
        init = self.expression(node.init)
        if isinstance(node.type, c_ast.ArrayDecl):
            raise self._error(node, "an array is initialised with braces: {a, b, ...}")
        if "*" in declared:
            if not init.indexable:
                raise self._error(node, f"a pointer must be initialised with an array, not '{init.name}'")
            return
        self._require_number(node.init, init, "an initial value")

    def stmt_If(self, node: c_ast.If) -> None:
        self._condition(node.cond, "if")
        self.statement(node.iftrue)
        self.statement(node.iffalse)

    def _loop(self, body: c_ast.Node) -> None:
        self.loops += 1
        try:
            self.statement(body)
        finally:
            self.loops -= 1

    def stmt_While(self, node: c_ast.While) -> None:
        self._condition(node.cond, "while")
        self._loop(node.stmt)

    def stmt_DoWhile(self, node: c_ast.DoWhile) -> None:
        self._loop(node.stmt)
        self._condition(node.cond, "do-while")

    def stmt_For(self, node: c_ast.For) -> None:
        if is_for_each_synapse(node):
            self._loop(node.stmt)
            return
        self.statement(node.init)
        if node.cond is not None:
            self._condition(node.cond, "for")
        if node.next is not None:
            self.expression(node.next)
        self._loop(node.stmt)

    def stmt_Switch(self, node: c_ast.Switch) -> None:
        self._require_integer(node.cond, self.expression(node.cond), "a switch value")
        self.switches += 1
        try:
            self.statement(node.stmt)
        finally:
            self.switches -= 1

    def stmt_Case(self, node: c_ast.Case) -> None:
        if not self.switches:
            raise self._error(node, "'case' outside a switch statement")
        self._require_integer(node.expr, self.expression(node.expr), "a case label")
        for s in node.stmts or []:
            self.statement(s)

    def stmt_Default(self, node: c_ast.Default) -> None:
        if not self.switches:
            raise self._error(node, "'default' outside a switch statement")
        for s in node.stmts or []:
            self.statement(s)

    def stmt_Break(self, node: c_ast.Break) -> None:
        if not self.loops and not self.switches:
            raise self._error(node, "'break' outside a loop or switch statement")

    def stmt_Continue(self, node: c_ast.Continue) -> None:
        if not self.loops:
            raise self._error(node, "'continue' outside a loop")

    def stmt_Return(self, node: c_ast.Return) -> None:
        raise self._error(node, "'return' is not part of the snippet language; skip code with if/else instead")

    def stmt_Goto(self, node: c_ast.Goto) -> None:
        raise self._error(node, "'goto' is not part of the snippet language")

    def stmt_Label(self, node: c_ast.Label) -> None:
        raise self._error(node, "labels are not part of the snippet language")

    def stmt_Pragma(self, node: c_ast.Pragma) -> None:
        raise self._error(node, "preprocessor lines (#pragma, #define, ...) are not part of the snippet language")

    def stmt_Typedef(self, node: c_ast.Typedef) -> None:
        raise self._error(node, "typedef is not part of the snippet language")

    def stmt_EmptyStatement(self, node: c_ast.EmptyStatement) -> None:
        return

    def _condition(self, node: c_ast.Node, what: str) -> None:
        t = self.expression(node)
        if t.kind not in ("int", "float"):
            raise self._error(node, f"the condition of '{what}' must be a number, but {self._describe(node, t)}")

    # ------------------------------------------------------------------ expressions
    def expression(self, node: c_ast.Node) -> _Type:
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            raise self._error(node, f"'{type(node).__name__}' constructs are not part of the snippet language")
        return method(node)

    def _require_number(self, node: c_ast.Node, t: _Type, what: str) -> None:
        if not t.numeric:
            raise self._error(node, f"{what} must be a number, but {self._describe(node, t)}")

    def _require_integer(self, node: c_ast.Node, t: _Type, what: str) -> None:
        if t.kind != "int":
            raise self._error(node, f"{what} must be an integer, but {self._describe(node, t)}")

    def expr_Constant(self, node: c_ast.Constant) -> _Type:
        if node.type == "string":
            raise self._error(node, "string literals are only allowed as printf's format")
        if node.type == "char":
            return _INT
        return type_of_name(node.type.replace("long ", "") if node.type != "long double" else "double")

    def expr_ID(self, node: c_ast.ID) -> _Type:
        name = self.info.types.get(id(node))
        return type_of_name(name) if name is not None else _DOUBLE

    def expr_ArrayRef(self, node: c_ast.ArrayRef) -> _Type:
        index_type = self.expression(node.subscript)
        recorded = self.info.types.get(id(node))
        if recorded is not None:  # a delayed read or an extra global parameter array, resolved by name
            self._require_integer(node.subscript, index_type, "an index")
            return type_of_name(recorded)
        base = self.expression(node.name)
        if not base.indexable:
            what = f"'{node.name.name}'" if isinstance(node.name, c_ast.ID) else "the expression"
            raise self._error(node, f"{what} cannot be indexed: it is '{base.name}', not an array")
        self._require_integer(node.subscript, index_type, "an index")
        return _element(base)

    def expr_Assignment(self, node: c_ast.Assignment) -> _Type:
        left = self.expression(node.lvalue)
        right = self.expression(node.rvalue)
        op = node.op[:-1]
        if left.indexable:
            raise self._error(node, f"cannot assign to an array ({self._describe(node.lvalue, left)})")
        self._require_number(node.rvalue, right, f"the value assigned with '{node.op}'")
        if op in _INTEGER_OPS and (left.kind != "int" or right.kind != "int"):
            bad, t = (node.lvalue, left) if left.kind != "int" else (node.rvalue, right)
            raise self._error(node, f"'{node.op}' needs integer operands, but {self._describe(bad, t)}"
                                    + ("; use fmod() for a floating-point remainder" if op == "%" else ""))
        return left

    def expr_BinaryOp(self, node: c_ast.BinaryOp) -> _Type:
        left = self.expression(node.left)
        right = self.expression(node.right)
        op = node.op
        if left.indexable or right.indexable:
            pointer, other = (left, right) if left.indexable else (right, left)
            if op in ("+", "-") and other.kind == "int" and not (right.indexable and op == "-"):
                return pointer
            raise self._error(node, f"'{op}' cannot take an array operand ('{pointer.name}'); index it with [i]")
        for operand, t in ((node.left, left), (node.right, right)):
            self._require_number(operand, t, f"an operand of '{op}'")
        if op in _INTEGER_OPS:
            if left.kind != "int" or right.kind != "int":
                bad, t = (node.left, left) if left.kind != "int" else (node.right, right)
                raise self._error(node, f"'{op}' needs integer operands, but {self._describe(bad, t)}"
                                        + ("; use fmod() for a floating-point remainder" if op == "%" else ""))
            return left
        if op in _COMPARISONS or op in ("&&", "||"):
            return _INT
        return _common(left, right)

    def expr_UnaryOp(self, node: c_ast.UnaryOp) -> _Type:
        op = node.op
        if op == "sizeof":
            return _Type("size_t", "int")
        if op == "&":
            raise self._error(node, "'&' (address-of) is not part of the snippet language: snippets cannot take "
                                    "pointers")
        operand = self.expression(node.expr)
        if op == "*":
            if not operand.indexable:
                raise self._error(node, f"'*' (dereference) needs an array, but {self._describe(node.expr, operand)}")
            return _element(operand)
        self._require_number(node.expr, operand, f"the operand of '{op.lstrip('p')}'")
        if op == "~" and operand.kind != "int":
            raise self._error(node, f"'~' needs an integer operand, but {self._describe(node.expr, operand)}")
        if op == "!":
            return _INT
        return operand

    def expr_Cast(self, node: c_ast.Cast) -> _Type:
        operand = self.expression(node.expr)
        target = type_of_name(declared_type(node.to_type.type))
        if not target.numeric or not operand.numeric:
            raise self._error(node, f"cannot cast '{operand.name}' to '{target.name}': only numbers can be cast")
        return target

    def expr_TernaryOp(self, node: c_ast.TernaryOp) -> _Type:
        self._condition(node.cond, "?:")
        a = self.expression(node.iftrue)
        b = self.expression(node.iffalse)
        self._require_number(node.iftrue, a, "a branch of '?:'")
        self._require_number(node.iffalse, b, "a branch of '?:'")
        return _common(a, b)

    def expr_ExprList(self, node: c_ast.ExprList) -> _Type:
        t = _VOID
        for e in node.exprs:
            t = self.expression(e)
        return t

    def expr_StructRef(self, node: c_ast.StructRef) -> _Type:
        raise self._error(node, f"member access ('{node.type}{node.field.name}') is not part of the snippet "
                                "language")

    def expr_FuncCall(self, node: c_ast.FuncCall) -> _Type:
        name = node.name.name
        args = node.args.exprs if node.args is not None else []
        fn = self.info.notes.get(id(node))
        if name == "printf":
            if not args or not (isinstance(args[0], c_ast.Constant) and args[0].type == "string"):
                raise self._error(node, "printf needs a format string as its first argument")
            args = args[1:]
        types = [self.expression(a) for a in args]
        if isinstance(fn, Function):
            for a, t in zip(args, types, strict=True):
                self._require_number(a, t, f"an argument of '{name}'")
            return type_of_name(fn.returns)
        nargs, returns = _SIGNATURES.get(name, (None, "float"))
        if nargs is not None and len(args) not in nargs:
            raise self._error(node, f"'{name}' takes {' or '.join(map(str, nargs))} argument(s), {len(args)} given")
        for a, t in zip(args, types, strict=True):
            self._require_number(a, t, f"an argument of '{name}'")
        if returns == "int":
            return _INT
        if returns == "common":
            return _common(types[0], types[1])
        return next((t for t in types if t.kind == "float"), _DOUBLE)


def typecheck(ast: c_ast.Node, info: ResolveResult, context: str, source: str, expression: bool = False,
              host_code: bool = False) -> None:
    """Check ``ast`` (annotated by :func:`.resolve.resolve`); raise :class:`SnippetError` on a type error."""
    checker = TypeChecker(info, context, source, host_code)
    if expression:
        t = checker.expression(ast)
        if not t.numeric:
            raise checker._error(ast, f"a condition must be a number, but {checker._describe(ast, t)}")
    else:
        checker.statement(ast)
        if checker.errors:
            raise SnippetError.combine(checker.errors)
