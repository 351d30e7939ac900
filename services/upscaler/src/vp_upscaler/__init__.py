"""VideoPlanet upscaler service."""
