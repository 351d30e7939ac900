"""VideoPlanet runtime: the JetStream event store, stream declarations, settings, telemetry."""
