"""Data for the bundled sentiment model: the trained head, its metrics and model card (a package so wheels ship it)."""
