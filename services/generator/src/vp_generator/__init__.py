"""VideoPlanet generator service."""
