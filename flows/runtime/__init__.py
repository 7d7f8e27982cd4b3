"""What every flow runs on: configuration, the run lock, run records, retries, artifacts."""
