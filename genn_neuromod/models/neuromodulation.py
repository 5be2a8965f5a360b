"""Neuromodulation and three-factor plasticity, built from the model library.

Everything here is ordinary GeNN 5 (``docs/models.md``, sections *Neuromodulation* and
*Plasticity*): a neuromodulator source is a spiking population, its release reaches the
cells it modulates through a synapse group (``VolumeTransmission``) into an additional
input variable (``post_target_var = "inDA"`` ...), the target integrates it into a
concentration that decays (``IzhikevichNeuromod``, ``SpikeSourceArrayNeuromod``), and
plasticity reads that concentration through ``post_neuron_var_refs``.  These helpers
only save typing::

    import genn_neuromod as pygenn
    from genn_neuromod.models import neuromodulation as nm

    model = pygenn.GeNNModel("float", "da")
    exc = model.add_neuron_population("E", 800, nm.izhikevich_neuromod_model(),
                                      nm.izhikevich_neuromod_params(),
                                      nm.izhikevich_neuromod_vars(800, gain_D1=1.0, gain_NA=1.0))
    reward = nm.add_reward_source(model, "Reward")
    nm.add_volume_transmission(model, "DA_release", reward, exc, release=0.5, modulator="DA")
    syn = nm.add_da_stdp(model, "EE", exc, exc, form="time", g=1.0, ...)
    ...
    nm.deliver_reward(reward)          # DA += 0.5 in every cell with a D1/D2 receptor

Works with real PyGeNN too (pass ``backend=pygenn`` where a helper creates models).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import load_model, model_defaults

#: modulator name -> the additional input variable that receives its release
MODULATOR_INPUTS = {"DA": "inDA", "NA": "inNA", "ACh": "inACh", "5HT": "in5HT"}
#: modulator name -> the concentration variable of IzhikevichNeuromod
MODULATOR_CONCENTRATIONS = {"DA": "DA", "NA": "NA", "ACh": "ACh", "5HT": "SHT"}
#: receptor gain variables of IzhikevichNeuromod
RECEPTORS = ("gain_D1", "gain_D2", "gain_NA", "gain_ACh")


def _backend(backend):
    if backend is None:
        import genn_neuromod as backend
    return backend


# ----------------------------------------------------------------------------- neurons


def izhikevich_neuromod_model(backend=None):
    """The ``IzhikevichNeuromod`` neuron model (see its library file)."""
    return load_model("IzhikevichNeuromod", backend=_backend(backend))


def izhikevich_neuromod_params(**overrides) -> dict[str, float]:
    """``IzhikevichNeuromod``'s default parameters with ``overrides`` applied."""
    return _params("IzhikevichNeuromod", overrides)


def _params(name: str, overrides: Mapping[str, Any]) -> dict[str, Any]:
    params = model_defaults(name)
    unknown = set(overrides) - set(params)
    if unknown:
        raise KeyError(f"{name} has no parameter(s) {sorted(unknown)}; it has {sorted(params)}")
    params.update(overrides)
    return params


def izhikevich_neuromod_vars(num: int, a=0.02, b=0.2, c=-65.0, d=8.0, V=-65.0, U=None,
                             gain_D1=0.0, gain_D2=0.0, gain_NA=0.0, gain_ACh=0.0, mode=0) -> dict[str, Any]:
    """Initial values for ``num`` IzhikevichNeuromod cells (scalars or per-neuron arrays).

    Defaults: regular spiking (Izhikevich 2003), at rest, no receptors (every gain 0),
    no neuromodulator, ``mode = 0``. ``U`` defaults to ``b * V``.
    """
    def arr(x):
        out = np.broadcast_to(np.asarray(x, dtype=float), (num,)).copy()
        return out

    b_arr, v_arr = arr(b), arr(V)
    values = {"V": v_arr, "U": arr(U) if U is not None else b_arr * v_arr,
              "a": arr(a), "b": b_arr, "c": arr(c), "d": arr(d),
              "gain_D1": arr(gain_D1), "gain_D2": arr(gain_D2), "gain_NA": arr(gain_NA), "gain_ACh": arr(gain_ACh),
              "DA": 0.0, "NA": 0.0, "ACh": 0.0, "SHT": 0.0, "Dmod": 0.0, "Dmod_in": 0.0,
              "mode": np.broadcast_to(np.asarray(mode, dtype=np.int32), (num,)).copy()}
    return values


