"""`/api/v1/` — the native partner surface (DESIGN §5.3)."""
