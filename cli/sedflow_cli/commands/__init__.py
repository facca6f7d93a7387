"""The commands, one module per group or topic; the root group (``sedflow_cli.main``) imports each on demand."""
