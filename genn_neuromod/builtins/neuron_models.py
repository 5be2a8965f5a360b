"""Built-in neuron models (GeNN 5.4 ``NeuronModels``).

RulkovMap
    Map-based neuron (Rulkov 2002, 1-D form of Nowotny 2005); meant for ``dt = 0.5``.
    Parameters: ``Vspike`` (spike amplitude), ``alpha`` (shape), ``y`` (shift), ``beta`` (input scale).
    Variables: ``V``, ``preV`` (V at the previous step).
    Derived: ``ip0 = Vspike^2 alpha``, ``ip1 = Vspike y``, ``ip2 = Vspike alpha + Vspike y``.
    Update: ``V <= 0``: ``V <- ip0 / (Vspike - V - beta Isyn) + ip1``;
    ``V < ip2 and preV <= 0``: ``V <- ip2``; otherwise ``V <- -Vspike``. Spike: ``V >= ip2``.

Izhikevich
    ``dV/dt = 0.04 V^2 + 5 V + 140 - U + Isyn``, ``dU/dt = a (b V - U)``; two half-step
    Euler updates of V, one of U; V clipped at 30. Spike: ``V >= 29.99``; the
    reset (``V <- c``, ``U <- U + d``) happens at the start of the next step when ``V >= 30``.
    Parameters: ``a``, ``b``, ``c``, ``d``. Variables: ``V``, ``U``.

IzhikevichVariable
    As Izhikevich, with ``a``, ``b``, ``c``, ``d`` as per-neuron READ_ONLY variables.

LIF
    Leaky integrate-and-fire, exact integration:
    ``V <- alpha - ExpTC (alpha - V)``, ``alpha = (Isyn + Ioffset) Rmembrane + Vrest``,
    while not refractory. Spike: ``RefracTime <= 0 and V >= Vthresh``; reset:
    ``V <- Vreset``, ``RefracTime <- TauRefrac``.
    Parameters: ``C``, ``TauM`` (ms), ``Vrest``, ``Vreset``, ``Vthresh`` (mV), ``Ioffset``,
    ``TauRefrac`` (ms). Variables: ``V``, ``RefracTime``.
    Derived: ``ExpTC = exp(-dt / TauM)``, ``Rmembrane = TauM / C``.

SpikeSourceArray
    Emits spikes at times read from EGP ``spikeTimes``; neuron i uses entries
    ``[startSpike, endSpike)``. Spike: ``startSpike != endSpike and t >= spikeTimes[startSpike]``;
    reset: ``startSpike++``. Variables: ``startSpike`` (unsigned int), ``endSpike``
    (unsigned int, READ_ONLY_DUPLICATE).

Poisson
    Poisson spike train of rate ``rate`` (Hz): ``timeStepToSpike`` counts down and is
    refilled by ``isi * Exp(1)``; spike when ``timeStepToSpike <= 0``.
    Derived: ``isi = 1000 / (rate dt)`` (timesteps).

TraubMiles
    Hodgkin-Huxley (Traub & Miles 1991):
    ``C dV/dt = -(gNa m^3 h (V - ENa) + gK n^4 (V - EK) + gl (V - El) - Isyn)``,
    ``dy/dt = alpha_y (1 - y) - beta_y y`` for ``y = m, h, n``; 25 Euler substeps of
    ``dt / 25`` per step, with L'Hospital values at the rate singularities. Spike: ``V >= 0``.
    Parameters: ``gNa``, ``ENa``, ``gK``, ``EK``, ``gl``, ``El``, ``C``.
    Variables: ``V``, ``m``, ``h``, ``n``.
"""

from __future__ import annotations

import math

from ..api.enums import VarAccess
from ..api.snippets import NeuronModelBase, _Registry, create_neuron_model

# GeNN's two C++ comments (V is stepped twice for numerical stability; V is clipped at 30
# so users do not see unrealistic voltages) are dropped: our parser does not accept comments.
_IZHIKEVICH_SIM_CODE = """
if (V >= 30.0){
   V=c;
   U+=d;
}
V+=0.5*(0.04*V*V+5.0*V+140.0-U+Isyn)*dt;
V+=0.5*(0.04*V*V+5.0*V+140.0-U+Isyn)*dt;
U+=a*(b*V-U)*dt;
if (V > 30.0){
  V=30.0;
}
"""


def RulkovMap() -> NeuronModelBase:
    return create_neuron_model(
        "RulkovMap",
        params=["Vspike", "alpha", "y", "beta"],
        vars=[("V", "scalar"), ("preV", "scalar")],
        derived_params=[
            ("ip0", lambda pars, dt: pars["Vspike"] * pars["Vspike"] * pars["alpha"]),
            ("ip1", lambda pars, dt: pars["Vspike"] * pars["y"]),
            ("ip2", lambda pars, dt: (pars["Vspike"] * pars["alpha"]) + (pars["Vspike"] * pars["y"]))],
        sim_code="""
        if (V <= 0) {
           preV= V;
           V= ip0/((Vspike) - V - (beta)*Isyn) +(ip1);
        }
        else {
           if ((V < ip2) && (preV <= 0)) {
               preV= V;
               V= ip2;
           }
           else {
               preV= V;
               V= -(Vspike);
           }
        }
        """,
        threshold_condition_code="V >= ip2")


