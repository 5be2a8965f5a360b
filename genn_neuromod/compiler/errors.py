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


    @classmethod
    def combine(cls, errors: list[SnippetError], shown: int = 10) -> SnippetError:
        """One error reporting every problem found in a snippet (each with its line), as GeNN's error handler
        reports all the errors of a code string together."""
        if len(errors) == 1:
            return errors[0]
        first = errors[0]
        parts = [str(e).removeprefix(f"{e.context}, ").removeprefix(f"{e.context}: ") for e in errors[:shown]]
        more = f"\n  ... and {len(errors) - shown} more" if len(errors) > shown else ""
        combined = cls(first.context, f"{len(errors)} problems:\n  " + "\n  ".join(parts) + more, name=first.name)
        combined.line = first.line
        combined.problems = list(errors)
        return combined


class ModelError(ValueError):
    """A model description that is inconsistent (unknown variable, wrong shape, ...)."""


class SimulationFault(RuntimeError):
    """Generated code stopped with a fault (an invalid memory access, an integer division by zero) while a
    model stepped; the message names the kernel and group whose code was running."""
