"""genn_neuromod: spiking networks with neuronal heterogeneity and neuromodulation.

The PyGeNN 5 namespace is exported here, so a PyGeNN script runs on the
embedded engine by changing its import only::

    import genn_neuromod as pygenn
"""

from __future__ import annotations

from importlib import metadata as _metadata

from .api import types
from .api.enums import (
    CustomUpdateVarAccess,
    ParallelismHint,
    PlogSeverity,
    SynapseMatrixConnectivity,
    SynapseMatrixType,
    SynapseMatrixWeight,
    VarAccess,
    VarAccessDim,
    VarAccessMode,
    VarAccessModeAttribute,
    VarLocation,
    VarLocationAttribute,
    get_var_access_dim,
)
from .api.groups import CurrentSource, CustomConnectivityUpdate, CustomUpdate, NeuronGroup, SynapseGroup
from .api.init import (
    init_connectivity,
    init_postsynaptic,
    init_sparse_connectivity,
    init_toeplitz_connectivity,
    init_var,
    init_weight_update,
)
from .api.model import GeNNModel
from .api.refs import (
    create_den_delay_var_ref,
    create_egp_ref,
    create_out_post_var_ref,
    create_post_var_ref,
    create_pre_var_ref,
    create_prev_spike_time_var_ref,
    create_psm_egp_ref,
    create_psm_var_ref,
    create_spike_time_var_ref,
    create_var_ref,
    create_wu_egp_ref,
    create_wu_post_var_ref,
    create_wu_pre_var_ref,
    create_wu_var_ref,
)
from .api.snippets import (
    create_current_source_model,
    create_custom_connectivity_update_model,
    create_custom_update_model,
    create_neuron_model,
    create_postsynaptic_model,
    create_sparse_connect_init_snippet,
    create_toeplitz_connect_init_snippet,
    create_var_init_snippet,
    create_weight_update_model,
)
from .builtins import (
    current_source_models,
    custom_connectivity_update_models,
    custom_update_models,
    init_sparse_connectivity_snippets,
    init_toeplitz_connectivity_snippets,
    init_var_snippets,
    neuron_models,
    postsynaptic_models,
    weight_update_models,
)
from .compiler.errors import ModelError, SimulationFault, SnippetError

CustomUpdateWU = CustomUpdate

try:
    __version__ = _metadata.version("genn_neuromod")
except _metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.1.0"

__all__ = [
    "CurrentSource", "CustomConnectivityUpdate", "CustomUpdate", "CustomUpdateVarAccess", "CustomUpdateWU",
    "GeNNModel", "ModelError", "NeuronGroup", "ParallelismHint", "PlogSeverity", "SimulationFault", "SnippetError",
    "SynapseGroup",
    "SynapseMatrixConnectivity", "SynapseMatrixType", "SynapseMatrixWeight", "VarAccess", "VarAccessDim",
    "VarAccessMode", "VarAccessModeAttribute", "VarLocation", "VarLocationAttribute", "create_current_source_model",
    "create_custom_connectivity_update_model", "create_custom_update_model", "create_den_delay_var_ref",
    "create_egp_ref", "create_neuron_model", "create_out_post_var_ref", "create_post_var_ref",
    "create_postsynaptic_model", "create_pre_var_ref", "create_prev_spike_time_var_ref", "create_psm_egp_ref",
    "create_psm_var_ref", "create_sparse_connect_init_snippet", "create_spike_time_var_ref",
    "create_toeplitz_connect_init_snippet", "create_var_init_snippet", "create_var_ref",
    "create_weight_update_model", "create_wu_egp_ref", "create_wu_post_var_ref", "create_wu_pre_var_ref",
    "create_wu_var_ref", "current_source_models", "custom_connectivity_update_models", "custom_update_models",
    "get_var_access_dim", "init_connectivity", "init_postsynaptic", "init_sparse_connectivity",
    "init_sparse_connectivity_snippets", "init_toeplitz_connectivity", "init_toeplitz_connectivity_snippets",
    "init_var", "init_var_snippets", "init_weight_update", "neuron_models", "postsynaptic_models", "types",
    "weight_update_models",
]
