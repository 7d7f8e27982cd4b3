"""The bundled sentiment model: fine-tuned e5 layers, n-gram expert, metrics, model card (a package: wheels ship it)."""
