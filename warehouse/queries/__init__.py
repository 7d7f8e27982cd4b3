"""Read queries, one module per caller: the pipeline, alerting, the report."""
