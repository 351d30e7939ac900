"""VideoPlanet gateway service."""
