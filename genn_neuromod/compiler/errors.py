"""Errors raised while compiling GeNN-5 code snippets."""

from __future__ import annotations


class SnippetError(ValueError):
    """A code snippet that cannot be compiled.

    The message names the group, the model, the code field and the line, so
    the user knows exactly what to fix (never a C compiler dump).
    """

    def __init__(self, context: str, message: str, line: int | None = None,
                 source: str | None = None, name: str | None = None):
        self.context = context
        self.line = line
        self.name = name
        self.detail = message
        where = f"{context}, line {line}" if line is not None else context
        text = f"{where}: {message}"
        if source is not None and line is not None:
            lines = source.splitlines()
            if 1 <= line <= len(lines):
                text += f"\n    {line:>3} | {lines[line - 1].rstrip()}"
        super().__init__(text)


class ModelError(ValueError):
    """A model description that is inconsistent (unknown variable, wrong shape, ...)."""
