"""The admin's language: the TOML config model, conditions, rules and lists. Pure code."""
