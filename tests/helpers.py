"""Helpers shared by the test modules: model factories, spike inputs, runners and numpy references.

Import them as ``from helpers import ...`` (pytest puts ``tests/`` on ``sys.path``: it has no ``__init__.py``).
The numpy references here use numpy only, never the engine.
"""

from __future__ import annotations

import numpy as np

import genn_neuromod as pygenn

PRECISIONS = ["float", "double"]

#: a neuron model without variables or code
empty_neuron_model = pygenn.create_neuron_model("empty")
#: a neuron model that spikes in every timestep
always_spike_model = pygenn.create_neuron_model("always_spike", threshold_condition_code="true")


# --------------------------------------------------------------------------- models and runs


def make_model(name: str, precision: str = "float", dt: float = 1.0, seed: int | None = 1234) -> pygenn.GeNNModel:
    """A model with its timestep set, and its seed unless ``seed`` is None."""
    model = pygenn.GeNNModel(precision, name)
    model.dt = dt
    if seed is not None:
        model.seed = seed
    return model


def build_load(model, path, **load_kwargs) -> None:
    """Build the model in ``path`` and load it."""
    model.build(str(path))
    model.load(**load_kwargs)


def run_recorded(model, path, steps: int) -> None:
    """Build and load with ``steps`` recording timesteps, run them and pull the recording buffers."""
    build_load(model, path, num_recording_timesteps=steps)
    model.step_time_n(steps)
    model.pull_recording_buffers_from_device()


def run_polling(model, steps: int, arrays) -> list[np.ndarray]:
    """Step ``steps`` times; after each step, copy the values of each (var) array."""
    out = [[] for _ in arrays]
    for _ in range(steps):
        model.step_time()
        for k, a in enumerate(arrays):
            a.pull_from_device()
            out[k].append(np.copy(a.values))
    return [np.array(o) for o in out]


# --------------------------------------------------------------------------- spike inputs


def spike_source_array(model, name: str, spike_steps: list, dt: float):
    """A SpikeSourceArray whose neuron i spikes exactly in the timesteps ``spike_steps[i]``.

    GeNN's threshold is ``t >= spikeTimes[startSpike]``; a time half a step before the
    wanted step makes the comparison robust to the rounding of ``timestep * dt``.
    """
    counts = np.array([len(s) for s in spike_steps])
    end = np.cumsum(counts)
    start = end - counts
    times = np.concatenate([np.sort(np.asarray(s, dtype=float)) for s in spike_steps]) if counts.sum() else []
    pop = model.add_neuron_population(name, len(spike_steps), "SpikeSourceArray", {},
                                      {"startSpike": start, "endSpike": end})
    pop.extra_global_params["spikeTimes"].set_init_values((np.asarray(times, dtype=float) - 0.5) * dt)
    return pop


def spike_raster(spike_steps: list, steps: int) -> np.ndarray:
    """Boolean (steps, len(spike_steps)) array, True where source i spikes in timestep k."""
    raster = np.zeros((steps, len(spike_steps)), dtype=bool)
    for i, s in enumerate(spike_steps):
        raster[s, i] = True
    return raster


# --------------------------------------------------------------------------- numpy references


def izhikevich_step(v, u, isyn, a, b, c, d, dt):
    """One step of GeNN 5.4's Izhikevich sim code; returns the new V, U and the ids that spike.

    Reset when ``V >= 30`` first, two ``0.5 dt`` Euler half steps of V, one of U, V clipped at 30,
    spike when ``V >= 29.99``.  The parameters are scalars or per-neuron arrays.
    """
    reset = v >= 30.0
    v = np.where(reset, c, v)
    u = np.where(reset, u + d, u)
    v = v + 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - u + isyn) * dt
    v = v + 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - u + isyn) * dt
    u = u + a * (b * v - u) * dt
    v = np.where(v > 30.0, 30.0, v)
    return v, u, np.nonzero(v >= 29.99)[0]


# --------------------------------------------------------------------------- statistics


def discrete_fit_pvalue(values, dist, min_expected: float = 5.0, minlength: int = 0) -> float:
    """Pearson's chi-square p-value of non-negative integer ``values`` against the scipy distribution ``dist``: one
    bin per value from 0 to the largest seen (or ``minlength - 1``), the last also holding the tail beyond it, and
    the bins expecting fewer than ``min_expected`` pooled into one."""
    from scipy import stats

    values = np.asarray(values).astype(np.int64)
    observed = np.bincount(values, minlength=minlength)
    expected = values.size * dist.pmf(np.arange(observed.size))
    expected[-1] += values.size * dist.sf(observed.size - 1)
    big = expected >= min_expected
    f_obs, f_exp = observed[big], expected[big]
    if not big.all():
        f_obs, f_exp = np.append(f_obs, observed[~big].sum()), np.append(f_exp, expected[~big].sum())
    return float(stats.chisquare(f_obs, f_exp * (f_obs.sum() / f_exp.sum())).pvalue)
