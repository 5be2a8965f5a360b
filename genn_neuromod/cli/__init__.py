"""The ``genn-neuromod`` command line: run, inspect, analyze, plot, sweep."""

from .main import analyze, main

__all__ = ["analyze", "main"]
