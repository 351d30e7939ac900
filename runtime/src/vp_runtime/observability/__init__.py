"""Traces (OpenTelemetry) and metrics (Prometheus) every service shares."""