def spike_array_init(spike_times: Sequence[Sequence[float]], dt: float) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``startSpike``/``endSpike`` values and the ``spikeTimes`` EGP for SpikeSourceArray-like models.

    ``spike_times[i]`` are neuron i's spike times in ms; each is shifted half a step early
    so that the neuron spikes in the step whose time is the given one (GeNN's threshold is
    ``t >= spikeTimes[startSpike]``).
    """
    counts = np.array([len(s) for s in spike_times], dtype=np.int64)
    end = np.cumsum(counts)
    start = end - counts
    times = np.concatenate([np.sort(np.asarray(s, dtype=float)) for s in spike_times]) if counts.sum() else \
        np.zeros(0)
    return {"startSpike": start.astype(np.uint32), "endSpike": end.astype(np.uint32)}, times - 0.5 * dt


def add_scripted_neuromod_population(model, name: str, spike_times: Sequence[Sequence[float]], gain=1.0,
                                     tau_DA: float = 200.0, backend=None):
    """A ``SpikeSourceArrayNeuromod`` population: scripted spikes plus a dopamine concentration."""
    init, times = spike_array_init(spike_times, model.dt)
    num = len(spike_times)
    init.update(gain=np.broadcast_to(np.asarray(gain, dtype=float), (num,)).copy(), DA=0.0, Dmod=0.0, Dmod_in=0.0)
    pop = model.add_neuron_population(name, num, load_model("SpikeSourceArrayNeuromod", backend=_backend(backend)),
                                      {"tau_DA": tau_DA}, init)
    pop.extra_global_params["spikeTimes"].set_init_values(times)
    return pop


# ----------------------------------------------------------------------------- sources and release


def add_reward_source(model, name: str = "Reward", num: int = 1, backend=None):
    """A ``Reward`` population (host-triggered dopamine source), nothing scheduled."""
    return model.add_neuron_population(name, num, load_model("Reward", backend=_backend(backend)), {},
                                       {"trigger": 0.0, "t_due": -1.0})


def deliver_reward(pop, ids=None) -> None:
    """Make the Reward neurons ``ids`` (default: all) spike in the next step."""
    var = pop.vars["trigger"]
    var.pull_from_device()
    values = var.view
    if ids is None:
        values[:] = 1.0
    else:
        values[np.asarray(ids)] = 1.0
    var.push_to_device()


def schedule_reward(pop, time: float, ids=None) -> None:
    """Make the Reward neurons ``ids`` (default: all) spike in the first step with ``t >= time``."""
    var = pop.vars["t_due"]
    var.pull_from_device()
    values = var.view
    if ids is None:
        values[:] = time
    else:
        values[np.asarray(ids)] = time
    var.push_to_device()


def add_volume_transmission(model, name: str, source, target, release=1.0, modulator: str = "DA",
                            matrix_type: str = "DENSE", axonal_delay_steps: int = 0, graded: bool = False,
                            rate_var: str = "r", backend=None):
    """Connect a neuromodulator ``source`` to ``target``'s ``in<modulator>`` input.

    ``release`` (scalar or per-synapse values, DENSE order ``pre * num_post + post``) is the
    amount each source spike releases (``VolumeTransmission``), or with ``graded=True`` the
    release per ms per unit of the source's variable ``rate_var`` (``VolumeTransmissionGraded``).
    """
    pg = _backend(backend)
    if modulator not in MODULATOR_INPUTS:
        raise KeyError(f"unknown neuromodulator '{modulator}'; use one of {sorted(MODULATOR_INPUTS)}")
    if graded:
        wu = pg.init_weight_update(load_model("VolumeTransmissionGraded", backend=pg), {}, {"g": release},
                                   pre_var_refs={"r": pg.create_var_ref(source, rate_var)})
    else:
        wu = pg.init_weight_update(load_model("VolumeTransmission", backend=pg), {}, {"g": release})
    sg = model.add_synapse_population(name, matrix_type, source, target, wu, pg.init_postsynaptic("DeltaCurr"))
    sg.post_target_var = MODULATOR_INPUTS[modulator]
    sg.axonal_delay_steps = axonal_delay_steps
    return sg


# ----------------------------------------------------------------------------- three-factor plasticity

_SPARSE = 1 << 2  # GeNN's SynapseMatrixConnectivity::SPARSE bit
_DA_STDP = {"time": "DASTDPTimeDriven", "event": "DASTDPEventDriven"}


def da_stdp_params(form: str = "time", **overrides) -> dict[str, float]:
    """Default parameters of the DA-STDP rule (``form`` ``"time"``: Izhikevich 2007; ``"event"``: NEST)."""
    return _params(_DA_STDP[form], overrides)


def add_da_stdp(model, name: str, pre, post, form: str = "time", params: Mapping[str, float] | None = None,
                g=1.0, matrix_type: str = "SPARSE", connectivity=None, dopamine_var: str | None = None,
                sync_group: str | None = "DASTDPSync", backend=None):
    """A synapse group with dopamine-modulated STDP onto ``post`` (which must carry dopamine).

    ``form="time"`` uses DASTDPTimeDriven reading ``post``'s ``Dmod`` (``dopamine_var``);
    ``form="event"`` uses DASTDPEventDriven reading ``Dmod_in`` and, unless ``sync_group`` is
    None, adds a DASTDPEventDrivenSync custom update in that update group (run
    ``model.custom_update(sync_group)`` before reading weights). ``params`` override the
    model's defaults. With SPARSE connectivity pass ``connectivity`` (an
    ``init_sparse_connectivity``) or call ``set_sparse_connections`` afterwards.
    """
    pg = _backend(backend)
    if form not in _DA_STDP:
        raise ValueError(f"form must be 'time' or 'event', got {form!r}")
    p = da_stdp_params(form, **dict(params or {}))
    if form == "time":
        ref = {"D": pg.create_var_ref(post, dopamine_var or "Dmod")}
        wu = pg.init_weight_update(load_model("DASTDPTimeDriven", backend=pg), p, {"g": g, "c": 0.0},
                                   {"x": 0.0}, {"y": 0.0}, post_var_refs=ref)
    else:
        ref = {"D_in": pg.create_var_ref(post, dopamine_var or "Dmod_in")}
        wu = pg.init_weight_update(load_model("DASTDPEventDriven", backend=pg), p,
                                   {"g": g, "c": 0.0, "n": 0.0, "tlast": 0.0}, {"Kplus": 0.0}, {"Kminus": 0.0},
                                   post_var_refs=ref)
    args = (name, matrix_type, pre, post, wu, pg.init_postsynaptic("DeltaCurr"))
    sg = model.add_synapse_population(*args, connectivity) if connectivity is not None else \
        model.add_synapse_population(*args)
    if form == "event" and sync_group is not None:
        sync_params = {k: p[k] for k in ("tau_c", "tau_n", "b", "Wmin", "Wmax")}
        model.add_custom_update(f"{name}_sync", sync_group, load_model("DASTDPEventDrivenSync", backend=pg),
                                sync_params, {}, {k: pg.create_wu_var_ref(sg, k) for k in ("g", "c", "n", "tlast")})
    return sg


def event_driven_state(form_params: Mapping[str, float], g, c, n, tlast, t_now: float) -> np.ndarray:
    """Host-side twin of DASTDPEventDrivenSync: the weights of DASTDPEventDriven synapses at ``t_now``.

    Assumes no dopamine arrived after ``tlast`` (true at the time of the last completed step
    once the synapses have processed it); useful to read weights without running the
    custom update.
    """
    p = dict(form_params)
    tau_c, tau_n, b = p["tau_c"], p["tau_n"], p["b"]
    taus = (tau_c + tau_n) / (tau_c * tau_n)
    lag = np.maximum(t_now - np.asarray(tlast, dtype=float), 0.0)
    w = np.asarray(g, dtype=float) - np.asarray(c) * (np.asarray(n) * np.expm1(-taus * lag) / taus
                                                      - b * tau_c * np.expm1(-lag / tau_c))
    return np.clip(w, p["Wmin"], p["Wmax"])


# ----------------------------------------------------------------------------- homeostasis (host side)


def normalise_incoming_weights(sg, target_sum, var: str = "g", w_min: float | None = None) -> np.ndarray:
    """Scale each postsynaptic cell's incoming weights so they sum to ``target_sum`` (host side).

    GeNN 5 custom updates cannot sum a column of a weight matrix (weight-update custom
    updates reduce only over the batch and see only weight-update variables), so this runs
    on the host: pull, scale, push. Cells whose incoming weights sum to zero are left alone.
    ``target_sum`` may be a scalar or one value per postsynaptic cell. Returns the factors.
    """
    values = sg.vars[var]
    values.pull_from_device()
    w = np.asarray(values.values, dtype=float)
    num_post = sg.trg.num_neurons
    if int(sg.matrix_type) & _SPARSE:
        post = np.asarray(sg.get_sparse_post_inds(), dtype=np.int64)
    else:
        post = np.tile(np.arange(num_post), w.size // num_post)
    sums = np.bincount(post, weights=w, minlength=num_post)
    target = np.broadcast_to(np.asarray(target_sum, dtype=float), (num_post,))
    factors = np.where(sums != 0.0, target / np.where(sums != 0.0, sums, 1.0), 1.0)
    new = w * factors[post]
    if w_min is not None:
        new = np.maximum(new, w_min)
    values.values = new
    values.push_to_device()
    return factors
