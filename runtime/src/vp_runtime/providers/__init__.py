"""AI providers behind one interface (the roadmap's: generate image, generate video, upscale,
estimate cost), with configuration, shared rate limits, circuit breakers, a content-addressed
cache, a journal of paid calls, fallback in a configured order, and a cost record per call."""
