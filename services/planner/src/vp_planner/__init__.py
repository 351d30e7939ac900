"""VideoPlanet planner service."""
