"""GeNN 5.4's built-in custom connectivity update models: it has none; models come from
:func:`~genn_neuromod.create_custom_connectivity_update_model`."""

from __future__ import annotations

from ..api.snippets import _Registry

REGISTRY = _Registry("custom connectivity update model", {})
