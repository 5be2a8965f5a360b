"""The README's first example runs and writes its raster plot."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_first_example_writes_raster(tmp_path):
    out = tmp_path / "raster.png"
    proc = subprocess.run([sys.executable, str(REPO / "examples" / "izhikevich_raster.py"), str(out)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 10_000
    n_spikes = int(proc.stdout.split()[0])
    assert 1000 < n_spikes < 50_000  # asynchronous irregular activity, not silence or runaway
