"""Text understanding: Korean morphology, clauses, terms, topic taxonomies and models, themes."""
