"""The edges: one module per outside system, one shared retry and rate-limit policy.

Knows nothing of rules or lists (see ARCHITECTURE.md).
"""
