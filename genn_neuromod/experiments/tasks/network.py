"""Drive a built task circuit sample by sample: reset, present, read out, pay the reward, gate by context."""

from __future__ import annotations

import tempfile
from collections.abc import Callable

import numpy as np

from ...circuits import build_model
from .circuit import FULL, TaskConfig, build_task_graph, cell_classes, cell_pools
from .encoding import Trains, encode, to_spike_source_array

POPULATIONS = ("Input", "E", "I", "R")


class TaskNetwork:
    """One spiking variant, built and loaded on the embedded CPU engine.

    ``present`` runs one sample from a reset state: ``present_steps`` with input, then ``rest_steps`` of
    silence. When the sample is taught, the labelled readout gets the teacher current while the input is on;
    at its end each cell's dopamine is set from what fired (reward 1 to the labelled class's E cells and
    readout, ``-punish`` to cells of other classes that fired; the readouts of other tasks are never
    punished), and the last step of the rest pays it out (``credit``). Thresholds adapt only while teaching.
    """

    def __init__(self, variant: str, seed: int, cfg: TaskConfig = FULL):
        self.variant, self.seed, self.cfg = variant, seed, cfg
        self.neuromodulated = variant.endswith("_nm")
        self.plain_stdp = variant == "stdp"
        self.graph = build_task_graph(variant, seed, cfg)
        self.model, self.handles = build_model(self.graph)
        pops = self.handles.populations
        pops["Input"].extra_global_params["spikeTimes"].set_init_values(np.zeros(1))
        self._code = tempfile.TemporaryDirectory(prefix="gn_tasks_")
        self.model.build(self._code.name)
        self.steps = cfg.present_steps + cfg.rest_steps
        self.first_spike: dict[str, np.ndarray] = {}  # "E", "R": each cell's first spike in the last sample (steps)
        self.gate_current = np.zeros(cfg.n_exc)  # the context's current into each E cell (see set_context)
        self.model.load(num_recording_timesteps=self.steps)
        self.rng = np.random.default_rng(seed + 1000)
        self.cell_class = cell_classes(cfg, seed)
        self.pool = cell_pools(cfg, self.cell_class)
        syn = self.handles.synapses
        self._in_e, self._e_r = syn["InE"], syn["ER"]
        self._teacher = self.handles.current_sources["Teacher"].vars["amp"]
        self._label = self.handles.current_sources["Label"].vars["amp"]
        self._threshold = self.handles.current_sources["Threshold"]
        self._rest_u = {}
        for name in ("E", "I", "R"):
            b = pops[name].vars["b"]
            b.pull_from_device()
            self._rest_u[name] = b.values.astype(np.float64) * -65.0
        self.gain = np.ones(cfg.n_exc)
        self.task: int | None = None
        self._normalise(self._in_e, (cfg.n_input, cfg.n_exc), cfg.in_norm, cfg.w_in_max, None, cfg.in_norm_order)
        self._normalise(self._e_r, (cfg.n_exc, cfg.n_classes), cfg.out_norm, cfg.w_er_max, None)

    # ----------------------------------------------------------------- input
    def encode(self, x: np.ndarray) -> Trains:
        c = self.cfg
        return encode(x, c.encoder, c.present_steps, c.dt, c.max_rate_hz, self.rng)

    @staticmethod
    def _push(var, values) -> None:
        """Set a variable (a scalar or one value per element) and push it."""
        var.values = np.broadcast_to(np.asarray(values, dtype=np.float64), var.values.shape).astype(var.values.dtype)
        var.push_to_device()

    def _set(self, pop: str, var: str, values) -> None:
        self._push(self.handles.populations[pop].vars[var], values)

    # ------------------------------------------------------------- protocol
    def set_context(self, task: int | None) -> None:
        """Neuromodulatory context of a task: NA puts its pool in burst mode and gives it full
        dopamine-receptor gain; ACh holds the other pools in regular mode with ``gate_off`` gain.
        ``None`` (variants without context, or testing without it): every E cell regular with full gain."""
        self.task = task
        if not self.neuromodulated or task is None:
            mine = np.zeros(self.cfg.n_exc, dtype=bool)
            self.gain = np.ones(self.cfg.n_exc)
            self.gate_current = np.zeros(self.cfg.n_exc)
        else:
            mine = self.pool == task
            self.gain = np.where(mine, 1.0, self.cfg.gate_off)
            # context-dependent gating of activity (Masse et al. 2018): ACh-held pools get context_inhibition
            self.gate_current = np.where(mine, 0.0, -self.cfg.context_inhibition)
        self._set("E", "NA", mine.astype(float))
        self._set("E", "ACh", (~mine).astype(float))
        self._set("E", "gain_D1", self.gain)

    def _reset(self) -> None:
        """Every cell at rest, the presynaptic traces cleared (synaptic currents decay over the rest)."""
        for name, u in self._rest_u.items():
            self._set(name, "V", -65.0)
            self._set(name, "U", u)
        for sg in (self._in_e, self._e_r):
            self._push(sg.pre_vars["x"], 0.0)
        if "x" in self._in_e.psm_vars:  # alpha currents (tau_alpha >> the rest) would carry into the next sample
            self._push(self._in_e.psm_vars["x"], 0.0)
            self._in_e.out_post.view[...] = 0.0
            self._in_e.out_post.push_to_device()

    def present(self, trains: Trains, target: int | None = None) -> dict[str, np.ndarray]:
        """Run one sample; teach ``target`` (plasticity on) or just infer (``None``). Returns spike counts
        per neuron of every population while the input was on."""
        c = self.cfg
        pops = self.handles.populations
        self._reset()
        t0 = self.model.t
        start, end, times = to_spike_source_array(trains, t0, c.dt)
        for var, values in (("startSpike", start), ("endSpike", end)):
            pops["Input"].vars[var].values = values
            pops["Input"].vars[var].push_to_device()
        egp = pops["Input"].extra_global_params["spikeTimes"]
        egp.values = times if times.size else np.zeros(1)
        egp.push_to_device()
        learning = target is not None
        amp = np.zeros(c.n_classes)
        amp_e = self.gate_current.copy()
        if learning:
            amp[target] = c.teacher
            amp_e[self.cell_class == target] += c.teacher_e
        self._push(self._teacher, amp)
        self._push(self._label, amp_e)
        self._threshold.set_dynamic_param_value("adapt", 1.0 if learning else 0.0)
        self.model.step_time_n(c.present_steps)
        self.model.pull_recording_buffers_from_device()
        counts = {}
        for name in POPULATIONS:
            pop = pops[name]
            st, ids = pop.spike_recording_data[0]
            now = st >= t0
            counts[name] = np.bincount(ids[now].astype(np.int64), minlength=pop.num_neurons)
            if name in ("R", "E"):  # each cell's first spike, in steps from the sample's start (none: present_steps)
                first = np.full(pop.num_neurons, float(c.present_steps))
                np.minimum.at(first, ids[now].astype(np.int64), np.rint((st[now] - t0) / c.dt))
                self.first_spike[name] = first
        if learning:
            self._teach(counts, int(target))
        else:
            self.model.step_time_n(c.rest_steps)
        return counts

    def _dopamine(self, counts: dict[str, np.ndarray], target: int) -> tuple[np.ndarray, np.ndarray]:
        """Dopamine at each E cell and each readout for a sample labelled ``target``."""
        c = self.cfg
        fired_e, fired_r = counts["E"] > 0, counts["R"] > 0
        if self.plain_stdp:  # no sign and no label: every cell learns what it fired for
            return np.ones(c.n_exc), np.ones(c.n_classes)
        da_e = np.where(self.cell_class == target, 1.0, np.where(fired_e, -c.punish, 0.0))
        task_classes = next((t for t in c.split if target in t), (target,))
        da_r = np.zeros(c.n_classes)
        wrong = fired_r & np.isin(np.arange(c.n_classes), task_classes) & (np.arange(c.n_classes) != target)
        da_r[wrong] = -c.punish
        da_r[target] = 1.0
        return da_e, da_r

    def _teach(self, counts: dict[str, np.ndarray], target: int) -> None:
        c = self.cfg
        da_e, da_r = self._dopamine(counts, target)
        self._set("E", "DA", da_e)
        self._set("R", "DA", da_r)
        self._push(self._teacher, 0.0)
        self._push(self._label, 0.0)
        self.model.step_time_n(c.rest_steps - 1)  # Dmod follows DA in the neuron update of these steps
        for sg in (self._in_e, self._e_r):
            sg.set_dynamic_param_value("credit", 1.0)
        self.model.step_time_n(1)
        for sg in (self._in_e, self._e_r):
            sg.set_dynamic_param_value("credit", 0.0)
        changed_e = (da_e * self.gain != 0) & (counts["E"] > 0)
        self._normalise(self._in_e, (c.n_input, c.n_exc), c.in_norm, c.w_in_max, changed_e, c.in_norm_order)
        self._normalise(self._e_r, (c.n_exc, c.n_classes), c.out_norm, c.w_er_max, (da_r != 0) & (counts["R"] > 0))

    @staticmethod
    def _normalise(sg, shape: tuple[int, int], total: float, w_max: float, columns: np.ndarray | None,
                   order: float = 1.0) -> None:
        """Diehl & Cook's normalisation: the input weights of each cell in ``columns`` (all if None) sum to
        ``total`` (competition between the synapses of one cell; the pattern is what is learned); with
        another ``order`` p their p-norm is ``total`` instead (2: the Euclidean norm)."""
        cols = np.ones(shape[1], dtype=bool) if columns is None else np.asarray(columns, dtype=bool)
        if not cols.any():
            return
        var = sg.vars["g"]
        var.pull_from_device()
        w = var.values.reshape(shape).astype(np.float64)
        s = np.sum(w[:, cols] ** order, axis=0) ** (1.0 / order)  # order 1: the sum, exactly
        w[:, cols] = np.clip(w[:, cols] * np.where(s > 0, total / np.maximum(s, 1e-12), 1.0)[None, :], 0.0, w_max)
        var.values = w.ravel().astype(var.values.dtype)
        var.push_to_device()

    # ----------------------------------------------------------- evaluation
    def readout_counts(self, xs: np.ndarray, noise: Callable[[Trains], Trains] | None = None,
                       context: int | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Readout spike counts ``(samples, classes)`` with plasticity off (under the context of task
        ``context``, or none), and each neuron's mean spikes per sample, per population."""
        previous = self.task
        self.set_context(context)
        out = np.zeros((len(xs), self.cfg.n_classes))
        totals = {p: np.zeros(self.handles.populations[p].num_neurons) for p in POPULATIONS}
        for i, x in enumerate(xs):
            trains = self.encode(x)
            if noise is not None:
                trains = noise(trains)
            counts = self.present(trains)
            out[i] = self.readout_score(counts)
            for p in POPULATIONS:
                totals[p] += counts[p]
        self.set_context(previous)
        for sg in (self._in_e, self._e_r):  # eligibility collected while testing is never paid out
            self._push(sg.vars["c"], 0.0)
        n = max(len(xs), 1)
        return out, {p: v / n for p, v in totals.items()}

    def readout_score(self, counts: dict[str, np.ndarray]) -> np.ndarray:
        """Each class's score for the sample just presented (``counts``: its spikes per cell and population).

        ``"count"``: the readout's spike count. ``"first"``: the earliest readout wins and the count only
        separates readouts that fired first in the same step (Mozafari et al.'s decision by the first spike).
        ``"first_e"``: the class of the earliest E cells wins (Diehl & Cook's class-assigned cells, decided by
        the first spike as in Mozafari et al.), and the number of the class's cells that fired in that step
        separates classes that fired first together. Equal scores are abstentions."""
        steps = self.cfg.present_steps
        if self.cfg.readout == "count":  # TaskConfig admits only "count", "first" and "first_e"
            return counts["R"].astype(np.float64)
        if self.cfg.readout == "first":
            first = self.first_spike["R"]
            return np.where(counts["R"] > 0, (steps - first) * 1000.0 + counts["R"], 0.0)
        first = self.first_spike["E"]
        scores = np.zeros(self.cfg.n_classes)
        for k in range(self.cfg.n_classes):
            cells = first[self.cell_class == k]
            earliest = cells.min() if cells.size else steps
            if earliest < steps:
                scores[k] = (steps - earliest) * 1000.0 + np.count_nonzero(cells == earliest)
        return scores

    def close(self) -> None:
        self.model.unload()
        self._code.cleanup()
