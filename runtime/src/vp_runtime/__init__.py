"""VideoPlanet runtime: what every service is built on (event store, messaging, storage,
providers, media, web, observability, settings)."""
