"""The partner API surfaces: compat (DESIGN §5.2) and, later, the native v1 (§5.3)."""
