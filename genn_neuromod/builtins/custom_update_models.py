"""Built-in custom update models (GeNN 5.4 ``CustomUpdateModels``).

Transpose
    Transposes a dense synaptic variable into the variable of the (reverse-direction)
    synapse group it is attached to; it has no update code, the transpose is done by the
    code generator. Var refs: ``variable`` (READ_ONLY).
"""

from __future__ import annotations

from ..api.enums import VarAccessMode
from ..api.snippets import CustomUpdateModelBase, _Registry, create_custom_update_model


def Transpose() -> CustomUpdateModelBase:
    return create_custom_update_model(
        "Transpose",
        var_refs=[("variable", "scalar", VarAccessMode.READ_ONLY)])


REGISTRY = _Registry("custom update model", {"Transpose": Transpose})
