"""Orchestration: the state store, the pipeline, the scheduler service and the CLI."""
