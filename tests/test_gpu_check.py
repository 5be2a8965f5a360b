"""scripts/gpu_check.sh end to end on the SIMT emulation (``--emulated``), so that the script a GPU machine runs
is known to work before it meets one: install step (nothing to install here), tests/test_cuda.py, bench_gpu.py,
the table and the log."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_gpu_check_runs_end_to_end_emulated(tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    env = dict(os.environ, PYTHON=sys.executable, GPU_CHECK_BUDGET_S="400")
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "gpu_check.sh"), "--emulated", str(wheels),
                           str(tmp_path / "out")], capture_output=True, text=True, env=env, timeout=600)
    table = (tmp_path / "out" / "gpu_check.md").read_text()
    assert proc.returncode == 0, proc.stderr[-3000:] + table
    assert (tmp_path / "out" / "gpu_check.log").stat().st_size > 0
    assert "device: SIMT emulation" in table
    tests = re.search(r"tests/test_cuda.py on cuda_emulated: (\d+) passed", table)
    assert tests and int(tests.group(1)) >= 15 and "failed" not in table
    for network in ("microcircuit SPARSE", "microcircuit PROCEDURAL", "distal"):
        row = next(line for line in table.splitlines() if line.startswith(network + " "))
        spikes = int(row.split()[-2])
        assert spikes > 0, row
