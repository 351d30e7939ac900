"""What the HTTP side of every service shares: app instrumentation and docs, health and
metrics routes, bearer tokens and live tickets."""
