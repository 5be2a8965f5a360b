"""Generate the C of a whole model from its plan.

Each ``_gen_*`` function compiles the snippets of one kind of code object
against its namespace and returns the pieces the template
``templates/model.c.j2`` lays out (loops, indices, write-backs).  Errors in
snippets surface here, at ``build()``, naming group, model and field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from ..api import types
from ..api.enums import SynapseMatrixConnectivity, VarAccessDim, VarAccessMode, get_var_access_mode
from ..api.groups import CustomUpdate, NeuronGroup, SynapseGroup
from ..api.init import VarInit
from ..api.refs import VarReference
from ..compiler import CompiledSnippet, Function, Namespace, Symbol, compile_expression, compile_statements
from ..compiler.errors import ModelError
from .namespaces import (
    add_egps,
    add_params,
    base_namespace,
    is_element,
    literal,
    neuron_local,
    stream,
    var_symbol,
)
from .plan import ModelPlan, c_ident, custom_update_num_elements

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
    trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)


@dataclass
class Block:
    """A piece of C plus whether it needs a random-number stream."""

    code: str = ""
    rng: bool = False


@dataclass
class GeneratedModel:
    source: str
    custom_update_groups: list[str] = field(default_factory=list)
    needs_column_index: set[str] = field(default_factory=set)


def num_threads(model) -> int:
    """OpenMP threads from the ``num_threads`` preference (0 means one per core)."""
    import os

    n = int(model._preferences.get("num_threads", 1))
    return (os.cpu_count() or 1) if n == 0 else max(n, 1)


def _ctx(kind: str, group, model, field_name: str) -> str:
    return f"{kind} '{group.name}' (model '{model.class_name}') {field_name}"


class _Generator:
    def __init__(self, plan: ModelPlan, atomic: bool = False):
        self.plan = plan
        self.atomic = atomic  # CUDA: accumulate into shared targets with atomicAdd
        self.prec = plan.precision
        self.num_threads = num_threads(plan.model)
        self.needs_column_index: set[str] = set()

    # -- helpers -----------------------------------------------------------
    def stmts(self, code: str, ns: Namespace, context: str) -> CompiledSnippet:
        return compile_statements(code, ns, context, self.prec)

    def expr(self, code: str, ns: Namespace, context: str) -> CompiledSnippet:
        return compile_expression(code, ns, context, self.prec)

    def t(self, type_name: str) -> str:
        return types.c_name(self.plan.resolve(type_name))

    def p(self, g) -> str:
        return self.plan.prefix(g)

    # ---------------------------------------------------------------- neurons
    def neuron_update(self, ng: NeuronGroup) -> dict:
        plan, p, n = self.plan, self.p(ng), ng.num_neurons
        model = ng.model
        slots = ng._num_delay_slots
        loads, stores = [], []
        ns = base_namespace(plan)
        add_params(plan, ns, model, ng.params, ng.dynamic_params, p)
        add_egps(plan, ns, ng.extra_global_params)
        for v in ng.vars.values():
            loc, ct = neuron_local(v.name), self.t(v.type)
            idx = "id" if is_element(v.access) else "0"
            r_off = "readOff + " if v.delayed else ""
            w_off = "writeOff + " if v.delayed else ""
            loads.append(f"{ct} {loc} = {p}_{c_ident(v.name)}[{r_off}{idx}];")
            if get_var_access_mode(v.access) != VarAccessMode.READ_ONLY or v.delayed:
                stores.append(f"{p}_{c_ident(v.name)}[{w_off}{idx}] = {loc};")
            ns.add(v.name, var_symbol(v.name, loc, v.type, v.access))
        ns.add("id", Symbol("id", "unsigned int"))
        ns.add("num_neurons", Symbol(literal(n, "unsigned int"), "unsigned int"))
        ns.add("st", Symbol("lst", "timepoint", readonly_reason="'st' (spike time) is read-only"))
        inputs = [("Isyn", self.t("scalar"), "0")] + [
            (a.name, self.t(a.type), literal(a.value, self.plan.resolve(a.type)))
            for a in model.additional_input_vars]
        input_decls = [f"{ct} _in_{c_ident(name)} = {val};" for name, ct, val in inputs]
        ns_input = ns.copy()  # neuron code reads the inputs; PSMs and current sources write them
        for name, ct, _ in inputs:
            ns.add(name, Symbol(f"_in_{c_ident(name)}", ct, readonly_reason=f"'{name}' is an input"))

        psm_blocks = [self.psm_block(sg, ns_input) for sg in ng.in_syn]
        pre_out_blocks = []
        for sg in ng.out_syn:
            if self._uses(sg.wu_model, "addToPre"):
                pre_out_blocks.append(f"_in_{c_ident(sg.pre_target_var)} += {self.p(sg)}_outPre[id]; "
                                      f"{self.p(sg)}_outPre[id] = 0;")
        cs_blocks = [self.cs_block(cs, ns_input) for cs in ng.current_sources]

        kind = "Neuron group"
        sim = self.stmts(model.sim_code, ns, _ctx(kind, ng, model, "sim_code"))
        thr = self.expr(model.threshold_condition_code, ns, _ctx(kind, ng, model, "threshold_condition_code"))
        reset = self.stmts(model.reset_code, ns, _ctx(kind, ng, model, "reset_code"))

        # weight-update pre/post state updated in the neuron kernel
        wu_decls, wu_stores, dyn_blocks, spike_blocks, event_blocks = [], [], [], [], []
        for sg, side in [(sg, "pre") for sg in ng.out_syn] + [(sg, "post") for sg in ng.in_syn]:
            d, s, dyn, spk = self.wu_neuron_side(sg, side, ns)
            wu_decls += d
            wu_stores += s
            if dyn.code:
                dyn_blocks.append(dyn)
            if spk.code:
                spike_blocks.append(spk)
        for sg in ng.out_syn:
            if sg.wu_model.pre_event_threshold_condition_code:
                q = self.p(sg)
                wu_decls += [f"const timepoint lset{q} = {q}_set[readOff + id];", f"timepoint nset{q} = lset{q};",
                             f"bool ev{q} = false;", f"(void)ev{q};"]
                wu_stores.append(f"{q}_set[writeOff + id] = nset{q};")
                if slots > 1:  # both read unconditionally, then a select: no branch, so the loop vectorises
                    wu_decls.append(f"const timepoint lprevw{q} = {q}_prev_set[writeOff + id], "
                                    f"lprevr{q} = {q}_prev_set[readOff + id];")
                    wu_stores.append(f"{q}_prev_set[writeOff + id] = ev{q} ? lprevw{q} : lprevr{q};")
                event_blocks.append(self.event_condition(sg, ns))
        rng = sim.uses_rng or thr.uses_rng or reset.uses_rng
        return dict(
            prefix=p, name=ng.name, n=n, slots=slots, loads=loads, stores=stores, input_decls=input_decls,
            psm_blocks=psm_blocks, pre_out_blocks=pre_out_blocks, cs_blocks=cs_blocks, sim=sim.c,
            threshold=thr.c, reset=reset.c, auto_refractory=model.auto_refractory_required and bool(thr.c),
            rng=rng, stream=stream(ng, "neuron"), wu_decls=wu_decls, wu_stores=wu_stores,
            dyn_blocks=[b.code for b in dyn_blocks], spike_blocks=[b.code for b in spike_blocks],
            event_blocks=event_blocks, recording=ng.spike_recording_enabled, words=(n + 31) // 32,
            event_prefixes=[self.p(sg) for sg in ng.out_syn if sg.wu_model.pre_event_syn_code],
            wu_rng=any(b.rng for b in dyn_blocks + spike_blocks))

    def _uses(self, model, name: str) -> bool:
        return any(name in (code or "") for code in model.code_fields().values())

    def psm_block(self, sg: SynapseGroup, neuron_ns: Namespace) -> str:
        plan, p, psm = self.plan, self.p(sg), sg.ps_model
        ns = base_namespace(plan)
        add_params(plan, ns, psm, sg.ps_params, sg.ps_dynamic_params, p + "_ps")
        add_egps(plan, ns, sg.psm_extra_global_params)
        ns.add("id", Symbol("id", "unsigned int"))
        ns.add("num_neurons", Symbol(literal(sg.trg.num_neurons, "unsigned int"), "unsigned int"))
        ns.add("inSyn", Symbol("linSyn", "scalar", writable=True))
        lines = [f"scalar linSyn = {p}_outPost[id];"]
        if self._uses(sg.wu_model, "addToPostDelay"):
            lines += [f"{{ const uint32_t dd = {p}_denDelayPtr[0] * {sg.trg.num_neurons}u + id;",
                      f"  linSyn += {p}_denDelay[dd]; {p}_denDelay[dd] = 0; }}"]
        stores = [f"{p}_outPost[id] = linSyn;"]
        for v in sg.psm_vars.values():
            loc = f"lps_{c_ident(v.name)}"
            i = "id" if is_element(v.access) else "0"
            lines.append(f"{self.t(v.type)} {loc} = {p}_psm_{c_ident(v.name)}[{i}];")
            ns.add(v.name, var_symbol(v.name, loc, v.type, v.access))
            if get_var_access_mode(v.access) != VarAccessMode.READ_ONLY:
                stores.append(f"{p}_psm_{c_ident(v.name)}[{i}] = {loc};")
        self._add_neuron_refs(ns, psm.neuron_var_refs, sg.ps_initialiser.var_refs, sg.trg, neuron_ns,
                              f"synapse population '{sg.name}' postsynaptic model")
        target = f"_in_{c_ident(sg.post_target_var)}"
        ns.add_function("injectCurrent", Function(lambda a: f"{target} += {a[0]}", (1,)))
        code = self.stmts(psm.sim_code, ns, _ctx("Synapse group", sg, psm, "postsynaptic sim_code"))
        return self._block(lines, code, stores, stream(sg, "psm"))

    def cs_block(self, cs, neuron_ns: Namespace) -> str:
        plan, p, m = self.plan, self.p(cs), cs.model
        ns = base_namespace(plan)
        add_params(plan, ns, m, cs.params, cs.dynamic_params, p)
        add_egps(plan, ns, cs.extra_global_params)
        ns.add("id", Symbol("id", "unsigned int"))
        ns.add("num_neurons", Symbol(literal(cs.pop.num_neurons, "unsigned int"), "unsigned int"))
        lines, stores = [], []
        for v in cs.vars.values():
            loc = f"lcs_{c_ident(v.name)}"
            i = "id" if is_element(v.access) else "0"
            lines.append(f"{self.t(v.type)} {loc} = {p}_{c_ident(v.name)}[{i}];")
            ns.add(v.name, var_symbol(v.name, loc, v.type, v.access))
            if get_var_access_mode(v.access) != VarAccessMode.READ_ONLY:
                stores.append(f"{p}_{c_ident(v.name)}[{i}] = {loc};")
        self._add_neuron_refs(ns, m.neuron_var_refs, cs.var_refs, cs.pop, neuron_ns, f"current source '{cs.name}'")
        target = f"_in_{c_ident(cs.target_var)}"
        ns.add_function("injectCurrent", Function(lambda a: f"{target} += {a[0]}", (1,)))
        code = self.stmts(m.injection_code, ns, _ctx("Current source", cs, m, "injection_code"))
        return self._block(lines, code, stores, stream(cs, "injection"))

    def _block(self, lines: list[str], code: CompiledSnippet, stores: list[str], strm: str) -> str:
        head = list(lines)
        if code.uses_rng:
            head.append(f"gn_rng rng; gn_rng_init(&rng, gn_seed, {strm}, id, timestep);")
        return "{\n" + "\n".join(head) + "\n" + code.c + "\n".join(stores) + "\n}"

    def _add_neuron_refs(self, ns: Namespace, defs, targets: dict, pop: NeuronGroup, neuron_ns: Namespace,
                         what: str) -> None:
        """Neuron variable references inside the neuron kernel resolve to the neuron's locals."""
        for r in defs:
            target = targets.get(r.name)
            if target is None:
                raise ModelError(f"{what}: variable reference '{r.name}' is not set")
            name = target.var_name if isinstance(target, VarReference) else target
            if isinstance(target, VarReference) and target.group is not pop:
                raise ModelError(f"{what}: variable reference '{r.name}' must point into '{pop.name}'")
            if name not in pop.vars:
                raise ModelError(f"{what}: variable reference '{r.name}' targets unknown variable '{name}' "
                                 f"of '{pop.name}' (it has {sorted(pop.vars)})")
            base = neuron_ns.symbols[name]
            writable = base.writable and get_var_access_mode(r.access) != VarAccessMode.READ_ONLY
            ns.add(r.name, Symbol(base.c_expr, base.ctype, writable=writable,
                                  readonly_reason=f"variable reference '{r.name}' is read-only"))

    def wu_neuron_side(self, sg: SynapseGroup, side: str, neuron_ns: Namespace):
        """Pre (or post) variables of a weight update model, updated in the neuron kernel."""
        plan, p, wu = self.plan, self.p(sg), sg.wu_model
        variables = sg.pre_vars if side == "pre" else sg.post_vars
        decls, stores = [], []
        ns = base_namespace(plan)
        add_params(plan, ns, wu, sg.params, sg.dynamic_params, p)
        add_egps(plan, ns, sg.extra_global_params)
        ns.add("id", Symbol("id", "unsigned int"))
        pop = sg.src if side == "pre" else sg.trg
        ns.add("num_neurons", Symbol(literal(pop.num_neurons, "unsigned int"), "unsigned int"))
        ns.add(f"st_{side}", Symbol("lst", "timepoint"))
        for v in variables.values():
            loc = f"l{side}{p}_{c_ident(v.name)}"
            arr = f"{p}_{side}_{c_ident(v.name)}"
            i = "id" if is_element(v.access) else "0"
            n_el = pop.num_neurons if is_element(v.access) else 1
            r_off = f"(size_t)readSlot * {n_el}u + " if v.delayed else ""  # size_t: affine, so it vectorises
            w_off = f"(size_t)writeSlot * {n_el}u + " if v.delayed else ""
            decls.append(f"{self.t(v.type)} {loc} = {arr}[{r_off}{i}];")
            if get_var_access_mode(v.access) != VarAccessMode.READ_ONLY or v.delayed:
                stores.append(f"{arr}[{w_off}{i}] = {loc};")
            ns.add(v.name, var_symbol(v.name, loc, v.type, v.access, f"{side}synaptic variable"))
        refs = wu.pre_neuron_var_refs if side == "pre" else wu.post_neuron_var_refs
        targets = sg.wu_initialiser.pre_var_refs if side == "pre" else sg.wu_initialiser.post_var_refs
        self._add_neuron_refs(ns, refs, targets, pop, neuron_ns,
                              f"synapse population '{sg.name}' {side}synaptic neuron variable reference")
        kind = "Synapse group"
        dyn = self.stmts(getattr(wu, f"{side}_dynamics_code"), ns, _ctx(kind, sg, wu, f"{side}_dynamics_code"))
        spk = self.stmts(getattr(wu, f"{side}_spike_code"), ns, _ctx(kind, sg, wu, f"{side}_spike_code"))
        return (decls, stores, Block("{\n" + dyn.c + "}" if dyn.c else "", dyn.uses_rng),
                Block("{\n" + spk.c + "}" if spk.c else "", spk.uses_rng))

    def event_condition(self, sg: SynapseGroup, neuron_ns: Namespace) -> str:
        plan, p, wu = self.plan, self.p(sg), sg.wu_model
        ns = base_namespace(plan)
        add_params(plan, ns, wu, sg.params, sg.dynamic_params, p)
        add_egps(plan, ns, sg.extra_global_params)
        ns.add("id", Symbol("id", "unsigned int"))
        for v in sg.pre_vars.values():
            ns.add(v.name, Symbol(f"lpre{p}_{c_ident(v.name)}", v.type))
        self._add_neuron_refs(ns, wu.pre_neuron_var_refs, sg.wu_initialiser.pre_var_refs, sg.src, neuron_ns,
                              f"synapse population '{sg.name}' presynaptic neuron variable reference")
        cond = self.expr(wu.pre_event_threshold_condition_code, ns,
                         _ctx("Synapse group", sg, wu, "pre_event_threshold_condition_code"))
        return f"ev{p} = ({cond.c}); {p}_evFlag[id] = ev{p}; if (ev{p}) {{ nset{p} = t; }}"

    # --------------------------------------------------------------- synapses
    def synapse_namespace(self, sg: SynapseGroup, pre_off: str, post_off: str) -> Namespace:
        """Names in presynaptic, postsynaptic and dynamics code of a weight update model."""
        plan, p, wu = self.plan, self.p(sg), sg.wu_model
        src, trg = sg.src, sg.trg
        sp, tp = self.p(src), self.p(trg)
        ns = base_namespace(plan)
        add_params(plan, ns, wu, sg.params, sg.dynamic_params, p)
        add_egps(plan, ns, sg.extra_global_params)
        for name in ("id_pre", "id_post", "id_syn"):
            ns.add(name, Symbol(name, "unsigned int"))
        ns.add("num_pre", Symbol(literal(src.num_neurons, "unsigned int"), "unsigned int"))
        ns.add("num_post", Symbol(literal(trg.num_neurons, "unsigned int"), "unsigned int"))
        dt = plan.dt
        tt = plan.time_precision
        ax = literal(dt * (sg.axonal_delay_steps + 1), tt)
        bp = literal(dt * (sg.back_prop_delay_steps + 1), tt)
        ns.add("st_pre", Symbol(f"({sp}_st[{pre_off}id_pre] + {ax})", "timepoint"))
        prev_pre = "prevPreOff + " if pre_off else ""
        prev_post = "prevPostOff + " if post_off else ""
        ns.add("prev_st_pre", Symbol(f"({sp}_prev_st[{prev_pre}id_pre] + {ax})", "timepoint"))
        if wu.pre_event_syn_code:  # spike-like event times of this group's presynaptic events
            ns.add("set_pre", Symbol(f"({p}_set[{pre_off}id_pre] + {ax})", "timepoint"))
            ns.add("prev_set_pre", Symbol(f"({p}_prev_set[{prev_pre}id_pre] + {ax})", "timepoint"))
        ns.add("st_post", Symbol(f"({tp}_st[{post_off}id_post] + {bp})", "timepoint"))
        ns.add("prev_st_post", Symbol(f"({tp}_prev_st[{prev_post}id_post] + {bp})", "timepoint"))
        for v in sg.vars.values():
            idx = "id_syn" if is_element(v.access) else "0"
            ns.add(v.name, var_symbol(v.name, f"{p}_{c_ident(v.name)}[{idx}]", v.type, v.access))
        for v in sg.pre_vars.values():
            off = pre_off if v.delayed else ""
            i = "id_pre" if is_element(v.access) else "0"
            if not is_element(v.access) and v.delayed:
                off = "preSlot + "
            ns.add(v.name, Symbol(f"{p}_pre_{c_ident(v.name)}[{off}{i}]", v.type,
                                  readonly_reason=f"presynaptic variable '{v.name}' is read-only in synaptic code"))
        nt = trg.num_neurons
        slots_t = trg._num_delay_slots
        for v in sg.post_vars.values():
            arr = f"{p}_post_{c_ident(v.name)}"
            off = post_off if v.delayed else ""
            i = "id_post" if is_element(v.access) else "0"
            if not is_element(v.access) and v.delayed:
                off = "postSlot + "
            ns.add(v.name, Symbol(f"{arr}[{off}{i}]", v.type,
                                  readonly_reason=f"postsynaptic variable '{v.name}' is read-only in synaptic code",
                                  index=self._het_index(arr, v.delayed, tp, slots_t, nt)))
        for r in wu.pre_neuron_var_refs:
            name = self._ref_target(sg.wu_initialiser.pre_var_refs, r.name, sg, src)
            delayed = name in plan.delayed_neuron_vars[id(src)]
            ns.add(r.name, Symbol(f"{sp}_{c_ident(name)}[{pre_off if delayed else ''}id_pre]", r.type,
                                  readonly_reason=f"presynaptic neuron variable reference '{r.name}' is read-only"))
        for r in wu.post_neuron_var_refs:
            name = self._ref_target(sg.wu_initialiser.post_var_refs, r.name, sg, trg)
            delayed = name in plan.delayed_neuron_vars[id(trg)]
            arr = f"{tp}_{c_ident(name)}"
            ns.add(r.name, Symbol(f"{arr}[{post_off if delayed else ''}id_post]", r.type,
                                  readonly_reason=f"postsynaptic neuron variable reference '{r.name}' is read-only",
                                  index=self._het_index(arr, delayed, tp, slots_t, nt)))
        for r in wu.psm_var_refs:
            name = sg.wu_initialiser.psm_var_refs.get(r.name)
            name = name.var_name if isinstance(name, VarReference) else name
            if name not in sg.psm_vars:
                raise ModelError(f"synapse population '{sg.name}': psm variable reference '{r.name}' targets "
                                 f"'{name}', which its postsynaptic model does not have")
            ns.add(r.name, Symbol(f"{p}_psm_{c_ident(name)}[id_post]", r.type,
                                  readonly_reason=f"postsynaptic model variable reference '{r.name}' is read-only"))
        acc = self._accumulate
        ns.add_function("addToPost", Function(lambda a: acc(f"{p}_outPost[id_post]", a[0]), (1,)))
        dd = sg.max_dendritic_delay_timesteps
        ns.add_function("addToPostDelay", Function(
            lambda a: acc(f"{p}_denDelay[(({p}_denDelayPtr[0] + (uint32_t)({a[1]})) % {dd}u) * {nt}u + id_post]",
                          a[0]), (2,)))
        ns.add_function("addToPre", Function(lambda a: acc(f"{p}_outPre[id_pre]", a[0]), (1,)))
        return ns

    def _accumulate(self, target: str, value: str) -> str:
        if self.atomic:
            return f"atomicAdd(&{target}, (scalar)({value}))"
        return f"{target} += {value}"

    def _het_index(self, arr: str, delayed: bool, tp: str, slots: int, n: int):
        if not delayed:
            return None
        return lambda d: (f"{arr}[(({tp}_spkQuePtr[0] + {slots}u - (uint32_t)({d})) % {slots}u) * {n}u"
                          " + id_post]")

    def _ref_target(self, targets: dict, ref_name: str, sg: SynapseGroup, pop: NeuronGroup) -> str:
        target = targets.get(ref_name)
        if target is None:
            raise ModelError(f"synapse population '{sg.name}': variable reference '{ref_name}' is not set")
        name = target.var_name if isinstance(target, VarReference) else target
        if name not in pop.vars:
            raise ModelError(f"synapse population '{sg.name}': variable reference '{ref_name}' targets unknown "
                             f"variable '{name}' of '{pop.name}' (it has {sorted(pop.vars)})")
        return name

    def synapse_update(self, sg: SynapseGroup) -> dict:
        wu = sg.wu_model
        ns = self.synapse_namespace(sg, "preOff + ", "postOff + ")
        kind = "Synapse group"
        pre_spike = self.stmts(wu.pre_spike_syn_code, ns, _ctx(kind, sg, wu, "pre_spike_syn_code"))
        pre_event = self.stmts(wu.pre_event_syn_code, ns, _ctx(kind, sg, wu, "pre_event_syn_code"))
        post_spike = self.stmts(wu.post_spike_syn_code, ns, _ctx(kind, sg, wu, "post_spike_syn_code"))
        dyn = self.stmts(wu.synapse_dynamics_code, ns, _ctx(kind, sg, wu, "synapse_dynamics_code"))
        sparse = bool(sg.matrix_type & SynapseMatrixConnectivity.SPARSE)
        if post_spike.c and sparse:
            self.needs_column_index.add(sg.name)
        src, trg = sg.src, sg.trg
        rows_independent = not ({"addToPost", "addToPostDelay", "addToPre"} & dyn.info.functions_used)
        return dict(
            prefix=self.p(sg), name=sg.name, sparse=sparse, npre=src.num_neurons, npost=trg.num_neurons,
            src=self.p(src), trg=self.p(trg), src_slots=src._num_delay_slots, trg_slots=trg._num_delay_slots,
            axonal=sg.axonal_delay_steps, back_prop=sg.back_prop_delay_steps,
            pre_spike=pre_spike.c, pre_spike_rng=pre_spike.uses_rng, pre_event=pre_event.c,
            pre_event_rng=pre_event.uses_rng, post_spike=post_spike.c, post_spike_rng=post_spike.uses_rng,
            dynamics=dyn.guarded or dyn.c, dynamics_guard=dyn.guard, dynamics_rng=dyn.uses_rng,
            den_delay=self._uses(wu, "addToPostDelay"),
            dynamics_parallel=rows_independent,
            # SIMD lanes over a row: only when each synapse writes nothing but its own variables
            dynamics_simd=rows_independent
            and dyn.info.names_written <= {v.name for v in sg.vars.values() if is_element(v.access)},
            max_den_delay=sg.max_dendritic_delay_timesteps,
            streams={k: stream(sg, k) for k in ("pre_spike", "pre_event", "post_spike", "dynamics")})

    # ----------------------------------------------------------- initialisation
    def var_init(self, var, arr: str, loop: str, context: str, extra: dict[str, Symbol], strm: str,
                 element: str) -> str:
        """Code that initialises one variable from a var-init snippet inside a loop over ``element``."""
        init: VarInit = var.init_values
        ns = base_namespace(self.plan)
        add_params(self.plan, ns, init.snippet, init.params, set(), arr)
        add_egps(self.plan, ns, var.extra_global_params)
        ns.add("value", Symbol("value", var.type, writable=True))
        for k, s in extra.items():
            ns.add(k, s)
        code = self.stmts(init.snippet.var_init_code, ns, f"{context} variable '{var.name}' init "
                                                          f"(snippet '{init.snippet.class_name}') var_init_code")
        rng = f"gn_rng rng; gn_rng_init(&rng, gn_seed, {strm}, {element}, 0);\n" if code.uses_rng else ""
        return f"{loop} {{\n{rng}{self.t(var.type)} value = 0;\n{code.c}\n{arr} = value;\n}}"

    def neuron_like_inits(self, group, variables, prefix: str, n: int, kind: str, slots_of=None) -> list[str]:
        out = []
        for v in variables:
            if not isinstance(v.init_values, VarInit):
                continue
            extra = {"id": Symbol("id", "unsigned int"),
                     "num_neurons": Symbol(literal(n, "unsigned int"), "unsigned int")}
            count = n if is_element(v.access) else 1
            slots = group._num_delay_slots if getattr(v, "delayed", False) and slots_of is None else (
                slots_of if getattr(v, "delayed", False) else 1)
            arr = f"{prefix}{c_ident(v.name)}"
            body = self.var_init(v, f"{arr}[id]", f"for (uint32_t id = 0; id < {count}u; id++)",
                                 f"{kind} '{group.name}'", extra, stream(group, f"init/{v.name}"), "id")
            if slots and slots > 1:
                body += f"\nfor (uint32_t sl = 1; sl < {slots}u; sl++) memcpy({arr} + sl * {count}u, {arr}, " \
                        f"{count}u * sizeof({arr}[0]));"
            out.append(body)
        return out

    def init_code(self) -> tuple[list[str], list[dict], list[str]]:
        """Dense/neuron var init, connectivity builders and sparse var init."""
        dense, conn, sparse = [], [], []
        for ng in self.plan.neurons:
            dense += self.neuron_like_inits(ng, ng.vars.values(), f"{self.p(ng)}_", ng.num_neurons,
                                            "neuron population")
        for cs in self.plan.current_sources:
            dense += self.neuron_like_inits(cs, cs.vars.values(), f"{self.p(cs)}_", cs.pop.num_neurons,
                                            "current source", 1)
        for sg in self.plan.synapses:
            p = self.p(sg)
            dense += self.neuron_like_inits(sg, sg.pre_vars.values(), f"{p}_pre_", sg.src.num_neurons,
                                            "synapse population", sg.src._num_delay_slots)
            dense += self.neuron_like_inits(sg, sg.post_vars.values(), f"{p}_post_", sg.trg.num_neurons,
                                            "synapse population", sg.trg._num_delay_slots)
            dense += self.neuron_like_inits(sg, sg.psm_vars.values(), f"{p}_psm_", sg.trg.num_neurons,
                                            "synapse population", 1)
            syn_extra = {"id_pre": Symbol("id_pre", "unsigned int"), "id_post": Symbol("id_post", "unsigned int"),
                         "num_pre": Symbol(literal(sg.src.num_neurons, "unsigned int"), "unsigned int"),
                         "num_post": Symbol(literal(sg.trg.num_neurons, "unsigned int"), "unsigned int")}
            sparse_sg = bool(sg.matrix_type & SynapseMatrixConnectivity.SPARSE)
            for v in sg.vars.values():
                if not isinstance(v.init_values, VarInit):
                    continue
                arr = f"{p}_{c_ident(v.name)}"
                if not is_element(v.access):
                    dense.append(self.var_init(v, f"{arr}[0]", "for (uint32_t e = 0; e < 1; e++)",
                                               f"synapse population '{sg.name}'", {}, stream(sg, f"init/{v.name}"),
                                               "0"))
                elif sparse_sg:
                    loop = (f"for (uint32_t id_pre = 0; id_pre < {sg.src.num_neurons}u; id_pre++) "
                            f"for (uint32_t s = 0; s < {p}_rowLength[id_pre]; s++) "
                            f"for (uint32_t id_post = {p}_ind[id_pre * {p}_rowStride + s], _o = 1; _o; _o = 0)")
                    sparse.append(self.var_init(v, f"{arr}[id_pre * {p}_rowStride + s]", loop,
                                                f"synapse population '{sg.name}'", syn_extra,
                                                stream(sg, f"init/{v.name}"),
                                                "((uint64_t)id_pre << 32) | id_post"))
                else:
                    npost = sg.trg.num_neurons
                    loop = (f"for (uint32_t id_pre = 0; id_pre < {sg.src.num_neurons}u; id_pre++) "
                            f"for (uint32_t id_post = 0; id_post < {npost}u; id_post++)")
                    dense.append(self.var_init(v, f"{arr}[id_pre * {npost}u + id_post]", loop,
                                               f"synapse population '{sg.name}'", syn_extra,
                                               stream(sg, f"init/{v.name}"),
                                               "((uint64_t)id_pre << 32) | id_post"))
            if sparse_sg and sg.connectivity_initialiser is not None:
                snip = sg.connectivity_initialiser.snippet
                if snip.row_build_code or snip.col_build_code:
                    conn.append(self.connectivity(sg))
        for cu in self.plan.custom_updates:
            if cu._attached_to_synapses():
                for v in cu.vars.values():
                    if isinstance(v.init_values, VarInit):
                        raise NotImplementedError(f"custom update '{cu.name}': var-init snippets for variables "
                                                  "of synapse custom updates are not supported yet")
            else:
                dense += self.neuron_like_inits(cu, cu.vars.values(), f"{self.p(cu)}_",
                                                custom_update_num_elements(cu), "custom update", 1)
        return dense, conn, sparse

    def connectivity(self, sg: SynapseGroup) -> dict:
        init = sg.connectivity_initialiser
        snip = init.snippet
        p = self.p(sg)
        ns = base_namespace(self.plan)
        add_params(self.plan, ns, snip, init.params, set(), p + "_conn")
        add_egps(self.plan, ns, sg.connectivity_extra_global_params)
        for name, val in (("num_pre", sg.src.num_neurons), ("num_post", sg.trg.num_neurons),
                          ("num_threads", 1), ("id_thread", 0), ("id_pre_begin", 0), ("id_post_begin", 0)):
            ns.add(name, Symbol(literal(val, "unsigned int"), "unsigned int"))
        row = bool(snip.row_build_code)
        ns.add("id_pre" if row else "id_post", Symbol("id_pre" if row else "id_post", "unsigned int"))
        if row:
            add = lambda a: f"GN_ADD_SYNAPSE({p}, id_pre, {a[0]})"  # noqa: E731
        else:
            add = lambda a: f"GN_ADD_SYNAPSE({p}, {a[0]}, id_post)"  # noqa: E731
        ns.add_function("addSynapse", Function(add, None))
        field_name = "row_build_code" if row else "col_build_code"
        code = self.stmts(snip.row_build_code or snip.col_build_code, ns,
                          f"Synapse group '{sg.name}' (snippet '{snip.class_name}') {field_name}")
        return dict(prefix=p, row=row, n=sg.src.num_neurons if row else sg.trg.num_neurons, code=code.c,
                    rng=code.uses_rng, stream=stream(sg, "connectivity"), name=sg.name)

    # ---------------------------------------------------------- custom updates
    def custom_update(self, cu: CustomUpdate) -> dict:
        plan, p, m = self.plan, self.p(cu), cu.model
        ns = base_namespace(plan)
        add_params(plan, ns, m, cu.params, cu.dynamic_params, p)
        add_egps(plan, ns, cu.extra_global_params)
        for r in m.extra_global_param_refs:
            ref = cu.egp_refs.get(r.name)
            if ref is None:
                raise ModelError(f"custom update '{cu.name}': extra global parameter reference '{r.name}' "
                                 "is not set")
            table = {"group": ref.group.extra_global_params, "psm": getattr(ref.group, "psm_extra_global_params", {}),
                     "wu": ref.group.extra_global_params}[ref.kind]
            add_egps(plan, ns, {r.name: table[ref.egp_name]})
        syn = cu._attached_to_synapses()
        pre_loads, post_stores, reductions = [], [], []
        batch_reds: list[tuple[str, str, bool, str]] = []  # (local, type, is_sum, store) of batch reductions
        batched_refs = False  # does any reference target a variable with one value per batch?
        kinds: set[str] = set()  # reductions over "batch" and/or "neuron"
        if syn:
            sg = cu.synapse_group
            for name in ("id_pre", "id_post", "id_syn"):
                ns.add(name, Symbol(name, "unsigned int"))
            ns.add("num_pre", Symbol(literal(sg.src.num_neurons, "unsigned int"), "unsigned int"))
            ns.add("num_post", Symbol(literal(sg.trg.num_neurons, "unsigned int"), "unsigned int"))
            idx = "id_syn"
            n = None
        else:
            sg = None
            n = custom_update_num_elements(cu)
            ns.add("id", Symbol("id", "unsigned int"))
            ns.add("num_neurons", Symbol(literal(n, "unsigned int"), "unsigned int"))
            idx = "id"
        for v in cu.vars.values():
            arr = f"{p}_{c_ident(v.name)}"
            loc = f"lcu_{c_ident(v.name)}"
            ct = self.t(v.type)
            acc = int(v.access)
            mode = get_var_access_mode(acc)
            shared = bool(acc & VarAccessDim.ELEMENT)  # 'subtractive' dims: ELEMENT removed => one value
            if mode & VarAccessMode.REDUCE_SUM & ~VarAccessMode.READ_ONLY and mode in (
                    VarAccessMode.REDUCE_SUM, VarAccessMode.REDUCE_MAX):
                ident = "0" if mode == VarAccessMode.REDUCE_SUM else "-INFINITY"
                pre_loads.append(f"{ct} {loc} = {ident};")
                if shared:
                    reductions.append((arr + "[0]", loc, ct, mode == VarAccessMode.REDUCE_SUM))
                    kinds.add("neuron")
                else:
                    post_stores.append(f"{arr}[{idx}] = {loc};")
                    batch_reds.append((loc, ct, mode == VarAccessMode.REDUCE_SUM, post_stores[-1]))
                    kinds.add("batch")
                ns.add(v.name, Symbol(loc, v.type, writable=True, write_only=True))
            else:
                pre_loads.append(f"{ct} {loc} = {arr}[{'0' if shared else idx}];")
                if mode != VarAccessMode.READ_ONLY and not shared:
                    post_stores.append(f"{arr}[{idx}] = {loc};")
                ns.add(v.name, var_symbol(v.name, loc, v.type, acc))
        transposes = []
        for r in m.var_refs:
            ref = cu.var_refs.get(r.name)
            if not isinstance(ref, VarReference):
                raise ModelError(f"custom update '{cu.name}': variable reference '{r.name}' is not set "
                                 "(create it with create_var_ref / create_wu_var_ref)")
            per_synapse = ref.kind == "wu" or (ref.kind == "custom_update" and ref.group._attached_to_synapses())
            if syn and not per_synapse:
                raise ModelError(f"custom update '{cu.name}': variable reference '{r.name}' points to a per-neuron "
                                 f"variable ('{ref.var_name}' of '{ref.group.name}') but the update runs over the "
                                 "synapses of a weight-update variable reference; GeNN does not allow mixing them")
            target_arr, target_idx, element = self._cu_ref_target(ref, idx, cu)
            loc = f"lref_{c_ident(r.name)}"
            ct = self.t(r.type)
            mode = VarAccessMode(int(r.access))
            target_type, target_dims = self._ref_type_dims(ref)
            batched_refs |= bool(target_dims & VarAccessDim.BATCH)
            if target_type is not None and self.plan.resolve(r.type) != self.plan.resolve(target_type):
                raise ModelError(f"custom update '{cu.name}': variable reference '{r.name}' has type "
                                 f"'{r.type}' but its target '{ref.var_name}' of '{ref.group.name}' has type "
                                 f"'{target_type}'")
            if mode in (VarAccessMode.REDUCE_SUM, VarAccessMode.REDUCE_MAX):
                if (target_dims & VarAccessDim.ELEMENT) and (target_dims & VarAccessDim.BATCH):
                    raise ModelError(f"custom update '{cu.name}': reduction reference '{r.name}' targets "
                                     f"'{ref.var_name}' of '{ref.group.name}', which has one value per neuron "
                                     "and batch; a reduction target must be shared across batches or neurons")
                kinds.add("batch" if element else "neuron")
                ident = "0" if mode == VarAccessMode.REDUCE_SUM else "-INFINITY"
                pre_loads.append(f"{ct} {loc} = {ident};")
                if element:
                    post_stores.append(f"{target_arr}[{target_idx}] = {loc};")
                    batch_reds.append((loc, ct, mode == VarAccessMode.REDUCE_SUM, post_stores[-1]))
                else:
                    reductions.append((f"{target_arr}[0]", loc, ct, mode == VarAccessMode.REDUCE_SUM))
                ns.add(r.name, Symbol(loc, r.type, writable=True, write_only=True))
            else:
                pre_loads.append(f"{ct} {loc} = {target_arr}[{target_idx}];")
                slots, n_el = self._ref_delay(ref)
                if mode == VarAccessMode.BROADCAST and slots > 1:  # write every delay slot
                    i = idx if element else "0"
                    post_stores.append(f"for (uint32_t d = 0; d < {slots}u; d++) "
                                       f"{target_arr}[d * {n_el}u + {i}] = {loc};")
                elif mode != VarAccessMode.READ_ONLY:
                    post_stores.append(f"{target_arr}[{target_idx}] = {loc};")
                ns.add(r.name, Symbol(loc, r.type, writable=mode != VarAccessMode.READ_ONLY,
                                      readonly_reason=f"variable reference '{r.name}' is read-only"))
            if ref.transpose_group is not None:
                tsg = ref.transpose_group
                if not tsg.matrix_type & SynapseMatrixConnectivity.DENSE:
                    raise NotImplementedError(f"custom update '{cu.name}': transpose needs DENSE connectivity")
                transposes.append(f"{self.p(tsg)}_{c_ident(ref.transpose_var_name)}"
                                  f"[id_post * {sg.src.num_neurons}u + id_pre] = {loc};")
        if len(kinds) > 1:
            raise ModelError(f"custom update '{cu.name}' cannot perform batch and neuron reductions at once")
        code = self.stmts(m.update_code, ns, _ctx("Custom update", cu, m, "update_code"))
        out = dict(prefix=p, name=cu.name, group=cu.update_group_name, syn=syn, n=n, loads=pre_loads,
                   stores=post_stores + transposes, reductions=reductions, code=code.c, rng=code.uses_rng,
                   stream=stream(cu, "update"), batch_reds=batch_reds, batched_refs=batched_refs,
                   reduce_kind=next(iter(kinds), ""))
        if syn:
            out.update(sparse=bool(sg.matrix_type & SynapseMatrixConnectivity.SPARSE), sg=self.p(sg),
                       npre=sg.src.num_neurons, npost=sg.trg.num_neurons)
        return out

    def _ref_type_dims(self, ref: VarReference) -> tuple[str | None, VarAccessDim]:
        """Type and (additive) dimensions of a referenced variable."""
        g, k = ref.group, ref.kind
        full = VarAccessDim.ELEMENT | VarAccessDim.BATCH
        table = {"neuron": "vars", "current_source": "vars", "wu": "vars", "psm": "psm_vars",
                 "wu_pre": "pre_vars", "wu_post": "post_vars", "custom_update": "vars"}.get(k)
        if table is None:
            return None, full
        v = getattr(g, table)[ref.var_name]
        if k == "custom_update":
            return v.type, full & ~VarAccessDim(int(v.access) & 0xC0)
        return v.type, VarAccessDim(int(v.access) & 0xC0)

    def _ref_delay(self, ref: VarReference) -> tuple[int, int]:
        """Delay slots and elements per slot of a referenced variable (1 slot if not delayed)."""
        g = ref.group
        if ref.kind == "neuron":
            v = g.vars[ref.var_name]
            return (g._num_delay_slots if v.delayed else 1), (g.num_neurons if is_element(v.access) else 1)
        if ref.kind in ("wu_pre", "wu_post"):
            v = (g.pre_vars if ref.kind == "wu_pre" else g.post_vars)[ref.var_name]
            pop = g.src if ref.kind == "wu_pre" else g.trg
            return (pop._num_delay_slots if v.delayed else 1), (pop.num_neurons if is_element(v.access) else 1)
        return 1, 1

    def _cu_ref_target(self, ref: VarReference, idx: str, cu: CustomUpdate) -> tuple[str, str, bool]:
        """Array, index and whether the target has one value per element."""
        g = ref.group
        gp = self.p(g)
        k = ref.kind
        if k == "neuron":
            v = g.vars[ref.var_name]
            off = f"{gp}_spkQuePtr[0] * {g.num_neurons}u + " if v.delayed else ""
            elem = is_element(v.access)
            return f"{gp}_{c_ident(v.name)}", (off + idx) if elem else "0", elem
        if k in ("spike_time", "prev_spike_time"):
            slots = g._num_delay_slots
            off = f"{gp}_spkQuePtr[0] * {g.num_neurons}u + " if slots > 1 else ""
            return f"{gp}_{ref.var_name}", off + idx, True
        if k == "current_source":
            v = g.vars[ref.var_name]
            return f"{gp}_{c_ident(v.name)}", idx if is_element(v.access) else "0", is_element(v.access)
        if k == "psm":
            v = g.psm_vars[ref.var_name]
            return f"{gp}_psm_{c_ident(v.name)}", idx if is_element(v.access) else "0", is_element(v.access)
        if k == "out_post":
            return f"{gp}_outPost", idx, True
        if k in ("wu_pre", "wu_post"):
            side = k[3:]
            v = (g.pre_vars if side == "pre" else g.post_vars)[ref.var_name]
            pop = g.src if side == "pre" else g.trg
            elem = is_element(v.access)
            off = f"{self.p(pop)}_spkQuePtr[0] * {pop.num_neurons if elem else 1}u + " if v.delayed else ""
            return f"{gp}_{side}_{c_ident(v.name)}", off + (idx if elem else "0"), elem
        if k == "wu":
            v = g.vars[ref.var_name]
            return f"{gp}_{c_ident(v.name)}", idx if is_element(v.access) else "0", is_element(v.access)
        if k == "custom_update":
            v = g.vars[ref.var_name]
            elem = not (int(v.access) & VarAccessDim.ELEMENT)
            return f"{gp}_{c_ident(v.name)}", idx if elem else "0", elem
        raise ModelError(f"custom update '{cu.name}': unsupported reference kind '{k}'")


