"""VideoPlanet notifier service."""
