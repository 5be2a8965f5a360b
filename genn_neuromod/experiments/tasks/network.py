"""Drive a built task circuit sample by sample: present, teach, read out, gate plasticity by context."""

from __future__ import annotations

import tempfile
from collections.abc import Callable

import numpy as np

from ...circuits import build_model
from .circuit import FULL, TaskConfig, build_task_graph, context_groups
from .encoding import Trains, latency_encode, poisson_encode, to_spike_source_array

POPULATIONS = ("Input", "E", "I", "R")


class TaskNetwork:
    """One spiking variant, built and loaded on the embedded CPU engine.

    ``present`` runs one sample (``present_steps`` with input, then ``rest_steps`` of silence) and returns
    the spike counts of every population; plasticity is on only while a sample is taught.
    """

    def __init__(self, variant: str, seed: int, cfg: TaskConfig = FULL):
        self.variant, self.seed, self.cfg = variant, seed, cfg
        self.neuromodulated = variant.endswith("_nm")
        self.graph = build_task_graph(variant, seed, cfg)
        self.model, self.handles = build_model(self.graph)
        pops = self.handles.populations
        pops["Input"].extra_global_params["spikeTimes"].set_init_values(np.zeros(1))
        self._code = tempfile.TemporaryDirectory(prefix="gn_tasks_")
        self.model.build(self._code.name)
        self.steps = cfg.present_steps + cfg.rest_steps
        self.model.load(num_recording_timesteps=self.steps)
        self.rng = np.random.default_rng(seed + 1000)
        self.contexts = context_groups(cfg.n_exc, cfg.n_contexts, seed)
        self.cell_types = list(getattr(pops["E"], "cell_types", []))
        self._in_e = self.handles.synapses["InE"].vars["g"]
        self._e_r = self.handles.synapses["ER"].vars["g"]
        self._teacher = self.handles.current_sources["Teacher"].vars["amp"]
        self.sample_count = 0

    # ----------------------------------------------------------------- input
    def encode(self, x: np.ndarray) -> Trains:
        c = self.cfg
        if c.encoder == "poisson":
            return poisson_encode(x, c.present_steps, c.dt, c.max_rate_hz, self.rng)
        if c.encoder == "latency":
            return latency_encode(x, c.present_steps)
        raise ValueError(f"unknown encoder '{c.encoder}' (use 'poisson' or 'latency')")

    def _set(self, pop: str, var: str, values) -> None:
        v = self.handles.populations[pop].vars[var]
        v.values = np.broadcast_to(np.asarray(values, dtype=np.float64), v.values.shape).astype(v.values.dtype)
        v.push_to_device()

    # ------------------------------------------------------------- protocol
    def set_context(self, task: int | None) -> None:
        """Neuromodulatory context of a task: NA puts its E subpopulation in burst mode and gives it full
        dopamine-receptor gain; ACh holds the others in regular mode with ``gate_off`` gain.
        ``None`` (testing, or variants without context): every E cell regular with full gain."""
        if not self.neuromodulated or task is None:
            self._set("E", "NA", 0.0)
            self._set("E", "ACh", 1.0)
            self._set("E", "gain_D1", 1.0)
            return
        mine = self.contexts == (task % self.cfg.n_contexts)
        self._set("E", "NA", mine.astype(float))
        self._set("E", "ACh", (~mine).astype(float))
        self._set("E", "gain_D1", np.where(mine, 1.0, self.cfg.gate_off))

    def present(self, trains: Trains, target: int | None = None) -> dict[str, np.ndarray]:
        """Run one sample; teach ``target`` (plasticity on) or just infer (``None``). Returns spike counts
        per neuron of every population."""
        c = self.cfg
        pops = self.handles.populations
        start, end, times = to_spike_source_array(trains, self.model.t, c.dt)
        pops["Input"].vars["startSpike"].values = start
        pops["Input"].vars["startSpike"].push_to_device()
        pops["Input"].vars["endSpike"].values = end
        pops["Input"].vars["endSpike"].push_to_device()
        egp = pops["Input"].extra_global_params["spikeTimes"]
        egp.values = times if times.size else np.zeros(1)
        egp.push_to_device()
        learning = target is not None
        self._set("E", "DA", 1.0 if learning else 0.0)
        if learning:
            da = np.full(c.n_classes, c.da_target if self.variant == "stdp" else c.da_other)
            da[target] = c.da_target
            amp = np.zeros(c.n_classes)
            amp[target] = c.teacher
        else:
            da = np.zeros(c.n_classes)
            amp = np.zeros(c.n_classes)
        self._set("R", "DA", da)
        self._teacher.values = amp.astype(self._teacher.values.dtype)
        self._teacher.push_to_device()
        self.model.step_time_n(self.steps)
        self.model.pull_recording_buffers_from_device()
        counts = {}
        for name in POPULATIONS:
            pop = pops[name]
            _, ids = pop.spike_recording_data[0]
            counts[name] = np.bincount(ids.astype(np.int64), minlength=pop.num_neurons)
        if learning:
            self._normalise()
            self.sample_count += 1
        return counts

    def _normalise(self) -> None:
        """Diehl & Cook's normalisation: each E cell's input weights sum to ``in_norm`` and each readout's
        to ``out_norm`` (competition between the synapses of one cell; the pattern is what is learned)."""
        c = self.cfg
        for var, shape, total, w_max in ((self._in_e, (c.n_input, c.n_exc), c.in_norm, c.w_in_max),
                                         (self._e_r, (c.n_exc, c.n_classes), c.out_norm, c.w_out_max)):
            var.pull_from_device()
            w = var.values.reshape(shape).astype(np.float64)
            s = w.sum(axis=0)
            scale = np.where(s > 0, total / np.maximum(s, 1e-12), 1.0)
            var.values = np.clip(w * scale[None, :], 0.0, w_max).ravel().astype(var.values.dtype)
            var.push_to_device()

    # ----------------------------------------------------------- evaluation
    def readout_counts(self, xs: np.ndarray, noise: Callable[[Trains], Trains] | None = None
                       ) -> tuple[np.ndarray, dict[str, float]]:
        """Readout spike counts ``(samples, classes)`` with plasticity off, and each neuron's mean spikes
        per sample, per population (for the energy count)."""
        self.set_context(None)
        out = np.zeros((len(xs), self.cfg.n_classes))
        totals = {p: np.zeros(self.handles.populations[p].num_neurons) for p in POPULATIONS}
        for i, x in enumerate(xs):
            trains = self.encode(x)
            if noise is not None:
                trains = noise(trains)
            counts = self.present(trains)
            out[i] = counts["R"]
            for p in POPULATIONS:
                totals[p] += counts[p]
        n = max(len(xs), 1)
        return out, {p: v / n for p, v in totals.items()}

    def close(self) -> None:
        self.model.unload()
        self._code.cleanup()
