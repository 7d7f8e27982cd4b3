"""The HTML report: queries aggregated by DuckDB, Altair charts, one self-contained page."""
