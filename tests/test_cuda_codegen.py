"""The generated CUDA compiles: ``nvcc`` (no GPU needed) on representative models; skipped without nvcc."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from cuda_models import MODELS, izh_lif_sparse_axonal

from genn_neuromod.backends.cuda import generate_cuda_source

NVCC = shutil.which("nvcc")
NVCC_FLAGS = ["-std=c++17", "--fmad=false", "-arch=sm_80", "-ptx"]


@pytest.mark.skipif(NVCC is None, reason="nvcc is not on PATH")
@pytest.mark.parametrize("name,factory,kwargs", MODELS, ids=[m[0] for m in MODELS])
def test_generated_cuda_compiles(tmp_path, name, factory, kwargs):
    source = generate_cuda_source(factory(backend="cuda", **kwargs))
    cu = tmp_path / f"{name}.cu"
    cu.write_text(source)
    proc = subprocess.run([NVCC, *NVCC_FLAGS, str(cu), "-o", str(tmp_path / f"{name}.ptx")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"nvcc rejected the generated CUDA of '{name}' ({cu}):\n{proc.stderr[-6000:]}"
    for kernel in ("gn_begin_step", "gn_neuron_update"):
        assert kernel in (tmp_path / f"{name}.ptx").read_text()


def test_build_writes_cuda_without_cupy(tmp_path):
    """build() needs neither CuPy nor a GPU: it writes model.cu; load() says what is missing if CuPy is."""
    model = izh_lif_sparse_axonal(backend="cuda", batch_size=2)
    model.build(str(tmp_path))
    cu = tmp_path / "izh_lif_sparse_CODE" / "model.cu"
    assert cu.exists() and "gn_neuron_update" in cu.read_text()
    assert "gn_seeds[2]" in cu.read_text()
    try:
        import cupy  # noqa: F401
    except ImportError:
        with pytest.raises(RuntimeError, match="CuPy"):
            model.load(num_recording_timesteps=10)


def test_cuda_source_is_deterministic():
    a = generate_cuda_source(izh_lif_sparse_axonal(backend="cuda"))
    b = generate_cuda_source(izh_lif_sparse_axonal(backend="cuda"))
    assert a == b
