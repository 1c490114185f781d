"""Registry entries, one module per service (`FUNCTIONS: list[FunctionSpec]` in each)."""
