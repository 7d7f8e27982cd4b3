"""Sentiment models: the loader, the bundled fine-tuned e5 and its experts, the e5 converter."""
