"""Parse GeNN-5 code strings with pycparser.

GeNN snippets are a C99 subset: statement lists (sim code, reset code, ...)
or single expressions (threshold conditions).  We wrap them in a function
body after a prelude that declares GeNN's type names, so pycparser sees a
complete translation unit.  GeNN's ``d`` literal suffix (double) is rewritten
to C's ``L`` suffix, which the emitter turns back into a plain double literal.
"""

from __future__ import annotations

import re

from pycparser import c_ast, c_parser

from .errors import SnippetError

#: Type names a snippet may use, mapped to a C type pycparser accepts.
SNIPPET_TYPES = {
    "scalar": "float", "timepoint": "double", "bool": "int",
    "int8_t": "int", "uint8_t": "int", "int16_t": "int", "uint16_t": "int",
    "int32_t": "int", "uint32_t": "int", "int64_t": "long", "uint64_t": "long",
    "size_t": "long",
}

_PRELUDE = "".join(f"typedef {c} {name};\n" for name, c in SNIPPET_TYPES.items())
_PRELUDE_LINES = _PRELUDE.count("\n")
_DOUBLE_SUFFIX = re.compile(r"(?<![\w.])((?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)[dD]\b")
_LEGACY_DOLLAR = re.compile(r"\$\((\w+)")


_COMMENT_OR_STRING = re.compile(r'("(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\')|//[^\n]*|/\*.*?\*/', re.S)


def _strip_comments(code: str) -> str:
    """Remove C comments, keeping strings and line numbers."""
    return _COMMENT_OR_STRING.sub(lambda m: m.group(1) or "\n" * m.group(0).count("\n"), code)


#: GeNN's ``for_each_synapse { ... }`` loop (custom connectivity updates, Toeplitz connectivity) is parsed as a
#: ``for`` whose init is this marker name; the resolver and emitter give it its meaning in each code field
FOR_EACH_SYNAPSE = "__gn_for_each_synapse"
_FOR_EACH_SYNAPSE = re.compile(r"\bfor_each_synapse\b")


def _preprocess(code: str) -> str:
    code = _DOUBLE_SUFFIX.sub(r"\1L", _strip_comments(code))
    return _FOR_EACH_SYNAPSE.sub(f"for ({FOR_EACH_SYNAPSE};;)", code)


def _unmatched_brace_line(source: str) -> int | None:
    depth = 0
    for lineno, line in enumerate(_strip_comments(source).splitlines(), 1):
        for ch in line:
            depth += (ch == "{") - (ch == "}")
            if depth < 0:
                return lineno
    return None


class _Parser(c_parser.CParser):
    """pycparser's parser, made to report the position of every syntax error."""

    def _parse_error(self, msg, coord):  # pycparser >= 3 (recursive descent)
        if not hasattr(coord, "line"):
            tok = self._peek() if hasattr(self, "_peek") else None
            if tok is not None:
                coord = self._tok_coord(tok)
                msg = f"{msg} before: {tok.value}"
        return super()._parse_error(msg, coord)


def _parse(text: str, context: str, source: str, line_offset: int) -> c_ast.FileAST:
    parser = _Parser()
    try:
        return parser.parse(text, filename="<snippet>")
    except AssertionError:  # pycparser's lexer asserts on a '}' that closes nothing
        raise SnippetError(context, "syntax error: unmatched '}'", line=_unmatched_brace_line(source),
                           source=source) from None
    except c_parser.ParseError as exc:
        msg = str(exc)
        m = re.match(r"<snippet>:(\d+):(\d+): (.*)", msg)
        if m:
            line = int(m.group(1)) - line_offset
            what, _, token = m.group(3).partition("before:")
            what, token = what.strip().lower(), token.strip()
            detail = "syntax error" + (f": {what}" if what else "") + (f" before '{token}'" if token else "")
            raise SnippetError(context, detail, line=max(line, 1), source=source) from None
        raise SnippetError(context, f"syntax error: {msg}", source=source) from None