def Izhikevich() -> NeuronModelBase:
    return create_neuron_model(
        "Izhikevich",
        params=["a", "b", "c", "d"],
        vars=[("V", "scalar"), ("U", "scalar")],
        sim_code=_IZHIKEVICH_SIM_CODE,
        threshold_condition_code="V >= 29.99",
        auto_refractory_required=False)


def IzhikevichVariable() -> NeuronModelBase:
    return create_neuron_model(
        "IzhikevichVariable",
        params=[],
        vars=[("V", "scalar"), ("U", "scalar"),
              ("a", "scalar", VarAccess.READ_ONLY), ("b", "scalar", VarAccess.READ_ONLY),
              ("c", "scalar", VarAccess.READ_ONLY), ("d", "scalar", VarAccess.READ_ONLY)],
        sim_code=_IZHIKEVICH_SIM_CODE,
        threshold_condition_code="V >= 29.99",
        auto_refractory_required=False)


def LIF() -> NeuronModelBase:
    return create_neuron_model(
        "LIF",
        params=["C", "TauM", "Vrest", "Vreset", "Vthresh", "Ioffset", "TauRefrac"],
        derived_params=[
            ("ExpTC", lambda pars, dt: math.exp(-dt / pars["TauM"])),
            ("Rmembrane", lambda pars, dt: pars["TauM"] / pars["C"])],
        vars=[("V", "scalar"), ("RefracTime", "scalar")],
        sim_code="""
        if (RefracTime <= 0.0) {
          scalar alpha = ((Isyn + Ioffset) * Rmembrane) + Vrest;
          V = alpha - (ExpTC * (alpha - V));
        }
        else {
          RefracTime -= dt;
        }
        """,
        threshold_condition_code="RefracTime <= 0.0 && V >= Vthresh",
        reset_code="""
        V = Vreset;
        RefracTime = TauRefrac;
        """,
        auto_refractory_required=False)


def SpikeSourceArray() -> NeuronModelBase:
    return create_neuron_model(
        "SpikeSourceArray",
        vars=[("startSpike", "unsigned int"),
              ("endSpike", "unsigned int", VarAccess.READ_ONLY_DUPLICATE)],
        sim_code="",
        threshold_condition_code="startSpike != endSpike && t >= spikeTimes[startSpike]",
        reset_code="startSpike++;\n",
        extra_global_params=[("spikeTimes", "scalar*")],
        auto_refractory_required=False)


def Poisson() -> NeuronModelBase:
    return create_neuron_model(
        "Poisson",
        params=["rate"],
        vars=[("timeStepToSpike", "scalar")],
        derived_params=[("isi", lambda pars, dt: 1000.0 / (pars["rate"] * dt))],
        sim_code="""
        if(timeStepToSpike <= 0.0f) {
            timeStepToSpike += isi * gennrand_exponential();
        }
        timeStepToSpike -= 1.0;
        """,
        threshold_condition_code="timeStepToSpike <= 0.0",
        auto_refractory_required=False)


def TraubMiles() -> NeuronModelBase:
    return create_neuron_model(
        "TraubMiles",
        params=["gNa", "ENa", "gK", "EK", "gl", "El", "C"],
        vars=[("V", "scalar"), ("m", "scalar"), ("h", "scalar"), ("n", "scalar")],
        sim_code="""
        const scalar mdt= dt/25.0;
        for (unsigned int mt=0; mt < 25; mt++) {
           const scalar Imem= -(m*m*m*h*gNa*(V-(ENa))+
               n*n*n*n*gK*(V-(EK))+
               gl*(V-(El))-Isyn);
           scalar a;
           if (V == -52.0) {
               a= 1.28;
           }
           else {
               a= 0.32*(-52.0-V)/(exp((-52.0-V)/4.0)-1.0);
           }
           scalar b;
           if (V == -25.0) {
               b= 1.4;
           }
           else {
               b= 0.28*(V+25.0)/(exp((V+25.0)/5.0)-1.0);
           }
           m+= (a*(1.0-m)-b*m)*mdt;
           a= 0.128*exp((-48.0-V)/18.0);
           b= 4.0 / (exp((-25.0-V)/5.0)+1.0);
           h+= (a*(1.0-h)-b*h)*mdt;
           if (V == -50.0) {
               a= 0.16;
           }
           else {
               a= 0.032*(-50.0-V)/(exp((-50.0-V)/5.0)-1.0);
           }
           b= 0.5*exp((-55.0-V)/40.0);
           n+= (a*(1.0-n)-b*n)*mdt;
           V+= Imem/C*mdt;
        }
        """,
        threshold_condition_code="V >= 0.0")


REGISTRY = _Registry("neuron model", {
    "RulkovMap": RulkovMap, "Izhikevich": Izhikevich, "IzhikevichVariable": IzhikevichVariable,
    "LIF": LIF, "SpikeSourceArray": SpikeSourceArray, "Poisson": Poisson, "TraubMiles": TraubMiles})
