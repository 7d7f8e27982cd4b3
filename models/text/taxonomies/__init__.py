"""Built-in topic taxonomies (TOML data files shipped as package data)."""
