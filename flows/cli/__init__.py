"""The `brandpulse` command line: one module per command group (`main` builds the app)."""
