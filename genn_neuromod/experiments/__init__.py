"""Reference experiments built from the model library (DESIGN §7)."""