def generate(plan: ModelPlan) -> GeneratedModel:
    """The complete C translation unit of a model."""
    gen = _Generator(plan)
    ctx = model_context(gen)
    source = _TEMPLATES.get_template("model.c.j2").render(**ctx)
    return GeneratedModel(source, ctx["cu_groups"], gen.needs_column_index)


def model_context(gen: _Generator) -> dict:
    """Everything a model template lays out, compiled from the plan's snippets."""
    plan = gen.plan
    neurons = [gen.neuron_update(ng) for ng in plan.neurons]
    synapses = [gen.synapse_update(sg) for sg in plan.synapses]
    dense_init, conn_init, sparse_init = gen.init_code()
    cus = [gen.custom_update(cu) for cu in plan.custom_updates]
    groups = sorted({c["group"] for c in cus})
    arrays = [dict(cname=a.cname, ctype=types.c_name(a.ctype)) for a in plan.arrays]
    dynamic = []
    for g in plan.neurons + plan.current_sources + plan.custom_updates + plan.synapses:
        model = g.model if not isinstance(g, SynapseGroup) else g.wu_model
        for name in sorted(g.dynamic_params):
            ptype = next(x.type for x in model.params if x.name == name)
            dynamic.append(dict(cname=f"{plan.prefix(g)}_dp_{c_ident(name)}", ctype=gen.t(ptype),
                                value=literal(g.params[name], plan.resolve(ptype))))
        if isinstance(g, SynapseGroup):
            for name in sorted(g.ps_dynamic_params):
                ptype = next(x.type for x in g.ps_model.params if x.name == name)
                dynamic.append(dict(cname=f"{plan.prefix(g)}_ps_dp_{c_ident(name)}", ctype=gen.t(ptype),
                                    value=literal(g.ps_params[name], plan.resolve(ptype))))
    sparse_groups = [dict(prefix=plan.prefix(sg)) for sg in plan.synapses
                     if sg.matrix_type & SynapseMatrixConnectivity.SPARSE]
    return dict(
        model_name=plan.model.name, precision=plan.precision, time_precision=plan.time_precision,
        dt=literal(plan.dt, plan.time_precision), arrays=arrays, dynamic=dynamic, neurons=neurons,
        synapses=synapses, dense_init=dense_init, conn_init=conn_init, sparse_init=sparse_init,
        custom_updates=cus, cu_groups=groups, sparse_groups=sparse_groups,
        philox=(Path(__file__).parent.parent / "rng" / "philox.h").read_text(),
        num_threads=gen.num_threads, omp=gen.num_threads > 1,
        fast_math=bool(plan.model._preferences.get("optimize_code", False)))
