"""The Jinja environment of the kernel templates (``templates/c`` and ``templates/cuda``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True, undefined=jinja2.StrictUndefined)


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


def philox_header() -> str:
    """The counter-based generator every backend compiles in (``rng/philox.h``)."""
    return (Path(__file__).parent.parent / "rng" / "philox.h").read_text()