def _check_legacy(code: str, context: str) -> None:
    m = _LEGACY_DOLLAR.search(_strip_comments(code))
    if m:
        line = code[:m.start()].count("\n") + 1
        raise SnippetError(context, f"GeNN 4 '$({m.group(1)})' syntax is not GeNN-5; write '{m.group(1)}'",
                           line=line, source=code)


_OPENERS = {"(": ")", "[": "]", "{": "}"}
#: a token that starts like a number, and the literals the snippet language accepts: decimal integers and
#: hexadecimal ones (suffixes u, l), decimal floating-point numbers (exponent; suffixes f, l and GeNN's d)
_NUMBER_LIKE = re.compile(r"(?<![\w.])\.?\d(?:[eEpP][+-]|[\w.'])*")
_VALID_NUMBER = re.compile(r"\d+[uUlL]*|0[xX][0-9a-fA-F]+[uUlL]*|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFlLdD]?")


def _prescan(code: str, context: str) -> None:
    """What pycparser reports badly or not where it is: an unclosed comment (its own URL), a preprocessor line,
    an unclosed bracket ('At end of input')."""
    start = code.find("/*")
    while start != -1:
        end = code.find("*/", start + 2)
        if end == -1:
            raise SnippetError(context, "comment '/*' is never closed with '*/'", line=code[:start].count("\n") + 1,
                               source=code)
        start = code.find("/*", end + 2)
    text = _strip_comments(code)
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            raise SnippetError(context, "preprocessor lines (#pragma, #define, ...) are not part of the snippet "
                               "language", line=lineno, source=code)
    text = _COMMENT_OR_STRING.sub(lambda m: "\n" * m.group(0).count("\n"), text)  # strings and chars out
    for m in _NUMBER_LIKE.finditer(text):
        if not _VALID_NUMBER.fullmatch(m.group(0)):
            raise SnippetError(context, f"malformed number '{m.group(0)}'", line=text[:m.start()].count("\n") + 1,
                               source=code)
    stack: list[tuple[str, int]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        for ch in line:
            if ch in _OPENERS:
                stack.append((ch, lineno))
            elif ch in _OPENERS.values() and stack and _OPENERS[stack[-1][0]] == ch:
                stack.pop()
            elif ch in _OPENERS.values():
                return  # a closer that closes nothing: pycparser places that error itself
    if stack:
        ch, lineno = stack[-1]
        raise SnippetError(context, f"'{ch}' is never closed with '{_OPENERS[ch]}'", line=lineno, source=code)


def parse_statements(code: str, context: str) -> c_ast.Compound:
    """Parse a statement-list snippet into a compound statement."""
    _check_legacy(code, context)
    _prescan(code, context)
    text = _PRELUDE + "void __snippet(void) {\n" + _preprocess(code) + "\n}\n"
    ast = _parse(text, context, code, _PRELUDE_LINES + 1)
    body = ast.ext[-1].body
    _shift_lines(body, _PRELUDE_LINES + 1)
    return body


def parse_expression(code: str, context: str) -> c_ast.Node:
    """Parse a single-expression snippet (e.g. a threshold condition)."""
    _check_legacy(code, context)
    _prescan(code, context)
    stripped = code.strip().rstrip(";")
    text = _PRELUDE + "void __snippet(void) {\n__expr = (\n" + _preprocess(stripped) + "\n);\n}\n"
    ast = _parse(text, context, code, _PRELUDE_LINES + 2)
    expr = ast.ext[-1].body.block_items[0].rvalue
    _shift_lines(expr, _PRELUDE_LINES + 2)
    return expr


def _shift_lines(node: c_ast.Node, offset: int) -> None:
    seen: set[int] = set()
    for n in _walk(node):
        if n.coord is not None and n.coord.line is not None and id(n.coord) not in seen:
            seen.add(id(n.coord))
            n.coord.line = max(n.coord.line - offset, 1)


def _walk(node: c_ast.Node):
    yield node
    for _, child in node.children():
        yield from _walk(child)
