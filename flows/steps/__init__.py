"""The pipeline's steps as plain functions: listen, import, score, topics (tasks wrap them)."""
