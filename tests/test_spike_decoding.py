"""decode_spike_recording: spike times and ids from the ring of spike bits, against a plain loop."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from genn_neuromod.backends.cpu import decode_spike_recording


def _reference(buf: np.ndarray, timestep: int, dt: float):
    """Every recorded step oldest first (step s in row s % rows), its words in order, each word's bits from 31
    down to 0 (PyGeNN's order)."""
    rows, words = buf.shape
    times, ids = [], []
    for step in range(max(0, timestep - rows), timestep):
        for w in range(words):
            for bit in range(31, -1, -1):
                if (int(buf[step % rows, w]) >> bit) & 1:
                    times.append(step * dt)
                    ids.append(w * 32 + bit)
    return np.array(times, dtype=np.float64), np.array(ids, dtype=np.int64)


# density in eighths, not a float strategy: a fast-math build loaded earlier in the session flushes subnormal
# floats to zero process-wide, which hypothesis's float strategies refuse
@given(rows=st.integers(1, 9), words=st.integers(1, 4), timestep=st.integers(0, 40), eighths=st.integers(0, 8),
       seed=st.integers(0, 2**32 - 1))
def test_decoding_matches_a_plain_loop_over_the_ring(rows, words, timestep, eighths, seed):
    rng = np.random.default_rng(seed)
    buf = rng.integers(0, 2**32, size=(rows, words), dtype=np.uint32)
    buf[rng.random((rows, words)) >= eighths / 8] = 0
    times, ids = decode_spike_recording(buf, timestep, 0.25)
    ref_times, ref_ids = _reference(buf, timestep, 0.25)
    assert times.dtype == np.float64 and ids.dtype == np.int64
    np.testing.assert_array_equal(times, ref_times)
    np.testing.assert_array_equal(ids, ref_ids)


def test_a_full_word_and_a_wrapped_ring():
    buf = np.zeros((3, 2), dtype=np.uint32)
    buf[0, 1] = 0xFFFFFFFF  # step 3 (timestep 5: rows hold steps 3, 4 and 2)
    buf[2, 0] = 1 << 7      # step 2
    times, ids = decode_spike_recording(buf, 5, 1.0)
    np.testing.assert_array_equal(times, [2.0] + [3.0] * 32)
    np.testing.assert_array_equal(ids, [7] + list(range(63, 31, -1)))
