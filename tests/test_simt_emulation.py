"""The SIMT emulation itself (``backends/simt_emulation``): CUDA's block, barrier, warp and atomic semantics on
small hand-written kernels, and the errors it reports where a GPU would hang or be undefined."""

from __future__ import annotations

import numpy as np
import pytest

from genn_neuromod.backends.simt_emulation import cupy_emulation as cp
from genn_neuromod.backends.simt_emulation.cupy_emulation import EmulationError

KERNELS = r"""
extern "C" __global__ void block_sum(const float *x, float *out, unsigned int n)
{
    __shared__ float buf[256];
    const unsigned int i = blockIdx.x * blockDim.x + threadIdx.x;
    buf[threadIdx.x] = i < n ? x[i] : 0.0f;
    __syncthreads();
    for (unsigned int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) buf[threadIdx.x] += buf[threadIdx.x + s];
        __syncthreads();
    }
    if (threadIdx.x == 0) out[blockIdx.x] = buf[0];
}

extern "C" __global__ void warp_ops(const int *x, unsigned int *ballot, int *down, int *bcast, int *total)
{
    const unsigned int t = threadIdx.x, lane = t & 31u, warp = t >> 5;
    const int v = x[t];
    const unsigned int b = __ballot_sync(0xffffffffu, v > 0);
    int s = v;
    for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(0xffffffffu, s, o);
    const int first = __shfl_sync(0xffffffffu, v, 0);
    if (lane == 0) {
        ballot[warp] = b;
        down[warp] = s;
    }
    bcast[t] = first;
    atomicAdd(total, v);
}

extern "C" __global__ void batched_rows(double *x, unsigned int n)
{
    const unsigned int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[(size_t)blockIdx.y * n + i] += (double)blockIdx.y;
}

extern "C" __global__ void divergent_barrier(int *x)
{
    /* half the warp waits at the barrier, the other half at a vote that needs the first half: a GPU hangs */
    if (threadIdx.x < 16) __syncthreads();
    else x[threadIdx.x] = (int)__ballot_sync(0xffffffffu, 1);
}

extern "C" __global__ void early_exit_collective(int *x)
{
    if (threadIdx.x == 3) return;
    x[threadIdx.x] = (int)__ballot_sync(0xffffffffu, 1);
}

extern "C" __global__ void shuffle_outside_mask(int *x)
{
    if (threadIdx.x < 16) x[threadIdx.x] = __shfl_sync(0x0000ffffu, (int)threadIdx.x, 20);
}
"""


@pytest.fixture(scope="module")
def module():
    return cp.RawModule(code=KERNELS)


def _dev(a: np.ndarray):
    d = cp.empty(a.shape, dtype=a.dtype)
    d.set(a)
    return d


def test_shared_memory_tree_reduction(module):
    x = np.random.default_rng(0).uniform(-1, 1, 1000).astype(np.float32)
    xd, out = _dev(x), cp.empty(4, dtype=np.float32)
    module.get_function("block_sum")((4,), (256,), (xd.data.ptr, out.data.ptr, np.uint32(1000)))
    expected = [x[i * 256:(i + 1) * 256].sum(dtype=np.float64) for i in range(4)]
    np.testing.assert_allclose(out.get(), expected, rtol=1e-5)


def test_ballot_shuffles_and_atomics(module):
    x = np.random.default_rng(1).integers(-5, 6, 64).astype(np.int32)
    ballot, down, bcast, total = (cp.empty(2, dtype=np.uint32), cp.empty(2, dtype=np.int32),
                                  cp.empty(64, dtype=np.int32), _dev(np.zeros(1, dtype=np.int32)))
    module.get_function("warp_ops")((1,), (64,), (_dev(x).data.ptr, ballot.data.ptr, down.data.ptr, bcast.data.ptr,
                                                  total.data.ptr))
    for w in range(2):
        lanes = x[32 * w:32 * (w + 1)]
        assert ballot.get()[w] == sum(1 << k for k in range(32) if lanes[k] > 0)
        assert down.get()[w] == lanes.sum()
        assert np.all(bcast.get()[32 * w:32 * (w + 1)] == lanes[0])
    assert total.get()[0] == x.sum()


def test_two_dimensional_grid(module):
    x = _dev(np.zeros(3 * 70))
    module.get_function("batched_rows")((2, 3), (64,), (x.data.ptr, np.uint32(70)))
    np.testing.assert_array_equal(x.get().reshape(3, 70), np.repeat([[0.0], [1.0], [2.0]], 70, axis=1))


@pytest.mark.parametrize("kernel, message", [
    ("divergent_barrier", "deadlock"),
    ("early_exit_collective", "already exited"),
    ("shuffle_outside_mask", "outside its mask"),
])
def test_what_would_hang_a_gpu_is_reported(module, kernel, message):
    x = cp.empty(32, dtype=np.int32)
    with pytest.raises(EmulationError, match=message):
        module.get_function(kernel)((1,), (32,), (x.data.ptr,))


def test_exited_threads_count_as_arrived_at_a_barrier():
    """As on hardware: threads that returned early do not hold a barrier back."""
    module = cp.RawModule(code=r"""
extern "C" __global__ void early_return(int *x, unsigned int n)
{
    __shared__ int count;
    if (threadIdx.x == 0) count = 0;
    __syncthreads();
    if (threadIdx.x >= n) return;
    atomicAdd(&count, 1);
    __syncthreads();
    x[threadIdx.x] = count;
}
""")
    x = _dev(np.zeros(64, dtype=np.int32))
    module.get_function("early_return")((1,), (64,), (x.data.ptr, np.uint32(40)))
    np.testing.assert_array_equal(x.get(), np.r_[np.full(40, 40), np.zeros(24)])


def test_graph_capture_replays_launches(module):
    x = _dev(np.zeros(70))
    fn = module.get_function("batched_rows")
    stream = cp.cuda.Stream()
    stream.begin_capture()
    fn((2, 2), (64,), (x.data.ptr, np.uint32(35)))
    graph = stream.end_capture()
    assert np.all(x.get() == 0.0)  # captured, not run
    graph.launch(stream)
    graph.launch(stream)
    np.testing.assert_array_equal(x.get(), np.r_[np.zeros(35), np.full(35, 2.0)])
