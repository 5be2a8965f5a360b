#!/usr/bin/env python
"""Run GeNN's own feature tests (``tests/features`` of a GeNN checkout) against genn_neuromod.

GeNN's tests ``import pygenn``; this script writes a two-file ``pygenn`` package into a temporary folder whose
``__init__`` re-exports ``genn_neuromod`` and whose ``genn_model.py`` names the one backend the tests should
use, copies the tests next to it and runs pytest there.  Nothing of GeNN is kept or committed: pass the path of
a GeNN checkout you fetched (https://github.com/genn-team/genn, tag 5.4.0).

Usage:  python scripts/genn_feature_tests.py [--backend NAME] /path/to/genn [extra pytest arguments]

``--backend`` names the backend the tests run on (default ``single_threaded_cpu``; ``cuda_emulated`` runs them
on the cuda backend's kernels in the SIMT emulation, ``cuda`` on a GPU).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

INIT = """import genn_neuromod as _gn

for _name in dir(_gn):  # every public and private name, as 'import pygenn' scripts may use either
    if not _name.startswith("__"):
        globals()[_name] = getattr(_gn, _name)
__version__ = _gn.__version__
"""
GENN_MODEL = 'backend_modules = {{"{backend}": None}}\n'


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    backend = "single_threaded_cpu"
    if argv[:1] == ["--backend"] and len(argv) > 1:
        backend, argv = argv[1], argv[2:]
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    features = Path(argv[0]) / "tests" / "features"
    if not features.is_dir():
        print(f"genn_feature_tests: {features} is not a folder; pass the root of a GeNN checkout", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="gn_features_") as tmp:
        shim = Path(tmp) / "shim" / "pygenn"
        shim.mkdir(parents=True)
        (shim / "__init__.py").write_text(INIT)
        (shim / "genn_model.py").write_text(GENN_MODEL.format(backend=backend))
        run_dir = Path(tmp) / "features"
        shutil.copytree(features, run_dir, ignore_dangling_symlinks=True)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(shim.parent)] + [p for p in
                                                                               [os.environ.get("PYTHONPATH")] if p]))
        cmd = [sys.executable, "-m", "pytest", "-q", "--continue-on-collection-errors", "-p", "no:cacheprovider",
               *argv[1:]]
        return subprocess.run(cmd, cwd=run_dir, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
