"""Alert state in the warehouse: the outbox and the episodes across runs."""
