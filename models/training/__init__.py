"""Training and evaluation of the bundled models: run from the repository, not shipped."""
