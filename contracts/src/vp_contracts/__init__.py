"""VideoPlanet event contracts.

Everything another team needs to read or write the Story event log: the versioned event
models (:mod:`vp_contracts.events`), NATS subjects (:mod:`vp_contracts.subjects`), the
CloudEvents envelope carried in NATS headers (:mod:`vp_contracts.envelope`), and the Story's
rules: the pure decider and the reference fold (:mod:`vp_contracts.story`).
"""

CONTRACTS_VERSION = "1.6.0"
