#!/usr/bin/env python
"""Print the requirements a GPU check needs besides numpy and CuPy (the machine has those): the package's
dependencies and the test tools, read from pyproject.toml.  Used by gpu_wheels.sh and gpu_check.sh."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

#: test tools the GPU check runs (ruff, a linter, is not needed there)
TEST_TOOLS = ("pytest", "scipy", "hypothesis")
PRESENT = ("numpy", "cupy")


def requirements(pyproject: Path) -> list[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    reqs = list(project["dependencies"])
    reqs += [r for r in project.get("optional-dependencies", {}).get("test", [])
             if re.split(r"[\[<>=!~ ;]", r, maxsplit=1)[0].lower() in TEST_TOOLS]
    return [r for r in reqs if not re.split(r"[\[<>=!~ ;]", r, maxsplit=1)[0].lower().startswith(PRESENT)]


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    print("\n".join(requirements(root / "pyproject.toml")))
    sys.exit(0)
