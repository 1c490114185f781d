"""Every deployable function, one module per function, grouped by service (file stem = target)."""
