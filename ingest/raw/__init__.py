"""The raw layer: its schema, the load transaction, history warnings, receipts, safe CSV output."""
