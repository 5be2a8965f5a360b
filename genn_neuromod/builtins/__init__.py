"""GeNN 5.4's built-in models, re-expressed with :mod:`genn_neuromod.api.snippets`.

One module per model kind, each with a function per model (named like GeNN's
class) and a ``REGISTRY`` that looks models up by name.
"""
