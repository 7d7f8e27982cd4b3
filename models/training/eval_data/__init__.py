"""Evaluation data for the bundled sentiment model: hand-written Korean social posts (a package so wheels ship it)."""
