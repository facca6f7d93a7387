"""The one place that knows SpiffWorkflow: parsing specs, the case environment, state, queries, diffs."""
