"""Gather spikes in memory while stepping a model in chunks of its recording length (no store)."""

from __future__ import annotations

import numpy as np


def run_collecting_spikes(model, pops, steps: int, chunk: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Step a loaded ``model`` (``load(num_recording_timesteps=chunk)``) ``steps`` steps, ``chunk`` at a time,
    and return ``{population name: (times, ids)}`` of batch instance 0's spikes of ``pops``."""
    out = {p.name: ([], []) for p in pops}
    done = 0
    while done < steps:
        n = min(chunk, steps - done)
        model.step_time_n(n)
        done += n
        model.pull_recording_buffers_from_device()
        for p in pops:  # the buffer holds the last `chunk` steps: keep this chunk's
            t, i = p.spike_recording_data[0]
            keep = t >= (done - n) * model.dt - 1e-9
            out[p.name][0].append(t[keep])
            out[p.name][1].append(i[keep])
    return {k: (np.concatenate(v[0]), np.concatenate(v[1])) for k, v in out.items()}
