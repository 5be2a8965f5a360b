"""The neuron update kernel: one pass over each neuron group per timestep.

Besides the neuron model's own code (sim code, threshold, reset) the kernel runs, per neuron and in
GeNN 5's order, the code other groups attach to it: the postsynaptic models of incoming synapse groups,
presynaptic output (``addToPre``), current sources, the presynaptic and postsynaptic dynamics and spike
code of weight-update models, and spike-like event conditions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...api.enums import VarAccessMode, get_var_access_mode
from ...api.groups import CurrentSource, NeuronGroup, SynapseGroup
from ...compiler import Function
from ..environment import Environment, Target, context, is_element, literal, stream
from ..plan import ModelPlan, c_ident, event_arrays
from .common import Code, code, expression, statements


@dataclass(frozen=True)
class AttachedCode:
    """Code of another group run inside the neuron loop: its loads, its code and its write-backs."""

    loads: tuple[str, ...]
    code: Code
    stores: tuple[str, ...]
    setup: tuple[str, ...] = ()  # declarations before the update loop (loop-invariant offsets)
    #: current sources only: the same code injecting into ``buffer[id - gn_tile]`` instead of ``target``, where it
    #: can run in a pass of its own before the update loop (see :func:`_injects_once`); None where it cannot
    apart: Code | None = None
    target: str = ""      # the input it adds to (``_in_Isyn``, ...)
    buffer: str = ""      # its per-tile buffer in the C template
    ctype: str = ""       # the input's C type


@dataclass(frozen=True)
class SpikeEvents:
    """The spike-like events one synapse group takes from this neuron group (presynaptic events of an outgoing
    group, postsynaptic events of an incoming one): C names of their queue, flags, times and recording."""

    base: str        # the queue is <base>Cnt (per slot), <base> (ids per slot), <base>Flag (per neuron)
    time: str        # event times per slot (set_pre / set_post) and the previous ones
    prev_time: str
    local: str       # suffix of the locals of the neuron loop
    condition: str   # C that evaluates the condition, sets the flag and the new event time
    recording: str   # recording bits (empty: not recorded)


@dataclass(frozen=True)
class NeuronUpdate:
    """Everything the neuron-update template lays out for one neuron group."""

    prefix: str
    name: str
    n: int
    slots: int
    loads: tuple[str, ...]           # the group's variables into locals
    stores: tuple[str, ...]          # and back
    input_decls: tuple[str, ...]     # Isyn and additional input variables
    postsynaptic: tuple[AttachedCode, ...]
    pre_output: tuple[str, ...]      # addToPre accumulators into the inputs
    current_sources: tuple[AttachedCode, ...]
    sim: Code
    threshold: Code
    reset: Code
    auto_refractory: bool
    wu_loads: tuple[str, ...]        # weight-update pre/post variables and event times
    wu_stores: tuple[str, ...]
    wu_dynamics: tuple[Code, ...]    # pre/post dynamics code of weight-update models
    wu_spike: tuple[Code, ...]       # pre/post spike code
    events: tuple[SpikeEvents, ...]  # spike-like events of outgoing (presynaptic) and incoming (postsynaptic) groups
    recording: bool
    words: int                       # 32-bit words per recorded timestep

    @property
    def rng(self) -> bool:
        """The neuron's own random stream is needed (its code or attached weight-update code draws)."""
        return self.sim.rng or self.threshold.rng or self.reset.rng or any(c.rng for c in self.wu_dynamics
                                                                             + self.wu_spike)

    @property
    def stream(self) -> str:
        return self.sim.stream

    @property
    def streams_ahead(self) -> tuple[str, ...]:
        """Random streams whose first Philox block a pass of its own computes ahead of the update loop, over a tile
        of neurons (``gn_philox_first_blocks``): every stream the update draws from. That pass runs across SIMD
        lanes, with AVX-512's even/odd 32-bit products where the CPU has them (twice the speed of the block GCC
        vectorises inside the loop), and it keeps the rounds out of loops that stay scalar (a Poisson count by
        repeated uniforms)."""
        own = (self.sim, self.threshold, self.reset, *self.wu_dynamics, *self.wu_spike)
        codes = [(c, self.stream) for c in own] + [(a.code, a.code.stream)
                                                    for a in self.postsynaptic + self.current_sources]
        return tuple(dict.fromkeys(stream for c, stream in codes if c.rng))

    @property
    def current_sources_apart(self) -> tuple[AttachedCode, ...]:
        """Current sources whose injection code loops (a Poisson count by repeated uniforms): the C template runs
        each in a pass of its own over a tile of neurons before the update loop, which then stays vectorisable;
        the loop adds each one's injection where the code would have run, so every input keeps its sum order."""
        return tuple(a for a in self.current_sources if a.apart is not None)


#: a loop statement in generated C
_LOOP = re.compile(r"\b(do|while|for)\b")


