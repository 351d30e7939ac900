"""VideoPlanet compositor service."""
