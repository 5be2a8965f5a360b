"""Reference experiments built from the model library."""