def neuron_local(name: str) -> str:
    return f"l_{c_ident(name)}"


def describe(plan: ModelPlan, target: Target, ng: NeuronGroup) -> NeuronUpdate:
    p, n, model = plan.prefix(ng), ng.num_neurons, ng.model
    slots = plan.slots(ng)
    loads, stores = [], []
    env = (Environment(plan, target).params(model, ng.params, ng.dynamic_params, p)
           .egps(ng.extra_global_params))
    for v in ng.vars.values():
        loc, ct = neuron_local(v.name), _ctype(plan, v.type)
        delayed = plan.is_delayed(v)
        idx = "id" if is_element(v.access) else "0"
        r_off = "readOff + " if delayed else ""
        w_off = "writeOff + " if delayed else ""
        loads.append(f"{ct} {loc} = {p}_{c_ident(v.name)}[{r_off}{idx}];")
        if get_var_access_mode(v.access) != VarAccessMode.READ_ONLY or delayed:
            stores.append(f"{p}_{c_ident(v.name)}[{w_off}{idx}] = {loc};")
        env.var(v.name, loc, v.type, v.access)
    env.element("neuron", num_neurons=n)
    env.readonly("st", "lst", "timepoint", "'st' (spike time) is read-only")
    inputs = [("Isyn", _ctype(plan, "scalar"), "0")] + [
        (a.name, _ctype(plan, a.type), literal(a.value, plan.resolve(a.type))) for a in model.additional_input_vars]
    input_decls = tuple(f"{ct} _in_{c_ident(name)} = {val};" for name, ct, val in inputs)
    attached_env = env.copy()  # neuron code reads the inputs; postsynaptic models and current sources write them
    for name, ct, _ in inputs:
        env.readonly(name, f"_in_{c_ident(name)}", ct, f"'{name}' is an input")

    # a group fused into another (GeNN's fuse switches, see codegen.fusion) shares its state and code: run once
    postsynaptic = tuple(_postsynaptic(plan, target, sg, attached_env) for sg in ng.in_syn
                         if plan.fused_into(sg, "ps") is sg)
    pre_output = tuple(f"_in_{c_ident(sg.pre_target_var)} += {plan.prefix(sg)}_outPre[id]; "
                       f"{plan.prefix(sg)}_outPre[id] = 0;"
                       for sg in ng.out_syn if sg.wu_model.mentions("addToPre"))
    input_types = {name: ct for name, ct, _ in inputs}
    current_sources = tuple(_current_source(plan, target, cs, attached_env, input_types[cs.target_var])
                            for cs in ng.current_sources)

    kind = "Neuron group"
    sim = statements(model.sim_code, env, context(kind, ng, model, "sim_code"))
    thr = expression(model.threshold_condition_code, env, context(kind, ng, model, "threshold_condition_code"))
    reset = statements(model.reset_code, env, context(kind, ng, model, "reset_code"))
    strm = stream(ng, "neuron")

    wu_loads, wu_stores, dynamics, spikes = [], [], [], []
    for sg, side in [(sg, "pre") for sg in ng.out_syn] + [(sg, "post") for sg in ng.in_syn]:
        if plan.fused_into(sg, side) is not sg:
            continue
        d, s, dyn, spk = _weight_update_side(plan, target, sg, side, env, strm)
        wu_loads += d
        wu_stores += s
        if dyn:
            dynamics.append(dyn)
        if spk:
            spikes.append(spk)
    events = []
    for sg, side in [(sg, "pre") for sg in ng.out_syn] + [(sg, "post") for sg in ng.in_syn]:
        if not getattr(sg.wu_model, f"{side}_event_threshold_condition_code"):
            continue
        ev = _events(plan, target, sg, side, env)
        q = ev.local
        wu_loads += [f"const timepoint lset{q} = {ev.time}[readOff + id];", f"timepoint nset{q} = lset{q};",
                     f"bool ev{q} = false;", f"(void)ev{q};"]
        wu_stores.append(f"{ev.time}[writeOff + id] = nset{q};")
        if slots > 1:  # both read unconditionally, then a select: no branch, so the loop vectorises
            wu_loads.append(f"const timepoint lprevw{q} = {ev.prev_time}[writeOff + id], "
                            f"lprevr{q} = {ev.prev_time}[readOff + id];")
            wu_stores.append(f"{ev.prev_time}[writeOff + id] = ev{q} ? lprevw{q} : lprevr{q};")
        events.append(ev)
    return NeuronUpdate(
        prefix=p, name=ng.name, n=n, slots=slots, loads=tuple(loads), stores=tuple(stores),
        input_decls=input_decls, postsynaptic=postsynaptic, pre_output=pre_output,
        current_sources=current_sources, sim=Code(sim.c, sim.uses_rng, strm),
        threshold=Code(thr.c, thr.uses_rng, strm), reset=Code(reset.c, reset.uses_rng, strm),
        auto_refractory=model.auto_refractory_required and bool(thr.c),
        wu_loads=tuple(wu_loads), wu_stores=tuple(wu_stores), wu_dynamics=tuple(dynamics), wu_spike=tuple(spikes),
        events=tuple(events), recording=ng.spike_recording_enabled, words=(n + 31) // 32)


def _ctype(plan: ModelPlan, type_name: str) -> str:
    from ...api import types

    return types.c_name(plan.resolve(type_name))


def _local_vars(plan: ModelPlan, env: Environment, variables, local: str, array: str, loads: list,
                stores: list) -> None:
    """Variables of attached code: loaded into locals, written back unless read-only.  Delayed ones (kept per
    spike-queue slot of the neuron group) are read from the slot of the last step and written to this one."""
    for v in variables:
        loc = f"{local}{c_ident(v.name)}"
        element, delayed = is_element(v.access), plan.is_delayed(v)
        if delayed:
            read, write = ("readOff + id", "writeOff + id") if element else ("readSlot", "writeSlot")
        else:
            read = write = "id" if element else "0"
        loads.append(f"{_ctype(plan, v.type)} {loc} = {array}{c_ident(v.name)}[{read}];")
        env.var(v.name, loc, v.type, v.access)
        if get_var_access_mode(v.access) != VarAccessMode.READ_ONLY or delayed:
            stores.append(f"{array}{c_ident(v.name)}[{write}] = {loc};")


def _injection(env: Environment, target_var: str) -> Environment:
    target = f"_in_{c_ident(target_var)}"
    return env.function("injectCurrent", Function(lambda a: f"{target} += {a[0]}", (1,)))


def _postsynaptic(plan: ModelPlan, target: Target, sg: SynapseGroup, neuron: Environment) -> AttachedCode:
    """A postsynaptic model: reads the synapse group's accumulated input, injects current into its target."""
    p, psm = plan.prefix(sg), sg.ps_model
    env = (Environment(plan, target).params(psm, sg.ps_params, sg.ps_dynamic_params, p + "_ps")
           .egps(sg.psm_extra_global_params).element("neuron", num_neurons=sg.trg.num_neurons)
           .writable("inSyn", "linSyn", "scalar"))
    loads = [f"scalar linSyn = {p}_outPost[id];"]
    setup = []
    if sg.wu_model.mentions("addToPostDelay"):
        # the slot delivered now, read once before the loop (read inside, GCC does not see it invariant and
        # leaves the loop scalar); size_t, so the index is affine
        setup.append(f"const size_t {p}_ddOff = (size_t){p}_denDelayPtr[0] * {sg.trg.num_neurons}u;")
        loads += [f"linSyn += {p}_denDelay[{p}_ddOff + id]; {p}_denDelay[{p}_ddOff + id] = 0;"]
    stores = [f"{p}_outPost[id] = linSyn;"]
    _local_vars(plan, env, sg.psm_vars.values(), "lps_", f"{p}_psm_", loads, stores)
    env.neuron_var_refs(psm.neuron_var_refs, sg.ps_initialiser.var_refs, neuron)
    _injection(env, sg.post_target_var)
    compiled = statements(psm.sim_code, env, context("Synapse group", sg, psm, "postsynaptic sim_code"))
    return AttachedCode(tuple(loads), code(compiled, sg, "psm"), tuple(stores), tuple(setup))


def _current_source(plan: ModelPlan, target: Target, cs: CurrentSource, neuron: Environment,
                    ctype: str) -> AttachedCode:
    """A current source's injection code; ``ctype`` is the C type of the input it adds to."""
    p, m = plan.prefix(cs), cs.model
    env = (Environment(plan, target).params(m, cs.params, cs.dynamic_params, p).egps(cs.extra_global_params)
           .element("neuron", num_neurons=cs.pop.num_neurons))
    loads, stores = [], []
    _local_vars(plan, env, cs.vars.values(), "lcs_", f"{p}_", loads, stores)
    env.neuron_var_refs(m.neuron_var_refs, cs.var_refs, neuron)
    _injection(env, cs.target_var)
    where = context("Current source", cs, m, "injection_code")
    compiled = statements(m.injection_code, env, where)
    main = code(compiled, cs, "injection")
    target, buffer = f"_in_{c_ident(cs.target_var)}", f"gn_inj_{p}"
    apart = None
    if not m.neuron_var_refs and _LOOP.search(main.c) and _injects_once(main.c, f"{target} += "):
        env.function("injectCurrent", Function(lambda a: f"{buffer}[id - gn_tile] = {a[0]}", (1,)))
        apart = code(statements(m.injection_code, env, where), cs, "injection")
    return AttachedCode(tuple(loads), main, tuple(stores), (), apart, target, buffer, ctype)


def _injects_once(c: str, injection: str) -> bool:
    """Whether compiled code adds to its input at most once per run: one injection, a statement of the code's top
    level (outside every block, loop body and branch). Its value can then be computed apart and added later: the
    sum is the same (an input never holds -0.0, so adding a +0.0 for no injection changes nothing)."""
    if c.count(injection) != 1:
        return False
    at = c.index(injection)
    start = c.rfind("(", 0, at) if c[:at].rstrip().endswith("(") else at  # the statement '(x += v);'
    before = c[:start].rstrip()
    return c[:at].count("{") == c[:at].count("}") and (not before or before[-1] in ";}")


def _weight_update_side(plan: ModelPlan, target: Target, sg: SynapseGroup, side: str, neuron: Environment,
                        neuron_stream: str):
    """Presynaptic (or postsynaptic) variables of a weight-update model, updated in the neuron kernel."""
    p, wu = plan.prefix(sg), sg.wu_model
    variables = sg.pre_vars if side == "pre" else sg.post_vars
    pop = sg.src if side == "pre" else sg.trg
    env = (Environment(plan, target).params(wu, sg.params, sg.dynamic_params, p).egps(sg.extra_global_params)
           .element("neuron", num_neurons=pop.num_neurons))
    env.readonly(f"st_{side}", "lst", "timepoint")
    loads, stores = [], []
    for v in variables.values():
        loc = f"l{side}{p}_{c_ident(v.name)}"
        arr = f"{p}_{side}_{c_ident(v.name)}"
        i = "id" if is_element(v.access) else "0"
        n_el = pop.num_neurons if is_element(v.access) else 1
        delayed = plan.is_delayed(v)
        r_off = f"(size_t)readSlot * {n_el}u + " if delayed else ""  # size_t: affine, so it vectorises
        w_off = f"(size_t)writeSlot * {n_el}u + " if delayed else ""
        loads.append(f"{_ctype(plan, v.type)} {loc} = {arr}[{r_off}{i}];")
        if get_var_access_mode(v.access) != VarAccessMode.READ_ONLY or delayed:
            stores.append(f"{arr}[{w_off}{i}] = {loc};")
        env.var(v.name, loc, v.type, v.access, f"{side}synaptic variable")
    refs = wu.pre_neuron_var_refs if side == "pre" else wu.post_neuron_var_refs
    targets = sg.wu_initialiser.pre_var_refs if side == "pre" else sg.wu_initialiser.post_var_refs
    env.neuron_var_refs(refs, targets, neuron)
    kind = "Synapse group"
    dyn = statements(getattr(wu, f"{side}_dynamics_code"), env, context(kind, sg, wu, f"{side}_dynamics_code"))
    spk = statements(getattr(wu, f"{side}_spike_code"), env, context(kind, sg, wu, f"{side}_spike_code"))
    return (loads, stores, Code("{\n" + dyn.c + "}" if dyn.c else "", dyn.uses_rng, neuron_stream),
            Code("{\n" + spk.c + "}" if spk.c else "", spk.uses_rng, neuron_stream))


def _events(plan: ModelPlan, target: Target, sg: SynapseGroup, side: str, neuron: Environment) -> SpikeEvents:
    """A spike-like event condition (presynaptic or postsynaptic): sets the event flag and time."""
    p, wu = plan.prefix(sg), sg.wu_model
    names = event_arrays(p, side)
    q = f"{p}{'' if side == 'pre' else 'post'}"
    env = (Environment(plan, target).params(wu, sg.params, sg.dynamic_params, p).egps(sg.extra_global_params))
    env.namespace.add("id", neuron.namespace.symbols["id"])
    pop = sg.src if side == "pre" else sg.trg
    env.constant("num_neurons", pop.num_neurons, "unsigned int")
    held = plan.state_prefix(sg, side)  # the locals of the group holding these variables
    for v in (sg.pre_vars if side == "pre" else sg.post_vars).values():
        env.readonly(v.name, f"l{side}{held}_{c_ident(v.name)}", v.type)
    refs = wu.pre_neuron_var_refs if side == "pre" else wu.post_neuron_var_refs
    targets = sg.wu_initialiser.pre_var_refs if side == "pre" else sg.wu_initialiser.post_var_refs
    env.neuron_var_refs(refs, targets, neuron)
    field_name = f"{side}_event_threshold_condition_code"
    cond = expression(getattr(wu, field_name), env, context("Synapse group", sg, wu, field_name))
    flag = f"{names['base']}Flag"
    condition = f"ev{q} = ({cond.c}); {flag}[id] = ev{q}; if (ev{q}) {{ nset{q} = t; }}"
    recording = names["recording"] if pop.spike_event_recording_enabled else ""
    return SpikeEvents(names["base"], names["time"], names["prev_time"], q, condition, recording)
