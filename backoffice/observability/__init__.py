"""What an operator watches: Prometheus metrics, the readiness check, JSON log lines with a
request id (docs/operations.md)."""
